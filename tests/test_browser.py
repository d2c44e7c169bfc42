"""One smoke test in real Chromium: dashboard -> Läkaruppdrag, and the list on a phone.

Uses the system Chromium at /usr/bin/chromium (never a downloaded browser) and
the app served from a background thread on a seeded SQLite file. Screenshots go
to test-output/ (git-ignored).
"""

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from registry import seed
from registry.db import db, upgrade
from registry.domain import users
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


PASSWORD = "ett-långt-lösenord-för-test"


@pytest.mark.browser
def test_dashboard_to_lakaruppdrag_in_chromium(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser test needs the system package "
            "(apt-get install chromium). Do not run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    app = make_app(f"sqlite:///{tmp_path / 'b.db'}")
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        seed.load()
        users.save_user(
            {"email": "reko@test.example.org", "name": "ReKo-sekreterare", "role": "admin", "password": PASSWORD}
        )
        db.close()

    OUTPUT.mkdir(exist_ok=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                # A Swedish user's browser: the register follows the browser's language.
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
                page.goto(f"{base}/")
                expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
                page.get_by_label("E-post").fill("reko@test.example.org")
                page.get_by_label("Lösenord").fill(PASSWORD)
                page.get_by_role("button", name="Logga in").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Översikt")
                upcoming = page.locator("section[aria-labelledby='upcoming-heading']")
                deadline = upcoming.get_by_role("row").filter(has_text="Läkaruppdrag")
                expect(deadline).to_contain_text("2026-12-31")
                expect(deadline).to_contain_text("ReKo")
                page.screenshot(path=OUTPUT / "dashboard.png", full_page=True)

                deadline.get_by_role("link", name="Läkaruppdrag").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    re.compile(r"^Läkaruppdrag och medicinsk samverkan ")
                )
                assert re.fullmatch(rf"{re.escape(base)}/agreements/\d+", page.url)
                expect(page.locator("dl.facts dd").filter(has_text="2026-12-31")).to_be_visible()
                expect(page.get_by_role("link", name="ReKo", exact=True)).to_be_visible()
                expect(page.locator("ul.parties li")).to_have_count(14)
                page.screenshot(path=OUTPUT / "lakaruppdrag.png", full_page=True)

                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(f"{base}/agreements")
                expect(page.get_by_role("status")).to_have_text("28 avtal")
                overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                page.screenshot(path=OUTPUT / "agreements-phone.png", full_page=True)
                assert overflow[0] <= overflow[1] + 1, f"horizontal scroll on a phone: {overflow}"
            finally:
                browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
