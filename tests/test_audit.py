"""The audit trail: what the web forms record, the hash chain and its check, the /audit page and exports."""

import csv
import datetime
import io
import json
import re
from html import unescape

import openpyxl
import pytest

from registry.domain import audit, directory
from registry.domain.exports import local
from registry.models import AuditEntry, Group, GroupMeeting, Organisation, Person, Review, User
from tests.factories import client_as, names
from tests.html import form_fields, section, text


def new_entries(since_id):
    return list(AuditEntry.select().where(AuditEntry.id > since_id).order_by(AuditEntry.id))


def last_id():
    newest = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    return newest.id if newest else 0


# --- what the forms record ----------------------------------------------------


def test_changes_made_through_the_web_are_audited(small_register, editor_client, client, subtests):
    board, team = small_register.board, small_register.team
    as_editor, as_admin = editor_client, client
    editor, admin = as_editor.user, as_admin.user
    lakar = small_register.expiring  # expires 2026-12-31

    with subtests.test("an editor changes the expiry date"):
        start = last_id()
        fields = form_fields(as_editor, f"/agreements/{lakar.id}/edit")
        assert fields["expires_on"] == "2026-12-31"
        fields["expires_on"] = "2027-06-30"
        assert as_editor.post(f"/agreements/{lakar.id}/edit", data=fields).status_code == 302
        (entry,) = new_entries(start)
        assert names(entry.actor, editor)
        assert (entry.action, entry.entity, entry.entity_id, entry.agreement_id) == (
            "update",
            "agreement",
            lakar.id,
            lakar.id,
        )
        assert audit.changes_of(entry) == {"expires_on": ["2026-12-31", "2027-06-30"]}
        assert entry.summary == lakar.title

        # Saving the form again unchanged records nothing.
        assert as_editor.post(f"/agreements/{lakar.id}/edit", data=fields).status_code == 302
        assert new_entries(entry.id) == []

    with subtests.test("the agreement page shows the change"):
        history = unescape(section(as_editor.get(f"/agreements/{lakar.id}"), "history-heading"))
        assert "Ändringshistorik" in history
        assert "2026-12-31" in history and "2027-06-30" in history
        assert editor.email in history
        assert re.search(r"2026-12-31\s*→\s*2027-06-30", re.sub(r"<[^>]+>", "", history))  # dates in <time>

    with subtests.test("recording a review"):
        start = last_id()
        review = {
            "reviewed_on": "2026-11-20",
            "outcome": "extended",
            "reviewer": "",
            "reviewer_name": "Ledningsgruppen",
            "decision_ref": "Ledningsgruppen 2026-11-20 § 4",
            "new_expires_on": "2028-12-31",
            "notes": "",
        }
        assert as_editor.post(f"/agreements/{lakar.id}/reviews/new", data=review).status_code == 302
        saved = Review.get(Review.agreement == lakar)
        created, updated = new_entries(start)
        assert (created.action, created.entity, created.entity_id, created.agreement_id) == (
            "create",
            "review",
            saved.id,
            lakar.id,
        )
        facts = audit.changes_of(created)
        assert facts["outcome"] == [None, "extended"]
        assert facts["new_expires_on"] == [None, "2028-12-31"]
        assert facts["decision_ref"] == [None, "Ledningsgruppen 2026-11-20 § 4"]
        assert (updated.action, updated.entity, updated.agreement_id) == ("update", "agreement", lakar.id)
        assert audit.changes_of(updated)["expires_on"] == ["2027-06-30", "2028-12-31"]
        assert names(created.actor, editor) and names(updated.actor, editor)

    with subtests.test("groups"):
        start = last_id()
        data = {"name": "Arbetsgrupp Revision", "short_name": "Rev", "kind": "working", "lead_time_days": "14"}
        assert as_admin.post("/groups/new", data=data).status_code == 302
        group = Group.get(Group.name == "Arbetsgrupp Revision")
        (entry,) = new_entries(start)
        assert (entry.action, entry.entity, entry.entity_id) == ("create", "group", group.id)
        assert audit.changes_of(entry)["name"] == [None, "Arbetsgrupp Revision"]
        assert names(entry.actor, admin)
        # Editing a group: see test_editing_groups_and_organisations_is_audited.

    with subtests.test("organisations"):
        start = last_id()
        data = {"name": "Länsstyrelsen i Jönköpings län", "short_name": "Lst", "kind": "other", "notes": ""}
        assert as_admin.post("/organisations/new", data=data).status_code == 302
        org = Organisation.get(Organisation.name == "Länsstyrelsen i Jönköpings län")
        (entry,) = new_entries(start)
        assert (entry.action, entry.entity, entry.entity_id) == ("create", "organisation", org.id)
        assert audit.changes_of(entry)["short_name"] == [None, "Lst"]
        assert names(entry.actor, admin)

    with subtests.test("people"):
        start = last_id()
        data = {"name": "Ny Handläggare", "email": "ny.handlaggare@example.org", "title": "", "groups": [board.id]}
        assert as_admin.post("/people/new", data=data).status_code == 302
        person = Person.get(Person.email == "ny.handlaggare@example.org")
        (entry,) = new_entries(start)
        assert (entry.action, entry.entity, entry.entity_id) == ("create", "person", person.id)
        assert audit.changes_of(entry)["groups"] == [None, ["Ledningsgruppen"]]
        fields = form_fields(as_admin, f"/people/{person.id}/edit")
        fields["title"] = "Utvecklingsledare"
        fields["groups"] = [str(board.id), str(team.id)]
        assert as_admin.post(f"/people/{person.id}/edit", data=fields).status_code == 302
        (entry,) = new_entries(entry.id)
        assert (entry.action, entry.entity, entry.entity_id) == ("update", "person", person.id)
        assert audit.changes_of(entry) == {
            "groups": [["Ledningsgruppen"], ["Arbetsgruppen", "Ledningsgruppen"]],
            "title": ["", "Utvecklingsledare"],
        }

    with subtests.test("meetings"):
        start = last_id()
        response = as_admin.post(f"/groups/{board.id}/meetings", data={"meets_on": "2026-12-04", "note": "Beslut"})
        assert response.status_code == 302
        meeting = GroupMeeting.get(
            (GroupMeeting.group == board) & (GroupMeeting.meets_on == datetime.date(2026, 12, 4))
        )
        (entry,) = new_entries(start)
        assert (entry.action, entry.entity, entry.entity_id, entry.summary) == (
            "create",
            "meeting",
            meeting.id,
            board.name,
        )
        assert audit.changes_of(entry)["meets_on"] == [None, "2026-12-04"]
        assert as_admin.post(f"/groups/{board.id}/meetings/{meeting.id}/delete").status_code == 302
        (entry,) = new_entries(entry.id)
        assert (entry.action, entry.entity, entry.entity_id) == ("delete", "meeting", meeting.id)
        assert audit.changes_of(entry)["meets_on"] == ["2026-12-04", None]
        assert names(entry.actor, admin)

    with subtests.test("users"):
        start = last_id()
        data = {
            "name": "Vera Läsare",
            "email": "vera@example.org",
            "role": "viewer",
            "is_active": "y",
            "password": "Veras-lösenord-77",
        }
        assert as_admin.post("/users/new", data=data).status_code == 302
        vera = User.get(User.email == "vera@example.org")
        (entry,) = new_entries(start)
        assert (entry.action, entry.entity, entry.entity_id, entry.summary) == ("create", "user", vera.id, vera.email)
        changes = audit.changes_of(entry)
        assert changes["role"] == [None, "viewer"]
        assert changes["password"] == ["***", "*** (ändrat)"]
        assert "Veras-lösenord-77" not in entry.changes and vera.password_hash not in entry.changes
        fields = form_fields(as_admin, f"/users/{vera.id}/edit")
        fields.update(role="auditor", is_active="y")
        assert as_admin.post(f"/users/{vera.id}/edit", data=fields).status_code == 302
        (entry,) = new_entries(entry.id)
        assert (entry.action, entry.entity, entry.entity_id) == ("update", "user", vera.id)
        assert audit.changes_of(entry) == {"role": ["viewer", "auditor"]}
        assert names(entry.actor, admin)

    with subtests.test("the chain holds after all of it"):
        ok, count, message = audit.verify()
        assert ok, message
        assert count == AuditEntry.select().count()


