"""Calendar feeds: every feed is fetched as a calendar client would and parsed back with icalendar.

Clients subscribe without a session, so feeds are fetched with a client that
never logged in. Each check looks at the events themselves: UID, DTSTART,
SUMMARY, DESCRIPTION, SEQUENCE.
"""

import datetime
import re
from datetime import date

import pytest
from icalendar import Calendar

from registry import permissions
from registry.domain import directory, feeds, schedule
from registry.domain.agreements import record_review
from registry.models import (
    Agreement,
    AgreementOwner,
    AuditEntry,
    FeedToken,
    Group,
    GroupMeeting,
    Person,
    User,
    utcnow,
)
from tests.factories import agreement, client_as, make_agreement
from tests.factories import update_agreement as change
from tests.html import text

BASE = "https://registret.example.org"
HOST = "registret.example.org"
LAKAR_TITLE = "Läkaruppdrag och medicinsk samverkan"
URL_PATTERN = re.compile(r'value="(https://registret\.example\.org/feeds/([A-Za-z0-9_-]+)\.ics)"')


# --- helpers ----------------------------------------------------------------


def create_via_page(client, scope):
    """Make a feed through the page, as a user would; return its https address and path."""
    before = set(URL_PATTERN.findall(text(client.get("/account/feeds"))))
    response = client.post("/account/feeds", data={"scope": scope})
    assert response.status_code == 302, text(response)[:500]
    after = set(URL_PATTERN.findall(text(client.get("/account/feeds"))))
    (url, token), *rest = after - before
    assert not rest
    return url, f"/feeds/{token}.ics"


def fetch(app, path):
    """GET a feed as a calendar client (no session); return the response and the parsed calendar."""
    response = app.test_client().get(path)
    assert response.status_code == 200, text(response)[:300]
    return response, Calendar.from_ical(response.get_data())


def events(calendar):
    """{UID: VEVENT}; UIDs must be unique within a feed."""
    found = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in found, f"duplicate UID {uid}"
        found[uid] = event
    return found


def start(event):
    return event.decoded("DTSTART")


def uid(agreement, kind):
    return f"agreement-{agreement.id}-{kind}@{HOST}"


def agreement_ids(calendar):
    return {int(re.match(r"agreement-(\d+)-", u).group(1)) for u in events(calendar)}


def lakar():
    return agreement(LAKAR_TITLE)


def backdate(agreement, days=30):
    """Make the agreement's last change lie in the past, as it does between real edits."""
    earlier = utcnow() - datetime.timedelta(days=days)
    Agreement.update(updated_at=earlier, created_at=earlier).where(Agreement.id == agreement.id).execute()


# --- the group feed: done when Läkaruppdrag shows and moves ---------------------


def test_group_feed_shows_lakaruppdrag_and_moves_it(seeded):
    app = seeded
    reko = Group.get(Group.name == "ReKo")
    agreement = lakar()
    backdate(agreement)
    admin = client_as(app, "admin")
    url, path = create_via_page(admin, f"group:{reko.id}")
    assert url == BASE + path

    response, calendar = fetch(app, path)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Set-Cookie" not in response.headers
    assert response.get_data().startswith(b"BEGIN:VCALENDAR\r\n")
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "Överenskommelseregistret – ReKo"
    assert calendar.decoded("REFRESH-INTERVAL") == datetime.timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"

    found = events(calendar)
    expiry = found[uid(agreement, "expiry")]
    assert start(expiry) == date(2026, 12, 31)
    assert expiry["DTSTART"].params["VALUE"] == "DATE"
    assert expiry.decoded("DTEND") == date(2027, 1, 1)
    assert str(expiry["SUMMARY"]) == "Upphör: Läkaruppdrag"
    description = str(expiry["DESCRIPTION"])
    assert description.startswith(agreement.title)
    assert "Ansvarig grupp: ReKo" in description
    assert f"{BASE}/agreements/{agreement.id}" in description
    assert str(expiry["URL"]) == f"{BASE}/agreements/{agreement.id}"
    assert expiry.decoded("DTSTAMP").tzinfo is not None
    first_sequence = int(expiry["SEQUENCE"])
    first_etag = response.headers["ETag"]

    # The expiry is changed, as the edit form and the import do it.
    change(agreement, expires_on=date(2027, 6, 30))
    response, calendar = fetch(app, path)
    found = events(calendar)
    moved = found[uid(agreement, "expiry")]
    assert start(moved) == date(2027, 6, 30)
    assert str(moved["SUMMARY"]) == "Upphör: Läkaruppdrag"
    assert int(moved["SEQUENCE"]) > first_sequence
    assert moved.decoded("DTSTAMP") > expiry.decoded("DTSTAMP")
    same_agreement = {u: start(e) for u, e in found.items() if u.startswith(f"agreement-{agreement.id}-")}
    # ReKo meets the second Friday of each month except July: 90 days before 2027-06-30 is 2027-04-01,
    # the meeting before it 2027-03-12, its material due 2027-02-26.
    assert same_agreement == {
        uid(agreement, "expiry"): date(2027, 6, 30),
        f"agreement-{agreement.id}-expiry-material@{HOST}": date(2027, 2, 26),
    }
    assert date(2026, 12, 31) not in {start(e) for e in found.values() if "Läkaruppdrag" in str(e["SUMMARY"])}
    assert response.headers["ETag"] != first_etag


