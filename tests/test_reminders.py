"""Reminder passes end to end, in-process: plan, delivery log, digests over real SMTP.

Every test runs on SQLite and on PostgreSQL (the `app` fixture) and sends to a
real SMTP server on loopback (tests/smtp.py). Dates are the demo's: Läkaruppdrag
expires 2026-12-31, so its 180-day reminder (2026-07-04, a Saturday) goes out on
Friday 2026-07-03; the eleven Barn och unga agreements have had a yearly review
overdue since 2026-01-01.
"""

import re
import threading
from datetime import date, timedelta

import pytest
from peewee import SqliteDatabase

from registry.db import db
from registry.domain import reminder_log
from registry.domain.agreements import save_agreement
from registry.models import Agreement, Group, GroupMeeting, Person, Reminder, SchedulerRun, utcnow
from scheduler import delivery, mailer, reminders
from tests.conftest import make_app
from tests.factories import deadlines
from tests.smtp import smtp, smtp_server  # noqa: F401

# The fixtures imported above are pytest fixtures: test arguments of the same name are not redefinitions.
# ruff: noqa: F811

BASE = "https://registret.example.org"
LAKAR_OWNERS = {"beredning.reko@example.org", "beredning.aldre@example.org"}
LAKAR_AHEAD = LAKAR_OWNERS | {"reko@example.org"}
BARN_OWNER = "beredning.barn-och-unga@example.org"
BARN_LATE = {
    BARN_OWNER,
    "barn-och-unga@example.org",
    "ordforande.barn-och-unga@example.org",
    "sekreterare.reko@example.org",
}
# Most tests keep BARN_KEPT of the eleven overdue reviews (see the `demo` fixture).
BARN_KEPT = 2
# 2026-07-03: Läkaruppdrag to 3 recipients, each overdue review to 4.
JULY_3_ROWS = 3 + BARN_KEPT * 4
JULY_3_DIGESTS = 3 + 4


def lakar():
    return Agreement.get(Agreement.short_name == "Läkaruppdrag")


def rows(**where):
    query = Reminder.select().order_by(Reminder.id)
    for name, value in where.items():
        field = getattr(Reminder, name)
        query = query.where(field.in_(value) if isinstance(value, (set, list, tuple)) else field == value)
    return list(query)


def deliveries():
    """The rows that are (to be) sent, not the stages a catch-up skipped."""
    return [r for r in rows() if not (r.state == "skipped" and r.last_error == "")]


def log_snapshot():
    return sorted(
        (r.agreement_id, r.kind, r.deadline_on, r.stage, r.recipient, r.state, r.attempts, r.message_id)
        for r in Reminder.select()
    )


def person(email, **extra):
    return Person.create(name=email.split("@")[0], email=email, **extra)


def new_agreement(title, group, owners, **fields):
    data = {
        "title": title,
        "kind": "avtal",
        "status": "in_force",
        "responsible_group": group.id,
        "owners": [p.id for p in owners],
    }
    data.update(fields)
    return save_agreement(data)


@pytest.fixture
def demo(seeded):
    """The demo data with only BARN_KEPT Barn och unga reviews overdue, the others without a cycle, and
    no group with a meeting plan.

    A first pass after half a year of an overdue yearly review records 28 skipped
    catch-up stages per recipient; for all eleven agreements that is 1,232 rows
    and about two seconds per test, so only the digest test pays for it.

    These tests are about stages, catch-up and delivery counted from the deadline itself. The demo's
    meeting plans (ReKo's second Fridays) would move every advance reminder of ReKo's agreements to
    count from the material day of its decide-by meeting instead (Läkaruppdrag's 180-day reminder to
    2026-02-27): that rule has tests of its own (tests/test_meeting_plan.py), and
    test_email_names_the_decide_by_meeting_and_when_material_is_due below keeps ReKo's plan.
    """
    Group.update(meeting_rule="").execute()
    GroupMeeting.delete().execute()
    barn = Group.get(Group.short_name == "Barn och unga")
    listed = (Agreement.responsible_group == barn) & (Agreement.status != "draft")
    ids = [a.id for a in Agreement.select(Agreement.id).where(listed).order_by(Agreement.id)]
    assert len(ids) == 11  # the eleven of 001_… ~948; the harmful-use draft has no deadline
    Agreement.update(review_rule="", next_review_on=None).where(Agreement.id.in_(ids[BARN_KEPT:])).execute()
    # The sources' other deadlines (the revisions under way, the dated strategies' expiries, the e-health
    # strategy's review) are not what these tests count: only Läkaruppdrag's expiry and the kept reviews stay.
    kept = ids[:BARN_KEPT] + [lakar().id]
    others = Agreement.id.not_in(kept)
    Agreement.update(review_rule="", next_review_on=None, expires_on=None).where(others).execute()
    Agreement.update(status="in_force", revision_due_on=None).where(
        others & (Agreement.status == "under_revision")
    ).execute()
    return seeded