@pytest.mark.parametrize(
    "kind, create, field, value",
    [
        ("groups", {"name": "Arbetsgrupp Revision", "kind": "working"}, "mailbox", "rev@example.org"),
        ("organisations", {"name": "Länsstyrelsen", "kind": "other"}, "notes", "Tillsynsmyndighet."),
    ],
    ids=["group", "organisation"],
)
def test_editing_groups_and_organisations_is_audited(app, client, kind, create, field, value):
    response = client.post(f"/{kind}/new", data=create)
    assert response.status_code == 302
    row_id = int(response.location.rsplit("/", 1)[1])
    assert [(e.action, e.entity_id) for e in new_entries(0)] == [("create", row_id)]
    start = last_id()
    fields = form_fields(client, f"/{kind}/{row_id}/edit")
    fields[field] = value
    response = client.post(f"/{kind}/{row_id}/edit", data=fields)
    assert response.status_code == 302
    assert value in text(client.get(f"/{kind}/{row_id}"))  # the change itself is saved
    entries = new_entries(start)
    assert [(e.action, e.entity_id) for e in entries] == [("update", row_id)]
    assert audit.changes_of(entries[0]) == {field: ["", value]}


# --- the chain and `audit verify` ----------------------------------------------


def test_audit_verify_finds_changed_and_deleted_entries(ctx, runner, subtests):
    for name in ("Part A", "Part B", "Part C", "Part D", "Part E"):
        directory.save_organisation({"name": name, "kind": "other"})
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [e.summary for e in entries] == ["Part A", "Part B", "Part C", "Part D", "Part E"]
    first, second, third, fourth, newest = entries
    auditor = client_as(ctx, "auditor")

    def verify():
        result = runner.invoke(args=["audit", "verify"])
        return result.exit_code, result.output

    code, output = verify()
    assert code == 0, output
    assert "5 entries, chain intact" in output
    page = text(auditor.get("/audit"))
    assert "Kedjan är obruten" in page and "5 loggposter har kontrollerats och kedjan är obruten" in page
    assert "chain intact" not in page  # the command's English, translated on the page

    tampering = {
        "changes": json.dumps({"name": [None, "Förfalskad part"]}),
        "actor": "någon annan",
        "at": second.at - datetime.timedelta(days=3),
        "action": "delete",
        "summary": "Part X",
        "entity_id": second.entity_id + 1,
    }
    for field, forged in tampering.items():
        with subtests.test("a changed entry", field=field):
            AuditEntry.update({field: forged}).where(AuditEntry.id == second.id).execute()
            code, output = verify()
            assert code == 1
            assert f"entry {second.id} " in output and "changed" in output
            page = text(auditor.get("/audit"))
            assert "Kedjan är bruten" in page and f"Loggpost {second.id} (" in page and "har ändrats" in page
            AuditEntry.update({field: getattr(second, field)}).where(AuditEntry.id == second.id).execute()
            assert verify()[0] == 0

    with subtests.test("a forged hash that is recomputed is still caught by the next entry"):
        forged = AuditEntry.get_by_id(third.id)
        forged.summary = "Part Z"
        forged.hash = audit._digest(forged.id, audit._fields(forged), forged.prev_hash)
        AuditEntry.update(summary=forged.summary, hash=forged.hash).where(AuditEntry.id == third.id).execute()
        code, output = verify()
        assert code == 1 and f"entry {fourth.id} " in output and "does not follow" in output
        AuditEntry.update(summary=third.summary, hash=third.hash).where(AuditEntry.id == third.id).execute()
        assert verify()[0] == 0

    with subtests.test("the newest entry deleted"):
        AuditEntry.delete().where(AuditEntry.id == newest.id).execute()
        code, output = verify()
        assert code == 1
        assert "newest entries were deleted" in output
        AuditEntry.insert(**newest.__data__).execute()
        code, output = verify()
        assert code == 0 and "5 entries, chain intact" in output

    with subtests.test("a middle entry deleted"):
        AuditEntry.delete().where(AuditEntry.id == third.id).execute()
        code, output = verify()
        assert code == 1
        assert f"entry {fourth.id} " in output and "does not follow" in output
        AuditEntry.insert(**third.__data__).execute()
        assert verify()[0] == 0

    with subtests.test("the chain goes on after a check"):
        directory.save_organisation({"name": "Part F", "kind": "other"})
        code, output = verify()
        assert code == 0 and "6 entries, chain intact" in output
        assert AuditEntry.select().order_by(AuditEntry.id.desc()).first().prev_hash == newest.hash
        assert first.prev_hash == audit.GENESIS


