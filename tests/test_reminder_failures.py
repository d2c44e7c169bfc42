"""A reminder pass is never stopped by one record.

Registers written by older versions (or by any future bug) may hold what
validation now refuses: a date near year 1, a policy that does not parse, a
title or an address with a line break. Each test writes such a value with SQL,
past every validation, and checks that everyone else's reminders still go, that
what could not be planned or sent is recorded with its reason (delivery log,
/reminders, `reminders run` on stderr with a non-zero exit, /healthz degraded),
and that nothing is retried for ever. Every test runs on SQLite and PostgreSQL
and sends to a real SMTP server on loopback (tests/smtp.py).
"""

from datetime import date, timedelta

import pytest
from peewee import SqliteDatabase

from registry.db import db
from registry.models import Agreement, Group, GroupMeeting, Person, utcnow
from scheduler import delivery, locks
from tests.smtp import smtp, smtp_server  # noqa: F401
from tests.test_reminders import (
    BARN_KEPT,
    BARN_LATE,
    JULY_3_ROWS,
    LAKAR_AHEAD,
    deliveries,
    demo,  # noqa: F401
    kept_barn,
    lakar,
    pass_for,
    rows,
)

# The fixtures imported above are pytest fixtures: test arguments of the same name are not redefinitions.
# ruff: noqa: F811

JULY_3 = date(2026, 7, 3)
RUN = ["reminders", "run", "--today", JULY_3.isoformat()]
YEAR_1 = date(1, 1, 5)
ALDRE = "beredning.aldre@example.org"


def text(response):
    return response.get_data(as_text=True)


def store(model, row_id, **values):
    """Write values with one UPDATE, past every validation (as an older version or a bug could have)."""
    assert model.update(**values).where(model.id == row_id).execute() == 1


def unplanned_section(client):
    page = text(client.get("/reminders"))
    return page.split('id="unplanned-heading"', 1)[1].split("</section>", 1)[0]


def health(anonymous):
    locks.heartbeat(locks.SCHEDULER_LOCK)  # a scheduler is running
    response = anonymous.get("/healthz")
    return response.status_code, response.get_json()["scheduler"]


def assert_reported(agreement, kind, deadline_on, why, client, anonymous, runner):
    """The skip is in the delivery log, on /reminders, in /healthz and in `reminders run`'s output."""
    (row,) = rows(agreement=agreement.id, stage="unplannable")
    assert (row.kind, row.deadline_on, row.recipient, row.state, row.next_attempt_at) == (
        kind,
        deadline_on,
        "",
        "failed",
        None,
    )
    assert why in row.last_error

    section = unplanned_section(client)
    assert f'href="/agreements/{agreement.id}"' in section
    assert (agreement.short_name or agreement.title) in section
    assert why in section and deadline_on.isoformat() in section

    code, body = health(anonymous)
    assert code == 503
    assert "the last reminder pass could not plan 1 agreement (listed on /reminders)" in body["problems"]
    assert body["unplanned_agreements"] == 1

    out = runner.invoke(args=RUN)
    assert out.exit_code == 1, out.output
    assert f"SKIPPED agreement {agreement.id} ({agreement.title}): {kind} {deadline_on}: " in out.stderr
    assert why in out.stderr
    assert out.output.strip().splitlines()[-1].endswith(", 1 agreement not planned")
    # The same deadline, still unplannable, keeps its one row.
    assert len(rows(agreement=agreement.id, stage="unplannable")) == 1


def assert_healthy_again(client, anonymous):
    assert "Den senaste körningen kunde planera alla avtal." in unplanned_section(client)
    code, body = health(anonymous)
    assert code == 200, body
    assert body["unplanned_agreements"] == 0


# --- deadlines that cannot be planned -------------------------------------------------


def test_an_expiry_near_year_1_is_skipped_with_its_reason_and_everyone_else_is_reminded(
    demo, smtp, client, anonymous, runner
):
    agreement = lakar()
    store(Agreement, agreement.id, expires_on=YEAR_1)

    result = pass_for(JULY_3)
    assert (result.sent, result.failed) == (BARN_KEPT * 4, 0)
    assert smtp.per_recipient() == dict.fromkeys(BARN_LATE, 1)
    (skip,) = result.unplanned
    assert (skip.agreement_id, skip.kind, skip.deadline_on) == (agreement.id, "expiry", YEAR_1)
    assert skip.reason == "OverflowError: date value out of range"
    assert_reported(agreement, "expiry", YEAR_1, "OverflowError", client, anonymous, runner)

    # A dry run says the same and records nothing more.
    before = len(rows())
    out = runner.invoke(args=[*RUN, "--dry-run"])
    assert out.exit_code == 1 and f"SKIPPED agreement {agreement.id} " in out.stderr
    assert len(rows()) == before

    # Fixed: the next pass plans and sends it, the skip is resolved, all is well again.
    store(Agreement, agreement.id, expires_on=date(2026, 12, 31))
    fixed = pass_for(JULY_3)
    assert fixed.unplanned == [] and fixed.sent == 3
    assert {r.recipient for r in rows(agreement=agreement.id, state="sent")} == LAKAR_AHEAD
    assert [(r.state, r.last_error) for r in rows(agreement=agreement.id, stage="unplannable")] == [
        ("skipped", "resolved")
    ]
    assert_healthy_again(client, anonymous)


