"""The JSON API under /api/v1/: tokens, roles, every endpoint, bad input, and the OpenAPI document.

Every test runs on SQLite and PostgreSQL, on the seeded demo register where it reads the
register and on the small fixture register (tests/factories.py) where it does not; today is
2026-11-23. Roles are tried through bearer tokens, as a script would; the
permission table itself is shared with tests/test_permissions.py.
"""

import datetime
import json

import pytest
from flask import url_for
from flask_babel import refresh

from registry.api import openapi, validation
from registry.api.schemas import COMPONENTS
from registry.domain import tokens
from registry.domain.agreements import record_review
from registry.models import (
    Agreement,
    AgreementParty,
    ApiToken,
    AuditEntry,
    Group,
    GroupMeeting,
    Organisation,
    Person,
    Review,
    User,
)
from tests.conftest import TODAY, make_app
from tests.factories import ROLES, Api, agreement, agreement_of, api_client, client_as, group_id
from tests.test_permissions import EXPECTED, WHO

ALDRE = "Strategigrupp Äldre"


# --- helpers ----------------------------------------------------------------


def api_for(app, editor_group):
    """{role: Api} for every role, anonymous included: a new account with a token each; the editor
    sits in `editor_group`."""
    return {role: api_client(app, role, groups=[editor_group] if role == "editor" else ()) for role in ROLES}


@pytest.fixture
def api(seeded):
    """{role: Api} on the demo register; the editor sits in Strategigrupp Äldre."""
    return api_for(seeded, group_id(ALDRE))


@pytest.fixture
def small_api(app, small_register):
    """{role: Api} on the small register; the editor sits on its board."""
    return api_for(app, small_register.board)


def error_of(response, status):
    """The JSON error body of a response that must have this status."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return error


def new_agreement(group, **changes):
    data = {"title": "Överenskommelse från API-testerna", "kind": "overenskommelse", "responsible_group_id": group}
    data.update(changes)
    return data


# --- the script, end to end -------------------------------------------


def test_a_script_creates_an_agreement_records_its_review_and_reads_its_next_deadline(seeded, runner, api):
    editor = api["editor"].user
    result = runner.invoke(args=["create-token", "--email", editor.email, "--name", "Avtalsskript"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith(tokens.PREFIX)
    script = Api(seeded, token)
    aldre = group_id(ALDRE)
    region = Organisation.get(Organisation.short_name == "RJL")
    owner = Person.get(Person.name == "Beredningsansvarig Äldre")

    created = script.post(
        "/api/v1/agreements",
        new_agreement(
            aldre,
            title="Överenskommelse om trygg hemgång",
            valid_from="2025-06-01",
            review_rule="FREQ=YEARLY;INTERVAL=1",
            party_ids=[region.id],
            owner_ids=[owner.id],
            documents=[{"title": "Överenskommelsen", "url": "https://example.org/hemgang.pdf"}],
        ),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    agreement = created.get_json()
    assert created.headers["Location"] == f"/api/v1/agreements/{agreement['id']}"
    assert agreement["responsible_group"]["name"] == ALDRE
    assert agreement["parties"] == [{"id": region.id, "name": region.name, "short_name": "RJL", "kind": "region"}]
    assert agreement["owners"][0]["id"] == owner.id
    assert agreement["documents"] == [{"title": "Överenskommelsen", "url": "https://example.org/hemgang.pdf"}]
    # Reviewed yearly from its start: the first review was due 2026-06-01 and is late.
    assert agreement["next_review_on"] == "2026-06-01"
    assert agreement["deadlines"][0]["kind"] == "review" and agreement["deadlines"][0]["overdue"] is True
    assert "review_overdue" in agreement["flags"]

    reviewed = script.post(
        f"/api/v1/agreements/{agreement['id']}/reviews",
        {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_id": owner.id, "decision_ref": "§ 12"},
    )
    assert reviewed.status_code == 201, reviewed.get_data(as_text=True)
    review = reviewed.get_json()
    assert (review["reviewed_on"], review["outcome"], review["reviewer"]["id"]) == ("2026-11-20", "unchanged", owner.id)

    now = script.get(f"/api/v1/agreements/{agreement['id']}").get_json()
    next_deadline = now["deadlines"][0]
    assert next_deadline == {
        "kind": "review",
        "title": None,  # a revision's step names itself here
        "due_on": "2027-11-20",
        "days_left": (datetime.date(2027, 11, 20) - TODAY).days,
        "overdue": False,
        "deciding_meeting": None,  # Strategigrupp Äldre has no meeting plan in the demo data
        "meeting_plan_problem": None,
    }
    assert now["next_review_on"] == "2027-11-20" and now["flags"] == []
    assert [r["id"] for r in now["reviews"]] == [review["id"]]
    window = script.get("/api/v1/deadlines?from=2027-11-01&to=2027-11-30").get_json()
    assert [(d["agreement"]["id"], d["kind"], d["due_on"]) for d in window["items"]] == [
        (agreement["id"], "review", "2027-11-20")
    ]
    # The audit trail names the token's user, as for a change made in the web.
    actors = {e.actor for e in AuditEntry.select().where(AuditEntry.agreement_id == agreement["id"])}
    assert actors == {f"{editor.name} <{editor.email}>"}


def test_an_auditors_token_reads_but_is_refused_when_it_writes(small_register, small_api):
    auditor = small_api["auditor"]
    agreement = small_register.expiring
    count, reviews = Agreement.select().count(), Review.select().count()
    assert auditor.get("/api/v1/agreements").status_code == 200
    assert auditor.get(f"/api/v1/agreements/{agreement.id}").status_code == 200
    error = error_of(auditor.post("/api/v1/agreements", new_agreement(small_register.board.id)), 403)
    assert "behörighet" in error["message"]
    error_of(auditor.patch(f"/api/v1/agreements/{agreement.id}", {"notes": "Granskarens ändring"}), 403)
    review = {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Revisorn"}
    error_of(auditor.post(f"/api/v1/agreements/{agreement.id}/reviews", review), 403)
    # Refused before the body is even read: bad JSON from an auditor is still a 403.
    error_of(auditor.post("/api/v1/agreements", data="{", content_type="application/json"), 403)
    assert Agreement.get_by_id(agreement.id).notes == agreement.notes
    assert (Agreement.select().count(), Review.select().count()) == (count, reviews)


# --- roles: the permission table, through tokens ------------------------------------


def test_every_api_route_enforces_the_permission_table(app, small_register, small_api, subtests):
    """Each api.* rule of tests/test_permissions.py's table, for every role, through a bearer token."""
    agreement = agreement_of(small_register.board)  # the editor's group: editors may write it
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    endpoints = sorted(e for e in EXPECTED if e.startswith("api."))
    assert len(endpoints) == 15
    bodies = {"POST": {}, "PATCH": {}, "PUT": {}}
    party = agreement.party_links[0].organisation_id
    ids = {"agreement_id": agreement.id, "group_id": small_register.board.id, "party_id": party}
    for endpoint in endpoints:
        args = {name: ids[name] for name in rules[endpoint].arguments}
        url = url_for(endpoint, **args)
        for method, level in EXPECTED[endpoint].items():
            for role in ROLES:
                with subtests.test(endpoint=endpoint, method=method, role=role):
                    response = small_api[role].open(url, method, bodies.get(method))
                    assert response.mimetype == "application/json"
                    if role in WHO[level]:
                        # A stored document's upload takes multipart/form-data: the JSON body is a 415.
                        expected = {415} if endpoint == "api.upload_document" else {200, 201, 422}
                        assert response.status_code in expected, response.get_data(as_text=True)[:300]
                    elif role == "anonymous":
                        error_of(response, 401)
                        assert response.headers["WWW-Authenticate"].startswith("Bearer")
                    else:
                        error_of(response, 403)