# --- the /audit page and its exports -------------------------------------------

ROWS = [
    # (at, actor, agreement id, summary)
    (datetime.datetime(2026, 10, 1, 9, 0), "anna@example.org", 7, "Post ett"),
    (datetime.datetime(2026, 10, 15, 9, 0), "bertil@example.org", 7, "Post två"),
    (datetime.datetime(2026, 11, 1, 23, 30), "Anna Andersson <anna@example.org>", 8, "Post tre"),
    (datetime.datetime(2026, 11, 20, 9, 0), "bertil@example.org", None, "Post fyra"),
]

FILTERS = [
    ({}, ["Post fyra", "Post tre", "Post två", "Post ett"], "–"),
    ({"actor": "anna"}, ["Post tre", "Post ett"], "Person (e-post): anna"),
    ({"actor": "anna@example.org"}, ["Post tre", "Post ett"], "Person (e-post): anna@example.org"),
    ({"agreement": "7"}, ["Post två", "Post ett"], "Avtal (nummer): 7"),
    ({"from": "2026-10-10", "to": "2026-11-01"}, ["Post tre", "Post två"], "Från: 2026-10-10; Till: 2026-11-01"),
    ({"from": "2026-11-02"}, ["Post fyra"], "Från: 2026-11-02"),
    ({"to": "2026-09-30"}, [], "Till: 2026-09-30"),
    ({"actor": "bertil", "agreement": "7"}, ["Post två"], "Person (e-post): bertil; Avtal (nummer): 7"),
    ({"agreement": "abc", "from": "igår"}, ["Post fyra", "Post tre", "Post två", "Post ett"], "–"),
]


