"""Three user journeys in real Chromium, each page checked with axe-core.

1. ReKo's secretary logs in, reads the dashboard, opens the agreements expiring this year and records
   the review ReKo decided at its meeting.
2. An owner gets a reminder email (from a real SMTP server on loopback), follows its link, logs in and
   records the review; the next reminder run sends nothing more for that deadline.
3. An auditor lists the agreements expiring within 180 days, opens one's history and downloads the
   list as XLSX.

The app runs from a background thread on a seeded SQLite file (the demo data, "today" 2026-11-23),
plus two agreements that expire next year: one within 180 days, one after. Screenshots go to
test-output/journeys/<journey>/ (git-ignored); see tests/browser.py for the start-up and the checks.
"""

import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from registry import seed
from registry.db import db
from registry.domain import users
from registry.domain.agreements import save_agreement
from registry.models import Agreement, Group, Organisation, Person, Reminder
from tests.browser import Journey, axe_violations, chromium, describe, log_in, new_page, seeded_app, served
from tests.smtp import point_app_at, smtp_server  # noqa: F401

pytestmark = pytest.mark.browser

SECRETARY = "sekreterare.reko@example.org"  # demo account: admin, ReKo's secretary
AUDITOR = "revisor@example.org"  # demo account: auditor
OWNER = "beredning.reko@example.org"  # owns Läkaruppdrag; gets an editor's account in ReKo
OWNER_PASSWORD = "ett-långt-lösenord-för-test"
LAKARUPPDRAG = "Läkaruppdrag och medicinsk samverkan mellan vårdcentraler och kommunal hälso- och sjukvård"
TOLK = "Överenskommelse om gemensam tolkförmedling i Jönköpings län"  # expires 2027-03-31: within 180 days
LAKEMEDEL = "Överenskommelse om läkemedelsgenomgångar i särskilt boende"  # expires 2027-09-30: after 180 days


