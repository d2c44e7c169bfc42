"""Who may do what: every route, every method, every role, against a table kept here.

The table below is the documented design (docs and registry/permissions.py's
docstring), written out again on purpose: adding a route without deciding who
may use it, or changing a rule, makes these tests fail until the table is
updated too. Each role is tried on a seeded database shared through `subtests`.
"""

import datetime
import re
from urllib.parse import parse_qs, urlparse

from flask import url_for

from registry import permissions
from registry.domain import directory, indicators, users
from registry.domain.agreements import record_review
from registry.models import Agreement, Group, GroupMeeting, Organisation, Person, Review, User
from tests.conftest import make_app
from tests.factories import (
    ROLES,
    agreement_form,
    agreement_of,
    client_for,
    make_stored_document,
    make_user,
    one_of_each_role,
    update_agreement,
)
from tests.html import field_error, form_fields, text

# Which roles each level lets in ("anonymous" = not logged in).
WHO = {
    "public": {"anonymous", "viewer", "editor", "auditor", "admin"},
    "login": {"viewer", "editor", "auditor", "admin"},
    "read": {"viewer", "editor", "auditor", "admin"},
    "read_all": {"editor", "auditor", "admin"},
    "audit": {"auditor", "admin"},
    "edit": {"editor", "admin"},
    "admin": {"admin"},
}