def test_the_session_cookie_does_not_open_the_api(small_register, client):
    """A logged-in browser is anonymous to the API: cross-site requests carry no credentials."""
    assert client.get("/agreements").status_code == 200
    error_of(client.get("/api/v1/agreements"), 401)
    error_of(client.post("/api/v1/agreements", json=new_agreement(small_register.board.id)), 401)


def test_the_api_needs_no_csrf_token_but_the_token_page_does(app, small_register, small_api):
    app.config["WTF_CSRF_ENABLED"] = True
    response = small_api["admin"].post("/api/v1/agreements", new_agreement(small_register.board.id))
    assert response.status_code == 201
    browser = client_as(app, "viewer")
    assert browser.post("/account/tokens", data={"name": "utan CSRF"}).status_code == 400
    assert not ApiToken.select().where(ApiToken.name == "utan CSRF").exists()


def test_editors_write_only_their_own_groups_agreements(small_register, small_api):
    editor = small_api["editor"]
    board, team = small_register.board.id, small_register.team.id  # the editor sits on the board
    own, other = agreement_of(board), agreement_of(team)

    changed = editor.patch(f"/api/v1/agreements/{own.id}", {"notes": "Ändrad via API:t"})
    assert changed.status_code == 200 and changed.get_json()["notes"] == "Ändrad via API:t"
    assert Agreement.get_by_id(own.id).notes == "Ändrad via API:t"

    error = error_of(editor.patch(f"/api/v1/agreements/{own.id}", {"responsible_group_id": team}), 422)
    assert error["fields"] == {"responsible_group_id": "Du kan bara registrera avtal för grupper du tillhör."}
    assert Agreement.get_by_id(own.id).responsible_group_id == board

    before = Agreement.get_by_id(other.id)
    error_of(editor.patch(f"/api/v1/agreements/{other.id}", {"notes": "Kapad"}), 403)
    review = {"reviewed_on": "2026-11-20", "outcome": "terminated", "reviewer_name": "Någon"}
    error_of(editor.post(f"/api/v1/agreements/{other.id}/reviews", review), 403)
    after = Agreement.get_by_id(other.id)
    assert (after.notes, after.status) == (before.notes, before.status)

    count = Agreement.select().count()
    error = error_of(editor.post("/api/v1/agreements", new_agreement(team)), 422)
    assert error["fields"] == {"responsible_group_id": "Du kan bara registrera avtal för grupper du tillhör."}
    assert Agreement.select().count() == count
    assert editor.post("/api/v1/agreements", new_agreement(board)).status_code == 201
    # The admin writes every group's agreements.
    assert small_api["admin"].patch(f"/api/v1/agreements/{other.id}", {"notes": "Admin"}).status_code == 200


