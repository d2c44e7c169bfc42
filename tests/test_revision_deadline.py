"""An agreement under revision carries a deadline for its new version, and the dashboard's counts agree.

"Ska revideras" used to flip the status and drop the agreement out of "Behöver åtgärd";
now the revision has a date (six calendar months on by default, REVISION_MONTHS,
editable), which is a deadline like the others: on the dashboard, in the lists,
in reminders, feeds and the API. The dashboard's table per responsible group counts
by status as the status cards do, and every figure leads to a list of that many.
"""

import datetime
import re

import pytest

from registry.db import db
from registry.domain import decisions, queries
from registry.domain.agreements import record_review
from registry.domain.errors import ValidationError
from registry.models import Agreement, AuditEntry, Group
from scheduler import reminders
from tests.conftest import TODAY
from tests.factories import api_client, client_as, update_agreement
from tests.html import words as text
from tests.smtp import smtp, smtp_server  # noqa: F401
from tests.test_reminders import new_agreement, person

# ruff: noqa: F811


def review(agreement, outcome="to_be_revised", reviewed_on=TODAY, **extra):
    data = {"reviewed_on": reviewed_on, "outcome": outcome, "reviewer_name": "ReKo", **extra}
    return record_review(agreement, data, max(TODAY, reviewed_on))


def test_ska_revideras_sets_the_new_versions_deadline_six_calendar_months_on(small_register):
    agreement = small_register.yearly
    review(agreement, reviewed_on=datetime.date(2026, 8, 31))
    agreement = Agreement.get_by_id(agreement.id)
    assert agreement.status == "under_revision"
    assert agreement.revision_due_on == datetime.date(2027, 2, 28)  # calendar months, not 182 days
    changes = [e for e in AuditEntry.select() if e.entity == "agreement" and "revision_due_on" in e.changes]
    assert changes, "the new deadline is in the audit trail"


def test_the_date_can_be_given_and_is_checked(small_register):
    agreement = small_register.yearly
    with pytest.raises(ValidationError) as refused:
        review(agreement, outcome="unchanged", revision_due_on=datetime.date(2027, 3, 1))
    assert "revision_due_on" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        review(agreement, revision_due_on=TODAY - datetime.timedelta(days=1))
    assert "revision_due_on" in refused.value.errors
    assert Agreement.get_by_id(agreement.id).status == "in_force"  # nothing stored
    review(agreement, revision_due_on=datetime.date(2027, 3, 1))
    assert Agreement.get_by_id(agreement.id).revision_due_on == datetime.date(2027, 3, 1)


def test_a_status_set_to_under_revision_gets_the_default_and_loses_it_when_the_revision_ends(app, small_register):
    app.config["REVISION_MONTHS"] = 3
    agreement = update_agreement(small_register.open_ended, status="under_revision")
    assert agreement.revision_due_on == datetime.date(2027, 2, 23)  # TODAY 2026-11-23 + 3 months
    agreement = update_agreement(agreement, status="in_force")
    assert agreement.revision_due_on is None


def test_the_new_version_is_a_deadline_on_the_dashboard_the_list_and_the_page(app, small_register):
    agreement = small_register.yearly
    review(agreement, revision_due_on=TODAY + datetime.timedelta(days=20))
    upcoming = [(i.agreement.id, i.kind, i.days_left) for i in queries.upcoming(TODAY, 90)]
    assert (agreement.id, "revision", 20) in upcoming
    client = client_as(app, "viewer")
    page = text(client.get("/"))
    assert re.search(r"Ny version\s+Överenskommelse om samverkan kring barn\s+AG\s+20", page), page
    listed = text(client.get("/agreements?deadline=revision_due_soon"))
    assert "Överenskommelse om samverkan kring barn" in listed and "1 avtal" in listed
    shown = text(client.get(f"/agreements/{agreement.id}"))
    assert "Ny version senast 2026-12-13" in shown
    assert "Ny version senast" not in text(client.get(f"/agreements/{small_register.expiring.id}"))

    # Late: on the dashboard as overdue, and the agreement needs attention.
    with db.atomic():
        Agreement.update(revision_due_on=TODAY - datetime.timedelta(days=3)).where(
            Agreement.id == agreement.id
        ).execute()
    overdue = [(i.agreement.id, i.kind, i.days_left) for i in queries.overdue(TODAY)]
    assert overdue == [(agreement.id, "revision", -3)]
    assert "Ny version försenad" in text(client.get(f"/agreements/{agreement.id}"))
    attention = text(client.get("/agreements?deadline=attention"))
    assert "Överenskommelse om samverkan kring barn" in attention