def test_feed_answers_conditional_requests_and_head(app, small_register):
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, "all")
    response, _calendar = fetch(app, path)
    again = app.test_client().get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    head = app.test_client().head(path)
    assert head.status_code == 200
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"
    # The same register gives the same bytes: nothing in the feed depends on the moment it is fetched.
    assert fetch(app, path)[0].get_data() == response.get_data()


def test_every_event_is_an_all_day_event_with_the_required_properties(app, small_register):
    # A board meeting 90 days before the expiring agreement ends (two parties adopt it): material is due for it.
    directory.add_meeting(small_register.board, date(2026, 9, 17))
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, "all")
    _response, calendar = fetch(app, path)
    found = events(calendar)
    deadlines = {(a.id, d.kind): d.due_on for a in Agreement.select() for d in schedule.deadlines_of(a)}
    assert {k: start(e) for k, e in found.items() if "-material@" not in k} == {
        uid(Agreement(id=pk), kind): due for (pk, kind), due in deadlines.items()
    }
    assert [k for k in found if "-material@" in k]
    for key, event in found.items():
        assert re.fullmatch(rf"agreement-\d+-(expiry|review)(-material)?@{re.escape(HOST)}", key)
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert type(start(event)) is date
        assert event.decoded("DTEND") == start(event) + datetime.timedelta(days=1)
        assert event.decoded("DTSTAMP")
        assert int(event["SEQUENCE"]) >= 0
        assert str(event["SUMMARY"]).split(":")[0] in ("Upphör", "Uppföljning", "Ny version", "Underlag klart")
        assert str(event["TRANSP"]) == "TRANSPARENT"


# --- reviews and material due for the deciding meeting -----------------------


def test_material_due_for_the_decide_by_meeting_of_the_expiry(seeded):
    app = seeded
    reko = Group.get(Group.name == "ReKo")
    agreement = lakar()
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, f"group:{reko.id}")
    found = events(fetch(app, path)[1])
    material = found[f"agreement-{agreement.id}-expiry-material@{HOST}"]
    # Fourteen parties adopt it: decided 90 days before 2026-12-31 at the latest, so at ReKo's meeting on
    # 2026-09-11 (the second Friday); 14 days before it is Friday 2026-08-28.
    assert start(material) == date(2026, 8, 28)
    assert str(material["SUMMARY"]) == "Underlag klart: Läkaruppdrag – upphör 2026-12-31"
    assert "ReKo:s möte 2026-09-11, där beslutet senast ska fattas" in str(material["DESCRIPTION"])
    assert "Beslutas på ReKo:s möte 2026-09-11; underlaget ska vara klart 2026-08-28." in str(
        found[uid(agreement, "expiry")]["DESCRIPTION"]
    )
    # Nothing depends on the day the feed is fetched: the meeting has been held, and the feed does not say so.
    assert "Sent beslut" not in str(found[uid(agreement, "expiry")]["DESCRIPTION"])

    # A longer lead time moves the material event, under the same UID: 30 days before is Wednesday 2026-08-12.
    reko.lead_time_days = 30
    reko.save()
    found = events(fetch(app, path)[1])
    assert start(found[f"agreement-{agreement.id}-expiry-material@{HOST}"]) == date(2026, 8, 12)

    # Only single meetings that end long before: no meeting is picked, and the deadline says why.
    reko.meeting_rule = ""
    reko.save()
    GroupMeeting.create(group=reko, meets_on=date(2025, 1, 10))
    found = events(fetch(app, path)[1])
    assert f"agreement-{agreement.id}-expiry-material@{HOST}" not in found
    description = str(found[uid(agreement, "expiry")]["DESCRIPTION"])
    assert "ReKo:s mötesplan räcker inte till 2026-10." in description
    assert "2025-01-10" not in description


