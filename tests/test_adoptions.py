"""Every party's decision on an agreement: "Antagen av 13 av 14", who blocks a draft, entering into force,
decisions unknown for agreements registered before, the form and the API, contacts per party, and the
reminders to a party's contact over real SMTP.

Every test runs on SQLite and PostgreSQL; today is 2026-11-23 (tests/conftest.py).
"""

import datetime
import re

import pytest

from registry.db import db, migration_runner, upgrade
from registry.models import Adoption, Agreement, AgreementParty, AuditEntry, Organisation, Reminder
from scheduler import adoption_planning, reminders
from tests.conftest import make_app
from tests.factories import (
    MUNICIPALITIES,
    api_client,
    client_as,
    make_agreement,
    make_group,
    make_organisation,
    make_person,
)
from tests.html import field_error, form_fields, section, text, words
from tests.smtp import smtp, smtp_server  # noqa: F401

# The fixtures imported above are pytest fixtures: test arguments of the same name are not redefinitions.
# ruff: noqa: F811

BASE = "https://registret.example.org"


def decision(n, **changes):
    """A party's decision as the API takes it."""
    body = {
        "body": f"Kommunstyrelsen, part {n}",
        "decided_on": "2026-10-15",
        "decision_ref": f"§ {n}",
        "case_number": f"KS 2026/{100 + n}",
        "signed_on": "2026-10-20",
        "document_url": f"https://example.org/protokoll/{n}.pdf",
    }
    body.update(changes)
    return body


def adoption_url(agreement, party):
    return f"/api/v1/agreements/{agreement.id}/adoptions/{party.id}"


@pytest.fixture
def fourteen(ctx):
    """Region Jönköpings län and its 13 municipalities, and ReKo."""
    region = make_organisation("Region Jönköpings län", kind="region")
    towns = [make_organisation(name) for name in MUNICIPALITIES]
    reko = make_group("ReKo", kind="leadership")
    return [region, *towns], reko


