"""Journey 5 in real Chromium: a revision from start to the successor in force.

ReKo's secretary opens the family-centre agreement (the region and its 13 municipalities are parties) and
starts a revision under a mandate from KCRD (2026-11-06 § 7), led by Strategigrupp Äldre's editor, with two
of the sources' suggested steps (a draft, a child-impact assessment) and one of her own. She marks the
draft done, sends the draft on remiss to the fourteen parties, records their answers in one form, creates
the draft successor, and records the last party's decision after the other thirteen are in: the successor
is in force, the old version "Ersatt", the revision completed, and each page shows the chain of versions.

Every page is screenshotted at 1366 and 390 px, checked with axe-core and read for stored codes (see
tests/browser.py and tests/test_journeys.py).
"""

import re
from datetime import date

import pytest

from registry import seed
from registry.domain import adoptions
from registry.domain.agreements import save_agreement
from registry.models import Agreement, Group, Organisation, Person, Revision
from registry.vocab import CONSULTATION_POSITIONS, REVISION_DEADLINE_KINDS, REVISION_STATES
from tests.browser import Journey, log_in, seeded_app, served
from tests.test_journeys import browser, heading, in_db, page  # noqa: F401  (fixtures)
from tests.test_journeys import codes_in as journey_codes

pytestmark = pytest.mark.browser

SECRETARY = "sekreterare.reko@example.org"
LEAD = "beredning.aldre@example.org"
TITLE = "Regional samverkan för familjecentral – Överenskommelse"
TODAY = date(2026, 11, 23)
# Besides journey 1–4's codes: a revision's states, the remiss's positions and the new deadline kinds (no
# Swedish word among them but the positions without "_", which are their own labels in lower case).
REVISION_CODES = [*REVISION_STATES, *REVISION_DEADLINE_KINDS, *(c for c in CONSULTATION_POSITIONS if "_" in c)]
REVISION_PATTERNS = [re.compile(rf"(?<![\w@./-]){re.escape(code)}(?![\w@/-])") for code in REVISION_CODES]


def codes_in(text):
    """journey 1–4's codes, and a revision's."""
    return sorted(set(journey_codes(text)) | {m.group(0) for p in REVISION_PATTERNS for m in p.finditer(text)})


def _family_centre():
    parties = [o.id for o in Organisation.select().where(Organisation.kind.in_(("region", "municipality")))]
    assert len(parties) == 14
    save_agreement(
        {
            "title": TITLE,
            "short_name": "Familjecentral",
            "kind": "overenskommelse",
            "responsible_group": Group.get(Group.name == "ReKo").id,
            "owners": [Person.get(Person.email == LEAD).id],
            "parties": parties,
            "valid_from": date(2024, 1, 1),
            "expires_on": date(2027, 12, 31),
            "status": "in_force",
        }
    )
    seed.load_users()


@pytest.fixture
def app(tmp_path):
    return seeded_app(tmp_path / "journey-revision.db", _family_centre)