def test_every_figure_of_the_group_table_leads_to_a_list_of_that_many(app, seeded):
    client = client_as(app, "viewer")
    page = client.get("/").get_data(as_text=True)
    table = page[page.index('id="groups-heading"') :]
    cells = re.findall(r'<td data-label="([^"]+)" class="num"><a href="([^"]+)">(\d+)</a></td>', table)
    assert len(cells) > 10
    assert any(label == "Under revidering" for label, _url, _n in cells), "SIP is counted as under revision"
    for label, url, shown in cells:
        listed = text(client.get(url.replace("&amp;", "&")))
        total = re.search(r"(\d+) avtal", listed)
        assert total and total.group(1) == shown, (label, url, shown, total and total.group(0))
    # The cards and the table count the same agreements in each status.
    overview = queries.overview(TODAY, 90)
    for code in ("in_force", "under_revision"):
        assert sum(g.by_status.get(code, 0) for g in overview.by_group) == overview.by_status[code]


def test_the_role_filter_separates_responsible_from_contributing(app, small_register):
    client = client_as(app, "viewer")
    team = small_register.team.id
    assert "3 avtal" in text(client.get(f"/agreements?group={team}"))
    assert "2 avtal" in text(client.get(f"/agreements?group={team}&role=responsible"))
    assert "1 avtal" in text(client.get(f"/agreements?group={team}&role=contributing"))
    answer = text(client.get(f"/agreements?group={team}&role=owner"))
    assert "Gruppens roll: «owner» är inget av listans val" in answer


def test_reminders_of_the_new_version_go_out_and_stop_when_it_is_decided(app, ctx, smtp):
    owner = person("agare@example.org")
    group = Group.create(name="Testgruppen", mailbox="testgruppen@example.org")
    agreement = new_agreement("Avtal om hemsjukvård", group, [owner], status="under_revision",
                              revision_due_on=datetime.date(2027, 3, 16))  # fmt: skip
    reminders.run_pass(datetime.date(2027, 1, 14))  # 61 days before: nothing yet
    assert smtp.to("agare@example.org") == []
    reminders.run_pass(datetime.date(2027, 1, 15))  # 60 days before (the review offsets)
    (message,) = smtp.to("agare@example.org")
    assert "ny version ska vara beslutad" in message.subject + message.text
    assert "Avtalet revideras" in message.text
    reminders.run_pass(datetime.date(2027, 3, 17))
    late = smtp.to("agare@example.org")[-1]
    assert "den nya versionen är försenad" in late.subject + late.text
    # Decided: the agreement is in force again, and the deadline is gone.
    review(Agreement.get_by_id(agreement.id), outcome="unchanged", reviewed_on=datetime.date(2027, 3, 18))
    before = len(smtp.messages)
    reminders.run_pass(datetime.date(2027, 3, 24))
    assert len(smtp.messages) == before
    assert Agreement.get_by_id(agreement.id).revision_due_on is None