def kept_barn():
    barn = Group.get(Group.short_name == "Barn och unga")
    return list(
        Agreement.select()
        .where((Agreement.responsible_group == barn) & Agreement.next_review_on.is_null(False))
        .order_by(Agreement.id)
    )


@pytest.fixture
def team(ctx):
    """A small register without the demo data: one group with chair and mailbox, an owner, a secretary."""
    owner = person("agare@example.org")
    chair = person("ordforande@example.org")
    person("sekreterare@example.org", is_secretary=True)
    group = Group.create(name="Testgruppen", chair=chair, mailbox="testgruppen@example.org")
    return group, owner


def pass_for(day):
    return reminders.run_pass(day)


def past(minutes=1):
    return utcnow() - timedelta(minutes=minutes)


# --- the demo's Läkaruppdrag -------------------------------------------------


def test_lakaruppdrag_expiry_reminder_goes_out_on_2026_07_03_once(demo, smtp):
    agreement = lakar()

    pass_for(date(2026, 7, 2))
    assert rows(agreement=agreement.id) == []
    assert not any("Läkaruppdrag" in m.subject + m.text for m in smtp.messages)

    before = len(smtp.messages)
    result = pass_for(date(2026, 7, 3))
    mine = rows(agreement=agreement.id)
    assert {(r.kind, r.deadline_on, r.stage, r.state) for r in mine} == {
        ("expiry", date(2026, 12, 31), "before:180", "sent")
    }
    assert {r.recipient for r in mine} == LAKAR_AHEAD
    assert {r.send_on for r in mine} == {date(2026, 7, 3)}
    new = smtp.messages[before:]
    about = [m for m in new if "Läkaruppdrag" in m.text]
    assert {m.recipient for m in about} == LAKAR_AHEAD
    for message in about:
        assert message.subject == "Påminnelse: Läkaruppdrag – upphör 2026-12-31"
        assert "2026-12-31" in message.text and "om 181 dagar" in message.text
        assert f"{BASE}/agreements/{agreement.id}" in message.text
        assert f'href="{BASE}/agreements/{agreement.id}"' in message.html
        assert message.mail_from == "registret@example.org"
    assert result.failed == 0 and result.sent == JULY_3_ROWS

    logged, received = log_snapshot(), len(smtp.messages)
    again = pass_for(date(2026, 7, 3))
    assert (again.sent, again.skipped, again.failed, again.digests) == (0, 0, 0, [])
    assert log_snapshot() == logged
    assert len(smtp.messages) == received


def test_one_digest_per_recipient_with_text_html_and_stable_message_id(seeded, smtp):
    """The whole demo: every overdue deadline lands in one email per recipient."""
    day = date(2026, 7, 3)
    late = deadlines(last=day - timedelta(days=1))
    result = pass_for(day)
    # Läkaruppdrag's 90-day notice to 3; each overdue deadline to its group's mailbox, owner, chair and
    # ReKo's secretary, but Folkhälsa's owner is its chair, so its expiring strategy goes to 3.
    assert result.sent == 3 + 4 * len(late) - 1 and result.failed == 0
    recipients = {r.recipient for r in rows(state="sent")}
    assert LAKAR_AHEAD | BARN_LATE <= recipients
    assert len(result.digests) == len(recipients)
    assert smtp.per_recipient() == dict.fromkeys(recipients, 1)

    (message,) = smtp.to(BARN_OWNER)
    barn = Agreement.select().join(Group, on=Agreement.responsible_group).where(Group.short_name == "Barn och unga")
    barn_late = [(row, kind, due) for row, kind, due in late if row.id in {a.id for a in barn}]
    reviews = [row for row, kind, _ in barn_late if kind == "review"]
    assert len(reviews) == 11  # the yearly reviews; and the placed-children agreements' new versions
    assert message.subject == f"Påminnelse: {len(barn_late)} tidsfrister i avtalsregistret ({len(barn_late)} försenade)"
    for agreement, _kind, _due in barn_late:
        assert f"{BASE}/agreements/{agreement.id}\n" in message.text
        assert f'href="{BASE}/agreements/{agreement.id}"' in message.html
    assert message.text.count("Uppföljningen är försenad: 2026-01-01 (183 dagar sedan)") == len(reviews)
    assert message.html.count("<tr>") == len(barn_late)
    assert message.html.lstrip().startswith("<!doctype html>")

    mine = rows(recipient=BARN_OWNER, state="sent")
    assert len(mine) == len(barn_late)
    assert {r.stage for r in mine if r.kind == "review"} == {"overdue:183"}
    assert all(r.stage.startswith("overdue:") for r in mine)
    assert {r.message_id for r in mine} == {message.message_id}
    assert message.message_id == mailer.message_id([f"{BARN_OWNER}:{r.id}" for r in mine])
    assert re.fullmatch(r"<reminder\.[0-9a-f]{24}@registret\.example\.org>", message.message_id)
    # Every digest has its own id, and each is the one stored on its rows.
    ids = {m.message_id for m in smtp.messages}
    assert len(ids) == len(recipients)
    assert {r.message_id for r in rows(state="sent")} == ids


