"""The public register in Chromium (issue 15, item 1): every public page, at a phone's and a laptop's width,
passes axe-core (no serious or critical violation), and an editor publishes a document version on the
agreement page, which then shows on the public page and downloads from it. The embeddable list is shown
in a frame by a page of the register's own origin, with the app's Content-Security-Policy in force.
Screenshots go to test-output/journeys/public/ (git-ignored).
"""

from registry import seed
from registry.db import db
from registry.domain import public_register
from registry.models import Adoption, Agreement, AgreementParty
from tests.browser import Journey, chromium, log_in, new_page, seeded_app, served
from tests.conftest import TODAY
from tests.factories import make_stored_document, pdf_bytes

EDITOR = "sekreterare.reko@example.org"  # demo account: admin


def _prepare():
    seed.load_users()
    agreement = Agreement.get(Agreement.short_name == "KomHem-avtal")
    for link in AgreementParty.select().where(AgreementParty.agreement == agreement).limit(3):
        Adoption.create(agreement=agreement, organisation=link.organisation, body="Kommunstyrelsen", decided_on=TODAY,
                        decision_ref="§ 12", case_number="KS 2026/77")  # fmt: skip
    make_stored_document(agreement, pdf_bytes("KomHem-avtalet"), title="Undertecknat KomHem-avtal", kind="signed")


def test_public_pages_are_accessible_and_publishing_a_version_shows_it(tmp_path):
    app = seeded_app(tmp_path / "public.db", _prepare, PUBLIC_RATE_LIMIT="1000 per minute")
    with app.app_context():
        db.connect(reuse_if_open=True)
        komhem = Agreement.get(Agreement.short_name == "KomHem-avtal").id
        count = len(public_register.search())
        db.close()
    with served(app) as base, chromium() as browser, Journey("public") as journey:
        page = journey.watch(new_page(browser))
        page.goto(f"{base}/login")
        journey.step(page, "login-links-to-public")
        page.get_by_role("link", name="se det öppna registret utan inloggning").click()
        assert page.url == f"{base}/public"
        assert page.get_by_role("status").inner_text().startswith(f"{count} avtal")
        journey.step(page, "list")

        page.get_by_label("Typ").select_option("avtal")
        page.get_by_role("button", name="Sök").click()
        journey.step(page, "list-filtered")

        page.get_by_role("link", name="Utskriftsvänlig lista").click()
        journey.step(page, "print")

        page.goto(f"{base}/public/agreements/{komhem}")
        assert "Kommunstyrelsen" in page.inner_text("main")
        assert "Undertecknat KomHem-avtal" not in page.inner_text("main")  # not published yet
        journey.step(page, "agreement")

        # An editor publishes the signed version on the agreement page.
        editor = journey.watch(new_page(browser))
        editor.goto(f"{base}/agreements/{komhem}")
        journey.step(editor, "editor-login")
        log_in(editor, EDITOR, seed.DEMO_PASSWORD)
        journey.step(editor, "agreement-page-version-not-published")
        editor.get_by_role("button", name="Publicera version 1").click()
        assert "är publicerad" in editor.inner_text("main")
        journey.step(editor, "agreement-page-version-published")

        page.goto(f"{base}/public/agreements/{komhem}")
        journey.step(page, "agreement-with-document")
        with page.expect_download() as download:
            page.get_by_role("link", name="Undertecknat KomHem-avtal").click()
        assert download.value.suggested_filename.endswith(".pdf")

        page.goto(f"{base}/public/embed")
        journey.step(page, "embed")
        page.goto(f"{base}/public?lang=en")
        assert "Printable list" in page.inner_text("body")
        journey.step(page, "list-english")

        # The embeddable list in a frame of a page of the register's own origin ('self'), the policy in force;
        # the agreement page refuses to be framed.
        framing = new_page(browser, bypass_csp=False)
        framing.goto(f"{base}/public/agreements.json")
        framing.set_content(
            f'<iframe id="embed" src="{base}/public/embed" title="Avtal"></iframe>'
            f'<iframe id="page" src="{base}/public/agreements/{komhem}" title="Avtalet"></iframe>'
        )
        embedded = framing.frame_locator("#embed")
        assert embedded.get_by_role("heading", name="Avtal och överenskommelser").is_visible()
        refused = framing.frame_locator("#page")
        assert refused.get_by_role("heading", name="Uppgifter").count() == 0