def test_me_tells_the_token_its_role_and_groups(small_register, small_api):
    me = small_api["editor"].get("/api/v1/me").get_json()
    editor = small_api["editor"].user
    assert me == {
        "id": editor.id,
        "email": editor.email,
        "name": editor.name,
        "role": "editor",
        "group_ids": [small_register.board.id],
    }
    assert small_api["viewer"].get("/api/v1/me").get_json()["role"] == "viewer"


# --- tokens --------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_revoked_deactivated_or_unknown_tokens_are_refused(app, small_api):
    viewer, token = small_api["viewer"].user, small_api["viewer"].token
    row = ApiToken.get(ApiToken.user == viewer.id)
    assert row.token_hash == tokens.hash_token(token) and len(row.token_hash) == 64
    assert token not in {r.token_hash for r in ApiToken.select()}
    assert row.last_used_at is None

    assert Api(app, token).get("/api/v1/agreements").status_code == 200
    assert ApiToken.get_by_id(row.id).last_used_at is not None

    for header in ("Bearer", "Bearer ", f"Basic {token}", f"Bearer {token}x", "Bearer " + "x" * 5000, token):
        error_of(app.test_client().get("/api/v1/agreements", headers={"Authorization": header}), 401)

    User.update(is_active=False).where(User.id == viewer.id).execute()
    error_of(Api(app, token).get("/api/v1/agreements"), 401)
    User.update(is_active=True).where(User.id == viewer.id).execute()
    assert Api(app, token).get("/api/v1/agreements").status_code == 200

    assert tokens.revoke_token(ApiToken.get_by_id(row.id)) is True
    assert tokens.revoke_token(ApiToken.get_by_id(row.id)) is False
    error_of(Api(app, token).get("/api/v1/agreements"), 401)
    entries = AuditEntry.select().where(AuditEntry.entity == "api_token").order_by(AuditEntry.id)
    assert [e.action for e in entries if e.entity_id == row.id] == ["create", "delete"]


