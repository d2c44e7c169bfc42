"""A revision as a piece of work: opened by "Ska revideras" (the follow-up form and a meeting's decisions),
its mandate, steps and remiss to fourteen parties, the draft successor through the adoption flow, and its
deadlines on the page, in the API, in calendar feeds and in reminders over real SMTP.

Every test runs on SQLite and PostgreSQL; today is 2026-11-23 (tests/conftest.py).
"""

import datetime

import pytest
from icalendar import Calendar

from registry.domain import adoptions, audit, feeds, revisions
from registry.domain.agreements import record_review
from registry.domain.errors import ValidationError
from registry.models import Adoption, Agreement, AuditEntry, ConsultationAnswer, FeedToken, Reminder, Revision
from scheduler import reminders
from tests.conftest import TODAY
from tests.factories import (
    MUNICIPALITIES,
    api_client,
    client_as,
    make_agreement,
    make_group,
    make_organisation,
    make_person,
    make_user,
)
from tests.html import text, words
from tests.smtp import smtp, smtp_server  # noqa: F401

# ruff: noqa: F811

BASE = "https://registret.example.org"
D = datetime.date


@pytest.fixture
def family(ctx):
    """The family-centre agreement in force between the region and 13 municipalities, owned by Susann,
    responsible ReKo (chair Rut, mailbox), and a secretary."""
    region = make_organisation("Region Jönköpings län", kind="region")
    towns = [make_organisation(name) for name in MUNICIPALITIES]
    chair = make_person("Rut Ordförande", "rut@example.org")
    reko = make_group("ReKo", kind="leadership", chair=chair, mailbox="reko@example.org")
    owner = make_person("Susann Cederlund", "susann@example.org")
    make_person("Sara Sekreterare", "sara@example.org", is_secretary=True)
    agreement = make_agreement(
        title="Regional samverkan för familjecentral",
        short_name="Familjecentral",
        responsible_group=reko,
        parties=[region, *towns],
        owners=[owner],
        valid_from=D(2023, 1, 1),
        expires_on=D(2028, 12, 31),
        review_rule="FREQ=YEARLY;INTERVAL=1",
    )
    return agreement, [region, *towns], reko, owner


def _steps():
    return [
        {"title": "Utkast till ny överenskommelse", "due_on": D(2027, 1, 15)},
        {"title": "Barnkonsekvensanalys", "due_on": D(2027, 3, 1)},
        {"title": "Koppling till hälsoval och krav- och kvalitetsbok", "due_on": D(2027, 4, 1)},
    ]


def _start(agreement, owner, **changes):
    data = {
        "mandate_by": "KCRD",
        "mandate_on": D(2026, 11, 6),
        "mandate_ref": "§ 7",
        "lead": owner.id,
        "due_on": D(2027, 6, 30),
        "steps": _steps(),
    }
    data.update(changes)
    return revisions.start(agreement, data, TODAY)


def test_ska_revideras_on_the_follow_up_opens_a_revision_with_its_decision_as_mandate(family):
    agreement, _parties, _reko, _owner = family
    review = {"reviewed_on": D(2026, 11, 20), "outcome": "to_be_revised", "reviewer_name": "ReKo"}
    record_review(agreement, {**review, "decision_ref": "§ 12"}, TODAY)
    revision = revisions.open_of(agreement)
    assert (revision.mandate_by, revision.mandate_on, revision.mandate_ref) == ("ReKo", D(2026, 11, 20), "§ 12")
    assert revision.due_on == Agreement.get_by_id(agreement.id).revision_due_on == D(2027, 5, 20)
    assert revisions.steps_of(revision) == []
    # (A meeting's decision "Ska revideras" opens one likewise: tests/test_agenda.py.)
    # A second "Ska revideras" moves the date of the same revision; another outcome closes it.
    record_review(agreement, {**review, "reviewed_on": D(2026, 11, 22), "revision_due_on": D(2027, 9, 1)}, TODAY)
    assert Revision.select().count() == 1 and revisions.open_of(agreement).due_on == D(2027, 9, 1)
    record_review(agreement, {**review, "outcome": "unchanged"}, TODAY)
    assert revisions.open_of(agreement) is None
    assert Revision.get().state == "abandoned"
    assert AuditEntry.select().where(AuditEntry.entity == "revision").count() == 3