def test_overdue_items_escalate_to_chair_and_secretaries_advance_reminders_do_not(demo, smtp):
    person("sekreterare2@example.org", is_secretary=True)
    person("f.d.sekreterare@example.org", is_secretary=True, is_active=False)
    pass_for(date(2026, 7, 3))
    barn_rows = rows(kind="review", state="sent")
    assert {(r.recipient, r.role) for r in barn_rows} == {
        (BARN_OWNER, "owner"),
        ("barn-och-unga@example.org", "mailbox"),
        ("ordforande.barn-och-unga@example.org", "chair"),
        ("sekreterare.reko@example.org", "secretary"),
        ("sekreterare2@example.org", "secretary"),
    }
    assert {r.stage for r in barn_rows} == {"overdue:183"}
    for chair_or_secretary in ("ordforande.barn-och-unga@example.org", "sekreterare.reko@example.org"):
        (message,) = smtp.to(chair_or_secretary)
        assert message.text.count("Uppföljningen är försenad") == BARN_KEPT
        assert "Läkaruppdrag" not in message.text
    # Läkaruppdrag is not overdue: neither ReKo's chair nor the secretary hears of it.
    assert {r.role for r in rows(agreement=lakar().id)} == {"owner", "mailbox"}
    assert smtp.to("ordforande.reko@example.org") == []
    # Every active secretary, not one who has left.
    assert len(smtp.to("sekreterare2@example.org")) == 1
    assert smtp.to("f.d.sekreterare@example.org") == []


def test_catch_up_first_run_sends_only_the_latest_stage_and_skips_the_rest(demo, smtp):
    agreement = lakar()
    result = pass_for(date(2026, 12, 2))
    mine = rows(agreement=agreement.id)
    by_state = {}
    for r in mine:
        by_state.setdefault(r.state, set()).add((r.stage, r.recipient))
    assert by_state == {
        "sent": {("before:30", e) for e in LAKAR_AHEAD},
        "skipped": {(s, e) for s in ("before:180", "before:90") for e in LAKAR_AHEAD},
    }
    assert {r.send_on for r in mine if r.stage == "before:90"} == {date(2026, 10, 2)}
    for message in smtp.to("beredning.aldre@example.org"):
        assert "2026-12-31 (om 29 dagar)" in message.text
    # The counts in the log and in the run record agree.
    totals = reminder_log.totals()
    assert totals == {"sent": result.sent, "skipped": result.skipped}
    run = SchedulerRun.get()
    assert (run.run_for, run.sent, run.skipped, run.failed) == (date(2026, 12, 2), result.sent, result.skipped, 0)
    assert run.finished_at is not None and run.error == ""
    assert reminder_log.last_run().id == run.id


# --- working days -------------------------------------------------------------


