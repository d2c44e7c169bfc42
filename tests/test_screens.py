"""Screens (issue #12, item 7): the header and its menu, narrow screens, dates, the favicon, the copy
button, the local mail sink's page and the print view.

The browser tests drive Debian's Chromium (tests/browser.py) with the app's Content-Security-Policy in
force, on the seeded demo register: the admin is ReKo's secretary (a demo account), and the mail sink
(MAIL_SINK_DIR) holds the mail of one real reminder pass, sent over SMTP to scheduler/mailsink.py.
Screenshots go to test-output/screens/ (git-ignored).
"""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from flask import current_app

from registry import seed
from registry.db import db
from registry.models import Agreement, Group, Review
from scheduler import mailsink, reminders
from tests.browser import OUTPUT, axe_violations, chromium, describe, log_in, new_page, seeded_app, served
from tests.factories import client_as
from tests.html import section, text
from tests.smtp import point_app_at

ADMIN = "sekreterare.reko@example.org"  # demo account: admin
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SHOTS = OUTPUT / "screens"


# --- the demo register with mail in the sink, served once for the module -----------------------------


def _prepare(sink):
    """The demo accounts, a review on Läkaruppdrag, and one reminder pass that mails the sink."""

    def prepare():
        seed.load_users()
        lakar = Agreement.get(Agreement.short_name == "Läkaruppdrag")
        Review.create(agreement=lakar, reviewed_on=date(2026, 6, 1), outcome="unchanged", reviewer_name="ReKo")
        server = mailsink.serve(sink, port=0)
        try:
            point_app_at(current_app, SimpleNamespace(host="127.0.0.1", port=server.port))
            # Läkaruppdrag expires in 30 days; its decide-by meeting (ReKo, 2026-09-11) has passed, so the
            # catch-up sends its latest advance reminder.
            reminders.run_pass(date(2026, 12, 1))
        finally:
            server.stop()

    return prepare


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screens")
    sink = folder / "mail"
    app = seeded_app(folder / "screens.db", _prepare(sink), MAIL_SINK_DIR=str(sink))
    with app.app_context():
        db.connect(reuse_if_open=True)
        lakaruppdrag = f"/agreements/{Agreement.get(Agreement.short_name == 'Läkaruppdrag').id}"
        reko_report = f"/groups/{Group.get(Group.name == 'ReKo').id}/report"
        reko_meeting = f"/groups/{Group.get(Group.name == 'ReKo').id}/meetings/2026-12-11"
        db.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with served(app) as base:
        yield SimpleNamespace(
            app=app,
            base=base,
            sink=sink,
            lakaruppdrag=lakaruppdrag,
            reko_report=reko_report,
            reko_meeting=reko_meeting,
        )


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def _page(browser, site, viewport, **options):
    """A logged-in admin's page (Swedish browser; the app's CSP in force)."""
    page = browser.new_context(viewport=viewport, locale="sv-SE", **options).new_page()
    page.goto(f"{site.base}/login")
    log_in(page, ADMIN, seed.DEMO_PASSWORD)
    page.wait_for_url(f"{site.base}/")
    return page


@pytest.fixture
def desktop(browser, site):
    page = _page(browser, site, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, site):
    page = _page(browser, site, PHONE)
    yield page
    page.context.close()


# --- the menu --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_at_1366_px_the_menu_is_one_row(desktop, site, lang):
    from playwright.sync_api import expect

    desktop.goto(f"{site.base}/?lang={lang}")
    nav = desktop.get_by_role("navigation", name="Huvudmeny" if lang == "sv" else "Main menu")
    expect(nav).to_be_visible()
    links = nav.get_by_role("link")
    expect(links).to_have_count(10)  # the admin's: Översikt … Konton, and Utkorg (a mail sink is set)
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    height = nav.bounding_box()["height"]
    assert height < 1.5 * boxes[0]["height"], f"the menu wraps: {height}px high, an item {boxes[0]['height']}px"
    assert len({round(b["y"]) for b in boxes}) == 1, "every item on one row"
    # The account line and the language sit on the row above, inside the window.
    for part in (desktop.locator("header .account"), desktop.locator("header .lang")):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["y"] + box["height"] <= boxes[0]["y"] and box["x"] + box["width"] <= DESKTOP["width"]
    expect(desktop.get_by_role("button", name=re.compile("^(Meny|Menu)$"))).to_be_hidden()
    desktop.screenshot(path=SHOTS / f"dashboard-{lang}-1366.png", full_page=True)