def _add_test_data():
    """Two agreements expiring next year (one of them with an edit in its history) and the accounts."""
    groups = dict(Group.select(Group.name, Group.id).tuples())
    aldre = Person.get(Person.email == "beredning.aldre@example.org").id
    parties = [o.id for o in Organisation.select().where(Organisation.kind.in_(("region", "municipality")))]

    def agreement(title, short_name, expires_on, existing=None):
        data = {
            "title": title,
            "short_name": short_name,
            "kind": "overenskommelse",
            "responsible_group": groups["Strategigrupp Äldre"],
            "owners": [aldre],
            "parties": parties,
            "valid_from": date(2025, 1, 1),
            "expires_on": expires_on,
            "status": "in_force",
        }
        return save_agreement(data, existing)

    tolk = agreement(TOLK, "Tolkförmedling", date(2026, 12, 31))
    agreement(TOLK, "Tolkförmedling", date(2027, 3, 31), tolk)  # prolonged: the auditor sees it in its history
    agreement(LAKEMEDEL, "Läkemedelsgenomgångar", date(2027, 9, 30))
    seed.load_users()
    users.save_user(
        {
            "email": OWNER,
            "name": "Beredningsansvarig ReKo",
            "role": "editor",
            "groups": [groups["ReKo"]],
            "password": OWNER_PASSWORD,
        }
    )


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A fresh page (no cookies) in the shared browser."""
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def app(tmp_path):
    return seeded_app(tmp_path / "journeys.db", _add_test_data)


def heading(page):
    return page.get_by_role("heading", level=1)


def test_secretary_records_the_review_reko_decided(app, page):
    from playwright.sync_api import expect

    with served(app) as base, Journey("1-secretary") as journey:
        journey.watch(page)
        page.goto(f"{base}/")
        expect(heading(page)).to_have_text("Logga in")
        journey.step(page, "login")
        log_in(page, SECRETARY, seed.DEMO_PASSWORD)

        # The dashboard: Läkaruppdrag, ReKo's, expires in 38 days.
        expect(heading(page)).to_have_text("Översikt")
        upcoming = page.locator("section[aria-labelledby='upcoming-heading']")
        lakar = upcoming.get_by_role("row").filter(has_text="Läkaruppdrag")
        expect(lakar).to_contain_text("2026-12-31")
        expect(lakar).to_contain_text("ReKo")
        expect(lakar.get_by_role("cell").last).to_have_text("38")
        journey.step(page, "dashboard")

        # The agreements expiring this year: a report from today to New Year's Eve.
        page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Rapporter").click()
        expect(heading(page)).to_have_text("Rapporter")
        journey.step(page, "reports")
        page.get_by_role("link", name="Avtal som upphör").click()
        expect(heading(page)).to_have_text("Avtal som upphör")
        journey.step(page, "expiring-default")
        page.get_by_label("Från").fill("2026-11-23")
        page.get_by_label("Till").fill("2026-12-31")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_text("Visar 2026-11-23 till 2026-12-31.")).to_be_visible()
        rows = page.locator("table.report tbody tr")
        expect(rows).to_have_count(1)  # not Tolkförmedling (2027-03-31)
        expect(rows.first).to_contain_text(LAKARUPPDRAG)
        expect(rows.first).to_contain_text("2026-12-31")
        journey.step(page, "expiring-this-year")

        rows.first.get_by_role("link", name=re.compile("^Läkaruppdrag")).click()
        expect(heading(page)).to_have_text(re.compile("^Läkaruppdrag och medicinsk samverkan"))
        journey.step(page, "agreement")

        # ReKo decided on 2026-11-20 to prolong it by two years.
        page.get_by_role("link", name="Registrera uppföljning").click()
        expect(heading(page)).to_have_text("Registrera uppföljning")
        expect(page.get_by_label("Uppföljningsdatum")).to_have_value("2026-11-23")
        journey.step(page, "review-form")
        page.get_by_label("Uppföljningsdatum").fill("2026-11-20")
        page.get_by_label("Utfall").select_option(label="Förlängd")
        page.get_by_label("… eller namn/forum").fill("ReKo")
        page.get_by_label("Beslutsreferens").fill("ReKo 2026-11-20 § 7")
        page.get_by_label("Anteckningar").fill("Förlängs två år i väntan på den nationella utredningen.")
        page.get_by_role("button", name="Spara uppföljning").click()

        # Prolonged, but to when? The form says so, and keeps what was typed.
        expect(page.get_by_role("alert")).to_contain_text("Formuläret innehåller fel och har inte sparats.")
        new_expiry = page.get_by_label("Nytt slutdatum")
        expect(new_expiry).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#new_expires_on-error")).to_have_text(
            "Ange ett nytt slutdatum som ÅÅÅÅ-MM-DD när avtalet förlängs."
        )
        expect(page.get_by_label("Beslutsreferens")).to_have_value("ReKo 2026-11-20 § 7")
        journey.step(page, "review-form-error")
        new_expiry.fill("2028-12-31")
        page.get_by_role("button", name="Spara uppföljning").click()

        expect(page.get_by_role("status").filter(has_text="Uppföljningen har registrerats.")).to_be_visible()
        expect(heading(page)).to_have_text(re.compile("^Läkaruppdrag och medicinsk samverkan"))
        facts = page.locator("dl.facts")
        expect(facts.locator("dt:has-text('Giltig till') + dd")).to_have_text("2028-12-31")
        reviews = page.locator("section[aria-labelledby='reviews-heading'] tbody tr")
        expect(reviews).to_have_count(1)
        for text in ("2026-11-20", "Förlängd (till 2028-12-31)", "ReKo", "ReKo 2026-11-20 § 7"):
            expect(reviews.first).to_contain_text(text)
        journey.step(page, "review-recorded")

        # Back on the dashboard the deadline is gone.
        page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Översikt").click()
        expect(heading(page)).to_have_text("Översikt")
        expect(upcoming.get_by_role("row").filter(has_text="Läkaruppdrag")).to_have_count(0)
        journey.step(page, "dashboard-after")


def _reminders(app, *args):
    """`flask --app wsgi reminders run ARGS` against the app; return its output lines."""
    out = app.test_cli_runner().invoke(args=["reminders", "run", *args])
    with app.app_context():
        db.close()
    assert out.exit_code == 0, out.output
    return out.output.strip().splitlines()


def _lakaruppdrag_expiry_reminders(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            agreement = Agreement.get(Agreement.short_name == "Läkaruppdrag")
            rows = (
                Reminder.select()
                .where(
                    (Reminder.agreement == agreement)
                    & (Reminder.kind == "expiry")
                    & (Reminder.deadline_on == date(2026, 12, 31))
                )
                .order_by(Reminder.stage, Reminder.recipient)
            )
            return sorted((r.stage, r.recipient, r.state) for r in rows)
        finally:
            db.close()


def test_owner_follows_the_reminder_and_records_the_review(app, page, smtp_server):  # noqa: F811
    from playwright.sync_api import expect

    point_app_at(app, smtp_server)
    with served(app) as base, Journey("2-owner") as journey:
        app.config["APP_BASE_URL"] = base

        # Today's pass: Läkaruppdrag expires in 38 days. Its 180- and 90-day reminders are both due;
        # the owner gets the later one.
        lines = _reminders(app)
        assert "Subject: Påminnelse: Läkaruppdrag – upphör 2026-12-31" in lines, lines
        mail = smtp_server.to(OWNER)
        assert len(mail) == 1, [m.subject for m in mail]
        mail = mail[0]
        assert mail.subject == "Påminnelse: Läkaruppdrag – upphör 2026-12-31"
        link = re.search(rf"{re.escape(base)}/agreements/(\d+)", mail.text)
        assert link, mail.text
        assert ("before:90", OWNER, "sent") in _lakaruppdrag_expiry_reminders(app)

        # Without a review the 30-day reminder would go out on 2026-12-01.
        dry = _reminders(app, "--today", "2026-12-01", "--dry-run")
        assert "  - 2026-12-31 expiry [before:30] (30 days) Läkaruppdrag" in dry, dry

        # The owner opens the email and follows its link to the register.
        journey.watch(page)
        page.set_content(mail.html)
        expect(page.get_by_text("Det här är en påminnelse från Överenskommelseregistret")).to_be_visible()
        journey.step(page, "email")
        page.get_by_role("link", name=re.compile("^Läkaruppdrag och medicinsk samverkan")).click()
        expect(heading(page)).to_have_text("Logga in")
        journey.step(page, "login")
        log_in(page, OWNER, OWNER_PASSWORD)
        page.wait_for_url(link.group(0))
        expect(heading(page)).to_have_text(re.compile("^Läkaruppdrag och medicinsk samverkan"))
        reminder_rows = page.locator("section[aria-labelledby='reminders-heading'] tbody tr")
        expect(reminder_rows.filter(has_text=OWNER).filter(has_text="90 dagar före")).to_contain_text("Skickad")
        journey.step(page, "agreement")

        page.get_by_role("link", name="Registrera uppföljning").click()
        expect(heading(page)).to_have_text("Registrera uppföljning")
        journey.step(page, "review-form")
        page.get_by_label("Utfall").select_option(label="Förlängd")
        page.get_by_label("Nytt slutdatum").fill("2027-12-31")
        page.get_by_label("Uppföljd av (person)").select_option(label=f"Beredningsansvarig ReKo <{OWNER}>")
        page.get_by_label("Beslutsreferens").fill("ReKo 2026-11-20 § 7")
        page.get_by_role("button", name="Spara uppföljning").click()
        expect(page.get_by_role("status").filter(has_text="Uppföljningen har registrerats.")).to_be_visible()
        expect(page.locator("dl.facts dt:has-text('Giltig till') + dd")).to_have_text("2027-12-31")
        journey.step(page, "review-recorded")

        # The next run, on the day the 30-day reminder was due, sends nothing more for 2026-12-31.
        before = _lakaruppdrag_expiry_reminders(app)
        smtp_server.clear()
        lines = _reminders(app, "--today", "2026-12-01")
        assert not [line for line in lines if "Läkaruppdrag" in line], lines
        assert not [m.subject for m in smtp_server.messages if "Läkaruppdrag" in m.text], lines
        assert smtp_server.to(OWNER) == []
        assert _lakaruppdrag_expiry_reminders(app) == before

        page.reload()
        expect(reminder_rows.filter(has_text="30 dagar före")).to_have_count(0)
        journey.step(page, "agreement-after-next-run")


def test_auditor_lists_expiring_agreements_and_downloads_xlsx(app, page):
    from playwright.sync_api import expect

    with served(app) as base, Journey("3-auditor") as journey:
        journey.watch(page)
        page.goto(f"{base}/")
        journey.step(page, "login")
        log_in(page, AUDITOR, seed.DEMO_PASSWORD)
        expect(heading(page)).to_have_text("Översikt")
        journey.step(page, "dashboard")

        page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Rapporter").click()
        journey.step(page, "reports")
        page.get_by_role("link", name="Avtal som upphör").click()
        expect(heading(page)).to_have_text("Avtal som upphör")
        journey.step(page, "expiring-default")
        page.get_by_label("Inom antal dagar").fill("180")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_text("Visar 2026-11-23 till 2027-05-22.")).to_be_visible()
        rows = page.locator("table.report tbody tr")
        expect(rows).to_have_count(2)  # not Läkemedelsgenomgångar (2027-09-30)
        expect(rows.nth(0)).to_contain_text(LAKARUPPDRAG)
        expect(rows.nth(1)).to_contain_text(TOLK)
        expect(rows.nth(1)).to_contain_text("2027-03-31")
        journey.step(page, "expiring-180-days")
        report_url = page.url

        # Tolkförmedling's history: its end date was moved from 2026-12-31 to 2027-03-31.
        rows.nth(1).get_by_role("link", name=TOLK).click()
        expect(heading(page)).to_have_text(TOLK)
        history = page.locator("section[aria-labelledby='history-heading'] tbody tr")
        expect(history.filter(has_text="2026-12-31 → 2027-03-31")).to_have_count(1)
        expect(page.get_by_role("link", name="Registrera uppföljning")).to_have_count(0)  # auditors only read
        journey.step(page, "agreement-history")

        page.go_back()
        assert page.url == report_url
        with page.expect_download() as download:
            page.get_by_role("link", name="XLSX", exact=True).click()
        path = journey.folder / download.value.suggested_filename
        download.value.save_as(path)
        assert re.fullmatch(r"expiring-\d{8}-\d{4}\.xlsx", path.name), path.name

    table, about = load_workbook(path).worksheets  # the table first, the metadata on a second sheet
    meta = list(about.iter_rows(values_only=True))
    assert meta[0][0] == "Avtal som upphör"
    assert meta[2][:2] == ("Skapad av", AUDITOR)
    assert meta[3][0] == "Filter" and meta[3][1].startswith("Från: ")
    cells = list(table.iter_rows(values_only=True))
    header = cells[0]
    assert header[:2] == ("Id", "Titel") and "Giltig till" in header
    data = [dict(zip(header, row, strict=True)) for row in cells[1:] if any(v not in (None, "") for v in row)]
    assert [(r["Titel"], r["Giltig till"]) for r in data] == [
        (LAKARUPPDRAG + " i ordinärt och särskilt boende", datetime(2026, 12, 31)),
        (TOLK, datetime(2027, 3, 31)),
    ]
    assert data[1]["Kortnamn"] == "Tolkförmedling"
    assert data[1]["Ägare"] == "beredning.aldre@example.org"


def test_the_accessibility_check_names_each_violation(page):
    """The check is not vacuous: a page with known faults fails it, and the message says what and where."""
    page.set_content(
        '<!doctype html><html lang="sv"><head><title>Fel</title></head><body><main><h1>Fel</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="logo">'
        '<form><input id="q" name="q"></form>'
        '<p style="color: #bbb; background: #fff">Svag kontrast</p></main></body></html>'
    )
    found = {v["id"]: v for v in axe_violations(page)}
    assert {"image-alt", "label", "color-contrast"} <= set(found), found
    message = describe([("fel.html", found.values())])
    assert "image-alt [critical]: Images must have alternative text" in message, message
    assert "#logo" in message and "#q" in message, message