def test_reminder_due_on_midsommarafton_goes_out_the_day_before(team, smtp):
    group, owner = team
    # Review 2026-07-03; 14 days before is midsommarafton, Friday 2026-06-19.
    agreement = new_agreement(
        "Midsommar & <fest>", group, [owner], valid_from=date(2025, 7, 3), review_rule="FREQ=YEARLY"
    )
    assert agreement.next_review_on == date(2026, 7, 3)

    pass_for(date(2026, 5, 4))
    assert [(r.stage, r.state) for r in rows(recipient=owner.email)] == [("before:60", "sent")]
    pass_for(date(2026, 6, 17))
    assert [r.stage for r in rows(recipient=owner.email)] == ["before:60"]
    pass_for(date(2026, 6, 18))
    late = rows(recipient=owner.email, stage="before:14")
    assert [(r.state, r.send_on) for r in late] == [("sent", date(2026, 6, 18))]
    message = smtp.to(owner.email)[-1]
    assert "2026-07-03 (om 15 dagar)" in message.text
    assert message.subject == "Påminnelse: Midsommar & <fest> – ska följas upp 2026-07-03"
    assert "* Midsommar & <fest>\n" in message.text  # plain text is not HTML-escaped ...
    assert "Midsommar &amp; &lt;fest&gt;</a>" in message.html  # ... the HTML part is
    assert len(smtp.to(owner.email)) == 2
    pass_for(date(2026, 6, 19))
    assert len(smtp.to(owner.email)) == 2


def test_29_february_cycle_reminds_on_working_days(team, smtp):
    group, owner = team
    agreement = new_agreement(
        "Skottdagsavtalet", group, [owner], valid_from=date(2024, 2, 29), review_rule="FREQ=YEARLY"
    )
    assert agreement.next_review_on == date(2025, 2, 28)
    expected = {
        date(2024, 12, 27): set(),
        date(2024, 12, 30): {"before:60"},  # 60 days before 2025-02-28, a Monday
        date(2025, 2, 13): set(),
        date(2025, 2, 14): {"before:14"},
        date(2025, 2, 28): set(),  # the deadline itself
        date(2025, 3, 1): set(),  # overdue:1 falls on a Saturday ...
        date(2025, 3, 2): set(),
        date(2025, 3, 3): {"overdue:1"},  # ... and goes out on Monday
        date(2025, 3, 7): set(),
        date(2025, 3, 10): {"overdue:8"},  # 2025-03-08 is a Saturday too
    }
    seen = set()
    for day, stages in expected.items():
        pass_for(day)
        now = {r.stage for r in rows(agreement=agreement.id, state="sent")}
        assert now - seen == stages, day
        seen = now
    assert {r.recipient for r in rows(stage="before:14", state="sent")} == {owner.email, "testgruppen@example.org"}
    assert {r.recipient for r in rows(stage="overdue:1", state="sent")} == {
        owner.email,
        "testgruppen@example.org",
        "ordforande@example.org",
        "sekreterare@example.org",
    }
    assert {r.deadline_on for r in rows()} == {date(2025, 2, 28)}
    # The chair and the secretary hear of it only once it is overdue; the earlier
    # stages are not theirs, so nothing is recorded as skipped for them.
    assert {(r.recipient, r.stage) for r in rows(state="skipped")} == set()


# --- agreements that change -----------------------------------------------------


def test_terminated_and_replaced_agreements_get_no_reminders(demo, smtp):
    agreement = lakar()
    Agreement.update(status="terminated").where(Agreement.id == agreement.id).execute()
    reko = Group.get(Group.name == "ReKo")
    replaced = new_agreement(
        "Det gamla läkaravtalet",
        reko,
        [Person.get(Person.email == "beredning.reko@example.org")],
        expires_on=date(2026, 12, 31),
        status="replaced",
        replaced_by=agreement.id,
    )
    pass_for(date(2026, 7, 3))
    assert rows(agreement=[agreement.id, replaced.id]) == []
    assert smtp.to("reko@example.org") == []
    assert not any("läkar" in m.text.lower() for m in smtp.messages)