def test_a_review_near_year_1_is_skipped_and_the_agreements_other_deadlines_and_everyone_else_go(
    demo, smtp, client, anonymous, runner
):
    odd, other = kept_barn()
    store(Agreement, odd.id, next_review_on=YEAR_1, expires_on=date(2026, 12, 31))

    result = pass_for(JULY_3)
    assert [(u.agreement_id, u.kind) for u in result.unplanned] == [(odd.id, "review")]
    # Its expiry is planned all the same, and so is everybody else's.
    assert {(r.kind, r.stage, r.state) for r in rows(agreement=odd.id, recipient="barn-och-unga@example.org")} == {
        ("expiry", "before:180", "sent")
    }
    assert {r.recipient for r in rows(agreement=other.id, state="sent")} == BARN_LATE
    assert {r.recipient for r in rows(agreement=lakar().id, state="sent")} == LAKAR_AHEAD
    assert result.failed == 0
    assert_reported(odd, "review", YEAR_1, "OverflowError", client, anonymous, runner)


def test_a_policy_that_does_not_parse_skips_its_agreements_only(demo, smtp, client, anonymous, runner):
    barn = Group.get(Group.short_name == "Barn och unga")
    store(Group, barn.id, review_offsets="-5")

    result = pass_for(JULY_3)
    assert {u.agreement_id for u in result.unplanned} == {a.id for a in kept_barn()}
    assert {u.reason for u in result.unplanned} == {"PolicyError: days must be between 1 and 3650: '-5'"}
    assert {r.recipient for r in rows(state="sent")} == LAKAR_AHEAD
    assert (
        "the last reminder pass could not plan 2 agreements (listed on /reminders)" in health(anonymous)[1]["problems"]
    )
    out = runner.invoke(args=RUN)
    assert out.exit_code == 1
    for agreement in kept_barn():
        assert f"SKIPPED agreement {agreement.id} ({agreement.title}): review " in out.stderr


@pytest.mark.parametrize("field", ["expires_on", "next_review_on"])
def test_a_date_in_year_9999_is_simply_not_due(demo, smtp, client, anonymous, runner, field):
    """Far in the future nothing overflows: such a deadline is planned like any other (and is not due)."""
    odd = kept_barn()[0] if field == "expires_on" else lakar()
    store(Agreement, odd.id, **{field: date(9999, 12, 31)})

    out = runner.invoke(args=RUN)
    assert out.exit_code == 0, out.output
    assert "SKIPPED" not in out.output
    # The odd agreement's other deadline (Barn's overdue review, Läkaruppdrag's expiry) goes as usual.
    assert len(deliveries()) == JULY_3_ROWS and {r.state for r in deliveries()} == {"sent"}
    assert {r.recipient for r in rows(agreement=odd.id, state="sent")} == (
        BARN_LATE if field == "expires_on" else LAKAR_AHEAD
    )
    assert_healthy_again(client, anonymous)


def test_a_stored_date_that_is_no_date_is_skipped(demo, smtp, runner):
    if not isinstance(db.obj, SqliteDatabase):
        pytest.skip("PostgreSQL stores only dates in a date column")
    agreement = lakar()
    db.execute_sql("UPDATE agreement SET expires_on = '2026-13-45' WHERE id = ?", (agreement.id,))

    result = pass_for(JULY_3)
    (skip,) = result.unplanned
    assert (skip.agreement_id, skip.kind) == (agreement.id, "expiry")
    assert "2026-13-45" in skip.reason
    assert result.sent == BARN_KEPT * 4
    (row,) = rows(agreement=agreement.id, stage="unplannable")
    assert (row.state, row.deadline_on) == ("failed", date.min)


# --- digests that cannot be composed --------------------------------------------------


