"""The register's words for the yearly review and the auditor (issue #12).

The yearly review of an agreement is an *uppföljning* (the sources: ReKo "ansvarar för att
besluta och följa upp gemensamma avtal"); *granska* is what a *revisor* does. The register
used to call the review "granskning" and the auditor role "Granskare (revisor)", so that a
page read "Granskning försenad" beside the role, and the API key page "din roll (Granskare
(revisor))". No Swedish string, export header or demo page may use granska for anything now;
should the revisor's own work ever need the word, narrow REVIEW_WORD rather than drop the test.
"""

import re
from html import unescape

from registry.domain.agreements import record_review
from registry.domain.reports import REPORTS
from registry.domain.spreadsheet import HEADER
from registry.models import Agreement, Group, User
from tests.conftest import TODAY
from tests.factories import client_as
from tests.test_i18n import extracted

# granska, granskning, granskad, Granskare, …; not "Förhandsgranska" (preview an import).
REVIEW_WORD = re.compile(r"\b[Gg]ransk\w*")


def visible_text(html):
    """What a person reads: the body without scripts, styles, tags and attribute values."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_no_swedish_string_or_export_header_says_granska():
    strings = {}
    for (_context, key), where in extracted().items():
        for msgid in key if isinstance(key, tuple) else (key,):
            if REVIEW_WORD.search(msgid):
                strings[msgid] = where
    assert strings == {}, "the yearly review is an uppföljning; granska is what a revisor does"
    assert [h for h in HEADER if REVIEW_WORD.search(h)] == []
    assert "Uppföljningscykel" in HEADER


def test_the_demo_pages_say_uppfoljning_and_revisor(seeded):
    """Every page about reviews and roles, in Swedish, on the demo register with a review recorded."""
    lakar = Agreement.get(Agreement.title.contains("Läkaruppdrag"))
    record_review(lakar, {"reviewed_on": TODAY, "outcome": "unchanged", "reviewer_name": "ReKo"}, TODAY)
    admin, auditor = client_as(seeded, "admin"), client_as(seeded, "auditor")
    pages = [
        (admin, "/"),
        (admin, "/agreements"),
        (admin, "/agreements?deadline=review_overdue"),
        *[(admin, f"/agreements/{a.id}") for a in Agreement.select(Agreement.id)],
        (admin, f"/agreements/{lakar.id}/reviews/new"),
        (admin, f"/agreements/{lakar.id}/edit"),
        (admin, "/reports"),
        *[(admin, f"/reports/{r.key}") for r in REPORTS],
        (admin, "/reminders"),
        (admin, "/audit"),
        (admin, "/users"),
        (admin, f"/users/{auditor.user.id}/edit"),
        *[(admin, f"/groups/{g.id}") for g in Group.select(Group.id)],
        (admin, "/account/feeds"),
        (auditor, "/account/tokens"),
    ]
    found, texts = {}, {}
    for client, url in pages:
        response = client.get(url + ("&" if "?" in url else "?") + "lang=sv")
        assert response.status_code == 200, url
        texts[url] = visible_text(response.get_data(as_text=True))
        hits = sorted(set(REVIEW_WORD.findall(texts[url])))
        if hits:
            found[url] = hits
    assert found == {}

    lakar_page = texts[f"/agreements/{lakar.id}"]
    assert "Registrera uppföljning" in lakar_page and "Nästa uppföljning" in lakar_page
    assert "Uppföljningar Datum Utfall Uppföljd av" in lakar_page  # the history's heading and columns
    assert "Spara uppföljning" in texts[f"/agreements/{lakar.id}/reviews/new"]
    assert "Försenade uppföljningar" in texts["/reports"]
    # The role is "Revisor": in a list, and in running text without nested brackets.
    assert User.get_by_id(auditor.user.id).role == "auditor"
    assert "Revisor" in texts["/users"]
    assert "med din roll (revisor) och" in texts["/account/tokens"]
    assert not any("((" in text or "))" in text for text in texts.values())