def test_audit_page_filters_and_exports(ctx, monkeypatch, subtests):
    for at, actor, agreement_id, summary in ROWS:
        monkeypatch.setattr(audit, "utcnow", lambda at=at: at)
        audit.record(
            "update",
            "agreement",
            agreement_id,
            {"notes": ["före", "efter"]},
            agreement_id=agreement_id,
            summary=summary,
            actor=actor,
        )
    monkeypatch.undo()
    assert audit.verify()[0]
    ids = {e.summary: e.id for e in AuditEntry.select()}
    client = client_as(ctx, "auditor")
    auditor = client.user

    for query, expected, described in FILTERS:
        with subtests.test(**query):
            page = text(client.get("/audit", query_string=query))
            shown = re.findall(r"Post (?:ett|två|tre|fyra)", page)
            assert shown == expected
            count = len(expected)
            assert f"{count} {'ändring' if count == 1 else 'ändringar'} ·" in page

            response = client.get("/audit/export.csv", query_string=query)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert response.headers["Cache-Control"] == "no-store"
            disposition = response.headers["Content-Disposition"]
            assert re.fullmatch(r'attachment; filename="andringslogg-\d{8}-\d{4}\.csv"', disposition)
            lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
            assert lines[0] == ["Ändringslogg"]
            assert lines[1][0] == "Skapad" and datetime.datetime.fromisoformat(lines[1][1])
            assert lines[2] == ["Skapad av", auditor.email]
            assert lines[3] == ["Filter", described]
            assert lines[4] == []
            assert lines[5][:5] == ["Id", "Tid (Europe/Stockholm)", "Vem", "Åtgärd", "Objekt"]
            assert [int(row[0]) for row in lines[6:]] == [ids[s] for s in expected]
            assert [row[7] for row in lines[6:]] == expected
            by_summary = {row[7]: row for row in lines[6:]}
            for at, actor, agreement_id, summary in ROWS:
                if summary in by_summary:
                    row = by_summary[summary]
                    assert row[1] == local(at).strftime("%Y-%m-%d %H:%M")  # stored in UTC, shown in Swedish time
                    assert row[2] == actor
                    assert row[3:5] == ["Ändrade", "avtal"]  # labels, not the codes update / agreement
                    assert row[6] == ("" if agreement_id is None else str(agreement_id))
                    assert row[8] == "Anteckningar: före → efter"  # not the stored JSON

            response = client.get("/audit/export.xlsx", query_string=query)
            assert response.status_code == 200
            assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            sheet, about = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
            meta = [list(r) for r in about.iter_rows(values_only=True)]
            assert meta[0][0] == "Ändringslogg"
            assert meta[1][0] == "Skapad" and isinstance(meta[1][1], datetime.datetime)
            assert meta[2:4] == [["Skapad av", auditor.email], ["Filter", described]]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            assert rows[0][:3] == ["Id", "Tid (Europe/Stockholm)", "Vem"]
            assert [r[0] for r in rows[1:]] == [ids[s] for s in expected]
            assert [r[7] for r in rows[1:]] == expected
            assert [r[2] for r in rows[1:]] == [next(a for _, a, _, s in ROWS if s == x) for x in expected]
            assert [r[1] for r in rows[1:]] == [local(next(a for a, _, _, s in ROWS if s == x)) for x in expected]

    assert client.get("/audit/export.pdf").status_code == 404
