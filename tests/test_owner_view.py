"""An owner's view (issue 12, items 1 and 2): a person named as an owner sees their agreements
first, filters the list by owner, and (with an editor account) acts on agreements they own
whichever group is responsible, on the web and through the API alike."""

import datetime
import re

from registry.domain import tokens
from registry.models import Agreement, AgreementOwner, Group, Person, Review
from tests.factories import Api, api_client, client_as, client_for, make_agreement, make_user, update_agreement
from tests.html import section, text


def _owner_editor(register):
    """An editor account of the register's owner (Olle Ägare, in the team), who owns the
    board's expiring agreement without sitting on the board."""
    return make_user("editor", person=register.owner, groups=[register.team])


# --- item 2: owners act on their agreements -----------------------------------------


def test_an_owning_editor_updates_and_reviews_another_groups_agreement_through_the_api(app, small_register):
    reg = small_register
    owner = _owner_editor(reg)
    assert reg.expiring.responsible_group_id == reg.board.id
    _row, token = tokens.create_token(owner, "ägarens skript")
    api = Api(app, token, owner)
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"notes": "Följs upp av ägaren."})
    assert response.status_code == 200, response.get_json()
    stored = Agreement.get_by_id(reg.expiring.id)
    assert (stored.notes, stored.responsible_group_id) == ("Följs upp av ägaren.", reg.board.id)
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.board.id})
    assert response.status_code == 200  # keeping the board responsible
    before = Review.select().where(Review.agreement == reg.expiring.id).count()
    response = api.post(
        f"/api/v1/agreements/{reg.expiring.id}/reviews",
        {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Olle Ägare"},
    )
    assert response.status_code == 201, response.get_json()
    assert Review.select().where(Review.agreement == reg.expiring.id).count() == before + 1
    # Handing it to their own group is allowed; after that the board is a group they are not in.
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.team.id})
    assert response.status_code == 200
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.board.id})
    assert response.status_code == 422
    assert Agreement.get_by_id(reg.expiring.id).responsible_group_id == reg.team.id


def test_an_editor_who_is_not_an_owner_is_still_refused(app, small_register):
    reg = small_register
    update_agreement(reg.expiring, owners=[reg.chair])  # Olle no longer owns it
    Agreement.update(responsible_group=reg.board).where(Agreement.id == reg.expiring.id).execute()
    editor = api_client(app, "editor", groups=[reg.team])
    response = editor.patch(f"/api/v1/agreements/{reg.expiring.id}", {"notes": "Kapad"})
    assert response.status_code == 403
    assert "ägare" in response.get_json()["error"]["message"]
    response = editor.post(
        f"/api/v1/agreements/{reg.expiring.id}/reviews", {"reviewed_on": "2026-11-20", "outcome": "unchanged"}
    )
    assert response.status_code == 403
    assert Agreement.get_by_id(reg.expiring.id).notes != "Kapad"
    assert datetime.date(2026, 11, 20) not in [r.reviewed_on for r in Review.select()]


# --- item 1: the owner's view ---------------------------------------------------------


def _mine(response):
    return section(response, "mine-heading")


def _register_with_deadlines(reg):
    """Besides the small register: an overdue review Olle owns on the board's side, an expired
    agreement of the board he has nothing to do with, and a third party's agreement."""
    late_review = make_agreement(
        title="Överenskommelse om hemsjukvård",
        responsible_group=reg.board,
        owners=[reg.owner],
        valid_from=datetime.date(2024, 1, 1),
        review_rule="FREQ=YEARLY;INTERVAL=1",
    )
    Agreement.update(next_review_on=datetime.date(2026, 10, 1)).where(Agreement.id == late_review.id).execute()
    not_his = make_agreement(
        title="Avtal om tolktjänst",
        responsible_group=reg.board,
        owners=[reg.chair],
        valid_from=datetime.date(2020, 1, 1),
        expires_on=datetime.date(2026, 6, 30),
    )
    return late_review, not_his


def test_an_owner_sees_their_agreements_first_on_the_dashboard(app, small_register):
    reg = small_register
    late_review, not_his = _register_with_deadlines(reg)
    client = client_as(app, "viewer", person=reg.owner)
    page = text(client.get("/"))
    # First: before the register's figures and its own overdue list.
    assert page.index('id="mine-heading"') < page.index('id="status-heading"') < page.index('id="overdue-heading"')
    mine = _mine(page)
    assert "3 avtal där du är ägare" in mine  # expiring, yearly, the late review
    assert 'href="/agreements?owner=me"' in mine
    assert f'href="/agreements?group={reg.team.id}"' in mine and "Arbetsgruppen: 3 avtal" in mine
    overdue, upcoming = mine.split('id="mine-heading"')[1].split("Kommande")
    assert "Överenskommelse om hemsjukvård" in overdue and "2026-10-01" in overdue
    assert "Läkarinsatser" in upcoming and "2026-12-31" in upcoming
    assert "Avtal om tolktjänst" not in mine  # the board's, but neither his nor his group's
    # ... while the whole register's overdue list still has it.
    assert "Avtal om tolktjänst" in section(page, "overdue-heading")
    # The way to change the password stays here.
    assert 'href="/account/password"' in mine