def test_fourteen_parties_adopt_and_the_draft_enters_into_force_with_the_last(app, fourteen):
    parties, reko = fourteen
    draft = make_agreement(
        title="Överenskommelse om barn och unga med skadligt bruk",
        status="draft",
        responsible_group=reko,
        parties=parties,
        valid_from=datetime.date(2026, 11, 1),  # its planned start has come: it applies once all have decided
        expires_on=datetime.date(2029, 12, 31),
    )
    api = api_client(app, "admin")
    browser = client_as(app, "admin")
    *first, last = parties
    for n, party in enumerate(first, start=1):
        response = api.open(adoption_url(draft, party), "PUT", decision(n))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == "adopted"

    detail = api.get(f"/api/v1/agreements/{draft.id}").get_json()
    assert (detail["status"], detail["adopted_count"], detail["party_count"]) == ("draft", 13, 14)
    assert detail["blocking_party_ids"] == [last.id]
    assert detail["adoption_due_on"] == "2026-11-01"
    by_party = {a["party_id"]: a for a in detail["adoptions"]}
    assert len(by_party) == 14 and by_party[last.id]["state"] == "missing"
    assert by_party[last.id]["decided_on"] is None and by_party[last.id]["case_number"] is None
    aneby = by_party[parties[1].id]
    assert {k: aneby[k] for k in ("body", "decided_on", "decision_ref", "case_number", "signed_on")} == {
        "body": "Kommunstyrelsen, part 2",
        "decided_on": "2026-10-15",
        "decision_ref": "§ 2",
        "case_number": "KS 2026/102",
        "signed_on": "2026-10-20",
    }

    page = browser.get(f"/agreements/{draft.id}")
    shown = words(page)
    assert "Antagen av 13 av 14" in shown
    assert "Beslut saknas från 1 part Värnamo kommun" in shown
    assert "Utkast" in shown
    adoptions = section(page, "adoptions-heading")
    assert adoptions.count("Beslut saknas") == 2  # the blocking line and Värnamo's row
    assert "KS 2026/102" in adoptions and "§ 2" in adoptions and "Kommunstyrelsen, part 2" in adoptions
    assert 'href="https://example.org/protokoll/2.pdf"' in adoptions
    assert f'href="/agreements/{draft.id}/adoptions/{last.id}"' in adoptions

    # The last decision, recorded on the form: the draft is in force.
    form = form_fields(browser, f"/agreements/{draft.id}/adoptions/{last.id}")
    assert form["must_adopt"] == "y"
    form.update(
        {"body": "Kommunstyrelsen, Värnamo kommun", "decided_on": "2026-11-20", "decision_ref": "§ 201"}
        | {"case_number": "KS 2026/77", "signed_on": "", "document_url": ""}
    )
    response = browser.post(f"/agreements/{draft.id}/adoptions/{last.id}", data=form)
    assert response.status_code == 302 and response.location.endswith(f"/agreements/{draft.id}")
    page = browser.get(f"/agreements/{draft.id}")
    shown = words(page)
    assert "Antagen av 14 av 14" in shown and "Beslut saknas" not in shown
    assert "Värnamo kommuns beslut är registrerat." in shown
    assert "Alla parter som ska anta avtalet har gjort det: avtalet gäller nu." in shown
    assert Agreement.get_by_id(draft.id).status == "in_force"
    detail = api.get(f"/api/v1/agreements/{draft.id}").get_json()
    assert (detail["status"], detail["adopted_count"], detail["party_count"]) == ("in_force", 14, 14)
    assert detail["blocking_party_ids"] == [] and detail["adoption_due_on"] is None
    # The audit trail says who recorded each decision, and that the agreement entered into force.
    entries = AuditEntry.select().where((AuditEntry.entity == "adoption") & (AuditEntry.agreement_id == draft.id))
    assert entries.count() == 14
    status_change = (
        AuditEntry.select()
        .where((AuditEntry.entity == "agreement") & (AuditEntry.entity_id == draft.id))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    assert '"status": ["draft", "in_force"]' in status_change.changes


def test_a_party_that_need_not_adopt_does_not_block(app, fourteen):
    parties, reko = fourteen
    region, aneby = parties[:2]
    draft = make_agreement(status="draft", responsible_group=reko, parties=[region, aneby])
    api = api_client(app, "admin")
    assert api.open(adoption_url(draft, region), "PUT", decision(1)).status_code == 200
    assert Agreement.get_by_id(draft.id).status == "draft"
    # Aneby takes part without deciding: the region's decision was the last one needed.
    response = api.open(adoption_url(draft, aneby), "PUT", {"decided_on": None, "must_adopt": False})
    assert response.status_code == 200 and response.get_json()["state"] == "not_required"
    detail = api.get(f"/api/v1/agreements/{draft.id}").get_json()
    assert (detail["status"], detail["adopted_count"], detail["party_count"]) == ("in_force", 1, 1)
    page = words(client_as(app, "viewer").get(f"/agreements/{draft.id}"))
    assert "Antagen av 1 av 1" in page and "Behöver inte anta" in page


def test_a_draft_with_a_later_start_enters_into_force_on_that_day_and_replaces_the_old_version(app, fourteen, smtp):
    parties, reko = fourteen
    region, aneby = parties[:2]
    old = make_agreement(
        title="Överenskommelse 2024–2026",
        responsible_group=reko,
        parties=[region, aneby],
        valid_from=datetime.date(2024, 1, 1),
        expires_on=datetime.date(2026, 12, 31),
    )
    new = make_agreement(
        title="Överenskommelse 2027–2029",
        status="draft",
        responsible_group=reko,
        parties=[region, aneby],
        valid_from=datetime.date(2027, 1, 1),
        expires_on=datetime.date(2029, 12, 31),
    )
    Agreement.update(replaced_by=new.id).where(Agreement.id == old.id).execute()
    api = api_client(app, "admin")
    # Needed by the expiry of the version it replaces, the day before its own start.
    assert api.get(f"/api/v1/agreements/{new.id}").get_json()["adoption_due_on"] == "2026-12-31"
    for n, party in enumerate((region, aneby), start=1):
        assert api.open(adoption_url(new, party), "PUT", decision(n)).status_code == 200
    assert Agreement.get_by_id(new.id).status == "draft"  # adopted by all, not yet in force
    page = words(client_as(app, "viewer").get(f"/agreements/{new.id}"))
    assert "Antagen av 2 av 2" in page and "Det börjar gälla 2027-01-01" in page

    reminders.run_pass(datetime.date(2026, 12, 31))
    assert Agreement.get_by_id(new.id).status == "draft"
    reminders.run_pass(datetime.date(2027, 1, 1))
    assert Agreement.get_by_id(new.id).status == "in_force"
    assert Agreement.get_by_id(old.id).status == "replaced"
    assert Agreement.get_by_id(new.id).next_review_on is None  # no review cycle: no review deadline


def test_an_agreement_in_force_without_decisions_stays_in_force_and_shows_them_unknown(app, fourteen):
    parties, reko = fourteen
    registered = make_agreement(title="Avtal om läkarinsatser", responsible_group=reko, parties=parties)
    assert Adoption.select().count() == 0
    api = api_client(app, "viewer")
    detail = api.get(f"/api/v1/agreements/{registered.id}").get_json()
    assert (detail["status"], detail["adopted_count"], detail["party_count"]) == ("in_force", 0, 14)
    assert {a["state"] for a in detail["adoptions"]} == {"unknown"}
    assert {a["decided_on"] for a in detail["adoptions"]} == {None}
    assert detail["blocking_party_ids"] == []
    page = client_as(app, "viewer").get(f"/agreements/{registered.id}")
    adoptions = words(page)
    assert "Beslut registrerade för 0 av 14 parter" in adoptions
    assert "Besluten är okända för 14 parter: avtalet registrerades utan dem." in adoptions
    assert "Beslut saknas" not in adoptions and "Antagen av" not in adoptions
    assert section(page, "adoptions-heading").count("Okänt") == 14
    # One decision recorded later: the others stay unknown, the agreement in force.
    admin = api_client(app, "admin")
    assert admin.open(adoption_url(registered, parties[0]), "PUT", decision(1)).status_code == 200
    detail = api.get(f"/api/v1/agreements/{registered.id}").get_json()
    assert (detail["status"], detail["adopted_count"]) == ("in_force", 1)
    assert sorted(a["state"] for a in detail["adoptions"]).count("unknown") == 13


def test_upgrading_an_old_register_invents_no_decisions(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        migration_runner().up(target="0010_revision_deadline")
        db.execute_sql(
            "INSERT INTO organisation (name, short_name, kind, notes) VALUES ('Aneby kommun', '', 'municipality', '')"
        )
        db.execute_sql(
            "INSERT INTO collab_group (name, short_name, kind, description, mailbox, lead_time_days,"
            " expiry_offsets, review_offsets) VALUES ('ReKo', '', 'leadership', '', '', 14, '', '')"
        )
        db.execute_sql(
            "INSERT INTO agreement (title, short_name, kind, description, target_group, legal_basis,"
            " responsible_group_id, decision_ref, review_rule, status, notes, expiry_offsets, review_offsets,"
            " created_at, updated_at) SELECT 'Gammalt avtal', '', 'avtal', '', '', '', id, '', '', 'in_force', '',"
            " '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM collab_group"
        )
        db.execute_sql(
            "INSERT INTO agreement_party (agreement_id, organisation_id)"
            " SELECT agreement.id, organisation.id FROM agreement, organisation"
        )
        assert upgrade()[0] == "0011_adoptions"  # and what came after it
        assert Adoption.select().count() == 0
        assert [link.must_adopt for link in AgreementParty.select()] == [True]
        assert Agreement.get().status == "in_force"
        aneby = Organisation.get()
        assert (aneby.contact_person_id, aneby.contact_email) == (None, "")
        db.close()


def test_put_adoption_permissions_validation_and_unknown_parties(app, small_register):
    board_agreement = small_register.expiring  # the board is responsible
    team_agreement = small_register.yearly  # the team is responsible
    region, town = small_register.region, small_register.town
    editor = api_client(app, "editor", groups=[small_register.board])
    auditor, admin = api_client(app, "auditor"), api_client(app, "admin")

    assert editor.open(adoption_url(board_agreement, region), "PUT", decision(1)).status_code == 200
    refused = editor.open(adoption_url(team_agreement, region), "PUT", decision(1))
    assert refused.status_code == 403 and refused.get_json()["error"]["status"] == 403
    assert auditor.open(adoption_url(board_agreement, town), "PUT", decision(2)).status_code == 403
    assert admin.open(adoption_url(team_agreement, region), "PUT", decision(1)).status_code == 200
    assert Adoption.select().count() == 2

    # A party not on the agreement, and an organisation that does not exist: 404.
    other = make_organisation("Annan kommun")
    for url in (adoption_url(board_agreement, other), f"/api/v1/agreements/{board_agreement.id}/adoptions/999999"):
        response = admin.open(url, "PUT", decision(3))
        assert response.status_code == 404
        assert response.get_json()["error"]["message"].startswith("Organisationen är inte part i avtalet.")
    assert admin.open(f"/api/v1/agreements/999999/adoptions/{region.id}", "PUT", decision(3)).status_code == 404

    # Bad values: 422 with a message per field, nothing stored.
    bad = {
        "decided_on": "2026-13-01",
        "signed_on": "2027-01-05",
        "document_url": "ftp://example.org/x.pdf",
        "decision_ref": "§ 1\n§ 2",
        "unknown": 1,
    }
    response = admin.open(adoption_url(board_agreement, town), "PUT", bad)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["decided_on"].startswith("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD")
    assert set(fields) == {"decided_on", "unknown"}  # the schema's checks come first
    response = admin.open(
        adoption_url(board_agreement, town),
        "PUT",
        {k: v for k, v in bad.items() if k != "unknown"} | {"decided_on": "2026-12-01"},
    )
    fields = response.get_json()["error"]["fields"]
    assert response.status_code == 422
    assert fields == {
        "decided_on": "Beslutsdatumet kan inte ligga i framtiden. Ange dagen då beslutet fattades.",
        "signed_on": "Datumet för underskriften kan inte ligga i framtiden. Ange dagen då avtalet undertecknades.",
        "document_url": "Länken måste börja med http:// eller https:// och får inte innehålla mellanslag.",
        "decision_ref": "Texten får inte innehålla radbrytningar, tabbar eller andra styrtecken. Skriv den på en rad.",
    }
    response = admin.open(adoption_url(board_agreement, town), "PUT", {"decided_on": None, "case_number": "KS 1"})
    assert (
        response.status_code == 422
        and "ett beslut registreras med sitt datum" in (response.get_json()["error"]["fields"]["decided_on"])
    )
    assert admin.open(adoption_url(board_agreement, town), "PUT", {}).status_code == 422  # decided_on is required
    assert not Adoption.select().where(Adoption.organisation == town.id).exists()


def test_a_party_case_number_may_repeat_across_agreements_and_a_put_replaces_or_removes(app, small_register):
    region = small_register.region
    admin = api_client(app, "admin")
    for agreement in small_register.agreements:
        response = admin.open(adoption_url(agreement, region), "PUT", decision(1, case_number="RJL 2023/1235"))
        assert response.status_code == 200 and response.get_json()["case_number"] == "RJL 2023/1235"
    assert Adoption.select().where(Adoption.case_number == "RJL 2023/1235").count() == 3
    # The agreement's own case number stays unique, and stays the registering party's.
    assert Agreement.get_by_id(small_register.expiring.id).case_number == "TEST 2024/1"

    agreement = small_register.expiring
    url = adoption_url(agreement, region)
    replaced = admin.open(url, "PUT", {"decided_on": "2026-11-02", "decision_ref": "§ 9"}).get_json()
    assert (replaced["decided_on"], replaced["decision_ref"], replaced["case_number"]) == ("2026-11-02", "§ 9", "")
    assert replaced["recorded_by"].endswith(f"<{admin.user.email}>")
    removed = admin.open(url, "PUT", {"decided_on": None}).get_json()
    assert removed["state"] == "unknown" and removed["decided_on"] is None
    assert Agreement.get_by_id(agreement.id).status == "in_force"  # a status, once decided, stays
    actions = [
        e.action
        for e in AuditEntry.select()
        .where((AuditEntry.entity == "adoption") & (AuditEntry.agreement_id == agreement.id))
        .order_by(AuditEntry.id)
    ]
    assert actions == ["create", "update", "delete"]
    trail = words(client_as(app, "auditor").get(f"/agreements/{agreement.id}"))
    assert "Tog bort partens beslut" in trail
    assert "Beslutsdatum : 2026-11-02 → – Beslutsreferens : § 9 → – Part : Region Testlän" in trail


def test_the_form_sent_twice_stores_once(app, small_register):
    agreement, town = small_register.expiring, small_register.town
    editor = client_as(app, "editor", groups=[small_register.board])
    url = f"/agreements/{agreement.id}/adoptions/{town.id}"
    page = text(editor.get(url))
    assert "Testby kommuns beslut" in page
    form = form_fields(editor, url) | {
        "body": "Kommunstyrelsen, Testby kommun",
        "decided_on": "2026-09-30",
        "decision_ref": "§ 44",
        "case_number": "KS 2026/12",
    }
    first, second = editor.post(url, data=form), editor.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert second.location.endswith(f"/agreements/{agreement.id}#party-{town.id}")
    assert Adoption.select().count() == 1
    creates = AuditEntry.select().where((AuditEntry.entity == "adoption") & (AuditEntry.action == "create"))
    assert creates.count() == 1 and AuditEntry.select().where(AuditEntry.entity == "adoption").count() == 1
    # A date in the future is refused on the form with a sentence beside the field.
    response = editor.post(url, data=form | {"decided_on": "2027-01-01"})
    assert response.status_code == 422
    assert field_error(response, "decided_on") == (
        "Beslutsdatumet kan inte ligga i framtiden. Ange dagen då beslutet fattades."
    )
    # An editor of another group may not use the form; a party not on the agreement is a 404.
    other = client_as(app, "editor", groups=[small_register.team])
    assert other.get(url).status_code == 403 and other.post(url, data=form).status_code == 403
    stranger = make_organisation("Annan kommun")
    assert editor.get(f"/agreements/{agreement.id}/adoptions/{stranger.id}").status_code == 404
    open_ended = small_register.open_ended  # the region only
    assert client_as(app, "admin").get(f"/agreements/{open_ended.id}/adoptions/{town.id}").status_code == 404


def test_a_party_keeps_must_adopt_when_the_agreement_is_saved(app, small_register):
    agreement, town = small_register.expiring, small_register.town
    AgreementParty.update(must_adopt=False).where(
        (AgreementParty.agreement == agreement.id) & (AgreementParty.organisation == town.id)
    ).execute()
    admin = client_as(app, "admin")
    fields = form_fields(admin, f"/agreements/{agreement.id}/edit") | {"notes": "Sparad igen."}
    assert admin.post(f"/agreements/{agreement.id}/edit", data=fields).status_code == 302
    link = AgreementParty.get((AgreementParty.agreement == agreement.id) & (AgreementParty.organisation == town.id))
    assert link.must_adopt is False


def test_a_contact_per_organisation_on_its_form_and_page(app, small_register):
    town = small_register.town
    admin = client_as(app, "admin")
    form = form_fields(admin, f"/organisations/{town.id}/edit")
    assert "contact_person" in form and "contact_email" in form
    form |= {"contact_person": str(small_register.owner.id), "contact_email": "Registrator@Testby.example.org"}
    assert admin.post(f"/organisations/{town.id}/edit", data=form).status_code == 302
    stored = Organisation.get_by_id(town.id)
    assert (stored.contact_person_id, stored.contact_email) == (
        small_register.owner.id,
        "registrator@testby.example.org",
    )
    page = words(admin.get(f"/organisations/{town.id}"))
    assert "Kontaktperson för beslut Olle Ägare <olle@test.example.org>" in page
    assert "Funktionsbrevlåda för beslut registrator@testby.example.org" in page
    response = admin.post(f"/organisations/{town.id}/edit", data=form | {"contact_email": "inte en adress"})
    assert response.status_code == 422
    assert field_error(response, "contact_email") == "E-postadressen är inte giltig. Skriv den som namn@exempel.se."
    trail = words(admin.get("/audit"))
    assert "Funktionsbrevlåda för beslut" in trail
    listed = api_client(app, "viewer").get("/api/v1/organisations").get_json()["items"]
    (testby,) = [o for o in listed if o["id"] == town.id]
    assert (testby["contact_person_id"], testby["contact_email"]) == (
        small_register.owner.id,
        "registrator@testby.example.org",
    )


def test_the_contacts_of_the_parties_whose_decision_is_missing_are_reminded_once(app, small_register, smtp):
    region, town = small_register.region, small_register.town
    contact = make_person("Karin Kontakt", "karin@testby.example.org", organisation=town)
    Organisation.update(contact_person=contact.id, contact_email="registrator@testby.example.org").where(
        Organisation.id == town.id
    ).execute()
    Organisation.update(contact_email="region@example.org").where(Organisation.id == region.id).execute()
    draft = make_agreement(
        title="Överenskommelse om hemsjukvård 2027",
        short_name="Hemsjukvård 2027",
        status="draft",
        responsible_group=small_register.board,
        parties=[region, town],
        valid_from=datetime.date(2027, 3, 1),
    )
    api_client(app, "admin").open(adoption_url(draft, region), "PUT", decision(1))
    town_contacts = {"karin@testby.example.org", "registrator@testby.example.org"}

    # 2026-12-01 is 90 days before the start: the 180-day stage is caught up (skipped), the 90-day one sent.
    reminders.run_pass(datetime.date(2026, 12, 1))
    sent = [m for m in smtp.messages if m.recipient in town_contacts | {"region@example.org"}]
    assert {m.recipient for m in sent} == town_contacts
    message = smtp.to("karin@testby.example.org")[0]
    assert message.subject == "Påminnelse: Hemsjukvård 2027 – partens beslut behövs senast 2027-03-01"
    assert "Partens beslut behövs senast: 2027-03-01 (om 90 dagar)" in message.text
    assert "Se till att Testby kommun beslutar i tid" in message.text
    form_link = f"{BASE}/agreements/{draft.id}/adoptions/{town.id}"
    assert f"Registrera beslutet: {form_link}\n" in message.text and f'href="{form_link}"' in message.html
    assert f"Öppna avtalet: {BASE}/agreements/{draft.id}\n" in message.text
    assert "kontakt för en part i avtalet vars beslut om avtalet ännu inte är registrerat" in message.text
    assert "Vi arbetar med det" not in message.text
    rows = Reminder.select().where(Reminder.kind == "adoption")
    assert {(r.stage, r.state, r.role) for r in rows} == {
        ("before:180", "skipped", "party_contact"),
        ("before:90", "sent", "party_contact"),
    }
    assert {r.deadline_on for r in rows} == {datetime.date(2027, 3, 1)}

    # Exactly once: the same pass again sends nothing.
    def to_contacts():
        return [m for m in smtp.messages if m.recipient in town_contacts | {"region@example.org"}]

    before = len(to_contacts())
    assert adoption_planning.plan(datetime.date(2026, 12, 1)) == ([], [], [])  # everything due is recorded
    reminders.run_pass(datetime.date(2026, 12, 1))
    assert len(to_contacts()) == before == 2
    # The reminder history on the agreement page says it in words.
    page = words(client_as(app, "viewer").get(f"/agreements/{draft.id}"))
    assert "Partens beslut 2027-03-01 (90 dagar före)" in page

    # Once Testby has decided, its contacts hear no more, and the draft is in force at its start.
    api_client(app, "admin").open(adoption_url(draft, town), "PUT", decision(2))
    reminders.run_pass(datetime.date(2027, 1, 29))  # the 30-day stage
    assert len(to_contacts()) == before
    reminders.run_pass(datetime.date(2027, 3, 1))
    assert Agreement.get_by_id(draft.id).status == "in_force"


def test_a_missing_decision_after_the_date_is_repeated_to_the_contact(app, small_register, smtp):
    town = small_register.town
    Organisation.update(contact_email="registrator@testby.example.org").where(Organisation.id == town.id).execute()
    draft = make_agreement(
        title="Rutin för utskrivning",
        status="draft",
        responsible_group=small_register.board,
        parties=[town],
        valid_from=datetime.date(2026, 11, 2),
    )
    reminders.run_pass(datetime.date(2026, 11, 23))
    (message,) = smtp.to("registrator@testby.example.org")
    assert "Partens beslut saknas fortfarande: 2026-11-02 (21 dagar sedan)" in message.text
    assert "Beslutet från Testby kommun saknas fortfarande" in message.text
    assert re.search(r"overdue:\d+", message.text) is None
    assert Agreement.get_by_id(draft.id).status == "draft"


def test_the_adoption_pages_need_no_code_and_say_what_is_missing(app, small_register):
    agreement, town = small_register.expiring, small_register.town
    viewer = client_as(app, "viewer")
    page = text(viewer.get(f"/agreements/{agreement.id}"))
    assert "/adoptions/" not in page  # no form links for who may not use them
    assert "Registrera beslut" not in page
    editor = client_as(app, "editor", groups=[small_register.board])
    page = text(editor.get(f"/agreements/{agreement.id}"))
    assert f'href="/agreements/{agreement.id}/adoptions/{town.id}"' in page
    assert "Registrera beslut" in page