def test_review_events_follow_recorded_reviews(seeded):
    app = seeded
    aldre = Group.get(Group.name == "Strategigrupp Äldre")
    reko = Group.get(Group.name == "ReKo")
    owner = Person.get(Person.email == "beredning.aldre@example.org")
    agreement = make_agreement(
        title="Överenskommelse om kalendertest",
        short_name="Kalendertest",
        responsible_group=aldre,
        decision_body=reko,
        owners=[owner],
        valid_from=date(2026, 3, 1),
        expires_on=date(2028, 12, 31),
        review_rule="FREQ=YEARLY;INTERVAL=1",
    )
    backdate(agreement)
    reko.lead_time_days = 10
    reko.meeting_rule = ""  # this test's own single meetings
    reko.save()
    GroupMeeting.create(group=reko, meets_on=date(2027, 2, 18))
    GroupMeeting.create(group=reko, meets_on=date(2027, 4, 15))  # after the review: the plan reaches it
    GroupMeeting.create(group=aldre, meets_on=date(2027, 2, 25))  # not the deciding group
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, f"group:{reko.id}")  # ReKo decides on it

    found = events(fetch(app, path)[1])
    review = found[uid(agreement, "review")]
    assert start(review) == date(2027, 3, 1)
    assert str(review["SUMMARY"]) == "Uppföljning: Kalendertest"
    assert "Ansvarig grupp: Strategigrupp Äldre" in str(review["DESCRIPTION"])
    assert "Beslutande organ: ReKo" in str(review["DESCRIPTION"])
    material = found[f"agreement-{agreement.id}-review-material@{HOST}"]
    # ReKo meets 2027-02-18; 10 days before is Monday 2027-02-08.
    assert start(material) == date(2027, 2, 8)
    assert str(material["SUMMARY"]) == "Underlag klart: Kalendertest – uppföljning 2027-03-01"
    assert start(found[uid(agreement, "expiry")]) == date(2028, 12, 31)
    sequence = int(review["SEQUENCE"])

    # A recorded review moves the next review a year on: same UID, higher SEQUENCE.
    record_review(
        Agreement.get_by_id(agreement.id),
        {"reviewed_on": date(2026, 11, 20), "outcome": "unchanged", "reviewer_name": "Granskare"},
        date(2026, 11, 23),
    )
    found = events(fetch(app, path)[1])
    moved = found[uid(agreement, "review")]
    assert start(moved) == date(2027, 11, 20)
    assert int(moved["SEQUENCE"]) > sequence
    # ReKo's plan ends in April 2027: it does not reach the new date, so no meeting months before it is
    # picked (the February one was); the review says so instead.
    assert f"agreement-{agreement.id}-review-material@{HOST}" not in found
    assert "ReKo:s mötesplan räcker inte till 2027-11." in str(moved["DESCRIPTION"])


# --- scopes ---------------------------------------------------------------------