# endpoint -> {method: level}. Every route of the app except `static` must be here.
EXPECTED = {
    "auth.login": {"GET": "public", "POST": "public"},
    "auth.logout": {"POST": "login"},
    "auth.password": {"GET": "login", "POST": "login"},
    "auth.reset_request": {"GET": "public", "POST": "public"},
    "auth.reset": {"GET": "public", "POST": "public"},
    # Single sign-on: the provider's button, its answer and its logout (before and after a login).
    "sso.start": {"GET": "public"},
    "sso.callback": {"GET": "public"},
    "sso.provider_logout": {"GET": "public"},
    "main.dashboard": {"GET": "read"},
    "main.favicon": {"GET": "public"},  # a redirect to the icon under /static
    "accessibility.statement": {"GET": "public"},  # the accessibility statement, linked from every footer
    "agreements.index": {"GET": "read"},
    "agreements.show": {"GET": "read"},
    "agreements.create": {"GET": "edit", "POST": "edit"},
    "agreements.edit": {"GET": "edit", "POST": "edit"},
    "agreements.new_review": {"GET": "edit", "POST": "edit"},
    "agreements.record_adoption": {"GET": "edit", "POST": "edit"},  # one party's decision
    # The agreement's indicators (can_edit_agreement): add, change, delete or retire.
    "agreements.new_indicator": {"GET": "edit", "POST": "edit"},
    "agreements.edit_indicator": {"GET": "edit", "POST": "edit"},
    "agreements.remove_indicator": {"POST": "edit"},
    "agreements.upload_document": {"POST": "edit"},  # a stored document or its next version
    "agreements.download_document": {"GET": "read"},  # audited; never without a login
    # An agreement's revision: read like the agreement, changed by those who may edit it.
    "revisions.show": {"GET": "read"},
    "revisions.start": {"GET": "edit", "POST": "edit"},
    "revisions.edit": {"GET": "edit", "POST": "edit"},
    "revisions.abandon": {"POST": "edit"},
    "revisions.add_step": {"POST": "edit"},
    "revisions.update_step": {"POST": "edit"},
    "revisions.send_consultation": {"POST": "edit"},
    "revisions.record_answers": {"POST": "edit"},
    "revisions.create_successor": {"POST": "edit"},
    "groups.index": {"GET": "read"},
    "groups.show": {"GET": "read"},
    "groups.report": {"GET": "read"},  # the yearly follow-up report upward
    "groups.report_docx": {"GET": "read"},  # the same as a Word document
    "groups.create": {"GET": "admin", "POST": "admin"},
    "groups.edit": {"GET": "admin", "POST": "admin"},
    "groups.add_meeting": {"POST": "admin"},
    "groups.cancel_meeting": {"POST": "admin"},  # a day the group's meeting rule plans
    "groups.delete_meeting": {"POST": "admin"},
    # A meeting's page; its agenda is changed by editors who sit in the group and admins.
    "meetings.show": {"GET": "read"},
    "meetings.agenda_docx": {"GET": "read"},
    "meetings.add_item": {"POST": "edit"},
    "meetings.remove_item": {"POST": "edit"},
    "meetings.restore_item": {"POST": "edit"},
    "meetings.move_item": {"POST": "edit"},
    "meetings.decisions": {"POST": "edit"},
    "organisations.index": {"GET": "read"},
    "organisations.show": {"GET": "read"},
    "organisations.create": {"GET": "admin", "POST": "admin"},
    "organisations.edit": {"GET": "admin", "POST": "admin"},
    "people.index": {"GET": "read"},
    "people.show": {"GET": "read"},
    "people.create": {"GET": "admin", "POST": "admin"},
    "people.edit": {"GET": "admin", "POST": "admin"},
    # Removing a person who has left, and handing what they answer for to someone else first.
    "people.remove": {"GET": "admin", "POST": "admin"},
    "people.hand_over": {"POST": "admin"},
    "users.index": {"GET": "admin"},
    "users.create": {"GET": "admin", "POST": "admin"},
    "users.edit": {"GET": "admin", "POST": "admin"},
    "users.end_sessions": {"POST": "admin"},
    "reminders.status": {"GET": "audit"},
    "audit.index": {"GET": "audit"},
    "audit.export": {"GET": "audit"},
    "reports.index": {"GET": "read_all"},
    "reports.show": {"GET": "read_all"},
    "reports.export": {"GET": "audit"},
    "mailbox.index": {"GET": "admin"},
    "mailbox.show": {"GET": "admin"},
    "mailbox.html": {"GET": "admin"},
    "feeds.feed": {"GET": "public"},  # the secret address is the key; calendar clients have no session
    "feeds.manage": {"GET": "login", "POST": "login"},
    "feeds.revoke": {"POST": "login"},
    "account.language": {"POST": "login"},
    "health.healthz": {"GET": "public"},  # monitoring; reveals no secrets (tests/test_health.py)
    "spreadsheets.export": {"GET": "audit"},
    "spreadsheets.upload": {"GET": "admin", "POST": "admin"},
    "spreadsheets.commit": {"POST": "admin"},
    # The JSON API takes bearer tokens only: tests/test_api.py runs this table through tokens.
    "api.openapi": {"GET": "public"},
    "api.me": {"GET": "read"},
    "api.list_agreements": {"GET": "read"},
    "api.create_agreement": {"POST": "edit"},
    "api.get_agreement": {"GET": "read"},
    "api.update_agreement": {"PATCH": "edit"},
    "api.create_review": {"POST": "edit"},
    "api.put_adoption": {"PUT": "edit"},
    "api.upload_document": {"POST": "edit"},  # multipart/form-data
    "api.list_deadlines": {"GET": "read"},
    "api.list_groups": {"GET": "read"},
    "api.update_group": {"PATCH": "admin"},  # the meeting plan, as on the group page
    "api.list_meetings": {"GET": "read"},
    "api.list_organisations": {"GET": "read"},
    "api.list_people": {"GET": "read"},
    "api_tokens.manage": {"GET": "login", "POST": "login"},
    "api_tokens.revoke": {"POST": "login"},
    "acknowledge.confirm": {"GET": "login"},  # "Vi arbetar med det" from an overdue notice
    "acknowledge.record": {"POST": "login"},
    # A stored version's publication mark; the public register: published agreements only, no login.
    "agreements.publish_version": {"POST": "edit"},
    "public.index": {"GET": "public"},
    "public.show": {"GET": "public"},
    "public.print_list": {"GET": "public"},
    "public.download": {"GET": "public"},
    "public.agreements_csv": {"GET": "public"},
    "public.agreements_json": {"GET": "public"},
    "public.embed": {"GET": "public"},
}