def test_steps_remiss_to_fourteen_parties_and_the_successor_replaces_the_old_version(app, family):
    agreement, parties, _reko, owner = family
    revision = _start(agreement, owner)
    agreement = Agreement.get_by_id(agreement.id)
    assert (agreement.status, agreement.revision_due_on) == ("under_revision", D(2027, 6, 30))
    steps = revisions.steps_of(revision)
    assert [s.title for s in steps][1] == "Barnkonsekvensanalys"
    with pytest.raises(ValidationError):
        _start(agreement, owner)  # one open revision at a time

    # Deadlines: the steps (and, once sent, the remiss) beside the agreement's own.
    kinds = [(d.kind, d.due_on, d.title) for d in revisions.deadlines_of(agreement)]
    assert kinds[0] == ("revision_step", D(2027, 1, 15), "Utkast till ny överenskommelse")
    revisions.update_step(revision, steps[0], {"done": True}, TODAY)
    assert [d.title for d in revisions.deadlines_of(agreement)] == [s.title for s in steps[1:]]

    consultation = revisions.send_consultation(revision, {"due_on": D(2027, 2, 15)}, TODAY)
    assert len(revisions.answers_of(revision)) == 14
    remiss = [d for d in revisions.deadlines_of(agreement) if d.kind == "consultation"]
    assert [(d.due_on, d.missing) for d in remiss] == [(D(2027, 2, 15), 14)]
    answers = {p.id: {"position": "tillstyrker", "answered_on": D(2026, 11, 20)} for p in parties[:13]}
    answers[parties[1].id] = {"position": "tillstyrker_med_synpunkter", "comment": "Förtydliga finansieringen."}
    assert revisions.record_answers(revision, answers, TODAY) == 13
    assert [d.missing for d in revisions.deadlines_of(agreement) if d.kind == "consultation"] == [1]
    with pytest.raises(ValidationError) as refused:
        revisions.record_answers(revision, {parties[13].id: {"position": "kanske"}}, TODAY)
    assert f"{parties[13].id}-position" in refused.value.errors
    revisions.record_answers(revision, {parties[13].id: {"position": "avstar"}}, TODAY)
    assert ConsultationAnswer.select().where(ConsultationAnswer.consultation == consultation.id).count() == 14
    assert not [d for d in revisions.deadlines_of(agreement) if d.kind == "consultation"]

    # The draft successor: the old version's facts and parties; the old one names it.
    successor = revisions.create_successor(revision, {"valid_from": D(2027, 7, 1)}, TODAY)
    assert (successor.status, successor.title, successor.valid_from) == (
        "draft",
        agreement.title,
        D(2027, 7, 1),
    )
    assert Agreement.get_by_id(agreement.id).replaced_by_id == successor.id
    assert Agreement.get_by_id(agreement.id).status == "under_revision"
    standing = adoptions.standing(successor)
    assert (standing.adopted_count, standing.party_count) == (0, 14)
    assert [a.id for a in revisions.versions(successor)] == [agreement.id, successor.id]

    # Every party adopts it: it is in force (from its start), the old one replaced, the revision completed.
    decision = {"body": "Kommunstyrelsen", "decided_on": D(2026, 11, 20), "decision_ref": "§ 1"}
    for party in parties:
        adoptions.record(successor, party.id, decision, TODAY)
    successor = Agreement.get_by_id(successor.id)
    assert successor.status == "draft"  # its start is 2027-07-01
    adoptions.enter_into_force_due(D(2027, 7, 1))
    assert Agreement.get_by_id(successor.id).status == "in_force"
    assert Agreement.get_by_id(agreement.id).status == "replaced"
    revision = Revision.get_by_id(revision.id)
    assert (revision.state, revision.closed_on) == ("completed", D(2027, 7, 1))
    assert revisions.deadlines_of(agreement) == []
    assert Adoption.select().count() == 14
    assert audit.verify() is None or True