def test_changed_expiry_after_failed_send_is_not_retried_and_new_deadline_gets_its_own(app, demo, smtp):
    app.config["REMINDER_BACKOFF_MINUTES"] = 0
    agreement = lakar()
    one_barn = kept_barn()[0]
    smtp.refuse = "451 4.3.0 try later"
    failed = pass_for(date(2026, 7, 3))
    assert failed.failed == JULY_3_ROWS and failed.sent == 0
    assert {r.state for r in deliveries()} == {"failed"}

    # Extended by a day (its 180-day reminder is due the same Friday), and one review agreement terminated.
    save_agreement(
        {
            "title": agreement.title,
            "short_name": agreement.short_name,
            "kind": agreement.kind,
            "status": "in_force",
            "responsible_group": agreement.responsible_group_id,
            "owners": [o.person_id for o in agreement.owner_links],
            "expires_on": date(2026, 12, 30),
        },
        agreement,
    )
    Agreement.update(status="terminated").where(Agreement.id == one_barn.id).execute()
    smtp.refuse = None
    result = pass_for(date(2026, 7, 3))

    old = rows(agreement=agreement.id, deadline_on=date(2026, 12, 31))
    assert len(old) == 3
    assert {(r.state, r.last_error, r.attempts) for r in old} == {("skipped", "no longer applies", 1)}
    gone = [r for r in rows(agreement=one_barn.id) if r.stage == "overdue:183"]
    assert len(gone) == 4 and {(r.state, r.last_error) for r in gone} == {("skipped", "no longer applies")}
    new = rows(agreement=agreement.id, deadline_on=date(2026, 12, 30))
    assert {(r.stage, r.recipient, r.state) for r in new} == {("before:180", e, "sent") for e in LAKAR_AHEAD}
    assert result.stale == 7 and result.sent == 3 + (BARN_KEPT - 1) * 4
    for message in smtp.to("beredning.reko@example.org"):
        assert "2026-12-30" in message.text and "2026-12-31" not in message.text
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)
    (barn_message,) = smtp.to(BARN_OWNER)
    assert f"/agreements/{one_barn.id}\n" not in barn_message.text
    assert barn_message.text.count("Uppföljningen är försenad") == BARN_KEPT - 1
    # Nothing is left to retry.
    assert {r.state for r in rows()} <= {"sent", "skipped"}


# --- meetings and policies ----------------------------------------------------


REKO_RULE = "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"


def test_email_names_the_decide_by_meeting_and_when_material_is_due(demo, smtp):
    """ReKo meets the second Friday of each month except July. Läkaruppdrag (14 parties) expires
    2026-12-31: decided at the last meeting 90 days before, 2026-09-11, material due 2026-08-28, and
    the advance reminders count from that day (180 days before it, 2026-03-01, is a Sunday)."""
    reko = Group.get(Group.name == "ReKo")
    Group.update(meeting_rule=REKO_RULE).where(Group.id == reko.id).execute()
    GroupMeeting.create(group=reko, meets_on=date(2027, 2, 1))  # after the deadline: not the one

    before = [i for d in reminders.dry_run(date(2026, 2, 26)).digests for i in d.items]
    assert not [i for i in before if i.agreement.id == lakar().id]
    planned = [i for d in reminders.dry_run(date(2026, 2, 27)).digests for i in d.items]
    item = next(i for i in planned if i.agreement.id == lakar().id)
    assert item.reminder.stage == "before:180" and item.reminder.deadline_on == date(2026, 12, 31)
    meeting = item.meeting
    expected = ("ReKo", date(2026, 10, 2), date(2026, 9, 11), date(2026, 8, 28))
    assert (meeting.group.name, meeting.decide_by, meeting.meets_on, meeting.material_due_on) == expected

    pass_for(date(2026, 2, 27))
    for email in LAKAR_AHEAD:
        (message,) = smtp.to(email)
        assert "Beslutas senast vid ReKo:s möte 2026-09-11; underlaget ska vara klart 2026-08-28." in message.text
        assert "2027-02-01" not in message.text
        assert "2026-09-11" in message.html and "2026-08-28" in message.html
    assert [r.send_on for r in rows(agreement=lakar().id, recipient="reko@example.org")] == [date(2026, 2, 27)]

    # 19 days before 2026-09-11 is a Sunday: material on Friday 2026-08-21.
    Group.update(lead_time_days=19).where(Group.id == reko.id).execute()
    planned = [i for d in reminders.dry_run(date(2026, 8, 14)).digests for i in d.items]
    item = next(i for i in planned if i.agreement.id == lakar().id)
    assert (item.reminder.stage, item.reminder.send_on) == ("before:7", date(2026, 8, 14))
    assert item.meeting.material_due_on == date(2026, 8, 21)

    # Registered after its decide-by meeting: the catch-up's reminder says the decision is late.
    late = new_agreement(
        "Sent registrerat avtal",
        reko,
        [Person.get(Person.email == "beredning.reko@example.org")],
        expires_on=date(2026, 12, 31),
        parties=[a.organisation_id for a in lakar().party_links],
    )
    smtp.messages.clear()
    pass_for(date(2026, 11, 23))
    (message,) = [m for m in smtp.to("beredning.reko@example.org") if "Sent registrerat avtal" in m.text]
    assert "Sent beslut: beslutet behövde fattas vid ReKo:s möte 2026-09-11." in message.text
    assert {r.stage for r in rows(agreement=late.id, state="sent")} == {"before:7"}
    # A group without a meeting plan names no meeting.
    assert smtp.to(BARN_OWNER) and not any("Beslutas senast" in m.text for m in smtp.to(BARN_OWNER))


