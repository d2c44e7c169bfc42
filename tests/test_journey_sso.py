"""Single sign-on in real Chromium: a person of the Region logs in with the Region's identity provider (a
real OpenID Connect provider process, tests/oidc.py) and lands on the dashboard with the role and groups
the provider's claims map to; she logs out and takes the offer to log out at the provider as well.

The register's pages are screenshotted at 1366 and 390 px and checked with axe-core (tests/browser.py);
the provider's own pages (the mock's login and logout forms) are screenshotted but not held to the
register's accessibility checks: they are not the register's.
"""

import pytest

from tests.browser import Journey, chromium, new_page, seeded_app, served
from tests.oidc import running_provider, settings

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")]

LABEL = "Region Jönköpings län"
MAPPING = {
    "LABEL": LABEL,
    "ROLE_MAP": "Registret.Redaktor=editor; Registret.Admin=admin",
    "GROUP_MAP": "grp-aldre=Strategigrupp Äldre; grp-barn=Strategigrupp Barn och unga",
}
KARIN = {
    "email": "karin.lund@rjl.example.org",
    "email_verified": True,
    "name": "Karin Lund",
    "roles": ["Registret.Redaktor"],
    "groups": ["grp-aldre", "grp-barn", "grp-not-mapped"],
}


def _provider_step(journey, page, name):
    """A screenshot of the provider's page, which is not the register's to check."""
    page.wait_for_load_state()
    journey.count += 1
    page.screenshot(path=journey.folder / f"{journey.count:02d}-{name}-1366.png", full_page=True)
    journey.visited.remove(page.url)


def test_logging_in_through_the_identity_provider(tmp_path):
    with running_provider() as provider, chromium() as browser:
        provider.set_user("karin-sub", KARIN)
        app = seeded_app(tmp_path / "sso.db", OIDC_PROVIDERS=settings(provider, **MAPPING))
        with served(app) as base, Journey("sso") as journey:
            app.config["APP_BASE_URL"] = base  # the callback address the provider sends the browser to
            page = journey.watch(new_page(browser))
            page.goto(f"{base}/login")
            journey.step(page, "login-page")
            page.get_by_role("link", name=f"Logga in med {LABEL}").click()

            page.wait_for_url(f"{provider.url}/oauth2/authorize*")
            page.locator("input[name=sub]").fill("karin-sub")
            _provider_step(journey, page, "provider-login")
            page.get_by_role("button", name="Authorize").click()

            page.wait_for_url(f"{base}/")
            journey.step(page, "dashboard")
            header = page.locator("header")
            assert "Karin Lund" in header.inner_text() and "(Redaktör)" in header.inner_text()
            mine = page.locator("#mina-avtal").inner_text()
            assert "Strategigrupp Äldre" in mine and "Strategigrupp Barn och unga" in mine

            page.get_by_role("button", name="Logga ut").first.click()
            page.wait_for_url(f"{base}/login")
            journey.step(page, "logged-out")
            page.get_by_role("link", name=f"Logga ut även från {LABEL}").click()

            page.wait_for_url(f"{provider.url}/oauth2/end_session*")
            _provider_step(journey, page, "provider-logout")
            page.get_by_role("button", name="End session").click()
            page.wait_for_url(f"{base}/login?state=*")  # the provider sends back the state it was given
            journey.step(page, "back-at-login")
            assert "Logga ut även från" not in page.inner_text("body")
            page.goto(f"{base}/")
            assert page.url.startswith(f"{base}/login")
            journey.step(page, "logged-out-for-good")

        # The journey's pages bypass the Content-Security-Policy (for axe-core); a browser that
        # enforces it reaches the provider from the button all the same.
        with served(app) as base:
            app.config["APP_BASE_URL"] = base
            strict = new_page(browser, bypass_csp=False)
            strict.goto(f"{base}/login")
            strict.get_by_role("link", name=f"Logga in med {LABEL}").click()
            strict.wait_for_url(f"{provider.url}/oauth2/authorize*")