def test_the_header_name_leads_to_the_owners_view(app, small_register):
    client = client_as(app, "editor", person=small_register.owner, groups=[small_register.team], name="Olle Ägare")
    page = text(client.get("/agreements"))
    account = page[page.index('<div class="account">') :]
    link = re.search(r'<a href="([^"]*)"[^>]*>Olle Ägare</a>', account)
    assert link and link.group(1) == "/#mina-avtal"
    assert 'id="mina-avtal"' in text(client.get(link.group(1).split("#")[0]))


def test_an_account_without_a_person_is_told_so(app, small_register, client):
    mine = _mine(client.get("/"))  # the admin: no person
    assert "Ditt konto är inte kopplat till någon person i registret" in mine
    assert "avtal där du är ägare" not in mine


def test_the_list_filters_by_owner(app, small_register):
    reg = small_register
    late_review, not_his = _register_with_deadlines(reg)
    client = client_as(app, "viewer", person=reg.owner)

    def titles(url, status=200):
        response = client.get(url)
        assert response.status_code == status, url
        return set(re.findall(r'<a href="/agreements/\d+">([^<]+)</a>', text(response))), text(response)

    olles = {reg.expiring.title, reg.yearly.title, late_review.title}
    assert titles("/agreements?owner=me")[0] == olles
    assert titles(f"/agreements?owner={reg.owner.id}")[0] == olles
    assert "Avtal där du är ägare." in titles("/agreements?owner=me")[1]
    assert titles(f"/agreements?owner={reg.chair.id}")[0] == {reg.yearly.title, not_his.title}
    assert "Avtal där Cecilia Ordförande är ägare." in titles(f"/agreements?owner={reg.chair.id}")[1]
    # Combined with the other filters, and kept in the form.
    found, page = titles(f"/agreements?owner=me&group={reg.board.id}")
    assert found == {reg.expiring.title, late_review.title}
    assert re.search(r'<option value="me" selected>Jag \(Olle Ägare\)</option>', page)
    # Bad values are said, never silently dropped.
    for value, message in (
        ("abc", "Ägare anges som en persons id (ett heltal) eller me för dig själv"),
        ("-1", "Ägare anges som en persons id"),
        ("99999", "Det finns ingen person med id 99999 i registret. Välj en ägare i listan."),
    ):
        found, page = titles(f"/agreements?owner={value}", status=400)
        assert found == set() and message in page, value
        assert 'href="/agreements"' in page  # the way back: the list without the owner filter
    admin = client_as(app, "admin")
    response = admin.get("/agreements?owner=me")
    assert response.status_code == 400
    assert "Ditt konto är inte kopplat till någon person i registret" in text(response)


def test_pages_of_an_owner_filtered_list_keep_the_filter(app, small_register):
    reg = small_register
    for n in range(3):
        make_agreement(title=f"Ägt avtal {n}", responsible_group=reg.board, owners=[reg.owner])
    app.config["PAGE_SIZE"] = 2
    client = client_as(app, "viewer", person=reg.owner)
    page = text(client.get("/agreements?owner=me"))
    assert 'href="/agreements?owner=me&amp;page=2"' in page


def test_the_api_filters_by_owner_as_the_web_list_does(app, small_register):
    reg = small_register
    late_review, _ = _register_with_deadlines(reg)
    api = api_client(app, "viewer", person=reg.owner)
    web = client_as(app, "viewer", person=reg.owner)

    def api_ids(value):
        response = api.get(f"/api/v1/agreements?owner={value}&per_page=100")
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    def web_ids(value):
        return {
            int(i) for i in re.findall(r'<a href="/agreements/(\d+)">', text(web.get(f"/agreements?owner={value}")))
        }

    olles = {reg.expiring.id, reg.yearly.id, late_review.id}
    assert api_ids("me") == web_ids("me") == olles
    assert api_ids(reg.chair.id) == web_ids(reg.chair.id)
    assert reg.chair.id and api_ids(reg.chair.id) != olles
    for value in ("abc", "99999"):
        response = api.get(f"/api/v1/agreements?owner={value}")
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"]["owner"]
    response = api_client(app, "viewer").get("/api/v1/agreements?owner=me")  # no person
    assert response.status_code == 422
    assert "inte kopplat till någon person" in response.get_json()["error"]["fields"]["owner"]
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    listing = next(ops["get"] for path, ops in paths.items() if path.endswith("/agreements"))
    parameters = {p["name"] for p in listing["parameters"]}
    assert "owner" in parameters


def test_the_demo_owner_sees_her_agreements_first(seeded, app):
    """beredning.aldre@example.org owns Läkaruppdrag (ReKo's): it opens her dashboard, and the
    register's overdue items of other groups are not in her section."""
    person = Person.get(Person.email == "beredning.aldre@example.org")
    user = make_user("editor", person=person, groups=[Group.get(Group.name == "Strategigrupp Äldre")])
    client = client_for(app, user)
    mine = _mine(client.get("/"))
    assert "Läkaruppdrag" in mine
    owned = {a.id for a in Agreement.select().join(AgreementOwner).where(AgreementOwner.person == person.id)}
    listed = {int(i) for i in re.findall(r'<a href="/agreements/(\d+)">', text(client.get("/agreements?owner=me")))}
    assert listed == owned and owned
    lakar = Agreement.get(Agreement.short_name == "Läkaruppdrag")
    assert client.get(f"/agreements/{lakar.id}/reviews/new").status_code == 200