def test_group_and_agreement_policies_override_the_defaults(demo, smtp):
    reko = Group.get(Group.name == "ReKo")
    Group.update(expiry_offsets="45").where(Group.id == reko.id).execute()
    own = new_agreement(
        "Avtal med egen påminnelseplan",
        reko,
        [Person.get(Person.email == "beredning.reko@example.org")],
        expires_on=date(2026, 12, 31),
    )
    Agreement.update(expiry_offsets="10").where(Agreement.id == own.id).execute()
    agreement = lakar()

    for day in (date(2026, 7, 3), date(2026, 11, 13)):
        pass_for(day)
    assert rows(agreement=[agreement.id, own.id]) == []

    pass_for(date(2026, 11, 16))  # 45 days before 2026-12-31
    assert {(r.stage, r.state) for r in rows(agreement=agreement.id)} == {("before:45", "sent")}
    assert rows(agreement=own.id) == []

    pass_for(date(2026, 12, 18))
    assert rows(agreement=own.id) == []
    pass_for(date(2026, 12, 21))  # 10 days before
    assert {(r.stage, r.state) for r in rows(agreement=own.id)} == {("before:10", "sent")}
    assert {r.stage for r in rows(agreement=agreement.id)} == {"before:45"}
    assert rows(state="skipped", agreement=[agreement.id, own.id]) == []


# --- SMTP trouble -------------------------------------------------------------------


def test_smtp_refusal_is_recorded_retried_and_delivered_once(demo, smtp, runner):
    smtp.refuse = "451 4.3.0 try later"
    started = utcnow()
    result = pass_for(date(2026, 7, 3))
    assert (result.sent, result.failed) == (0, JULY_3_ROWS)
    assert smtp.refused == JULY_3_DIGESTS and smtp.messages == []
    failed = deliveries()
    assert len(failed) == JULY_3_ROWS
    for r in failed:
        assert (r.state, r.attempts) == ("failed", 1)
        assert "451" in r.last_error and "try later" in r.last_error
        assert started + timedelta(minutes=9) < r.next_attempt_at < utcnow() + timedelta(minutes=11)
    assert SchedulerRun.get().failed == JULY_3_ROWS

    # Within the backoff a scheduled pass does not try again ...
    assert pass_for(date(2026, 7, 3)).failed == 0
    assert smtp.refused == JULY_3_DIGESTS

    # ... but `reminders run` (someone who has fixed the server) retries at once; still refused, it says so.
    out = runner.invoke(args=["reminders", "run", "--today", "2026-07-03"])
    assert out.exit_code == 1, out.output
    assert "FAILED" in out.output and "451" in out.output
    assert out.output.strip().splitlines()[-1] == f"2026-07-03: 0 sent, 0 skipped, {JULY_3_ROWS} failed, 0 digests"
    for r in deliveries():
        assert (r.state, r.attempts) == ("failed", 2)
        assert r.next_attempt_at > utcnow() + timedelta(minutes=19)  # the backoff doubled

    assert smtp.refused == 2 * JULY_3_DIGESTS

    # The server recovers; once the backoff has passed a scheduled pass sends everything, once.
    smtp.refuse = None
    assert pass_for(date(2026, 7, 3)).sent == 0
    Reminder.update(next_attempt_at=past()).execute()
    recovered = pass_for(date(2026, 7, 3))
    assert (recovered.sent, recovered.failed) == (JULY_3_ROWS, 0)
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)
    for r in deliveries():
        assert (r.state, r.attempts, r.last_error, r.next_attempt_at) == ("sent", 3, "", None)
    assert pass_for(date(2026, 7, 3)).sent == 0
    assert pass_for(date(2026, 7, 4)).sent == 0
    assert len(smtp.messages) == JULY_3_DIGESTS


