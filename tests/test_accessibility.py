"""The accessibility statement (/tillganglighet, issue 15 item 2): public, in DIGG's structure, its
organisation and contact from the settings, linked from every page's footer, logged in or not, and
free of axe-core violations at a phone's and a laptop's width, logged out and logged in."""

import datetime
import re
from html import unescape

import pytest

from registry import seed
from registry.views.accessibility import DIGG_REPORT_URL
from tests.browser import OUTPUT, axe_violations, chromium, describe, log_in, new_page, seeded_app, served
from tests.conftest import migrated_app
from tests.factories import client_as, reloaded_config
from tests.html import visible_text

STATEMENT = "/tillganglighet"
FOOTER_LINK = re.compile(r'<footer class="site[^"]*">.*<a href="/tillganglighet">Tillgänglighetsredogörelse</a>', re.S)
SETTINGS = {
    "ACCESSIBILITY_ORGANISATION": "Norrbyns kommunalförbund",
    "ACCESSIBILITY_CONTACT_EMAIL": "webb@norrbyn.example.org",
    "ACCESSIBILITY_CONTACT_PHONE": "010-123 45 67",
    "ACCESSIBILITY_REVIEWED_ON": datetime.date(2026, 10, 5),
}
SHOTS = OUTPUT / "accessibility"


def page_text(response):
    return " ".join(unescape(visible_text(response.get_data(as_text=True))).split())


@pytest.fixture
def configured(database_url):
    with migrated_app(database_url, **SETTINGS) as app:
        yield app


def test_the_statement_is_public_and_says_what_digg_asks(configured):
    response = configured.test_client().get(STATEMENT)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = page_text(response)
    # Who answers for the register, and how to reach them: from the settings, nothing built in.
    assert "Norrbyns kommunalförbund står bakom Överenskommelseregistret (https://registret.example.org)" in shown
    assert html.count('href="mailto:webb@norrbyn.example.org"') == 2  # to ask for content, and to report
    assert 'href="tel:0101234567"' in html and "010-123 45 67" in shown
    assert "Jönköping" not in shown
    # The conformance, the gaps, the exemptions, the supervision, the method and the dates.
    for heading in (
        "Hur tillgängligt är registret?",
        "Vad kan du göra om du inte kan använda delar av registret?",
        "Rapportera brister i registrets tillgänglighet",
        "Tillsyn",
        "Teknisk information om registrets tillgänglighet",
        "Innehåll som inte är tillgängligt",
        "Bristande förenlighet med lagkraven",
        "Oskäligt betungande anpassning",
        "Innehåll som inte omfattas av lagstiftningen",
        "Hur vi testat registret",
    ):
        assert re.search(rf"<h[234][^>]*>{re.escape(heading)}</h[234]>", html), heading
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in shown
    assert (
        "delvis förenligt med lagen om tillgänglighet till digital offentlig service och med WCAG 2.1 på nivå AA"
        in shown
    )
    for gap in ("Uppladdade dokument", "Språket i delar av sidorna", "XLSX och CSV", "Word-filerna som registret"):
        assert gap in shown, gap
    assert f'href="{DIGG_REPORT_URL}"' in html and DIGG_REPORT_URL.startswith("https://www.digg.se/")
    assert "axe-core i webbläsaren Chromium, i 390 och 1366 pixlars bredd" in shown
    assert "enbart tangentbord" in shown
    assert "Senaste bedömningen gjordes den 5 oktober 2026." in shown
    assert "Redogörelsen uppdaterades senast den 5 oktober 2026." in shown


def test_without_a_phone_number_only_the_email_is_given(anonymous):
    response = anonymous.get(STATEMENT)
    html = response.get_data(as_text=True)
    assert 'href="tel:' not in html and "Telefon" not in page_text(response)
    assert 'href="mailto:tillganglighet@example.org"' in html  # the demo default
    assert "Regionen (exempel) står bakom" in page_text(response)


def test_the_statement_in_english(anonymous):
    response = anonymous.get(STATEMENT, query_string={"lang": "en"})
    shown = page_text(response)
    assert response.status_code == 200
    assert "Accessibility of the Agreement Register" in shown
    assert "partially compliant" in shown and "WCAG 2.1" in shown
    assert "Report accessibility problems in the register" in shown
    assert "Accessibility statement</a>" in response.get_data(as_text=True)  # the footer
    assert "The statement was last updated on November 30, 2026." in shown