def _expanded(page, name):
    """The expanded state Chromium gives screen readers for the button `name` (a popover's invoker has no
    aria-expanded attribute for Playwright to read: the browser sets the state itself)."""
    cdp = page.context.new_cdp_session(page)
    try:
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            if node.get("role", {}).get("value") == "button" and node.get("name", {}).get("value") == name:
                found = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
                return found.get("expanded")
    finally:
        cdp.detach()
    raise AssertionError(f"no button {name!r}")


@pytest.mark.browser
def test_on_a_phone_a_menu_button_opens_the_menu_with_the_keyboard(phone, site):
    from playwright.sync_api import expect

    phone.goto(f"{site.base}/agreements")
    header = phone.locator("header.site")
    assert header.bounding_box()["height"] <= 64, "a compact header: the name and the menu button"
    button = phone.get_by_role("button", name="Meny")
    nav = phone.get_by_role("navigation", name="Huvudmeny")
    expect(button).to_be_visible()
    expect(nav).to_be_hidden()
    assert _expanded(phone, "Meny") is False

    button.focus()
    phone.keyboard.press("Enter")
    expect(nav).to_be_visible()
    assert _expanded(phone, "Meny") is True
    expect(nav.get_by_role("link", name="Avtal")).to_have_attribute("aria-current", "page")
    expect(phone.locator("#site-menu .account")).to_contain_text("Logga ut")
    phone.screenshot(path=SHOTS / "menu-open-390.png")
    phone.keyboard.press("Tab")  # from the button into the menu
    expect(nav.get_by_role("link", name="Översikt")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(nav).to_be_hidden()

    button.click()
    nav.get_by_role("link", name="Personer").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Personer")
    expect(nav).to_be_hidden()


@pytest.mark.browser
def test_the_phone_header_with_its_menu_open_passes_axe(browser, site):
    page = new_page(browser, viewport=PHONE)  # the CSP bypassed: axe-core is injected inline
    try:
        page.goto(f"{site.base}/login")
        log_in(page, ADMIN, seed.DEMO_PASSWORD)
        page.get_by_role("button", name="Meny").click()
        found = axe_violations(page)
        assert not found, describe([("/ (390 px, menu open)", found)])
    finally:
        page.context.close()


@pytest.mark.browser
def test_on_a_phone_the_menu_works_without_javascript(browser, site):
    from playwright.sync_api import expect

    page = _page(browser, site, PHONE, java_script_enabled=False)
    try:
        nav = page.get_by_role("navigation", name="Huvudmeny")
        expect(nav).to_be_hidden()
        page.get_by_role("button", name="Meny").click()
        expect(nav).to_be_visible()
        nav.get_by_role("link", name="Rapporter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Rapporter")
    finally:
        page.context.close()


# --- narrow screens, tables and dates ----------------------------------------------------------------


@pytest.mark.browser
def test_no_page_scrolls_sideways_at_390_px(phone, site):
    from playwright.sync_api import expect

    phone.goto(f"{site.base}/account/feeds")
    phone.get_by_role("button", name="Skapa kalenderadress").click()  # a row with a long address
    expect(phone.get_by_role("status").filter(has_text="Kalenderflödet har skapats.")).to_be_visible()
    for path in (
        "/",
        "/agreements",
        "/people",
        "/audit",
        site.lakaruppdrag,
        site.reko_report,  # the yearly report upward: six columns as cards
        site.reko_meeting,  # a meeting's agenda, with a move control per item
        "/reports/expiring",
        "/reports/overdue",
        "/account/feeds",
        "/account/tokens",
        "/reminders",
        "/mail",
    ):
        phone.goto(site.base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        name = path.strip("/").replace("/", "-") or "dashboard"
        phone.screenshot(path=SHOTS / f"{name}-390.png", full_page=True)
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width}px"
        # Nor does any table cell stick out of the window (a clipped card or a scrolled table).
        outside = phone.evaluate(
            """() => [...document.querySelectorAll('table td')]
                 .filter(td => td.getBoundingClientRect().right > window.innerWidth + 0.5)
                 .map(td => td.dataset.label + ': ' + td.textContent.trim().slice(0, 40))"""
        )
        assert not outside, f"{path}: cells outside the window: {outside}"
        # A card keeps each cell's label (td::before) in the column left of the value.
        unlabelled = phone.evaluate(
            """() => [...document.querySelectorAll('table.list td[data-label]')]
                 .filter(td => parseFloat(getComputedStyle(td).paddingLeft)
                               < parseFloat(getComputedStyle(td, '::before').width))
                 .map(td => td.dataset.label)"""
        )
        assert not unlabelled, f"{path}: labels out of their column: {unlabelled}"


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_small_laptop(browser, site):
    """At 1024 px the dashboard's two deadline tables would not fit side by side: one column."""
    page = _page(browser, site, {"width": 1024, "height": 768})
    try:
        for path in ("/", site.lakaruppdrag, "/agreements", "/audit", site.reko_report, site.reko_meeting):
            page.goto(site.base + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1024, f"{path} scrolls sideways at 1024 px: {width}px"
    finally:
        page.context.close()


@pytest.mark.browser
def test_dates_never_break_inside(phone, site):
    phone.goto(site.base + site.lakaruppdrag)
    dates = phone.locator("main time")
    assert dates.count() >= 5  # facts, deadlines, reviews, the change log
    styles = dates.evaluate_all("els => els.map(e => [e.getAttribute('datetime'), getComputedStyle(e).whiteSpace])")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}[+-]\d{2}:\d{2})?", d) for d, _ in styles), styles
    assert {white for _, white in styles} == {"nowrap"}, styles
    # A date in the narrowest column of a card is one line high.
    review = phone.locator("section[aria-labelledby='reviews-heading'] time").first
    assert review.bounding_box()["height"] < 1.6 * 16