def test_person_feed_has_only_owned_agreements(seeded):
    app = seeded
    person = Person.get(Person.email == "beredning.aldre@example.org")
    client = client_as(app, "editor", person=person)
    assert "Mina avtal" in text(client.get("/account/feeds"))
    _url, path = create_via_page(client, "person")
    calendar = fetch(app, path)[1]

    owned = {link.agreement_id for link in AgreementOwner.select().where(AgreementOwner.person == person)}
    with_deadlines = {a.id for a in Agreement.select() if schedule.deadlines_of(a)}
    assert agreement_ids(calendar) == owned & with_deadlines
    assert lakar().id in agreement_ids(calendar)
    others = with_deadlines - owned
    assert others, "the demo data has agreements with deadlines that this person does not own"
    assert not agreement_ids(calendar) & others
    assert str(calendar["X-WR-CALNAME"]).startswith("Överenskommelseregistret – avtal som")


def test_group_feed_covers_responsible_contributing_and_deciding(seeded):
    app = seeded
    aldre = Group.get(Group.name == "Strategigrupp Äldre")
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, f"group:{aldre.id}")
    ids = agreement_ids(fetch(app, path)[1])
    assert lakar().id in ids  # ReKo's, with Äldre contributing
    expected = {
        a.id
        for a in Agreement.select()
        if schedule.deadlines_of(a)
        and (
            a.responsible_group_id == aldre.id
            or a.decision_body_id == aldre.id
            or aldre.id in {link.group_id for link in a.contributor_links}
        )
    }
    assert ids == expected
    barn_only = Agreement.select().where(Agreement.responsible_group == Group.get(Group.short_name == "Barn och unga"))
    assert not ids & {a.id for a in barn_only if aldre.id not in {link.group_id for link in a.contributor_links}}


def test_terminated_agreements_vanish(seeded):
    app = seeded
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, "all")
    agreement = lakar()
    assert uid(agreement, "expiry") in events(fetch(app, path)[1])
    change(agreement, status="terminated")
    found = events(fetch(app, path)[1])
    assert not [u for u in found if u.startswith(f"agreement-{agreement.id}-")]
    # Every other agreement with deadlines is still there.
    assert agreement_ids(fetch(app, path)[1]) == {a.id for a in Agreement.select() if schedule.deadlines_of(a)}


# --- tokens: secret, revocable, no login ----------------------------------------


def test_unknown_and_malformed_tokens_are_404(app, anonymous):
    for path in ("/feeds/x.ics", "/feeds/" + "A" * 43 + ".ics", "/feeds/" + "a" * 500 + ".ics", "/feeds/%27.ics"):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "Set-Cookie" not in response.headers


def test_revoked_token_is_404(app, small_register):
    client = client_as(app, "viewer")
    user = client.user
    _url, path = create_via_page(client, "all")
    fetch(app, path)
    feed = FeedToken.get(FeedToken.user == user.id)
    response = client.post("/account/feeds/revoke", data={"feed": str(feed.id)})
    assert response.status_code == 302
    assert app.test_client().get(path).status_code == 404
    assert FeedToken.get_by_id(feed.id).revoked_at is not None
    page = text(client.get("/account/feeds"))
    assert path not in page
    assert "Inga kalendrar ännu." in page
    # Revoking again changes nothing and says so.
    response = client.post("/account/feeds/revoke", data={"feed": str(feed.id)}, follow_redirects=True)
    assert "redan återkallat" in text(response)
    # A revoke without a feed is refused with a message.
    response = client.post("/account/feeds/revoke", data={}, follow_redirects=True)
    assert "Välj ett kalenderflöde att återkalla." in text(response)


def test_feeds_need_no_login_and_set_no_session(app, small_register):
    client = client_as(app, "auditor")
    _url, path = create_via_page(client, "all")
    anonymous = app.test_client()
    assert anonymous.get("/account/feeds").status_code == 302  # the page needs a login
    response = anonymous.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert anonymous.get(path + "?lang=en").headers.get("Set-Cookie") is None


def test_a_deactivated_owner_stops_the_feed(app, small_register):
    client = client_as(app, "editor")
    user = client.user
    _url, path = create_via_page(client, "all")
    fetch(app, path)
    User.update(is_active=False).where(User.id == user.id).execute()
    assert app.test_client().get(path).status_code == 404