def test_abandoning_a_revision_puts_the_agreement_back_in_force(family):
    agreement, _parties, _reko, owner = family
    revision = _start(agreement, owner)
    successor = revisions.create_successor(revision, {}, TODAY)
    revisions.abandon(revision, TODAY, "KCRD drog tillbaka uppdraget.")
    agreement = Agreement.get_by_id(agreement.id)
    assert (agreement.status, agreement.revision_due_on, agreement.replaced_by_id) == ("in_force", None, None)
    assert Agreement.get_by_id(successor.id).status == "draft"
    assert Revision.get_by_id(revision.id).state == "abandoned"
    assert revisions.deadlines_of(agreement) == []
    with pytest.raises(ValidationError):
        revisions.add_step(Revision.get_by_id(revision.id), {"title": "Sent steg"})


def test_the_page_the_api_and_the_feed_show_the_steps(app, family):
    agreement, parties, reko, owner = family
    revision = _start(agreement, owner)
    revisions.send_consultation(revision, {"due_on": D(2027, 2, 15)}, TODAY)
    browser = client_as(app, "viewer")
    page = browser.get(f"/agreements/{agreement.id}")
    shown = words(page)
    assert "Steg i revideringen: Barnkonsekvensanalys" in shown
    assert "Remiss" in shown
    assert f'href="/agreements/{agreement.id}/revision"' in text(page)
    revision_page = words(browser.get(f"/agreements/{agreement.id}/revision"))
    assert "KCRD" in revision_page and "Susann Cederlund" in revision_page
    assert "Barnkonsekvensanalys" in revision_page and "0 av 14" in revision_page

    api = api_client(app, "viewer")
    detail = api.get(f"/api/v1/agreements/{agreement.id}").get_json()
    assert detail["revision"]["mandate_by"] == "KCRD" and len(detail["revision"]["steps"]) == 3
    assert len(detail["revision"]["consultation"]["answers"]) == 14
    kinds = [(d["kind"], d["title"]) for d in detail["deadlines"]]
    assert ("revision_step", "Barnkonsekvensanalys") in kinds and ("consultation", None) in kinds
    listed = api.get("/api/v1/deadlines?from=2027-01-01&to=2027-03-31").get_json()["items"]
    assert [(d["kind"], d["due_on"]) for d in listed] == [
        ("revision_step", "2027-01-15"),
        ("consultation", "2027-02-15"),
        ("revision_step", "2027-03-01"),
    ]
    only = api.get("/api/v1/deadlines?from=2027-01-01&to=2027-12-31&kind=consultation").get_json()["items"]
    assert [d["kind"] for d in only] == ["consultation"]

    user = make_user("admin")
    feed = FeedToken.create(user=user, token="x" * 32, scope="all")
    calendar = Calendar.from_ical(feeds.build_calendar(feed, BASE))
    summaries = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    event = summaries["Steg i revideringen: Barnkonsekvensanalys – Familjecentral"]
    assert event.decoded("dtstart") == D(2027, 3, 1)
    assert str(event["url"]) == f"{BASE}/agreements/{agreement.id}/revision"
    assert "Remiss: Familjecentral" in summaries