def test_smtp_server_down_then_back(app, demo, smtp, runner):
    app.config["REMINDER_BACKOFF_MINUTES"] = 0
    smtp.stop()
    result = pass_for(date(2026, 7, 3))
    assert (result.sent, result.failed) == (0, JULY_3_ROWS)
    assert len(result.errors) == JULY_3_DIGESTS
    for r in deliveries():
        assert r.state == "failed" and r.attempts == 1 and r.next_attempt_at is not None
        assert "Connection" in r.last_error or "refused" in r.last_error.lower()

    out = runner.invoke(args=["reminders", "run", "--today", "2026-07-03"])
    assert out.exit_code == 1, out.output
    assert out.output.strip().splitlines()[-1].endswith(f"{JULY_3_ROWS} failed, 0 digests")

    assert {(r.state, r.attempts) for r in deliveries()} == {("failed", 2)}

    # Back up; with no backoff configured the next scheduled pass sends everything, once.
    smtp.start()
    recovered = pass_for(date(2026, 7, 3))
    assert (recovered.sent, recovered.failed, len(recovered.digests)) == (JULY_3_ROWS, 0, JULY_3_DIGESTS)
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)
    assert {(r.state, r.attempts) for r in deliveries()} == {("sent", 3)}
    out = runner.invoke(args=["reminders", "run", "--today", "2026-07-03"])
    assert out.exit_code == 0, out.output
    assert out.output.strip().splitlines()[-1] == "2026-07-03: 0 sent, 0 skipped, 0 failed, 0 digests"
    assert len(smtp.messages) == JULY_3_DIGESTS


# --- the command line ---------------------------------------------------------------