# What an allowed request answers (everything else allowed answers 200 to GET and 302/422 to POST).
ALLOWED_GET = {"auth.reset": 302}  # an invalid token sends the visitor to ask for a new link
# "x" is no identity provider
ALLOWED_GET["sso.start"] = ALLOWED_GET["sso.callback"] = ALLOWED_GET["sso.provider_logout"] = 404
ALLOWED_GET["feeds.feed"] = 404  # "x" is no feed's secret: unknown addresses are a plain 404
ALLOWED_GET["health.healthz"] = 503  # no scheduler runs in the test: unhealthy, and says so
ALLOWED_GET["acknowledge.confirm"] = 404  # "x" is no signed deadline
ALLOWED_GET["mailbox.html"] = 404  # x.eml has no HTML part
ALLOWED_GET["main.favicon"] = 301  # to the SVG icon under /static
ALLOWED_GET["public.download"] = 404  # the version is not published
ALLOWED_GET["revisions.edit"] = 302  # no revision is open yet: to the revision page, which says so
ALLOWED_POST = {
    "auth.logout": {302},
    "auth.reset": {302},
    "groups.add_meeting": {302},  # errors are flashed on the group page
    "groups.cancel_meeting": {302},  # likewise
    "groups.delete_meeting": {302},  # only the admin may, and deletes the meeting
    "acknowledge.record": {404},  # "x" is no signed deadline
    "agreements.remove_indicator": {302},  # it has a value: retired, again and again
}

ALDRE = "Strategigrupp Äldre"
BARN = "Strategigrupp Barn och unga"


# --- helpers ----------------------------------------------------------------


def new_agreement(group, **changes):
    values = {"title": "Överenskommelse skapad av behörighetstesterna", "valid_from": datetime.date(2026, 1, 1)}
    return agreement_form(**{**values, "responsible_group": group, **changes})


def _indicator_with_a_value(agreement):
    """An indicator of the agreement that a follow-up recorded a value of: removing it retires it."""
    indicator = indicators.save(agreement, {"name": "Andel med SIP", "unit": "%", "target": "50"})
    review = {"reviewed_on": datetime.date(2026, 3, 1), "outcome": "unchanged", "reviewer_name": "Äldre"}
    record_review(agreement, {**review, "indicator_values": {indicator.id: "41,5"}}, datetime.date(2026, 11, 23))
    return indicator


def _app_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


# --- the table itself ---------------------------------------------------------


def test_every_route_is_in_the_table_with_its_methods():
    app = make_app("sqlite:///:memory:")
    assert set(EXPECTED) == _app_endpoints(app), "a route was added or removed: decide who may use it"
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        assert methods == set(EXPECTED[rule.endpoint]), rule.endpoint
        for method in methods:
            # The app's own rules must say the same as the documented design.
            assert permissions.level_for(rule.endpoint, method) == EXPECTED[rule.endpoint][method], (
                rule.endpoint,
                method,
            )
    assert permissions.level_for("static", "GET") == "public"
    assert permissions.level_for("no.such.endpoint", "GET") is None
    for level, roles in WHO.items():
        if level == "public":
            assert permissions.ROLE_LEVELS[level] is None
        else:
            assert permissions.ROLE_LEVELS[level] == roles
    # The auditor reads everything and changes nothing but their own session and password.
    for endpoint, methods in EXPECTED.items():
        if methods.get("POST") not in (None, "public", "login"):
            assert "auditor" not in WHO[methods["POST"]], endpoint


def test_a_refusal_shows_a_page_in_swedish(viewer_client):
    response = viewer_client.get("/users")
    assert response.status_code == 403
    assert '<html lang="sv">' in text(response)
    assert "Forbidden" not in text(response)


def test_a_route_without_a_rule_is_refused(app, client, anonymous):
    app.add_url_rule("/unruled", "unruled", lambda: "secret")
    assert client.get("/unruled").status_code == 403
    assert anonymous.get("/unruled").status_code == 403
    assert "secret" not in text(client.get("/unruled"))


# --- the matrix, the templates and editors' groups, on one seeded database ----