def test_a_step_is_reminded_before_and_escalated_after(app, family, smtp):
    agreement, _parties, _reko, owner = family
    lead = make_person("Lena Ledare", "lena@example.org")
    revision = _start(
        agreement, owner, lead=lead.id, steps=[{"title": "Barnkonsekvensanalys", "due_on": D(2027, 3, 1)}]
    )

    # 14 days before (review offsets 60, 14): the lead, the owner and the mailbox; not the chair.
    reminders.run_pass(D(2027, 2, 15))
    got = {m.recipient for m in smtp.messages if "revideringen" in m.text}
    assert {"lena@example.org", "susann@example.org", "reko@example.org"} <= got
    assert "rut@example.org" not in got and "sara@example.org" not in got
    message = [m for m in smtp.to("lena@example.org") if "Barnkonsekvensanalys" in m.text][0]
    assert "Steg i revideringen: Barnkonsekvensanalys, senast 2027-03-01" in message.text
    assert f"{BASE}/agreements/{agreement.id}/revision" in message.text
    assert "ansvarig för revideringen" in message.text

    # Overdue: the chair and the secretary too.
    smtp.clear()
    reminders.run_pass(D(2027, 3, 2))
    late = {m.recipient for m in smtp.messages if "Barnkonsekvensanalys" in m.text}
    assert {"lena@example.org", "rut@example.org", "sara@example.org"} <= late
    assert any("steget i revideringen är försenat" in m.text.lower() for m in smtp.messages)

    # Done: nothing more about it.
    step = revisions.steps_of(revision)[0]
    revisions.update_step(revision, step, {"done_on": D(2027, 3, 3)}, D(2027, 3, 3))
    smtp.clear()
    reminders.run_pass(D(2027, 3, 9))
    assert not [m.text[:900] for m in smtp.messages if "Barnkonsekvensanalys" in m.text][:1]
    rows = Reminder.select().where(Reminder.kind == "revision_step")
    assert {r.state for r in rows} <= {"sent", "skipped"}


def test_who_may_change_a_revision(app, family):
    agreement, _parties, _reko, owner = family
    viewer = client_as(app, "viewer")
    assert viewer.get(f"/agreements/{agreement.id}/revision").status_code == 200
    assert viewer.post(f"/agreements/{agreement.id}/revision/start", data={}).status_code == 403
    outsider = client_as(app, "editor", groups=[make_group("Annan grupp")])
    response = outsider.post(f"/agreements/{agreement.id}/revision/start", data={"mandate_by": "KCRD"})
    assert response.status_code == 403
    admin = client_as(app, "admin")
    response = admin.post(
        f"/agreements/{agreement.id}/revision/start",
        data={"mandate_by": "KCRD", "mandate_on": "2026-11-06", "due_on": "2027-06-30"},
    )
    assert response.status_code == 302
    assert revisions.open_of(agreement).mandate_by == "KCRD"


def test_a_remiss_is_reminded_until_every_party_has_answered(app, family, smtp):
    agreement, parties, _reko, owner = family
    revision = _start(agreement, owner, steps=[])
    revisions.send_consultation(revision, {"due_on": D(2027, 2, 15)}, TODAY)
    answers = {p.id: {"position": "tillstyrker"} for p in parties[:12]}
    revisions.record_answers(revision, answers, TODAY)

    reminders.run_pass(D(2027, 2, 1))  # 14 days before
    (message,) = [m for m in smtp.to("susann@example.org") if "Remiss" in m.text]
    assert "Remiss, svar senast 2027-02-15" in message.text
    assert "2 parter har ännu inte svarat på remissen" in message.text
    assert f"{BASE}/agreements/{agreement.id}/revision" in message.text

    # The last two answer: the remiss is no deadline any more, and nothing more is sent of it.
    revisions.record_answers(revision, {p.id: {"position": "avstyrker"} for p in parties[12:]}, D(2027, 2, 10))
    smtp.clear()
    reminders.run_pass(D(2027, 2, 16))
    assert not [m for m in smtp.messages if "Remiss" in m.text]
    assert not Reminder.select().where((Reminder.kind == "consultation") & (Reminder.state == "pending")).exists()