@pytest.mark.browser
@pytest.mark.parametrize("key", ["expiring", "overdue"])
def test_at_1366_px_a_reports_days_column_is_in_view(desktop, site, key):
    desktop.goto(f"{site.base}/reports/{key}?days=3650")
    last = desktop.locator("table.report thead th").last
    assert last.inner_text().startswith("Dagar")
    table = desktop.locator("table.report")
    frame = desktop.locator("table.report").locator("xpath=..")
    right = last.bounding_box()["x"] + last.bounding_box()["width"]
    assert right <= frame.bounding_box()["x"] + frame.bounding_box()["width"] + 0.5, "the last column is cut off"
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    desktop.screenshot(path=SHOTS / f"report-{key}-1366.png", full_page=True)


# --- the copy button ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_feed_address_has_a_copy_button_that_says_it_copied(browser, site):
    from playwright.sync_api import expect

    page = _page(browser, site, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.goto(f"{site.base}/account/feeds")
        page.get_by_role("button", name="Skapa kalenderadress").click()
        row = page.locator("tbody tr").filter(has=page.locator("input[readonly]")).first
        address = row.locator("input[readonly]").input_value()
        assert "/feeds/" in address
        row.get_by_role("button", name="Kopiera").click()
        expect(row.get_by_role("status")).to_have_text("Kopierad")
        assert page.evaluate("navigator.clipboard.readText()") == address
        page.screenshot(path=SHOTS / "feeds-copied-1366.png", full_page=True)
    finally:
        page.context.close()

    # Without JavaScript there is no button that would do nothing.
    page = _page(browser, site, DESKTOP, java_script_enabled=False)
    try:
        page.goto(f"{site.base}/account/feeds")
        expect(page.locator("input[readonly]").first).to_be_visible()
        expect(page.get_by_role("button", name="Kopiera")).to_have_count(0)
    finally:
        page.context.close()


# --- the local mail sink -----------------------------------------------------------------------------


@pytest.mark.browser
def test_mail_shows_the_html_email_readable_under_the_csp(desktop, site):
    from playwright.sync_api import expect

    errors = []
    desktop.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    desktop.goto(f"{site.base}/mail")
    row = desktop.get_by_role("row").filter(has_text="beredning.reko@example.org")
    expect(row).to_have_count(1)
    expect(row.locator("time")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} CET$"))
    row.get_by_role("link").click()
    # Läkaruppdrag alone, or with another ReKo deadline in the same digest.
    expect(desktop.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Påminnelse: (Läkaruppdrag|\d+ tidsfrister)")
    )

    mail = desktop.frame_locator("iframe.mail-html")
    expect(mail.get_by_role("link", name=re.compile("^Läkaruppdrag och medicinsk samverkan"))).to_be_visible()
    button = mail.get_by_role("link", name="Registrera uppföljningen").first
    expect(button).to_be_visible()
    # The e-mail's own inline styles apply: the link is the blue button the recipient sees.
    assert button.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(11, 92, 173)"
    frame = desktop.locator("iframe.mail-html").bounding_box()
    assert frame["height"] >= 400 and frame["width"] >= 800, frame
    desktop.screenshot(path=SHOTS / "mail-message-1366.png", full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_mail_pages_show_times_in_local_time_with_the_zone(site):
    sink = site.sink
    (sink / "20260101-000000-99998.eml").write_bytes(
        b"From: registret@example.org\r\nTo: sommar@example.org\r\nSubject: Sommar\r\n"
        b"Date: Mon, 01 Jun 2026 06:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej!\r\n"
    )
    (sink / "20260101-000000-99999.eml").write_bytes(
        b"From: registret@example.org\r\nTo: vinter@example.org\r\nSubject: Vinter\r\n"
        b"Date: Mon, 23 Nov 2026 06:00:00 -0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej!\r\n"
    )
    try:
        client = client_as(site.app, "admin")
        listing = text(client.get("/mail"))
        summer, winter = "2026-06-01T08:00+02:00", "2026-11-23T07:00+01:00"  # both sent at 06:00 UTC
        assert f'<time datetime="{summer}" title="Europe/Stockholm">2026-06-01 08:00 CEST</time>' in listing
        assert f'<time datetime="{winter}" title="Europe/Stockholm">2026-11-23 07:00 CET</time>' in listing
        page = text(client.get("/mail/20260101-000000-99999.eml"))
        assert "2026-11-23 07:00 CET" in page and "06:00" not in page
        assert "<iframe" not in page  # no HTML part
        assert client.get("/mail/20260101-000000-99999.eml/html").status_code == 404
    finally:
        for name in ("20260101-000000-99998.eml", "20260101-000000-99999.eml"):
            (sink / name).unlink()


def test_the_html_part_is_served_alone_under_a_policy_of_its_own(site):
    client = client_as(site.app, "admin")
    name = sorted(p.name for p in site.sink.glob("*.eml"))[0]
    page = client.get(f"/mail/{name}")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]  # the page's policy is the app's
    assert f'src="/mail/{name}/html"' in text(page) and 'sandbox="allow-popups' in text(page)
    part = client.get(f"/mail/{name}/html")
    assert part.status_code == 200 and part.mimetype == "text/html"
    policy = part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'unsafe-inline'" in policy and "script" not in policy
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy
    assert part.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Hej!" in text(part) and '<base target="_blank">' in text(part)
    assert client_as(site.app, "auditor").get(f"/mail/{name}/html").status_code == 403


# --- favicon -----------------------------------------------------------------------------------------


def test_every_page_names_the_svg_favicon_and_favicon_ico_answers(site):
    client = site.app.test_client()
    login = text(client.get("/login"))
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    icon.close()
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.location.endswith("/static/favicon.svg")


@pytest.mark.browser
def test_chromium_asks_for_no_missing_file(browser, site):
    page = browser.new_context(viewport=DESKTOP, locale="sv-SE").new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    try:
        page.goto(f"{site.base}/favicon.ico")
        assert page.evaluate("document.contentType") == "image/svg+xml"
        page.goto(f"{site.base}/login")
        assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
        page.wait_for_load_state("networkidle")
        assert not missing, missing
    finally:
        page.context.close()


# --- dates in the markup, print ------------------------------------------------------------------------


def test_dates_are_time_elements_and_form_values_stay_plain(site):
    client = client_as(site.app, "admin")
    page = text(client.get(site.lakaruppdrag))
    assert '<time datetime="2026-12-31">2026-12-31</time>' in section(page, "facts-heading")
    assert '<time datetime="2026-06-01">2026-06-01</time>' in section(page, "reviews-heading")
    changes = section(page, "history-heading")
    assert re.search(r"→ <time datetime=\"2025-01-01\">2025-01-01</time>", changes)  # a date in the trail
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+0[12]:00">', changes)  # when it changed
    report = text(client.get("/reports/expiring", query_string={"from": "2026-11-23", "to": "2026-12-31"}))
    assert 'value="2026-11-23"' in report and 'value="2026-12-31"' in report
    assert 'Visar <time datetime="2026-11-23">2026-11-23</time> till' in report
    audit = text(client.get("/audit", query_string={"from": "2026-11-01"}))
    assert 'id="from" name="from" type="date" value="2026-11-01"' in audit


@pytest.mark.browser
def test_printed_agreement_has_no_account_line_and_reviews_before_the_change_log(desktop, site):
    from playwright.sync_api import expect

    desktop.goto(site.base + site.lakaruppdrag)
    desktop.emulate_media(media="print")
    for hidden in ("header .account", "header nav", "header .lang", ".menu-button", ".buttons"):
        found = desktop.locator(hidden)
        assert found.count() >= 1, hidden  # the page has it, so hiding it is what is tested
        for each in found.all():  # every button row (the agreement's, the indicators')
            expect(each).to_be_hidden()
    expect(desktop.locator("header .brand")).to_be_visible()
    reviews = desktop.locator("#reviews-heading").bounding_box()["y"]
    changes = desktop.locator("#history-heading").bounding_box()["y"]
    assert reviews < changes, "the review history is printed before the change log"
    desktop.screenshot(path=SHOTS / "agreement-print.png", full_page=True)
    desktop.emulate_media(media="screen")
    expect(desktop.locator("header .account")).to_be_visible()