def test_permissions_on_the_demo_register(seeded, subtests, tmp_path):
    """One seeded database per backend: the whole matrix first, then cases that change data."""
    app = seeded
    sink = tmp_path / "mail"
    sink.mkdir()
    (sink / "x.eml").write_text("From: a@example.org\nTo: b@example.org\nSubject: Hej\n\nText\n", encoding="utf-8")
    app.config["MAIL_SINK_DIR"] = str(sink)
    who = one_of_each_role([Group.get(Group.name == ALDRE)])  # the editor sits in Strategigrupp Äldre
    _check_matrix(app, who, subtests)
    _check_templates(app, who, subtests)
    _check_editor(app, who["editor"], subtests)


def _check_matrix(app, who, subtests):
    agreement = agreement_of(ALDRE)
    meeting = GroupMeeting.select().order_by(GroupMeeting.id).first()
    stored = make_stored_document(agreement)
    ids = {
        "document_id": stored.document.id,
        "number": stored.version.number,
        "agreement_id": agreement.id,
        "meeting_id": meeting.id,
        "key": "expiring",
        "fmt": "csv",
        "token": "x",
        "name": "x.eml",
        "party_id": agreement.party_links[0].organisation_id,
        "indicator_id": _indicator_with_a_value(agreement).id,
        # A meeting of the editor's own group: its agenda is theirs to change.
        "day": directory.add_meeting(Group.get(Group.name == ALDRE), datetime.date(2027, 2, 3)).meets_on.isoformat(),
    }
    pk_for = {
        "groups": meeting.group_id,
        "meetings": Group.get(Group.name == ALDRE).id,
        "organisations": Organisation.select().first().id,
        "people": Person.select().first().id,
        "users": who["viewer"].id,
    }
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert set(EXPECTED) == set(rules) - {"static"}

    observed = {}
    for endpoint in sorted(EXPECTED):
        if endpoint.startswith("api."):  # bearer tokens, not sessions: checked in tests/test_api.py
            continue
        rule = rules[endpoint]
        args = {name: ids[name] if name != "pk" else pk_for[endpoint.split(".")[0]] for name in rule.arguments}
        url = url_for(endpoint, **args)
        for method, level in EXPECTED[endpoint].items():
            for role in ROLES:  # the admin goes last: its posts may change data (delete a meeting)
                with subtests.test(endpoint=endpoint, method=method, role=role):
                    response = client_for(app, who[role]).open(url, method=method, data={})
                    status = response.status_code
                    observed[endpoint, method, role] = status
                    if role in WHO[level]:
                        assert status not in (401, 403), text(response)[:300]
                        if status == 302:
                            assert "/login?next=" not in response.location
                        if method == "GET":
                            assert status == ALLOWED_GET.get(endpoint, 200)
                        else:
                            assert status in ALLOWED_POST.get(endpoint, {302, 422})
                    elif role == "anonymous":
                        if method == "GET":
                            assert status == 302
                            target = urlparse(response.location)
                            assert target.path == "/login"
                            assert parse_qs(target.query)["next"] == [url]
                        else:
                            assert status == 401
                    else:
                        assert status == 403

    with subtests.test("the auditor changes nothing"):
        posts = {k: v for k, v in observed.items() if k[1] == "POST" and k[2] == "auditor"}
        changing = {k: v for k, v in posts.items() if EXPECTED[k[0]]["POST"] not in ("public", "login")}
        # + spreadsheets upload, commit; + a party's decision
        # + the agenda's five changes (add, remove, restore, move, decisions)
        # + an indicator's three (add, change, remove); + a stored document's upload
        # + a revision's eight (start, edit, abandon, add and change a step, remiss, answers, successor)
        # + removing a person and handing over what they answer for, + a stored version's publication mark,
        # + an account's "log out everywhere"
        assert len(changing) == 14 + 2 + 1 + 5 + 3 + 1 + 8 + 2 + 1 + 1 and set(changing.values()) == {403}
        forms = {
            k: v
            for k, v in observed.items()
            if k[2] == "auditor"
            and k[1] == "GET"
            and k[0].endswith((".create", ".edit", ".new_review", ".record_adoption"))
        }
        assert len(forms) == 13 and set(forms.values()) == {403}  # + the revision's edit form

    with subtests.test("static files are public"):
        response = app.test_client().get("/static/app.css")
        response.close()
        assert response.status_code == 200