def test_the_api_reads_writes_and_lists_the_new_versions_deadline(app, small_register):
    api = api_client(app, "admin")
    agreement = small_register.yearly
    answer = api.post(
        f"/api/v1/agreements/{agreement.id}/reviews",
        {
            "reviewed_on": "2026-11-20",
            "outcome": "to_be_revised",
            "reviewer_name": "ReKo",
            "revision_due_on": "2027-01-15",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    body = api.get(f"/api/v1/agreements/{agreement.id}").get_json()
    assert (body["status"], body["revision_due_on"]) == ("under_revision", "2027-01-15")
    assert "revision_due_soon" in body["flags"]
    found = api.get("/api/v1/deadlines?kind=revision&from=2027-01-01&to=2027-01-31").get_json()
    assert [(d["kind"], d["due_on"], d["agreement"]["id"]) for d in found["items"]] == [
        ("revision", "2027-01-15", agreement.id)
    ]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("§ 7", "ReKo 2026-11-27 § 7"),
        ("ReKo 2026-11-27 § 7", "ReKo 2026-11-27 § 7"),
        ("reko § 7", "2026-11-27 reko § 7"),
        ("Protokoll 2026-11-27, § 7", "ReKo Protokoll 2026-11-27, § 7"),
        ("  ", None),
    ],
)
def test_a_decision_names_body_date_and_paragraph_once(ref, expected):
    assert decisions.decision_text("ReKo", datetime.date(2026, 11, 27), ref) == expected


def test_the_decision_recorded_with_a_follow_up_shows_on_the_agreement(app, small_register):
    agreement = small_register.expiring  # decided by Ledningsgruppen
    review(agreement, outcome="extended", reviewed_on=datetime.date(2026, 11, 20),
           new_expires_on=datetime.date(2027, 12, 31), decision_ref="Ledningsgruppen 2026-11-20 § 7")  # fmt: skip
    page = text(client_as(app, "viewer").get(f"/agreements/{agreement.id}"))
    assert "Senaste beslut Ledningsgruppen 2026-11-20 § 7 (förlängd, uppföljning 2026-11-20" in page
    assert "Ledningsgruppen 2026-11-20 Ledningsgruppen" not in page
    review(agreement, outcome="unchanged", reviewed_on=datetime.date(2026, 11, 22), decision_ref="§ 3")
    page = text(client_as(app, "viewer").get(f"/agreements/{agreement.id}"))
    assert "Senaste beslut Ledningsgruppen 2026-11-22 § 3" in page


def test_older_agreements_under_revision_get_a_deadline_when_the_database_upgrades(database_url):
    from registry.db import migration_runner, upgrade
    from tests.conftest import make_app

    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        migration_runner().up(target="0009_acknowledgements")
        db.execute_sql(
            "INSERT INTO collab_group (name, short_name, kind, description, mailbox, lead_time_days,"
            " expiry_offsets, review_offsets) VALUES ('ReKo', '', 'leadership', '', '', 14, '', '')"
        )
        group_id = db.execute_sql("SELECT id FROM collab_group").fetchone()[0]
        now = datetime.datetime(2026, 1, 10, 9, 0)
        rows = [("SIP", "under_revision"), ("Revideras sedan uppföljning", "under_revision"), ("Gällande", "in_force")]
        insert = (
            "INSERT INTO agreement (title, short_name, kind, description, target_group, responsible_group_id,"
            " decision_ref, review_rule, status, notes, created_at, updated_at, legal_basis, expiry_offsets,"
            " review_offsets) VALUES (?, '', 'avtal', '', '', ?, '', '', ?, '', ?, ?, '', '', '')"
        ).replace("?", db.param)
        for title, state in rows:
            db.execute_sql(insert, (title, group_id, state, now, now))
        revised = db.execute_sql("SELECT id FROM agreement WHERE title = 'Revideras sedan uppföljning'").fetchone()[0]
        db.execute_sql(
            "INSERT INTO review (agreement_id, reviewed_on, reviewer_name, outcome, decision_ref, notes, created_at)"
            " VALUES (%s, %s, 'ReKo', 'to_be_revised', '', '', %s)".replace("%s", db.param),
            (revised, datetime.date(2025, 9, 12), now),
        )
        upgrade()
        due = {a.title: a.revision_due_on for a in Agreement.select()}
        assert due == {
            "SIP": datetime.date(2026, 7, 10),  # six months after it was last changed
            "Revideras sedan uppföljning": datetime.date(2026, 3, 12),  # six months after "Ska revideras"
            "Gällande": None,
        }
        db.close()