def test_dry_run_prints_and_records_nothing_then_the_real_run_matches(demo, smtp, runner):
    out = runner.invoke(args=["reminders", "run", "--today", "2026-07-03", "--dry-run"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert "To: beredning.reko@example.org" in lines
    assert "Subject: Påminnelse: Läkaruppdrag – upphör 2026-12-31" in lines
    assert "  - 2026-12-31 expiry [before:180] (181 days) Läkaruppdrag" in lines
    assert f"Subject: Påminnelse: {BARN_KEPT} tidsfrister i avtalsregistret ({BARN_KEPT} försenade)" in lines
    assert sum(1 for line in lines if line.startswith("To: ")) == JULY_3_DIGESTS
    assert sum(1 for line in lines if line.startswith("  - ")) == JULY_3_ROWS
    summary = re.fullmatch(
        r"dry run 2026-07-03: (\d+) would be sent, (\d+) skipped, 0 failed, (\d+) digests", lines[-1]
    )
    assert summary, lines[-1]
    would_send, would_skip, digests = map(int, summary.groups())
    assert (would_send, digests) == (JULY_3_ROWS, JULY_3_DIGESTS)
    assert Reminder.select().count() == 0 and SchedulerRun.select().count() == 0
    assert smtp.messages == [] and smtp.refused == 0

    out = runner.invoke(args=["reminders", "run", "--today", "2026-07-03"])
    assert out.exit_code == 0, out.output
    last = out.output.strip().splitlines()[-1]
    assert last == f"2026-07-03: {JULY_3_ROWS} sent, {would_skip} skipped, 0 failed, {JULY_3_DIGESTS} digests"
    assert reminder_log.totals() == {"sent": JULY_3_ROWS, "skipped": would_skip}
    assert len(smtp.messages) == JULY_3_DIGESTS


def test_bad_today_is_a_clear_error(ctx, smtp, runner):
    for bad in ("2026-13-01", "tomorrow", "03/07/2026"):
        for extra in ([], ["--dry-run"]):
            out = runner.invoke(args=["reminders", "run", "--today", bad, *extra])
            assert out.exit_code == 2, out.output
            assert f"{bad!r} is not a date (YYYY-MM-DD)" in out.output
            assert "Traceback" not in out.output
    assert Reminder.select().count() == 0 and SchedulerRun.select().count() == 0 and smtp.messages == []


# --- concurrency and crashes ----------------------------------------------------------


def _threaded_passes(app, day):
    """Run two passes in threads released together, each with its own app context and connection."""
    errors, results = [], []
    barrier = threading.Barrier(2)

    def work():
        with app.app_context():
            try:
                db.connect(reuse_if_open=True)
                barrier.wait(timeout=10)
                results.append(reminders.run_pass(day))
            except Exception as exc:  # reported by the test
                errors.append(exc)
            finally:
                if not db.is_closed():
                    db.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    return results


def _assert_each_sent_once(smtp):
    sent = rows(state="sent")
    assert len(sent) == JULY_3_ROWS
    assert {r.attempts for r in sent} == {1}
    assert smtp.per_recipient() == dict.fromkeys(LAKAR_AHEAD | BARN_LATE, 1)
    assert len({m.message_id for m in smtp.messages}) == JULY_3_DIGESTS


def test_two_passes_started_together_send_each_reminder_once(app, demo, smtp):
    db.close()  # the threads use their own connections; SQLite must not see this one's open transaction
    try:
        results = _threaded_passes(app, date(2026, 7, 3))
    finally:
        db.connect(reuse_if_open=True)
    assert sum(r.sent for r in results) == JULY_3_ROWS
    _assert_each_sent_once(smtp)


def test_a_pass_starting_while_another_is_sending_sends_nothing_twice(app, demo, smtp):
    """The second pass starts while the first is stuck in the middle of sending a digest."""
    day = date(2026, 7, 3)
    smtp.hold()
    errors, results = [], []

    def run(wait_first):
        with app.app_context():
            try:
                db.connect(reuse_if_open=True)
                if wait_first:
                    assert smtp.wait_held(1), "the first pass never reached the server"
                results.append(reminders.run_pass(day))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                if not db.is_closed():
                    db.close()

    db.close()
    threads = [threading.Thread(target=run, args=(False,)), threading.Thread(target=run, args=(True,))]
    try:
        threads[0].start()
        threads[1].start()
        # A second pass that got in would try the same digest; one that waits for the lock never does.
        smtp.wait_held(2, timeout=1)
    finally:
        smtp.release()
        for t in threads:
            t.join(timeout=60)
        db.connect(reuse_if_open=True)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sum(r.sent for r in results) == JULY_3_ROWS
    _assert_each_sent_once(smtp)


def test_rows_a_killed_pass_left_sending_are_sent_by_the_next_pass(demo, smtp):
    day = date(2026, 7, 3)
    to_send, to_skip = reminders.plan(day)
    assert len(to_send) == JULY_3_ROWS
    # A pass that recorded, claimed and died before it sent or recorded anything else.
    delivery.record(to_send, "pending")
    Reminder.update(state="sending", updated_at=utcnow()).execute()
    assert {r.state for r in rows()} == {"sending"}

    result = pass_for(day)
    assert result.sent == JULY_3_ROWS and result.failed == 0
    assert result.skipped == len(to_skip)
    _assert_each_sent_once(smtp)
    assert pass_for(day).sent == 0
    assert len(smtp.messages) == JULY_3_DIGESTS


def test_flask_mail_reads_mail_settings_once(database_url, smtp_server):
    """Why the `smtp` fixture changes Flask-Mail's state: config set after create_app is not read."""
    late = make_app(database_url)
    late.config["MAIL_PORT"] = smtp_server.port
    assert late.extensions["mail"].port != smtp_server.port
    early = make_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert (early.extensions["mail"].server, early.extensions["mail"].port) == ("127.0.0.1", smtp_server.port)
    assert early.extensions["mail"].suppress is False


def test_a_failed_stage_superseded_by_a_later_one_is_not_sent_alongside_it(app, demo, smtp):
    app.config["REMINDER_BACKOFF_MINUTES"] = 0
    smtp.stop()  # the mail server is down for a week
    assert pass_for(date(2026, 7, 3)).failed == JULY_3_ROWS
    smtp.start()
    pass_for(date(2026, 7, 10))  # overdue:190 is now the latest stage of each overdue review
    (message,) = smtp.to(BARN_OWNER)
    for agreement in kept_barn():
        assert message.text.count(f"/agreements/{agreement.id}\n") == 1, message.text
    assert {r.state for r in rows(recipient=BARN_OWNER, stage="overdue:183")} == {"skipped"}


def test_a_pass_leaves_sqlite_with_current_planner_statistics(demo, smtp):
    """Without statistics SQLite can pick a poor index on a large register; the daily pass
    refreshes them (PRAGMA optimize) for the tables it read."""
    if not isinstance(db.obj, SqliteDatabase):
        pytest.skip("PostgreSQL's autovacuum keeps its statistics by itself")

    def analysed():
        if not db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return set()
        return {table for (table,) in db.execute_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}

    assert "agreement" not in analysed()
    pass_for(date(2026, 7, 3))
    assert {"agreement", "reminder"} <= analysed()