def test_the_token_page_creates_shows_once_and_revokes(app, small_api):
    browser = client_as(app, "viewer")
    user = browser.user
    page = browser.get("/account/tokens")
    assert page.status_code == 200 and "Inga nycklar ännu." in page.get_data(as_text=True)

    assert browser.post("/account/tokens", data={"name": "  "}).status_code == 422
    made = browser.post("/account/tokens", data={"name": "Rapportskript"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    row = ApiToken.get((ApiToken.user == user.id) & (ApiToken.name == "Rapportskript"))
    shown = html.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert tokens.hash_token(shown) == row.token_hash
    assert Api(app, shown).get("/api/v1/me").get_json()["email"] == user.email
    again = browser.get("/account/tokens").get_data(as_text=True)
    assert "Rapportskript" in again and shown not in again

    # Someone else's token cannot be revoked from this account; an unknown id neither.
    admins = ApiToken.get(ApiToken.user == small_api["admin"].user.id)
    assert browser.post("/account/tokens/revoke", data={"token_id": str(admins.id)}).status_code == 404
    assert browser.post("/account/tokens/revoke", data={"token_id": "99999999999"}).status_code == 302
    assert ApiToken.get_by_id(admins.id).revoked_at is None

    revoked = browser.post("/account/tokens/revoke", data={"token_id": str(row.id)})
    assert revoked.status_code == 302 and revoked.location.endswith("/account/tokens")
    assert ApiToken.get_by_id(row.id).revoked_at is not None
    error_of(Api(app, shown).get("/api/v1/me"), 401)
    assert small_api["admin"].get("/api/v1/me").status_code == 200
    assert f'id="token-{row.id}"' not in browser.get("/account/tokens").get_data(as_text=True)


def test_an_admin_sees_and_revokes_everyones_tokens_and_the_audit_trail_names_them(app, small_api):
    admin = client_as(app, "admin")
    page = admin.get("/account/tokens").get_data(as_text=True)
    assert "Alla nycklar" in page
    editor = small_api["editor"].user
    assert f"{editor.name} ({editor.email})" in page and "editors skript" in page

    editors = ApiToken.get(ApiToken.user == editor.id)
    assert admin.post("/account/tokens/revoke", data={"token_id": str(editors.id)}).status_code == 302
    assert ApiToken.get_by_id(editors.id).revoked_at is not None
    error_of(small_api["editor"].get("/api/v1/me"), 401)
    assert small_api["viewer"].get("/api/v1/me").status_code == 200

    # The audit trail labels the entity in words, in both languages.
    trail = admin.get("/audit").get_data(as_text=True)
    assert "API-nyckel" in trail
    refresh()  # the test's outer app context keeps the language of the last request
    assert "API token" in admin.get("/audit?lang=en").get_data(as_text=True)
    refresh()

    # Others see only their own, under "Dina nycklar", and the header links to the page.
    viewer = client_as(app, "viewer")
    own = viewer.get("/account/tokens").get_data(as_text=True)
    assert "Dina nycklar" in own and "viewers skript" not in own
    assert 'href="/account/tokens" aria-current="page"' in own
    assert 'href="/account/tokens"' in viewer.get("/").get_data(as_text=True)


def test_create_token_command(small_api, runner):
    result = runner.invoke(args=["create-token", "--email", "ingen@example.org"])
    assert result.exit_code != 0 and "No account" in result.output
    auditor = small_api["auditor"].user
    result = runner.invoke(args=["create-token", "--email", auditor.email.upper()])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert ApiToken.get(ApiToken.token_hash == tokens.hash_token(token)).name == "command line"
    User.update(is_active=False).where(User.id == auditor.id).execute()
    result = runner.invoke(args=["create-token", "--email", auditor.email])
    assert result.exit_code != 0 and "deactivated" in result.output


# --- bad input never gives a 500 -------------------------------------------------


def test_bodies_that_are_not_json_objects(small_api):
    admin = small_api["admin"]
    url = "/api/v1/agreements"
    error_of(admin.post(url, data="{", content_type="application/json"), 400)
    error_of(admin.post(url, data="", content_type="application/json"), 400)
    error_of(admin.post(url, data=b"\xff\xfe{", content_type="application/json"), 400)
    error_of(admin.post(url, data='{"title": NaN}', content_type="application/json"), 400)
    error_of(admin.post(url, data="[" * 100000 + "]" * 100000, content_type="application/json"), 400)
    error_of(admin.post(url, data='{"responsible_group_id": ' + "9" * 5000 + "}", content_type="application/json"), 400)
    error_of(admin.post(url, data="title=x", content_type="application/x-www-form-urlencoded"), 415)
    error_of(admin.post(url, data="{}", content_type="text/plain"), 415)
    error_of(admin.post(url, data=json.dumps({"notes": "x" * (2 * 1024 * 1024)}), content_type="application/json"), 413)
    for body in ([], "text", 12, None, True):
        error = error_of(admin.post(url, data=json.dumps(body), content_type="application/json"), 422)
        assert error["message"] == "Innehållet måste vara ett JSON-objekt ({…}), inte en lista eller ett enskilt värde."


# (changes to a valid new agreement, the field named in the error, its message or None)
INVALID_FIELDS = [
    ({"title": 12}, "title", "Värdet måste vara en text (en JSON-sträng)."),
    ({"title": "a\x00b"}, "title", "Texten innehåller otillåtna tecken, till exempel styrtecken. Ta bort dem."),
    ({"title": "\ud800"}, "title", "Texten innehåller otillåtna tecken, till exempel styrtecken. Ta bort dem."),
    ({"title": "x" * 501}, "title", "Texten är för lång. Den får vara högst 500 tecken."),
    ({"title": ""}, "title", "Fältet får inte vara tomt. Ange en text."),
    ({"title": "   "}, "title", "Titel måste anges."),
    ({"kind": "kontrakt"}, "kind", None),
    (
        {"responsible_group_id": True},
        "responsible_group_id",
        "Värdet är inget heltal. Ange ett heltal, till exempel 6.",
    ),
    ({"responsible_group_id": 1.5}, "responsible_group_id", "Värdet är inget heltal. Ange ett heltal, till exempel 6."),
    ({"responsible_group_id": "1"}, "responsible_group_id", "Värdet är inget heltal. Ange ett heltal, till exempel 6."),
    (
        {"responsible_group_id": 2**63},
        "responsible_group_id",
        "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan 1 och 2147483647.",
    ),
    (
        {"responsible_group_id": 999999},
        "responsible_group_id",
        "Gruppen finns inte i registret. Välj en ansvarig grupp i listan.",
    ),
    ({"responsible_group_id": None}, "responsible_group_id", "Värdet får inte vara null. Ange ett värde."),
    (
        {"party_ids": [1, 2**40]},
        "party_ids[1]",
        "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan 1 och 2147483647.",
    ),
    ({"party_ids": [999999]}, "party_ids", "Det finns ingen part med id 999999 i registret. Välj parter i listan."),
    ({"owner_ids": "1"}, "owner_ids", "Värdet måste vara en lista (en JSON-array), till exempel [1, 2]."),
    (
        {"valid_from": "2026-02-30"},
        "valid_from",
        "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
    ),
    (
        {"valid_from": "20260101"},
        "valid_from",
        "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
    ),
    (
        {"valid_from": "9999-12-31"},
        "valid_from",
        "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
    ),
    ({"valid_from": "2026-01-01", "expires_on": "2025-01-01"}, "expires_on", None),
    ({"review_rule": "FREQ=HOURLY"}, "review_rule", None),
    (
        {"status": "replaced"},
        "replaced_by_id",
        "Ange i Ersatt av vilket avtal som ersätter det här avtalet; det krävs när status är Ersatt.",
    ),
    ({"parent_id": 999999}, "parent_id", "Avtalet finns inte i registret. Välj ett avtal i listan."),
    (
        {"expiry_offsets": [0]},
        "expiry_offsets[0]",
        "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan 1 och 3650.",
    ),
    (
        {"overdue_every_days": 366},
        "overdue_every_days",
        "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan 1 och 365.",
    ),
    (
        {"documents": [{"url": "ftp://x"}]},
        "documents",
        "«ftp://x»: Länken måste börja med http:// eller https:// och får inte innehålla mellanslag.",
    ),
    ({"documents": [{"title": "Utan länk"}]}, "documents[0].url", "Fältet saknas men måste anges."),
    ({"colour": "red"}, "colour", "Fältet finns inte i API:t. Kontrollera stavningen mot API-beskrivningen."),
]


def test_invalid_fields_are_422_with_a_message_per_field(small_register, small_api, subtests):
    count = Agreement.select().count()
    for changes, field, message in INVALID_FIELDS:
        with subtests.test(changes=repr(changes)[:80]):
            body = {**new_agreement(small_register.board.id), **changes}
            error = error_of(small_api["admin"].post("/api/v1/agreements", body), 422)
            assert field in error["fields"], error
            if message is not None:
                assert error["fields"][field] == message
    assert Agreement.select().count() == count


def test_a_new_agreement_needs_title_kind_and_group_and_case_numbers_are_unique(small_register, small_api):
    admin, board = small_api["admin"], small_register.board.id
    error = error_of(admin.post("/api/v1/agreements", {}), 422)
    assert set(error["fields"]) == {"title", "kind", "responsible_group_id"}
    first = admin.post("/api/v1/agreements", new_agreement(board, case_number="RJL 2026/1"))
    assert first.status_code == 201
    error = error_of(admin.post("/api/v1/agreements", new_agreement(board, case_number="RJL 2026/1")), 422)
    assert error["fields"] == {
        "case_number": "Diarienumret finns redan på ett annat avtal. Ange avtalets eget diarienummer."
    }


def test_patch_changes_only_the_fields_given(small_register, small_api):
    admin = small_api["admin"]
    created = admin.post(
        "/api/v1/agreements",
        new_agreement(
            small_register.board.id,
            party_ids=[o.id for o in small_register.organisations],
            expires_on="2028-12-31",
            expiry_offsets=[90, 30],
            documents=[{"url": "https://example.org/a.pdf"}],
        ),
    ).get_json()
    url = f"/api/v1/agreements/{created['id']}"
    changed = admin.patch(url, {"title": "Nytt namn", "review_offsets": [30]}).get_json()
    assert changed["title"] == "Nytt namn" and changed["review_offsets"] == [30]
    for key in ("parties", "expires_on", "expiry_offsets", "documents", "kind", "responsible_group"):
        assert changed[key] == created[key], key
    assert admin.patch(url, {}).get_json()["title"] == "Nytt namn"
    cleared = admin.patch(url, {"expires_on": None, "documents": [], "expiry_offsets": []}).get_json()
    assert (cleared["expires_on"], cleared["documents"], cleared["expiry_offsets"]) == (None, [], [])
    error = error_of(admin.patch(url, {"parent_id": created["id"]}), 422)
    assert error["fields"] == {"parent_id": "Ett avtal kan inte hänvisa till sig självt. Välj ett annat avtal."}


def test_reviews_are_checked_by_the_domains_rules(small_register, small_api):
    admin = small_api["admin"]
    body = new_agreement(small_register.board.id, expires_on="2027-06-30")
    agreement = admin.post("/api/v1/agreements", body).get_json()
    url = f"/api/v1/agreements/{agreement['id']}/reviews"
    error = error_of(admin.post(url, {}), 422)
    assert set(error["fields"]) == {"reviewed_on", "outcome"}
    cases = [
        ({"reviewed_on": "2026-12-01", "outcome": "unchanged", "reviewer_name": "X"}, "reviewed_on"),
        ({"reviewed_on": "2026-11-01", "outcome": "unchanged"}, "reviewer_name"),
        ({"reviewed_on": "2026-11-01", "outcome": "extended", "reviewer_name": "X"}, "new_expires_on"),
        ({"reviewed_on": "2026-11-01", "outcome": "unchanged", "reviewer_id": 999999}, "reviewer_id"),
        ({"reviewed_on": "2026-11-01", "outcome": "gillad", "reviewer_name": "X"}, "outcome"),
    ]
    for body, field in cases:
        assert field in error_of(admin.post(url, body), 422)["fields"], body
    extended = admin.post(
        url, {"reviewed_on": "2026-11-01", "outcome": "extended", "new_expires_on": "2029-06-30", "reviewer_name": "X"}
    )
    assert extended.status_code == 201
    assert Agreement.get_by_id(agreement["id"]).expires_on == datetime.date(2029, 6, 30)


def test_unknown_ids_and_addresses_are_json_404s(small_api):
    admin = small_api["admin"]
    for url in (
        "/api/v1/agreements/999999",
        "/api/v1/agreements/0",
        "/api/v1/agreements/99999999999999999999999",
        "/api/v1/agreements/abc",
        "/api/v1/agreements/-1",
        "/api/v1/nothing",
        "/api/v2/agreements",
        "/api",
    ):
        error_of(admin.get(url), 404)
    error_of(admin.patch("/api/v1/agreements/999999", {"notes": "x"}), 404)
    error_of(admin.post("/api/v1/agreements/999999/reviews", {"outcome": "unchanged"}), 404)
    response = admin.open("/api/v1/agreements", "DELETE")
    error_of(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    # The web keeps its pages.
    assert "text/html" in admin.get("/no-such-page").content_type


def test_server_errors_and_an_unreachable_database_are_json(app, small_api, monkeypatch):
    from registry import errors
    from registry.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(views.serialise, "organisation", broken)
    error = error_of(small_api["admin"].get("/api/v1/organisations"), 500)
    assert "bug" not in error["message"]

    from peewee import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect")

    monkeypatch.setattr(views.serialise, "organisation", unreachable)
    monkeypatch.setattr(errors, "database_answers", lambda: False)
    error_of(small_api["admin"].get("/api/v1/organisations"), 503)


# --- reading: filters, pagination, deadlines, the structure -----------------------------


def ids_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [item["id"] for item in response.get_json()["items"]]


def test_filters_match_the_register(api):
    viewer = api["viewer"]
    aldre = group_id(ALDRE)
    everything = viewer.get("/api/v1/agreements?per_page=200").get_json()
    assert everything["total"] == Agreement.select().count() == len(everything["items"])

    def expect(query, condition):
        wanted = {a.id for a in Agreement.select() if condition(a)}
        got = ids_of(viewer.get(f"/api/v1/agreements?per_page=200&{query}"))
        assert set(got) == wanted and wanted, query

    contributing = {a.id for a in Agreement.select() if aldre in {link.group_id for link in a.contributor_links}}
    expect(f"group={aldre}", lambda a: a.responsible_group_id == aldre or a.id in contributing)
    kommun = Organisation.get(Organisation.name == "Habo kommun")
    parties = {p.agreement_id for p in AgreementParty.select().where(AgreementParty.organisation == kommun)}
    expect(f"party={kommun.id}", lambda a: a.id in parties)
    expect("kind=strategi", lambda a: a.kind == "strategi")
    expect("status=under_revision", lambda a: a.status == "under_revision")
    expect("expires_before=2026-12-31", lambda a: a.expires_on and a.expires_on <= datetime.date(2026, 12, 31))
    expect("expires_after=2026-12-31", lambda a: a.expires_on and a.expires_on >= datetime.date(2026, 12, 31))
    expect(
        "review_due_before=2026-06-30", lambda a: a.next_review_on and a.next_review_on <= datetime.date(2026, 6, 30)
    )
    expect("q=HJÄLPMEDEL", lambda a: "hjälpmedel" in (a.title + a.short_name + a.description).lower())
    expect("deadline=expires_soon", lambda a: a.expires_on and TODAY <= a.expires_on <= TODAY + datetime.timedelta(90))
    assert ids_of(viewer.get("/api/v1/agreements?q=finns+inte+alls")) == []
    assert ids_of(viewer.get("/api/v1/agreements?q=100%25")) == []
    assert ids_of(viewer.get("/api/v1/agreements?q=%00")) == ids_of(viewer.get("/api/v1/agreements"))
    assert ids_of(viewer.get("/api/v1/agreements?expires_before=2026-01-01&expires_after=2027-01-01")) == []
    # Unknown parameters (and the language switch) are ignored.
    assert viewer.get("/api/v1/agreements?lang=en&colour=red").status_code == 200


def test_pagination_and_sorting(api):
    viewer = api["viewer"]
    total = Agreement.select().count()
    first = viewer.get("/api/v1/agreements?per_page=5").get_json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 5, total, -(-total // 5))
    pages = [ids_of(viewer.get(f"/api/v1/agreements?per_page=5&page={n}")) for n in range(1, first["pages"] + 1)]
    flat = [i for page in pages for i in page]
    assert len(flat) == len(set(flat)) == total
    assert viewer.get("/api/v1/agreements").get_json()["per_page"] == 50
    beyond = viewer.get(f"/api/v1/agreements?page={first['pages'] + 1}&per_page=5").get_json()
    assert beyond["items"] == [] and beyond["total"] == total
    by_expiry = viewer.get("/api/v1/agreements?sort=expires_on&desc=true&per_page=200").get_json()["items"]
    dates = [a["expires_on"] for a in by_expiry if a["expires_on"]]
    assert dates == sorted(dates, reverse=True) and by_expiry[0]["expires_on"] is not None
    titles = [a["title"] for a in viewer.get("/api/v1/agreements?per_page=200").get_json()["items"]]
    assert titles[0] <= titles[-1]
    for query, field in (
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=١", "page"),
        ("page=1_0", "page"),
        ("page=" + "9" * 40, "page"),
        ("group=0", "group"),
        ("group=", "group"),
        ("kind=kontrakt", "kind"),
        ("status=gammal", "status"),
        ("sort=colour", "sort"),
        ("desc=1", "desc"),
        ("expires_before=2026-13-01", "expires_before"),
        ("expires_after=idag", "expires_after"),
        ("review_due_before=2026-1-1", "review_due_before"),
        ("q=" + "x" * 201, "q"),
    ):
        error = error_of(viewer.get(f"/api/v1/agreements?{query}"), 422)
        assert field in error["fields"], query


def test_deadlines_in_a_window(api):
    viewer = api["viewer"]
    default = viewer.get("/api/v1/deadlines").get_json()
    expected = []
    horizon = TODAY + datetime.timedelta(days=90)
    for a in Agreement.select().where(Agreement.status.in_(("in_force", "under_revision"))):
        for kind, due in (("expiry", a.expires_on), ("review", a.next_review_on)):
            if due and TODAY <= due <= horizon:
                expected.append((a.id, kind, due.isoformat()))
    assert sorted((d["agreement"]["id"], d["kind"], d["due_on"]) for d in default["items"]) == sorted(expected)
    assert default["total"] == len(expected) >= 1
    lakar = agreement("Läkaruppdrag")
    item = next(d for d in default["items"] if d["agreement"]["id"] == lakar.id)
    reko = Group.get(Group.name == "ReKo")
    reko_ref = {"id": reko.id, "name": "ReKo", "short_name": ""}
    # ReKo meets the second Friday of each month except July; fourteen parties must adopt, so the
    # decision was due at the last meeting 90 days before the expiry, and that meeting has been held.
    assert item == {
        "kind": "expiry",
        "title": None,
        "due_on": "2026-12-31",
        "days_left": 38,
        "overdue": False,
        "deciding_meeting": {
            "group": reko_ref,
            "meets_on": "2026-09-11",
            "material_due_on": "2026-08-28",
            "decide_by": "2026-10-02",
            "late": True,
        },
        "meeting_plan_problem": None,
        "agreement": {
            "id": lakar.id,
            "title": lakar.title,
            "short_name": "Läkaruppdrag",
            "status": "in_force",
            "responsible_group": {"id": lakar.responsible_group_id, "name": "ReKo", "short_name": ""},
        },
    }

    # A plan that ends before the decide-by day picks no meeting: it says so.
    reko.meeting_rule = "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12;UNTIL=20260630"
    reko.save()
    short = next(d for d in viewer.get("/api/v1/deadlines").get_json()["items"] if d["agreement"]["id"] == lakar.id)
    assert short["deciding_meeting"] is None
    assert short["meeting_plan_problem"] == {
        "code": "plan_too_short",
        "group": reko_ref,
        "decide_by": "2026-10-02",
        "message": "ReKo:s mötesplan räcker inte till 2026-10.",
    }
    # A single meeting after the decide-by day makes it reach: the last meeting on or before it decides.
    GroupMeeting.create(group=reko, meets_on=datetime.date(2026, 12, 11))
    meeting = next(d for d in viewer.get("/api/v1/deadlines").get_json()["items"] if d["agreement"]["id"] == lakar.id)
    assert (meeting["deciding_meeting"]["meets_on"], meeting["deciding_meeting"]["material_due_on"]) == (
        "2026-06-12",
        "2026-05-29",
    )

    whole = viewer.get("/api/v1/deadlines?from=1900-01-01&to=2999-12-31&per_page=200").get_json()
    reviews = viewer.get("/api/v1/deadlines?from=1900-01-01&to=2999-12-31&kind=review&per_page=200").get_json()
    assert {d["kind"] for d in reviews["items"]} == {"review"}
    assert whole["total"] > reviews["total"] > 0
    due = [d["due_on"] for d in whole["items"]]
    assert due == sorted(due)
    assert any(d["overdue"] for d in whole["items"])
    aldre = group_id(ALDRE)
    in_group = viewer.get(f"/api/v1/deadlines?from=1900-01-01&to=2999-12-31&group={aldre}").get_json()["items"]
    assert lakar.id in {d["agreement"]["id"] for d in in_group}  # Äldre contributes to Läkaruppdrag
    assert viewer.get("/api/v1/deadlines?from=2027-01-01&to=2026-01-01").get_json()["items"] == []
    assert viewer.get("/api/v1/deadlines?from=9999-12-31").status_code == 200
    two = viewer.get("/api/v1/deadlines?from=1900-01-01&to=2999-12-31&per_page=2&page=2").get_json()
    assert [d["due_on"] for d in two["items"]] == due[2:4]
    for query in ("from=2026-02-30", "to=x", "kind=meeting", "group=-3", "per_page=500"):
        error_of(viewer.get(f"/api/v1/deadlines?{query}"), 422)


def test_groups_organisations_and_people(api):
    viewer = api["viewer"]
    groups = viewer.get("/api/v1/groups").get_json()
    assert groups["total"] == Group.select().count() == len(groups["items"])
    forum = next(g for g in groups["items"] if g["name"] == "Kommunalt forum")
    assert forum["chair"]["name"] == "Ordförande Kommunalt forum"
    assert forum["meetings"] == []  # its demo meetings are in the past
    GroupMeeting.create(group=forum["id"], meets_on=datetime.date(2027, 2, 5), note="Vårmötet")
    forum = next(g for g in viewer.get("/api/v1/groups").get_json()["items"] if g["id"] == forum["id"])
    assert forum["meetings"] == [{"meets_on": "2027-02-05", "note": "Vårmötet", "planned_by": "extra"}]
    assert (forum["meeting_rule"], forum["meeting_rule_text"]) == ("", "Ingen fast mötesplan")
    reko = next(g for g in groups["items"] if g["name"] == "ReKo")
    assert reko["meeting_rule"] == "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"
    assert reko["meeting_rule_text"] == "Andra fredagen varje månad utom juli"
    assert reko["reports_to_id"] == forum["id"]
    # The next 365 days from 2026-11-23: eleven meetings, none in July.
    assert [m["meets_on"] for m in reko["meetings"]][:3] == ["2026-12-11", "2027-01-08", "2027-02-12"]
    assert len(reko["meetings"]) == 11 and not any(m["meets_on"][5:7] == "07" for m in reko["meetings"])
    assert {m["planned_by"] for m in reko["meetings"]} == {"rule"}

    organisations = viewer.get("/api/v1/organisations").get_json()["items"]
    assert organisations[0]["kind"] == "region" and len(organisations) == Organisation.select().count()
    people = viewer.get("/api/v1/people").get_json()
    assert people["total"] == Person.select().count()
    assert {"id", "name", "email", "title", "organisation_id", "is_active"} == set(people["items"][0])


def test_one_agreement_shows_reviews_parties_owners_and_deadlines(api):
    strategy = agreement("E-hälsostrategin")
    record_review(
        strategy, {"reviewed_on": datetime.date(2026, 1, 15), "outcome": "unchanged", "reviewer_name": "Rådet"}, TODAY
    )
    detail = api["viewer"].get(f"/api/v1/agreements/{strategy.id}").get_json()
    assert detail["kind"] == "strategi" and detail["review_rule"] == "FREQ=YEARLY;INTERVAL=3"
    assert detail["decision_body"]["id"] == strategy.decision_body_id
    assert [r["reviewed_on"] for r in detail["reviews"]] == ["2026-01-15"]
    assert detail["reviews"][0]["reviewer"] is None and detail["reviews"][0]["reviewer_name"] == "Rådet"
    assert detail["deadlines"] == [
        {
            "kind": "review",
            "title": None,
            "due_on": "2029-01-15",
            "days_left": (datetime.date(2029, 1, 15) - TODAY).days,
            "overdue": False,
            # ReKo adopts the strategy: its last meeting 90 days before the follow-up (fourteen parties).
            "deciding_meeting": {
                "group": {"id": strategy.decision_body_id, "name": "ReKo", "short_name": ""},
                "meets_on": "2028-10-13",
                "material_due_on": "2028-09-29",
                "decide_by": "2028-10-17",
                "late": False,
            },
            "meeting_plan_problem": None,
        }
    ]
    assert len(detail["parties"]) == AgreementParty.select().where(AgreementParty.agreement == strategy).count()
    assert detail["created_at"].endswith("Z")


# --- the OpenAPI document -----------------------------------------------------------


def _api_routes(app):
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", f"{{{name}}}")
            found.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return found


def test_the_openapi_document_lists_every_api_route_and_nothing_else():
    app = make_app("sqlite:///:memory:")
    response = app.test_client().get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == _api_routes(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            endpoint = f"api.{operation['operationId']}"
            assert endpoint in EXPECTED and method.upper() in EXPECTED[endpoint], (path, method)
            public = EXPECTED[endpoint][method.upper()] == "public"
            assert (operation.get("security") == []) == public
            assert ("401" in operation["responses"]) != public
            if "{agreement_id}" in path:
                assert "404" in operation["responses"]
            if method in ("post", "patch", "put"):
                assert {"400", "403", "415", "422"} <= set(operation["responses"])
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_every_schema_in_the_document_is_one_the_checks_understand():
    """The request checks and the document share the schemas; no keyword may be silently ignored."""
    with make_app("sqlite:///:memory:").test_request_context():
        document = openapi.document()
        samples = {
            "NewAgreement": {"title": "x", "kind": "avtal", "responsible_group_id": 1},
            "AgreementChanges": {},
            "NewReview": {"reviewed_on": "2026-01-01", "outcome": "unchanged"},
        }
        for name, sample in samples.items():
            _value, errors = validation.check(COMPONENTS[name], sample, COMPONENTS)
            assert errors == {}, name

        def walk(schema):
            if isinstance(schema, dict):
                assert not set(schema) - validation.KNOWN_KEYWORDS - {"additionalProperties"}, schema
                for key, value in schema.items():
                    if key in ("properties",):
                        for item in value.values():
                            walk(item)
                    elif key in ("items", "additionalProperties"):
                        walk(value)

        for schema in document["components"]["schemas"].values():
            walk(schema)
        for item in document["paths"].values():
            for operation in item.values():
                for parameter in operation.get("parameters", ()):
                    walk(parameter["schema"])


def test_a_bearer_header_does_not_log_into_the_web(app, small_api):
    token = small_api["admin"].token
    response = app.test_client().get("/agreements", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302 and "/login" in response.location