def test_the_footer_links_to_the_statement_on_public_and_private_pages(app):
    anonymous = app.test_client()
    for path in ("/login", "/reset-password", STATEMENT, "/public", "/public/print"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert FOOTER_LINK.search(response.get_data(as_text=True)), f"{path}: no link in the footer"
    assert anonymous.get("/agreements").status_code == 302  # private: the login page, with the link
    for role in ("admin", "viewer"):
        client = client_as(app, role)
        for path in ("/", "/agreements", "/account/password", STATEMENT):
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            assert FOOTER_LINK.search(response.get_data(as_text=True)), f"{role} {path}: no link in the footer"


@pytest.mark.browser
def test_the_statement_passes_axe_logged_out_and_logged_in(tmp_path):
    """At 390 and 1366 px, logged out and logged in (the header then has its menu), with screenshots."""
    app = seeded_app(tmp_path / "statement.db", seed.load_users)
    SHOTS.mkdir(parents=True, exist_ok=True)
    found = []
    with served(app) as base, chromium() as browser:
        page = new_page(browser)
        for who in ("logged-out", "logged-in"):
            if who == "logged-in":
                page.goto(f"{base}/login")
                log_in(page, "sekreterare.reko@example.org", seed.DEMO_PASSWORD)
                page.wait_for_url(f"{base}/")
                page.get_by_role("link", name="Tillgänglighetsredogörelse").click()  # the footer's link
            else:
                page.goto(f"{base}/login")
                page.get_by_role("link", name="Tillgänglighetsredogörelse").click()
            page.wait_for_url(f"{base}{STATEMENT}")
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=SHOTS / f"statement-{who}-{width}.png", full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (who, width)
                violations = axe_violations(page)
                if violations:
                    found.append((f"{STATEMENT} {who} {width} px", violations))
            page.set_viewport_size({"width": 1366, "height": 900})
    assert not found, describe(found)


def test_the_settings_come_from_the_environment(monkeypatch):
    values = {
        "ACCESSIBILITY_ORGANISATION": "Norrbyns kommunalförbund",
        "ACCESSIBILITY_CONTACT_PHONE": "010-123 45 67",
        "ACCESSIBILITY_REVIEWED_ON": "2027-02-01",
    }
    with reloaded_config(monkeypatch, **values) as (reloaded, reload):
        assert reloaded.Config.ACCESSIBILITY_ORGANISATION == "Norrbyns kommunalförbund"
        assert reloaded.Config.ACCESSIBILITY_CONTACT_PHONE == "010-123 45 67"
        assert reloaded.Config.ACCESSIBILITY_REVIEWED_ON == datetime.date(2027, 2, 1)
        monkeypatch.setenv("ACCESSIBILITY_REVIEWED_ON", "1 februari 2027")
        with pytest.raises(RuntimeError, match="ACCESSIBILITY_REVIEWED_ON must be a date YYYY-MM-DD"):
            reload()


def _word_parts(body):
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.read("word/styles.xml").decode(), archive.read("word/document.xml").decode()


def test_the_word_files_state_their_language_and_mark_header_rows(app):
    """A meeting's agenda and the yearly report (registry/domain/wordfile.py): the document's language is
    the page's, not python-docx's en-US, and each table's first row is a header row (w:tblHeader)."""
    from registry.domain import wordfile

    section = wordfile.Section("Avtal", ["Avtal", "Upphör"], [["Läkaruppdrag", datetime.date(2026, 12, 31)]])
    for lang, tag in (("sv", "sv-SE"), ("en", "en-GB")):
        with app.test_request_context(f"/?lang={lang}"):
            styles, document = _word_parts(wordfile.document("Dagordning", ["ReKo"], [section], "Anna"))
        languages = set(re.findall(r'<w:lang w:val="([^"]+)"', styles))
        assert languages == {tag}, (lang, languages)
        first_row = re.search(r"<w:tr\b.*?</w:tr>", document, re.S).group(0)
        assert '<w:tblHeader w:val="true"/>' in first_row
        assert document.count("<w:tblHeader") == 1  # the data rows are no header rows