def _check_templates(app, who, subtests):
    """Buttons and menu entries appear only for those who may use them."""
    group = Group.get(Group.name == ALDRE)
    agreement = agreement_of(group)
    edit_link = f'href="/agreements/{agreement.id}/edit"'
    review_link = f'href="/agreements/{agreement.id}/reviews/new"'
    nav = {"/reports": "read_all", "/reminders": "audit", "/audit": "audit", "/users": "admin"}
    for role in ("viewer", "editor", "auditor", "admin"):
        with subtests.test("templates", role=role):
            client = client_for(app, who[role])
            page = text(client.get(f"/agreements/{agreement.id}"))
            may_edit = role in ("editor", "admin")
            assert (edit_link in page) == may_edit
            assert ("Redigera" in page) == may_edit
            assert (review_link in page) == may_edit
            assert ('href="/agreements/new"' in text(client.get("/agreements"))) == may_edit
            assert (f'href="/groups/{group.id}/edit"' in text(client.get(f"/groups/{group.id}"))) == (role == "admin")
            dashboard = text(client.get("/"))
            for path, level in nav.items():
                assert (f'href="{path}"' in dashboard) == (role in WHO[level]), path


def _check_editor(app, editor, subtests):
    """An editor in Strategigrupp Äldre edits Äldre's agreements, and no other group's."""
    aldre = Group.get(Group.name == ALDRE)
    barn = Group.get(Group.name == BARN)
    assert users.group_ids(editor) == {aldre.id}
    own, other = agreement_of(aldre), agreement_of(barn)
    client = client_for(app, editor)

    with subtests.test("editor edits their own group's agreement"):
        fields = form_fields(client, f"/agreements/{own.id}/edit")
        fields["notes"] = "Ändrad av redaktören för Äldre."
        response = client.post(f"/agreements/{own.id}/edit", data=fields)
        assert response.status_code == 302
        assert response.location.endswith(f"/agreements/{own.id}")
        assert Agreement.get_by_id(own.id).notes == "Ändrad av redaktören för Äldre."
        assert client.get(f"/agreements/{own.id}/reviews/new").status_code == 200

    with subtests.test("editor cannot hand their agreement to another group"):
        fields = form_fields(client, f"/agreements/{own.id}/edit")
        fields["responsible_group"] = str(barn.id)
        response = client.post(f"/agreements/{own.id}/edit", data=fields)
        assert response.status_code == 422
        assert field_error(response, "responsible_group") == "Du kan bara registrera avtal för grupper du tillhör."
        assert Agreement.get_by_id(own.id).responsible_group_id == aldre.id

    with subtests.test("editor is refused another group's agreement"):
        before = Agreement.get_by_id(other.id)
        reviews = Review.select().where(Review.agreement == other).count()
        assert client.get(f"/agreements/{other.id}/edit").status_code == 403
        hijack = new_agreement(barn, title=before.title, notes="Kapad")
        assert client.post(f"/agreements/{other.id}/edit", data=hijack).status_code == 403
        assert client.get(f"/agreements/{other.id}/reviews/new").status_code == 403
        review = {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Någon"}
        assert client.post(f"/agreements/{other.id}/reviews/new", data=review).status_code == 403
        after = Agreement.get_by_id(other.id)
        assert (after.notes, after.status, after.next_review_on) == (before.notes, before.status, before.next_review_on)
        assert Review.select().where(Review.agreement == other).count() == reviews
        page = text(client.get(f"/agreements/{other.id}"))
        assert f'href="/agreements/{other.id}/edit"' not in page and "Redigera" not in page

    with subtests.test("editor creates agreements only for their own groups"):
        form = text(client.get("/agreements/new"))
        select = re.search(r'<select[^>]*name="responsible_group".*?</select>', form, re.S).group(0)
        assert re.findall(r'<option[^>]*value="(\d+)"', select) == [str(aldre.id)]
        count = Agreement.select().count()
        reko = Group.get(Group.name == "ReKo")
        response = client.post("/agreements/new", data=new_agreement(reko))
        assert response.status_code == 422
        assert field_error(response, "responsible_group") == "Du kan bara registrera avtal för grupper du tillhör."
        assert Agreement.select().count() == count
        response = client.post("/agreements/new", data=new_agreement(aldre))
        assert response.status_code == 302
        created = Agreement.get(Agreement.title == "Överenskommelse skapad av behörighetstesterna")
        assert created.responsible_group_id == aldre.id
        assert Agreement.select().count() == count + 1

    with subtests.test("an editor named as owner edits and reviews another group's agreement"):
        # Läkaruppdrag: ReKo is responsible; its owner gets its reminders and must be able to act on them.
        reko = Group.get(Group.name == "ReKo")
        owned = Agreement.get(Agreement.short_name == "Läkaruppdrag")
        assert owned.responsible_group_id == reko.id and reko.id not in users.group_ids(editor)
        assert client.get(f"/agreements/{owned.id}/edit").status_code == 403
        assert not permissions.can_edit_agreement(editor, owned)
        owners = [link.person_id for link in owned.owner_links]
        update_agreement(owned, owners=[*owners, editor.person_id])
        assert permissions.can_edit_agreement(editor, owned)
        page = text(client.get(f"/agreements/{owned.id}"))
        assert f'href="/agreements/{owned.id}/edit"' in page and f'href="/agreements/{owned.id}/reviews/new"' in page
        fields = form_fields(client, f"/agreements/{owned.id}/edit")
        assert fields["responsible_group"] == str(reko.id)  # ReKo stays among the choices
        fields["notes"] = "Ändrad av ägaren utanför ReKo."
        response = client.post(f"/agreements/{owned.id}/edit", data=fields)
        assert response.status_code == 302, field_error(response, "responsible_group")
        after = Agreement.get_by_id(owned.id)
        assert (after.notes, after.responsible_group_id) == ("Ändrad av ägaren utanför ReKo.", reko.id)
        # ... but may not hand it to a third group they do not sit in.
        fields["responsible_group"] = str(barn.id)
        response = client.post(f"/agreements/{owned.id}/edit", data=fields)
        assert response.status_code == 422
        assert field_error(response, "responsible_group") == "Du kan bara registrera avtal för grupper du tillhör."
        assert Agreement.get_by_id(owned.id).responsible_group_id == reko.id
        reviews = Review.select().where(Review.agreement == owned).count()
        assert client.get(f"/agreements/{owned.id}/reviews/new").status_code == 200
        review = form_fields(client, f"/agreements/{owned.id}/reviews/new")
        review.update({"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Ägaren"})
        response = client.post(f"/agreements/{owned.id}/reviews/new", data=review)
        assert response.status_code == 302
        assert Review.select().where(Review.agreement == owned).count() == reviews + 1
        # No longer an owner: refused again.
        update_agreement(owned, owners=owners)
        assert client.get(f"/agreements/{owned.id}/edit").status_code == 403
        assert client.get(f"/agreements/{owned.id}/reviews/new").status_code == 403

    with subtests.test("an owning viewer or auditor still changes nothing"):
        for role in ("viewer", "auditor"):
            person = Person.get_by_id(editor.person_id)
            reader = make_user(role, person=person)
            update_agreement(other, owners=[person.id])
            assert not permissions.can_edit_agreement(reader, other)
            assert client_for(app, reader).get(f"/agreements/{other.id}/edit").status_code == 403
        update_agreement(other, owners=[])

    with subtests.test("moving the editor to another group moves the right with them"):
        users.save_user(
            {"email": editor.email, "name": editor.name, "role": "editor", "groups": [barn.id]},
            User.get_by_id(editor.id),
        )
        assert client.get(f"/agreements/{own.id}/edit").status_code == 403
        assert client.get(f"/agreements/{other.id}/edit").status_code == 200

    with subtests.test("a deactivated account is treated as logged out"):
        User.update(is_active=False).where(User.id == editor.id).execute()
        response = client.get(f"/agreements/{other.id}/edit")
        assert response.status_code == 302 and "/login" in response.location
        assert client.post(f"/agreements/{other.id}/edit", data={}).status_code == 401
