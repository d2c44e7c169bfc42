"""One smoke test in real Chromium: dashboard -> Läkaruppdrag, and the list on a phone.

Uses the system Chromium at /usr/bin/chromium (never a downloaded browser) and
the app served from a background thread on a seeded SQLite file (tests/browser.py
starts both). Unlike the journeys (tests/test_journeys.py), the page keeps the
app's Content-Security-Policy in force. Screenshots go to test-output/ (git-ignored).
"""

import re

import pytest

from registry.domain import users
from registry.models import Agreement
from tests.browser import OUTPUT, chromium, log_in, seeded_app, served

PASSWORD = "ett-långt-lösenord-för-test"


COUNTED = {}


def _admin():
    COUNTED["agreements"] = Agreement.select().count()  # the demo data's, for the list's count
    users.save_user(
        {"email": "reko@test.example.org", "name": "ReKo-sekreterare", "role": "admin", "password": PASSWORD}
    )


@pytest.mark.browser
def test_dashboard_to_lakaruppdrag_in_chromium(tmp_path):
    from playwright.sync_api import expect

    app = seeded_app(tmp_path / "b.db", _admin)
    OUTPUT.mkdir(exist_ok=True)
    with served(app) as base, chromium() as browser:
        # A Swedish user's browser: the register follows the browser's language.
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
        log_in(page, "reko@test.example.org", PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Översikt")
        upcoming = page.locator("section[aria-labelledby='upcoming-heading']")
        deadline = upcoming.get_by_role("row").filter(has_text="Läkaruppdrag")
        expect(deadline).to_contain_text("2026-12-31")
        expect(deadline).to_contain_text("ReKo")
        page.screenshot(path=OUTPUT / "dashboard.png", full_page=True)

        deadline.get_by_role("link", name="Läkaruppdrag").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Läkaruppdrag och medicinsk samverkan "))
        assert re.fullmatch(rf"{re.escape(base)}/agreements/\d+", page.url)
        expect(page.locator("dl.facts dd").filter(has_text="2026-12-31")).to_be_visible()
        # ReKo is both its responsible group and, as the sources say (001_… ~173), its deciding body.
        for label in ("Ansvarig grupp", "Beslutande organ"):
            fact = page.locator(f"dl.facts dt:text-is('{label}') + dd")
            expect(fact.get_by_role("link", name="ReKo", exact=True)).to_be_visible()
        expect(page.locator("ul.parties li")).to_have_count(14)
        page.screenshot(path=OUTPUT / "lakaruppdrag.png", full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/agreements")
        expect(page.get_by_role("status")).to_have_text(f"{COUNTED['agreements']} avtal")
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=OUTPUT / "agreements-phone.png", full_page=True)
        assert overflow[0] <= overflow[1] + 1, f"horizontal scroll on a phone: {overflow}"