@pytest.mark.parametrize("field", ["title", "short_name"])
def test_a_line_break_in_a_name_never_reaches_a_header_and_the_mail_goes(demo, smtp, runner, field):
    agreement = lakar()
    odd = "Läkaruppdrag\r\nBcc: spion@example.org"
    store(Agreement, agreement.id, **({"title": odd, "short_name": ""} if field == "title" else {"short_name": odd}))

    out = runner.invoke(args=RUN)
    assert out.exit_code == 0, out.output
    assert "Subject: Påminnelse: Läkaruppdrag Bcc: spion@example.org – upphör 2026-12-31" in out.output.splitlines()
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)  # nobody more
    for email in LAKAR_AHEAD:
        (message,) = smtp.to(email)
        assert message.subject == "Påminnelse: Läkaruppdrag Bcc: spion@example.org – upphör 2026-12-31"
        assert "Bcc" not in message.headers
        listed = (
            "* Läkaruppdrag Bcc: spion@example.org\n"
            if field == "title"
            else " (Läkaruppdrag Bcc: spion@example.org)\n"
        )
        assert listed in message.text  # one line in the list too
    assert {r.state for r in deliveries()} == {"sent"}


def test_an_address_with_a_line_break_fails_for_that_recipient_only_and_not_for_ever(demo, smtp, runner):
    store(Person, Person.get(Person.email == ALDRE).id, email=f"{ALDRE}\r\nBcc: spion@example.org")

    started = utcnow()
    result = pass_for(JULY_3)
    assert smtp.per_recipient() == dict.fromkeys((LAKAR_AHEAD - {ALDRE}) | BARN_LATE, 1)
    (failed,) = rows(state="failed")
    assert failed.recipient == f"{ALDRE} bcc: spion@example.org"  # on one line: it can reach no header
    assert "not an e-mail address" in failed.last_error
    assert failed.attempts == 1
    assert started + timedelta(hours=23) < failed.next_attempt_at < utcnow() + timedelta(hours=25)
    assert (result.failed, result.sent) == (1, JULY_3_ROWS - 1)

    for attempts in (2, 3):  # `reminders run` tries at once; the third attempt is the last
        out = runner.invoke(args=RUN)
        assert out.exit_code == 1 and "not an e-mail address" in out.stderr
        (failed,) = rows(state="failed")
        assert failed.attempts == attempts
    assert failed.next_attempt_at is None
    out = runner.invoke(args=RUN)
    assert out.exit_code == 0, out.output
    assert rows(state="failed")[0].attempts == 3


def test_a_reminder_that_cannot_be_rendered_fails_alone_and_is_given_up(
    demo, smtp, client, anonymous, runner, monkeypatch
):
    """Any error composing one item (here a stand-in for a template bug on odd data) costs only that item."""
    odd, other = kept_barn()
    real = delivery.what

    def what(item):
        if item.agreement.id == odd.id:
            raise RuntimeError("odd data")
        return real(item)

    monkeypatch.setattr(delivery, "what", what)

    result = pass_for(JULY_3)
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)
    for email in BARN_LATE:
        (message,) = smtp.to(email)
        assert f"/agreements/{other.id}\n" in message.text
        assert f"/agreements/{odd.id}\n" not in message.text
    failed = rows(state="failed")
    assert {r.recipient for r in failed} == BARN_LATE and {r.agreement_id for r in failed} == {odd.id}
    assert {(r.attempts, r.last_error) for r in failed} == {(1, "RuntimeError: odd data")}
    assert (result.sent, result.failed) == (JULY_3_ROWS - 4, 4)

    for _ in range(3):
        runner.invoke(args=RUN)
    assert {(r.attempts, r.next_attempt_at) for r in rows(state="failed")} == {(3, None)}
    page = text(client.get("/reminders"))
    assert "Inga fler försök" in page and "RuntimeError: odd data" in page
    code, body = health(anonymous)
    assert code == 503
    assert "4 reminders were given up in the last 25 hours (listed on /reminders)" in body["problems"]
    assert len(smtp.messages) == 7  # the first pass's digests, nothing since


def test_a_meeting_date_near_year_1_leaves_the_meeting_out_and_the_reminder_goes(demo, smtp):
    reko = Group.get(Group.name == "ReKo")
    GroupMeeting.insert(group=reko, meets_on=date(1, 1, 3)).execute()  # past the form's validation
    # A later meeting makes the plan reach Läkaruppdrag's decide-by day, so the year-1 meeting is its
    # decide-by meeting, whose material day cannot be computed: the reminders count from the deadline.
    GroupMeeting.insert(group=reko, meets_on=date(2027, 3, 12)).execute()

    result = pass_for(JULY_3)
    assert (result.sent, result.failed) == (JULY_3_ROWS, 0)
    for email in LAKAR_AHEAD:
        (message,) = smtp.to(email)
        assert "upphör 2026-12-31" in message.subject
        assert "Beslutas senast" not in message.text and "Inget möte är inlagt" not in message.text