def test_viewer_makes_feeds_and_the_all_scope_follows_read_permission(app, small_register, monkeypatch):
    client = client_as(app, "viewer")
    user = client.user
    page = text(client.get("/account/feeds"))
    assert 'value="all"' in page and 'value="group:' in page
    assert 'value="person"' not in page  # a viewer without a Person owns nothing
    assert "inte kopplat till en person" in page
    _url, all_path = create_via_page(client, "all")
    _url, group_path = create_via_page(client, f"group:{small_register.board.id}")
    assert small_register.expiring.id in agreement_ids(fetch(app, all_path)[1])

    response = client.post("/account/feeds", data={"scope": "person"})
    assert response.status_code == 422
    assert "inte kopplat till en person" in text(response)
    for bad in ("", "group:999999", "group:x", "everything"):
        response = client.post("/account/feeds", data={"scope": bad})
        assert response.status_code == 422, bad
    assert FeedToken.select().where(FeedToken.user == user.id).count() == 2

    # Were viewers no longer allowed to read the register, their feeds of it would stop, and no new ones be made.
    monkeypatch.setitem(permissions.ROLE_LEVELS, "read", {"admin", "editor", "auditor"})
    assert app.test_client().get(all_path).status_code == 404
    assert app.test_client().get(group_path).status_code == 404
    response = client.post("/account/feeds", data={"scope": "all"})
    assert response.status_code == 422
    assert 'value="all"' not in text(response)


def test_users_see_their_own_feeds_and_admins_everyones(app, small_register):
    viewer = client_as(app, "viewer")
    viewer_user = viewer.user
    editor = client_as(app, "editor")
    admin = client_as(app, "admin")
    _url, viewer_path = create_via_page(viewer, "all")
    _url, editor_path = create_via_page(editor, "all")
    viewer_feed = FeedToken.get(FeedToken.user == viewer_user.id)

    # The editor sees only their own feed and cannot revoke the viewer's.
    page = text(editor.get("/account/feeds"))
    assert editor_path in page and viewer_path not in page
    assert editor.post("/account/feeds/revoke", data={"feed": str(viewer_feed.id)}).status_code == 404
    assert app.test_client().get(viewer_path).status_code == 200

    # The admin sees both, without the others' secret addresses, and may revoke them.
    page = text(admin.get("/account/feeds"))
    assert viewer_user.email in page
    assert viewer_path not in page and editor_path not in page
    assert page.count("Hemlig: visas bara för kontots ägare") == 2
    assert admin.post("/account/feeds/revoke", data={"feed": str(viewer_feed.id)}).status_code == 302
    assert app.test_client().get(viewer_path).status_code == 404
    assert app.test_client().get(editor_path).status_code == 200


def test_feed_page_offers_https_and_webcal_addresses_and_the_menu_links_to_it(app, small_register):
    client = client_as(app, "auditor")
    url, path = create_via_page(client, "all")
    page = text(client.get("/account/feeds"))
    assert f'href="webcal://{HOST}{path}"' in page
    assert f'value="{url}"' in page
    assert 'href="/account/feeds"' in text(client.get("/"))


def test_creating_and_revoking_feeds_is_audited_without_the_secret(app, small_register):
    client = client_as(app, "viewer")
    user = client.user
    _url, path = create_via_page(client, "all")
    feed = FeedToken.get(FeedToken.user == user.id)
    client.post("/account/feeds/revoke", data={"feed": str(feed.id)})
    entries = list(AuditEntry.select().where(AuditEntry.entity == "feed").order_by(AuditEntry.id))
    assert [(e.action, e.entity_id) for e in entries] == [("create", feed.id), ("delete", feed.id)]
    assert all(user.email in e.actor for e in entries)
    assert not [e for e in entries if feed.token in e.changes or feed.token in e.summary]


def test_tokens_are_long_random_and_unique():
    tokens = {feeds.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("person", ("person", None)),
        ("all", ("all", None)),
        ("group:12", ("group", 12)),
        ("group:", None),
        ("group:-1", None),
        ("group:0", None),
        ("group:99999999999", None),
        ("", None),
        (None, None),
        ("grupp:1", None),
    ],
)
def test_parse_scope(value, parsed):
    assert feeds.parse_scope(value) == parsed
