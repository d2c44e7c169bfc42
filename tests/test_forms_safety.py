"""Forms that cannot lose data (issue 12, item 3): link fields as checkbox lists, a save that removes
parties or owners asks first, creating forms are safe to submit twice, and bad filter values are said."""

import re
import threading

import pytest

from registry.models import (
    Agreement,
    AgreementOwner,
    AgreementParty,
    AuditEntry,
    Group,
    GroupMeeting,
    Organisation,
    Person,
    Review,
)

from .factories import client_as, client_for, make_organisation
from .html import FormReader, form_fields, text


def _party_ids(agreement):
    return sorted(link.organisation_id for link in AgreementParty.select().where(AgreementParty.agreement == agreement))


def _owner_ids(agreement):
    return sorted(link.person_id for link in AgreementOwner.select().where(AgreementOwner.agreement == agreement))


# --- the chooser ------------------------------------------------------------


def test_link_fields_are_checkbox_lists_showing_what_is_chosen(small_register, client):
    agreement = small_register.expiring
    page = text(client.get(f"/agreements/{agreement.id}/edit"))
    assert "<select multiple" not in page and 'multiple id="parties"' not in page
    for name in ("parties", "owners", "contributing_groups"):
        assert re.search(rf'<fieldset class="field choices[^"]*" id="{name}"', page), name
    # Every party is a ticked checkbox, and the summary above the list names them.
    for org in small_register.organisations:
        assert re.search(rf'name="parties"[^>]*value="{org.id}" checked', page), org.name
    summary = re.search(r'id="parties-summary"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "Valda (2)" in summary and "Region Testlän" in summary and "Testby kommun" in summary
    assert 'name="parties-all"' in page and "Alla kommuner i länet" in page
    assert "choices.js" in page  # the enhancement is a static file (no inline script under the CSP)
    assert "<script>" not in page


def test_saving_the_form_unchanged_keeps_every_link(small_register, client):
    agreement = small_register.expiring
    before = (_party_ids(agreement), _owner_ids(agreement))
    data = form_fields(client, f"/agreements/{agreement.id}/edit")
    assert sorted(map(int, data["parties"])) == before[0]
    response = client.post(f"/agreements/{agreement.id}/edit", data=data)
    assert response.status_code == 302, text(response)
    assert (_party_ids(agreement), _owner_ids(agreement)) == before


def test_all_municipalities_in_one_action_without_javascript(small_register, client):
    other = make_organisation("Andra kommun")
    make_organisation("Ett bolag", kind="other")
    data = small_register.agreement_form(parties=[small_register.region])
    data["parties-all"] = "1"
    response = client.post("/agreements/new", data=data)
    assert response.status_code == 302, text(response)
    created = Agreement.select().order_by(Agreement.id.desc()).get()
    # The region chosen by hand, and every organisation of kind municipality, nothing else.
    assert _party_ids(created) == sorted([small_register.region.id, small_register.town.id, other.id])


def test_without_the_all_box_only_the_ticked_parties_are_saved(small_register, client):
    make_organisation("Andra kommun")
    response = client.post("/agreements/new", data=small_register.agreement_form(parties=[small_register.town]))
    assert response.status_code == 302
    assert _party_ids(Agreement.select().order_by(Agreement.id.desc()).get()) == [small_register.town.id]


# --- removing links asks first ---------------------------------------------------


def test_removing_parties_or_owners_is_confirmed_before_it_is_stored(small_register, client):
    agreement = small_register.expiring
    url = f"/agreements/{agreement.id}/edit"
    data = form_fields(client, url)
    data["parties"] = [str(small_register.region.id)]  # Testby kommun goes
    data["owners"] = []  # and the only owner
    before = (_party_ids(agreement), _owner_ids(agreement))

    response = client.post(url, data=data)
    assert response.status_code == 409
    page = text(response)
    assert "Ändringarna är inte sparade" in page
    warning = page[page.index('id="removal"') : page.index("</div>", page.index('id="removal"'))]
    assert "Testby kommun" in warning and "Olle Ägare" in warning and "Region Testlän" not in warning
    assert (_party_ids(agreement), _owner_ids(agreement)) == before
    # The re-shown form keeps what was posted: the confirming post is the same form plus the box.
    reader = FormReader()
    reader.feed(page)
    assert reader.fields["parties"] == [str(small_register.region.id)]
    key = re.search(r'name="confirm_removal" value="([^"]+)"', page).group(1)

    # A confirm box for another removal does not count.
    assert client.post(url, data={**data, "confirm_removal": "parties:999"}).status_code == 409
    assert (_party_ids(agreement), _owner_ids(agreement)) == before

    response = client.post(url, data={**data, "confirm_removal": key})
    assert response.status_code == 302, text(response)
    assert _party_ids(agreement) == [small_register.region.id]
    assert _owner_ids(agreement) == []


def test_adding_links_needs_no_confirmation(small_register, client):
    agreement = small_register.open_ended
    url = f"/agreements/{agreement.id}/edit"
    data = form_fields(client, url)
    data["parties"] = [str(o.id) for o in small_register.organisations]
    assert client.post(url, data=data).status_code == 302
    assert _party_ids(agreement) == sorted(o.id for o in small_register.organisations)


# --- creating forms are safe to submit twice ------------------------------------------


def _review_post(**changes):
    return {
        "reviewed_on": "2026-11-20",
        "outcome": "unchanged",
        "reviewer": "",
        "reviewer_name": "ReKo",
        "decision_ref": "ReKo 2026-11-20 § 7",
        "new_expires_on": "",
        "notes": "Inga ändringar.",
        **changes,
    }


def _reviews(agreement):
    return Review.select().where(Review.agreement == agreement).count()


def test_a_review_sent_twice_is_stored_once(small_register, client):
    agreement = small_register.yearly
    url = f"/agreements/{agreement.id}/reviews/new"
    entries = AuditEntry.select().count()
    first = client.post(url, data=_review_post())
    second = client.post(url, data=_review_post())
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith(f"/agreements/{agreement.id}")
    assert _reviews(agreement) == 1
    assert "formuläret skickades två gånger" in text(client.get(second.headers["Location"]))
    assert AuditEntry.select().count() - entries == 2  # the review and the agreement's new date, once
    # A different review is a new one, and the same one from another person is theirs.
    assert client.post(url, data=_review_post(notes="Andra mötet.")).status_code == 302
    assert _reviews(agreement) == 2


def test_an_extension_sent_twice_is_stored_once_although_the_first_moved_the_end_date(small_register, client):
    agreement = small_register.expiring  # ends 2026-12-31
    url = f"/agreements/{agreement.id}/reviews/new"
    post = _review_post(outcome="extended", new_expires_on="2027-12-31")
    first, second = (client.post(url, data=post) for _ in range(2))
    assert first.status_code == second.status_code == 302, text(second)
    assert _reviews(agreement) == 1
    page = text(client.get(second.headers["Location"]))
    assert "formuläret skickades två gånger" in page and "message-error" not in page
    # The same extension again with another date is a real error, said beside the field.
    refused = client.post(url, data=_review_post(outcome="extended", new_expires_on="2027-06-30"))
    assert refused.status_code == 422 and "måste ligga efter det nuvarande, 2027-12-31" in text(refused)


def test_two_identical_reviews_at_the_same_moment_are_stored_once(app, small_register, client):
    agreement = small_register.yearly
    url = f"/agreements/{agreement.id}/reviews/new"
    start = threading.Barrier(2)
    statuses = []

    def post():
        start.wait()
        statuses.append(client_for(app, client.user).post(url, data=_review_post()).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    assert _reviews(agreement) == 1


def test_an_agreement_sent_twice_is_registered_once(small_register, client):
    data = small_register.agreement_form(title="Dubbelklickat avtal")
    first = client.post("/agreements/new", data=data)
    second = client.post("/agreements/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert Agreement.select().where(Agreement.title == "Dubbelklickat avtal").count() == 1


@pytest.mark.parametrize(
    ("url", "data", "count"),
    [
        (
            "/groups/new",
            {"name": "Ny grupp", "kind": "working", "parent": "", "chair": "", "lead_time_days": "14"},
            lambda: Group.select().where(Group.name == "Ny grupp").count(),
        ),
        (
            "/organisations/new",
            {"name": "Nyby kommun", "kind": "municipality"},
            lambda: Organisation.select().where(Organisation.name == "Nyby kommun").count(),
        ),
        (
            "/people/new",
            {"name": "Nina Ny", "email": "Nina.Ny@example.org", "reminder_delivery": "digest"},
            lambda: Person.select().where(Person.email == "nina.ny@example.org").count(),
        ),
    ],
)
def test_directory_creates_sent_twice_make_one_row_and_lead_to_it(small_register, client, url, data, count):
    first, second = (client.post(url, data=data) for _ in range(2))
    assert count() == 1
    assert first.status_code == second.status_code == 302, text(second)
    assert first.headers["Location"] == second.headers["Location"]
    page = text(client.get(second.headers["Location"]))
    assert "formuläret skickades två gånger" in page and "message-error" not in page
    # Someone else naming the same one is told it exists: it is not their twin.
    other = client_as(client.application, "admin", email="annan.admin@example.org")
    refused = other.post(url, data=data)
    assert refused.status_code == 422 and count() == 1


def test_an_account_sent_twice_is_made_once(app, client):
    from registry.models import User

    data = {"name": "Kim Konto", "email": "kim.konto@example.org", "role": "viewer", "is_active": "y",
            "password": "ett-langt-losenord-2026"}  # fmt: skip
    first, second = (client.post("/users/new", data=data) for _ in range(2))
    assert User.select().where(User.email == "kim.konto@example.org").count() == 1
    assert first.status_code == second.status_code == 302, text(second)
    assert first.headers["Location"] == second.headers["Location"]
    assert "formuläret skickades två gånger" in text(client.get(second.headers["Location"]))


def test_a_meeting_sent_twice_is_added_once(small_register, client):
    meeting = {"meets_on": "2027-02-01", "note": "Möte"}
    url = f"/groups/{small_register.team.id}/meetings"
    first, second = (client.post(url, data=meeting) for _ in range(2))
    assert GroupMeeting.select().where(GroupMeeting.group == small_register.team).count() == 1
    page = text(client.get(second.headers["Location"]))
    assert "Mötet var redan tillagt" in page and "Gruppen har redan ett möte" not in page


# --- filters say what they cannot use ------------------------------------------------


def test_bad_report_filters_get_a_message(seeded, client):
    page = text(client.get("/reports/expiring", query_string={"days": "abc"}))
    assert "«abc» är inte ett heltal" in page
    page = text(client.get("/reports/expiring", query_string={"from": "2027-02-01", "to": "2027-01-01"}))
    assert "Från-datumet 2027-02-01 ligger efter till-datumet 2027-01-01" in page
    page = text(client.get("/reports/expiring", query_string={"from": "1/2 2027"}))
    assert "«1/2 2027» är inte ett datum. Skriv datum som ÅÅÅÅ-MM-DD" in page
    assert "message-error" not in text(client.get("/reports/expiring", query_string={"days": "30"}))


def test_expiring_report_window_is_calendar_months(small_register, client):
    # Today is 2026-11-23 in the tests: six months end on 2027-05-23, and an agreement expiring
    # that day is in the window (180 days would end on 2027-05-22).
    from .factories import make_agreement

    make_agreement(title="Upphör sista dagen", responsible_group=small_register.board, expires_on="2027-05-23")

    def shown(page):
        return re.sub(r"<[^>]+>", "", page)  # the dates are <time> elements

    page = text(client.get("/reports/expiring"))
    assert "2026-11-23 till 2027-05-23" in shown(page)
    assert "Upphör sista dagen" in page
    page = text(client.get("/reports/expiring", query_string={"months": "1"}))
    assert "2026-11-23 till 2026-12-23" in shown(page) and "Upphör sista dagen" not in page


def test_audit_trail_filters_by_agreement_title_and_says_what_it_cannot_use(small_register, client):
    page = text(client.get("/audit", query_string={"title": "LÄKARINSATSER i testlän"}))
    rows = re.findall(r'href="/agreements/(\d+)">#', page)
    assert rows and set(rows) == {str(small_register.expiring.id)}
    assert 'name="title" value="LÄKARINSATSER i testlän"' in page
    assert "Inga ändringar registrerade." in text(client.get("/audit", query_string={"title": "finns inte"}))
    page = text(client.get("/audit", query_string={"from": "2026-12-01", "to": "2026-11-01"}))
    assert "Från-datumet 2026-12-01 ligger efter till-datumet 2026-11-01" in page
    assert "«igår» är inte ett datum" in text(client.get("/audit", query_string={"to": "igår"}))
    assert "ska vara ett heltal" in text(client.get("/audit", query_string={"agreement": "tolv"}))


def test_bad_agreement_list_filters_get_a_message(small_register, client):
    page = text(client.get("/agreements", query_string={"group": "abc", "status": "gammal", "sort": "färg"}))
    assert "Ansvarig grupp: «abc» är inget nummer i listan och har inte använts." in page
    assert "Status: «gammal» är inget av listans val och har inte använts." in page
    assert "Sortering: «färg» är inget av listans val" in page
    page = text(client.get("/agreements", query_string={"group": str(small_register.board.id), "status": "in_force"}))
    assert "har inte använts" not in page


# --- in Chromium, with the Content-Security-Policy in force ----------------------------------


@pytest.mark.browser
def test_chooser_in_chromium_ticks_all_municipalities_filters_and_keeps_the_rest(tmp_path):
    from playwright.sync_api import expect

    from registry.domain import users
    from tests.browser import OUTPUT, chromium, log_in, seeded_app, served

    password = "ett-långt-lösenord-för-test"

    def admin():
        users.save_user({"email": "val@test.example.org", "name": "Val", "role": "admin", "password": password})

    app = seeded_app(tmp_path / "c.db", admin)
    OUTPUT.mkdir(exist_ok=True)
    with served(app) as base, chromium() as browser:
        for width in (390, 1366):
            page = browser.new_page(viewport={"width": width, "height": 900}, locale="sv-SE")
            page.goto(f"{base}/agreements/new")
            log_in(page, "val@test.example.org", password)
            page.goto(f"{base}/agreements/new")
            parties = page.locator("#parties")
            region = parties.get_by_label("Region Jönköpings län")
            region.check()
            # The script (a static file under script-src 'self') made the box a button.
            parties.get_by_role("button", name="Alla kommuner i länet").click()
            municipalities = parties.locator("input[data-kind=municipality]")
            assert municipalities.count() == 13
            for i in range(13):
                expect(municipalities.nth(i)).to_be_checked()
            expect(region).to_be_checked()  # the click added, it took nothing away
            expect(page.locator("#parties-summary")).to_contain_text("Valda (14)")
            # The filter box shows the matching ones; the others stay chosen.
            page.get_by_placeholder("Sök bland parter").fill("eksjö")
            expect(parties.get_by_label("Eksjö kommun")).to_be_visible()
            expect(parties.get_by_label("Aneby kommun")).to_be_hidden()
            expect(page.locator("#parties-summary")).to_contain_text("Aneby kommun")
            # With the keyboard: Space on a focused box changes that box only.
            parties.get_by_label("Eksjö kommun").focus()
            page.keyboard.press("Space")
            expect(parties.get_by_label("Eksjö kommun")).not_to_be_checked()
            expect(page.locator("#parties-summary")).to_contain_text("Valda (13)")
            page.get_by_placeholder("Sök bland parter").fill("")
            parties.screenshot(path=str(OUTPUT / f"forms-parties-{width}.png"))
            page.close()