def test_a_revision_goes_from_start_to_the_successor_in_force(app, page):  # noqa: F811
    from playwright.sync_api import expect

    old_id = in_db(app, lambda: Agreement.get(Agreement.title == TITLE).id)
    with served(app) as base, Journey("5-revision", find_codes=codes_in) as journey:
        journey.watch(page)
        page.goto(f"{base}/agreements/{old_id}")
        journey.step(page, "login")
        log_in(page, SECRETARY, seed.DEMO_PASSWORD)
        expect(heading(page)).to_have_text(TITLE)
        journey.step(page, "agreement")

        # Start: the mandate, the lead, the date of the new version, steps.
        page.locator("section#revision").get_by_role("link", name="Starta revidering").click()
        expect(heading(page)).to_have_text("Starta revidering")
        page.get_by_label("Uppdrag från").fill("KCRD")
        page.get_by_label("Uppdragets datum").fill("2026-11-06")
        page.get_by_label("Uppdragets paragraf").fill("§ 7")
        page.get_by_label("Ansvarig för revideringen").select_option(label="Beredningsansvarig Äldre")
        page.get_by_label("Ny version beslutad senast").fill("2027-06-30")
        page.get_by_role("checkbox", name="Utkast till ny överenskommelse").check()
        page.get_by_label("Klart senast (Utkast till ny överenskommelse)").fill("2027-01-15")
        page.get_by_role("checkbox", name="Barnkonsekvensanalys").check()
        page.get_by_label("Klart senast (Barnkonsekvensanalys)").fill("2027-03-01")
        page.get_by_label("Eget steg", exact=True).first.fill("Koppling till hälsoval och krav- och kvalitetsbok")
        page.get_by_label("Klart senast (Eget steg 1)").fill("2027-04-01")
        journey.step(page, "start-form")
        page.get_by_role("button", name="Starta revideringen").click()
        expect(heading(page)).to_have_text("Revidering")
        expect(page.get_by_role("status")).to_contain_text("Revideringen har startats.")
        expect(page.locator("#revision-mandate")).to_have_text("KCRD 2026-11-06 § 7")
        steps = page.locator("table.revision-steps tbody tr")
        expect(steps).to_have_count(3)
        journey.step(page, "revision-started")

        # The draft is done; the remiss goes to the fourteen parties.
        steps.first.get_by_role("button", name=re.compile("^Markera klart")).click()
        expect(steps.first).to_contain_text("2026-11-23")
        journey.step(page, "step-done")
        page.get_by_label("Sista svarsdag").fill("2027-02-15")
        page.get_by_role("button", name="Registrera remissen").click()
        expect(page.locator("#consultation-summary")).to_contain_text("Svar från 0 av 14 parter")
        answers = page.locator("#answers-form select")
        expect(answers).to_have_count(14)
        journey.step(page, "remiss-sent")

        # Every party answers; one with comments, one abstains.
        for index in range(14):
            position = {1: "Tillstyrker med synpunkter", 13: "Avstår"}.get(index, "Tillstyrker")
            answers.nth(index).select_option(label=position)
        page.locator("#answers-form input[name$='-comment']").nth(1).fill("Förtydliga finansieringen.")
        page.get_by_role("button", name="Spara svaren").click()
        expect(page.locator("#consultation-summary")).to_contain_text("Svar från 14 av 14 parter")
        journey.step(page, "answers")

        # The draft successor beside the version in force.
        page.get_by_role("button", name="Skapa ny version som utkast").click()
        expect(page.locator("p.lead")).to_contain_text("Utkast")
        successor_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        assert successor_id != old_id
        expect(page.locator("#replaces")).to_contain_text(TITLE)
        expect(page.locator("#adoption-count")).to_contain_text("Antagen av 0 av 14")
        journey.step(page, "successor-draft")

        page.goto(f"{base}/agreements/{old_id}")
        expect(page.locator("#replaced-by")).to_contain_text("(utkast)")
        expect(page.locator("#revision-summary")).to_contain_text("Pågår")
        journey.step(page, "old-under-revision")

        # Thirteen parties have decided (recorded outside the browser); the last one on its form.
        def thirteen():
            successor = Agreement.get_by_id(successor_id)
            parties = [p.organisation for p in adoptions.standing(successor).parties]
            for party in parties[:13]:
                adoptions.record(
                    successor,
                    party.id,
                    {"body": "Kommunstyrelsen", "decided_on": "2026-11-20", "decision_ref": "§ 3"},
                    TODAY,
                )
            return parties[13]

        last = in_db(app, thirteen)
        page.goto(f"{base}/agreements/{successor_id}/adoptions/{last.id}")
        page.get_by_label("Beslutande organ").fill(f"Kommunstyrelsen, {last.name}")
        page.get_by_label("Beslutsdatum").fill("2026-11-23")
        page.get_by_label("Paragraf").fill("§ 201")
        journey.step(page, "last-decision")
        page.get_by_role("button", name="Spara beslutet").click()
        expect(page.get_by_role("status").last).to_contain_text("avtalet gäller nu")
        expect(page.locator("p.lead")).to_contain_text("Gällande")
        expect(page.locator("#replaces")).to_contain_text("(ersatt)")
        expect(page.locator("#versions")).to_contain_text("den här versionen")
        journey.step(page, "successor-in-force")

        page.goto(f"{base}/agreements/{old_id}")
        expect(page.locator("p.lead")).to_contain_text("Ersatt")
        expect(page.locator("#replaced-by")).to_contain_text(TITLE)
        expect(page.locator("#revision-summary")).to_contain_text("Slutförd")
        journey.step(page, "old-replaced")

        page.locator("#revision-summary").get_by_role("link", name="Visa revideringen").click()
        expect(page.locator("#revision-state")).to_contain_text("Slutförd")
        expect(page.locator("#successor")).to_contain_text("Antagen av 14 av 14")
        journey.step(page, "revision-completed")

    assert in_db(app, lambda: Revision.get(Revision.agreement == old_id).state) == "completed"
