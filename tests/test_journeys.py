"""Four user journeys in real Chromium: every page screenshotted at 1366 and 390 px, checked with axe-core,
and read for stored codes.

1. ReKo's secretary logs in to a dashboard that opens with "Mina avtal", lists the agreements of an owner
   from another group, and finds "Mina avtal" again under her name in the header. She registers a new
   agreement with all the county's municipalities as parties in one action (the post arrives twice, as a
   double click sends it: one agreement), then takes a party away: the page says what would go before
   anything is stored, and stores it once she confirms. Last she opens the agreements expiring this year
   and records the review ReKo decided at its meeting (sent twice too: one review, and the page says so).
2. An owner outside the responsible group (Strategigrupp Äldre's editor, owner of two agreements ReKo is
   responsible for) gets her reminders, one email per agreement, from a real SMTP server on loopback.
   She follows the reminder's link, logs in, lands on the agreement and records the review from the
   email's link to the form; finds her agreements under her name ("Mina avtal", her own list); answers an
   overdue notice with "Vi arbetar med det" and confirms it, which the agreement page and its change
   history show. The reminder passes of the next 13 days send nothing about that deadline to anyone; on
   the 14th day the escalation to ReKo's chair and the secretary resumes.
3. An auditor lists the agreements expiring within 180 days, opens one's history, downloads the list as
   XLSX, mistypes the filter and reads why, filters the audit trail by an agreement's title, and a week
   later, on 2026-11-30, reads the default window of six calendar months (to 2027-05-31).
4. ReKo's secretary prepares ReKo's meeting of 2026-12-11 from the dashboard's "ReKo:s nästa möte": its
   computed agenda holds the late Läkaruppdrag and Fallprevention; she brings the SIP's new version
   forward from February, moves Fallprevention to January, adds and takes off another matter, downloads
   the agenda as Word (read back with python-docx) and looks at it as it prints. On the meeting day she
   records ReKo's decisions in one form (one posted twice, as a double click sends it: recorded once):
   Läkaruppdrag is extended to 2027-12-31 (§ 5) and the SIP tabled (§ 6); the agreement moves, and the
   tabled item is on January's agenda.

The app runs from a background thread on a seeded SQLite file (the demo data, "today" 2026-11-23),
plus a few agreements of the test's own (see _add_test_data). Screenshots go to
test-output/journeys/<journey>/NN-step-1366.png and NN-step-390.png (git-ignored); see tests/browser.py
for the start-up and the checks. No page a journey visits, and no email it reads, may show a stored code
(tests/test_no_codes.py's list, and on these Swedish pages every vocabulary code that is no Swedish word).
"""

import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from registry import seed, vocab
from registry.db import db
from registry.domain import agendas, directory
from registry.domain.agreements import save_agreement
from registry.models import (
    Agreement,
    AgreementParty,
    AuditEntry,
    Group,
    GroupMember,
    Organisation,
    Person,
    Reminder,
    Review,
)
from tests.browser import Journey, axe_violations, chromium, describe, log_in, new_page, seeded_app, served
from tests.html import visible_text
from tests.smtp import point_app_at, smtp_server  # noqa: F401
from tests.test_no_codes import PATTERNS

pytestmark = pytest.mark.browser

# --- Words of the interface the journeys find things by --------------------------------------------------
# The words a person reads (the yearly review is an "uppföljning", issue #12 item 8), one line each.
REGISTER_REVIEW = "Registrera uppföljning"  # the agreement page's button and the form's heading
SAVE_REVIEW = "Spara uppföljning"
REVIEW_RECORDED = "Uppföljningen har registrerats."
REVIEW_REPEATED = "Uppföljningen var redan registrerad; formuläret skickades två gånger."
REVIEW_DATE = "Uppföljningsdatum"
REVIEWED_BY = "Uppföljd av (person)"
AUDITOR_ROLE = "Revisor"  # the auditor's role, shown beside the name in the header
EXPIRES_SOON = "Upphör snart"  # the badge of an agreement expiring within the dashboard's window
MAIL_REVIEW_LINK = "Registrera uppföljningen"  # the reminder email's link to the review form
ACKNOWLEDGE = "Vi arbetar med det"  # the overdue notice's link, the confirm page's heading
CONFIRM_ACKNOWLEDGE = "Bekräfta: vi arbetar med det"
ALL_MUNICIPALITIES = "Alla kommuner i länet"
AGREEMENT_REPEATED = "Avtalet var redan registrerat; formuläret skickades två gånger."
REMOVAL_WARNING = "Ändringarna är inte sparade: de tar bort följande från avtalet."
CONFIRM_REMOVAL = "Ja, ta bort dessa från avtalet"
NEXT_MEETING = "ReKo:s nästa möte 2026-12-11"  # the dashboard's heading of ReKo's next meeting
AGENDA_WORD = "Ärendelista (Word)"  # the meeting page's download
SAVE_DECISIONS = "Spara besluten"
DECISIONS_RECORDED = "2 beslut är registrerade och avtalen uppdaterade."
NO_NEW_DECISIONS = "Inga nya beslut att registrera."

# --- People and agreements --------------------------------------------------------------------------------
SECRETARY = "sekreterare.reko@example.org"  # demo account: admin, ReKo's secretary (every escalation)
AUDITOR = "revisor@example.org"  # demo account: auditor
# Demo account: editor in Strategigrupp Äldre, named owner of Läkaruppdrag and Fallprevention, which ReKo
# is responsible for. She chose one email per agreement (see _add_test_data).
OWNER = "beredning.aldre@example.org"
OWNER_NAME = "Beredningsansvarig Äldre"
CHAIR = "ordforande.reko@example.org"  # ReKo's chair: hears of ReKo's overdue deadlines
MAILBOX = "reko@example.org"  # ReKo's group mailbox
LAKARUPPDRAG = "Läkaruppdrag och medicinsk samverkan mellan vårdcentraler och kommunal hälso- och sjukvård"
TOLK = "Överenskommelse om gemensam tolkförmedling i Jönköpings län"  # expires 2027-03-31: within 180 days
LAKEMEDEL = "Överenskommelse om läkemedelsgenomgångar i särskilt boende"  # expires 2027-09-30: after 180 days
# ReKo's, owned by OWNER only; reviewed yearly from 2025-01-01, so its review is overdue since 2026-01-01.
FALL = "Överenskommelse om samverkan kring fallprevention för äldre i ordinärt boende"
FALL_REVIEW_DUE = date(2026, 1, 1)
# Expires on the last day of the six calendar months after 2026-11-30 (180 days would end on 2027-05-29).
SUICID = "Överenskommelse om samverkan kring suicidprevention i Jönköpings län"
SIP_TITLE = "Samordnad individuell plan (SIP) – Överenskommelse"  # under revision: a new version due 2027-05-23
NEW_TITLE = "Överenskommelse om hemsjukvård under helger och storhelger"  # registered by the secretary

# --- No stored code where a person reads ------------------------------------------------------------------
# tests/test_no_codes.py's patterns, and, these pages being Swedish, every code of the vocabularies that is
# no Swedish word (a role "secretary", an outcome "extended", an action "acknowledge" ...). A code counts
# as shown when it stands as a word of its own, not inside an address, a path or an e-mail address.
# Codes that are also Swedish words ("Kommunalt forum", "Annan organisation", "för sent").
SWEDISH_WORDS = {"avtal", "strategi", "riktlinje", "rutin", "handlingsplan", "forum", "region", "person"}
SWEDISH_WORDS |= {"organisation", "sent"}
VOCABULARIES = (
    vocab.AGREEMENT_KINDS,
    vocab.AGREEMENT_STATUSES,
    vocab.REVIEW_OUTCOMES,
    vocab.GROUP_KINDS,
    vocab.ORGANISATION_KINDS,
    vocab.REMINDER_STATES,
    vocab.REMINDER_TRIGGERS,
    vocab.REMINDER_ROLES,
    vocab.ROLES,
    vocab.AUDIT_ACTIONS,
    vocab.AUDIT_ENTITIES,
    vocab.REMINDER_DELIVERY,
    vocab.AGENDA_KINDS,
    vocab.AGENDA_OUTCOMES,
)
SWEDISH_PAGE_CODES = sorted({code for v in VOCABULARIES for code in v} - SWEDISH_WORDS)
CODE_PATTERNS = [
    *PATTERNS,
    *(re.compile(rf"(?<![\w@./-]){re.escape(code)}(?![\w@/-])") for code in SWEDISH_PAGE_CODES),
]


def codes_in(text):
    """The stored codes a text shows, sorted (none: [])."""
    return sorted({m.group(0) for pattern in CODE_PATTERNS for m in pattern.finditer(text)})


def mail_codes(messages):
    """{subject and recipient: codes} of the messages whose text or HTML (as read) shows a code."""
    found = {}
    for m in messages:
        hits = codes_in(m.text) + codes_in(visible_text(m.html))
        if hits:
            found[f"{m.recipients} {m.subject}"] = sorted(set(hits))
    return found


def _add_test_data():
    """Agreements of the test's own, the demo accounts, and the owner's choice of one email per agreement."""
    groups = dict(Group.select(Group.name, Group.id).tuples())
    people = dict(Person.select(Person.email, Person.id).tuples())
    parties = [o.id for o in Organisation.select().where(Organisation.kind.in_(("region", "municipality")))]

    def agreement(title, short_name, group, owner, existing=None, **values):
        data = {
            "title": title,
            "short_name": short_name,
            "kind": "overenskommelse",
            "responsible_group": groups[group],
            "owners": [people[owner]],
            "parties": parties,
            "valid_from": date(2025, 1, 1),
            "status": "in_force",
            **values,
        }
        return save_agreement(data, existing)

    aldre = "Strategigrupp Äldre"
    tolk = agreement(TOLK, "Tolkförmedling", aldre, OWNER, expires_on=date(2026, 12, 31))
    agreement(TOLK, "Tolkförmedling", aldre, OWNER, tolk, expires_on=date(2027, 3, 31))  # prolonged: in its history
    agreement(LAKEMEDEL, "Läkemedelsgenomgångar", aldre, OWNER, expires_on=date(2027, 9, 30))
    agreement(FALL, "Fallprevention", "ReKo", OWNER, review_rule="FREQ=YEARLY;INTERVAL=1")
    agreement(
        SUICID,
        "Suicidprevention",
        "Strategigrupp Psykiatri och missbruk",
        "beredning.psykiatri-missbruk@example.org",
        expires_on=date(2027, 5, 31),
    )
    seed.load_users()
    owner = Person.get(Person.email == OWNER)
    directory.save_person(
        {
            "name": owner.name,
            "email": owner.email,
            "title": owner.title,
            "organisation": owner.organisation_id,
            "groups": [m.group_id for m in GroupMember.select().where(GroupMember.person == owner)],
            "is_secretary": owner.is_secretary,
            "reminder_delivery": "each",
        },
        owner,
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


def main_menu(page, name):
    return page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=name, exact=True)


def header_name(page, name):
    """The logged-in person's name in the header (it leads to "Mina avtal")."""
    return page.locator("header .account").get_by_role("link", name=name, exact=True)


def in_db(app, query):
    """query() inside the app's context, with a connection of its own."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return query()
        finally:
            db.close()


def submit_twice(page, button):
    """Press `button` and let the post reach the server twice, as a double click sends it: the same
    request (body, cookies, CSRF token) once more before the browser's own. The page shows the answer to
    the second, as Chromium shows the last of two navigations. Returns the first answer's status."""
    first = []

    def twice(route):
        if route.request.method != "POST" or first:
            route.continue_()
            return
        first.append(route.fetch(max_redirects=0).status)
        route.continue_()

    page.route("**/*", twice)
    try:
        with page.expect_navigation():
            button.click()
        page.wait_for_load_state()
    finally:
        page.unroute("**/*", twice)
    assert first, "the form was not posted"
    return first[0]


def test_secretary_records_the_review_reko_decided(app, page):
    from playwright.sync_api import expect

    with served(app) as base, Journey("1-secretary", find_codes=codes_in) as journey:
        journey.watch(page)
        page.goto(f"{base}/")
        expect(heading(page)).to_have_text("Logga in")
        journey.step(page, "login")
        log_in(page, SECRETARY, seed.DEMO_PASSWORD)

        # The dashboard opens with her own part of the register, "Mina avtal", then the whole register:
        # Läkaruppdrag, ReKo's, expires in 38 days.
        expect(heading(page)).to_have_text("Översikt")
        expect(page.locator("main h2").first).to_have_text("Mina avtal")
        mine = page.locator("section#mina-avtal")
        expect(mine.get_by_role("link", name=re.compile(r"^\d+ avtal där du är ägare$"))).to_be_visible()
        upcoming = page.locator("section[aria-labelledby='upcoming-heading']")
        lakar = upcoming.get_by_role("row").filter(has_text="Läkaruppdrag")
        expect(lakar).to_contain_text("2026-12-31")
        expect(lakar).to_contain_text("ReKo")
        expect(lakar.get_by_role("cell").last).to_have_text("38")
        journey.step(page, "dashboard")

        # The register by owner: Strategigrupp Äldre's editor owns agreements ReKo is responsible for.
        main_menu(page, "Avtal").click()
        expect(heading(page)).to_have_text("Avtal")
        journey.step(page, "agreements")
        page.get_by_label("Ägare").select_option(label=OWNER_NAME)
        page.get_by_role("button", name="Visa").click()
        owner_id = in_db(app, lambda: Person.get(Person.email == OWNER).id)
        page.wait_for_url(re.compile(rf"[?&]owner={owner_id}(&|$)"))
        expect(page.get_by_text(f"Avtal där {OWNER_NAME} är ägare.")).to_be_visible()
        listed = page.locator("main table tbody tr")
        for title in (LAKARUPPDRAG, FALL):
            expect(listed.filter(has_text=title)).to_contain_text("ReKo")
        expect(listed.filter(has_text="KomHem-avtal")).to_have_count(0)  # ReKo's, but not hers
        journey.step(page, "agreements-by-owner")

        # Her name in the header leads back to her own agreements (not to "change password").
        header_name(page, "Sekreterare ReKo").click()
        page.wait_for_url(f"{base}/#mina-avtal")
        expect(page.locator("section#mina-avtal h2")).to_have_text("Mina avtal")
        journey.step(page, "mina-avtal")

        # A new agreement ReKo decided: all thirteen municipalities in one action, and the region.
        main_menu(page, "Avtal").click()
        page.get_by_role("link", name="Registrera avtal").click()
        expect(heading(page)).to_have_text("Registrera avtal")
        journey.step(page, "new-agreement")
        page.get_by_label("Titel").fill(NEW_TITLE)
        page.get_by_label("Kortnamn").fill("Helgsjukvård")
        page.get_by_label("Typ", exact=True).select_option(label="Överenskommelse")
        page.get_by_label("Status", exact=True).select_option(label="Gällande")
        page.get_by_label("Ansvarig grupp (förvaltande/uppföljande)").select_option(label="ReKo")
        page.locator("#owners").get_by_label("Beredningsansvarig ReKo <beredning.reko@example.org>").check()
        parties = page.locator("#parties")
        parties.get_by_role("button", name=ALL_MUNICIPALITIES).click()
        expect(page.locator("#parties-summary")).to_contain_text("Valda (13)")
        expect(parties.locator("input[data-kind=municipality]:checked")).to_have_count(13)
        parties.get_by_label("Region Jönköpings län").check()
        expect(page.locator("#parties-summary")).to_contain_text("Valda (14)")
        page.get_by_label("Giltig från").fill("2027-01-01")
        page.get_by_label("Giltig till").fill("2028-12-31")
        journey.step(page, "new-agreement-filled")

        # A double click on "Spara": the server gets the form twice and stores one agreement.
        first = submit_twice(page, page.get_by_role("button", name="Spara", exact=True))
        assert first == 302  # the first post stored the agreement and went on to its page
        expect(page.get_by_role("status").filter(has_text=AGREEMENT_REPEATED)).to_be_visible()
        expect(heading(page)).to_have_text(NEW_TITLE)
        party_list = page.locator("ul.parties li")
        expect(party_list).to_have_count(14)
        journey.step(page, "new-agreement-saved")
        new = in_db(app, lambda: [a.id for a in Agreement.select().where(Agreement.title == NEW_TITLE)])
        assert len(new) == 1, new
        creates = AuditEntry.select().where(
            (AuditEntry.entity == "agreement") & (AuditEntry.action == "create") & (AuditEntry.entity_id == new[0])
        )
        assert in_db(app, creates.count) == 1

        # Taking a party away: the page says what would go, and stores nothing until she confirms.
        page.get_by_role("link", name="Redigera").click()
        expect(heading(page)).to_have_text("Redigera avtal")
        journey.step(page, "edit")
        page.locator("#parties").get_by_label("Aneby kommun").uncheck()
        expect(page.locator("#parties-summary")).to_contain_text("Valda (13)")
        with page.expect_navigation() as posted:
            page.get_by_role("button", name="Spara", exact=True).click()
        assert posted.value.status == 409
        warning = page.locator("#removal")
        expect(warning).to_contain_text(REMOVAL_WARNING)
        expect(warning).to_contain_text("Parter: Aneby kommun")
        expect(page.locator("#parties").get_by_label("Aneby kommun")).not_to_be_checked()  # what she did is kept
        journey.step(page, "edit-confirm-removal")
        aneby = in_db(app, lambda: Organisation.get(Organisation.name == "Aneby kommun").id)
        links = AgreementParty.select().where(
            (AgreementParty.agreement == new[0]) & (AgreementParty.organisation == aneby)
        )
        assert in_db(app, links.count) == 1  # not stored yet
        page.get_by_label(CONFIRM_REMOVAL).check()
        page.get_by_role("button", name="Spara", exact=True).click()
        expect(page.get_by_role("status").filter(has_text="Ändringarna har sparats.")).to_be_visible()
        expect(party_list).to_have_count(13)
        expect(party_list.filter(has_text="Aneby kommun")).to_have_count(0)
        journey.step(page, "edit-saved")
        assert in_db(app, links.count) == 0

        # The agreements expiring this year: a report from today to New Year's Eve.
        main_menu(page, "Rapporter").click()
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
        expect(page.locator("p.lead")).to_contain_text(EXPIRES_SOON)
        journey.step(page, "agreement")
        lakar_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        # ReKo decided on 2026-11-20 to prolong it by two years.
        page.get_by_role("link", name=REGISTER_REVIEW).click()
        expect(heading(page)).to_have_text(REGISTER_REVIEW)
        expect(page.get_by_label(REVIEW_DATE)).to_have_value("2026-11-23")
        journey.step(page, "review-form")
        page.get_by_label(REVIEW_DATE).fill("2026-11-20")
        page.get_by_label("Utfall").select_option(label="Förlängd")
        page.get_by_label("… eller namn/forum").fill("ReKo")
        page.get_by_label("Beslutsreferens").fill("ReKo 2026-11-20 § 7")
        page.get_by_label("Anteckningar").fill("Förlängs två år i väntan på den nationella utredningen.")
        page.get_by_role("button", name=SAVE_REVIEW).click()

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

        # A double click on the button: the server gets the review twice, stores it once and says so.
        first = submit_twice(page, page.get_by_role("button", name=SAVE_REVIEW))
        assert first == 302  # the first post stored the review and went on to the agreement
        reviews = Review.select().where(Review.agreement == lakar_id)
        assert in_db(app, reviews.count) == 1
        journey.step(page, "review-sent-twice")
        expect(page.get_by_role("alert"), "the second post of the same review is answered with errors").to_have_count(0)
        expect(page.get_by_role("status").filter(has_text=REVIEW_REPEATED)).to_be_visible()
        expect(heading(page)).to_have_text(re.compile("^Läkaruppdrag och medicinsk samverkan"))
        facts = page.locator("dl.facts")
        expect(facts.locator("dt:has-text('Giltig till') + dd")).to_have_text("2028-12-31")
        expect(page.locator("p.lead")).not_to_contain_text(EXPIRES_SOON)
        review_rows = page.locator("section[aria-labelledby='reviews-heading'] tbody tr")
        expect(review_rows).to_have_count(1)
        for text in ("2026-11-20", "Förlängd (till 2028-12-31)", "ReKo", "ReKo 2026-11-20 § 7"):
            expect(review_rows.first).to_contain_text(text)

        # Back on the dashboard the deadline is gone.
        main_menu(page, "Översikt").click()
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


def _deadline_log(app, short_name, kind, deadline_on):
    """(stage, recipient, state) of every delivery-log row of one deadline, sorted."""

    def rows():
        agreement = Agreement.get(Agreement.short_name == short_name)
        found = Reminder.select().where(
            (Reminder.agreement == agreement) & (Reminder.kind == kind) & (Reminder.deadline_on == deadline_on)
        )
        return sorted((r.stage, r.recipient, r.state) for r in found)

    return in_db(app, rows)


def _about(messages, title):
    """The messages that name an agreement (by its title, as every reminder does)."""
    return [m for m in messages if title in m.text]


def _reasons(app):
    """The footer's sentence for each reason a recipient gets a reminder: {role: sentence}."""
    from scheduler.delivery import reason_text

    with app.test_request_context():
        return {role: reason_text(role) for role in vocab.REMINDER_ROLES}


def _agreement_name(subject):
    found = re.fullmatch(r"Påminnelse: (.+?) – .+", subject)
    return found.group(1) if found else subject


def test_owner_follows_the_reminder_and_records_the_review(app, page, smtp_server):  # noqa: F811
    from playwright.sync_api import expect

    point_app_at(app, smtp_server)
    reasons = _reasons(app)
    with served(app) as base, Journey("2-owner", find_codes=codes_in) as journey:
        app.config["APP_BASE_URL"] = base

        # Today's pass. She chose one email per agreement: Läkaruppdrag expires in 38 days (its advance
        # reminders count from 2026-08-28, the material day of ReKo's meeting on 2026-09-11 that had to decide
        # it: all four are due, she gets the latest, and it says the decision is late), Tolkförmedling in 128,
        # and Fallprevention's review is overdue since 2026-01-01. ReKo's chair and the secretary hear of
        # Fallprevention too.
        lines = _reminders(app)
        assert "Subject: Påminnelse: Läkaruppdrag – upphör 2026-12-31" in lines, lines
        mails = {_agreement_name(m.subject): m for m in smtp_server.to(OWNER)}
        assert sorted(mails) == ["Fallprevention", "Läkaruppdrag", "Tolkförmedling"], [
            m.subject for m in smtp_server.to(OWNER)
        ]
        for mail in mails.values():  # the footer gives her reason only
            assert reasons["owner"] in mail.text and reasons["owner"] in mail.html, mail.text
            assert not [r for role, r in reasons.items() if role != "owner" and r in mail.text], mail.text
        chair = _about(smtp_server.to(CHAIR), FALL)
        assert len(chair) == 1 and reasons["chair"] in chair[0].text, [m.subject for m in smtp_server.to(CHAIR)]
        assert reasons["secretary"] not in chair[0].text and reasons["owner"] not in chair[0].text
        secretary = _about(smtp_server.to(SECRETARY), FALL)
        assert len(secretary) == 1 and reasons["secretary"] in secretary[0].text
        assert len(secretary[0].text.split("\n* ")) > 2, "the secretary's digest holds every overdue deadline"
        assert mail_codes(smtp_server.messages) == {}
        lakar_mail, fall_mail = mails["Läkaruppdrag"], mails["Fallprevention"]
        assert ACKNOWLEDGE not in lakar_mail.text  # only an overdue notice offers it
        assert ACKNOWLEDGE in fall_mail.text
        link = re.search(rf"{re.escape(base)}/agreements/(\d+)", lakar_mail.text)
        assert link, lakar_mail.text
        assert f"{link.group(0)}/reviews/new" in lakar_mail.text
        assert ("before:7", OWNER, "sent") in _deadline_log(app, "Läkaruppdrag", "expiry", date(2026, 12, 31))
        assert "Sent beslut: beslutet behövde fattas vid ReKo:s möte 2026-09-11." in lakar_mail.text
        fall_log = _deadline_log(app, "Fallprevention", "review", FALL_REVIEW_DUE)
        assert {r for _stage, r, state in fall_log if state == "sent"} == {OWNER, MAILBOX, CHAIR, SECRETARY}

        # Without a review the next would be the overdue notice on 2027-01-04 (nyårsdagen is a Friday).
        assert not [line for line in _reminders(app, "--today", "2026-12-31", "--dry-run") if "Läkaruppdrag" in line]
        dry = _reminders(app, "--today", "2027-01-04", "--dry-run")
        assert "  - 2026-12-31 expiry [overdue:1] (-4 days) Läkaruppdrag" in dry, dry

        # She opens the email and follows its link to the register.
        journey.watch(page)
        page.set_content(lakar_mail.html)
        expect(page.get_by_text("Det här är en påminnelse från Överenskommelseregistret")).to_be_visible()
        journey.step(page, "email-lakaruppdrag")
        page.get_by_role("link", name=re.compile("^Läkaruppdrag och medicinsk samverkan")).click()
        expect(heading(page)).to_have_text("Logga in")
        journey.step(page, "login")
        log_in(page, OWNER, seed.DEMO_PASSWORD)
        page.wait_for_url(link.group(0))
        expect(heading(page)).to_have_text(re.compile("^Läkaruppdrag och medicinsk samverkan"))
        # ReKo is responsible, not her group; as a named owner she may still record its review.
        expect(page.locator("dl.facts dt:has-text('Ansvarig grupp') + dd")).to_have_text("ReKo")
        expect(page.get_by_role("link", name=REGISTER_REVIEW)).to_be_visible()
        reminder_rows = page.locator("section[aria-labelledby='reminders-heading'] tbody tr")
        expect(reminder_rows.filter(has_text=OWNER).filter(has_text="7 dagar före")).to_contain_text("Skickad")
        expect(page.locator("#decide-by-expiry")).to_contain_text("Sent beslut")
        journey.step(page, "agreement")

        # The email's second link: straight to the review form, one form.
        page.set_content(lakar_mail.html)
        page.get_by_role("link", name=MAIL_REVIEW_LINK).click()
        page.wait_for_url(f"{link.group(0)}/reviews/new")
        expect(heading(page)).to_have_text(REGISTER_REVIEW)
        journey.step(page, "review-form")
        page.get_by_label("Utfall").select_option(label="Förlängd")
        page.get_by_label("Nytt slutdatum").fill("2027-12-31")
        page.get_by_label(REVIEWED_BY).select_option(label=f"{OWNER_NAME} <{OWNER}>")
        page.get_by_label("Beslutsreferens").fill("ReKo 2026-11-20 § 7")
        page.get_by_role("button", name=SAVE_REVIEW).click()
        expect(page.get_by_role("status").filter(has_text=REVIEW_RECORDED)).to_be_visible()
        page.wait_for_url(link.group(0))
        expect(page.locator("dl.facts dt:has-text('Giltig till') + dd")).to_have_text("2027-12-31")
        journey.step(page, "review-recorded")

        # Her name in the header leads to her agreements: those she owns, whichever group is responsible.
        header_name(page, OWNER_NAME).click()
        page.wait_for_url(f"{base}/#mina-avtal")
        mine = page.locator("section#mina-avtal")
        late = mine.get_by_role("row").filter(has_text="Fallprevention")
        expect(late).to_contain_text("ReKo")
        expect(late).to_contain_text("2026-01-01")
        journey.step(page, "mina-avtal")
        mine.get_by_role("link", name=re.compile(r"^\d+ avtal där du är ägare$")).click()
        expect(page.get_by_text("Avtal där du är ägare.")).to_be_visible()
        listed = page.locator("main table tbody tr")
        for title in (LAKARUPPDRAG, FALL, TOLK):
            expect(listed.filter(has_text=title)).to_have_count(1)
        journey.step(page, "my-agreements")

        # Fallprevention's overdue notice: "Vi arbetar med det", then confirmed on the page.
        page.set_content(fall_mail.html)
        journey.step(page, "email-overdue")
        page.get_by_role("link", name=ACKNOWLEDGE).click()
        expect(heading(page)).to_have_text(ACKNOWLEDGE)
        expect(page.locator("main")).to_contain_text(FALL)
        expect(page.locator("main")).to_contain_text("2026-01-01")
        expect(page.locator("main")).to_contain_text("Under 14 dagar")
        journey.step(page, "acknowledge-confirm")
        page.get_by_role("button", name=CONFIRM_ACKNOWLEDGE).click()
        expect(heading(page)).to_have_text(FALL)
        expect(page.get_by_role("status")).to_contain_text("förrän 2026-12-07")
        acknowledged = page.locator("#acknowledged")
        expect(acknowledged).to_contain_text(f"{OWNER_NAME} bekräftade")
        expect(acknowledged).to_contain_text("tidsfristen 2026-01-01")
        expect(acknowledged).to_contain_text("pausas till 2026-12-07")
        history = page.locator("section[aria-labelledby='history-heading'] tbody tr")
        entry = history.filter(has_text="Påminnelser om förseningen pausade till")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(f"{OWNER_NAME} <{OWNER}>")
        expect(entry).to_contain_text("2026-12-07")
        journey.step(page, "acknowledged")

        # For 13 days no pass says anything about that deadline, to anyone; the others' reminders go on.
        logged = _deadline_log(app, "Fallprevention", "review", FALL_REVIEW_DUE)
        lakar_logged = _deadline_log(app, "Läkaruppdrag", "expiry", date(2026, 12, 31))
        for day in ("2026-11-30", "2026-12-06"):
            smtp_server.clear()
            lines = _reminders(app, "--today", day)
            assert smtp_server.to(SECRETARY), f"{day}: the pass sent the other overdue deadlines ({lines})"
            assert _about(smtp_server.messages, FALL) == [], (day, lines)
            assert _about(smtp_server.messages, LAKARUPPDRAG) == [], (day, lines)  # reviewed: nothing more
            assert not [line for line in lines if "Fallprevention" in line or "Läkaruppdrag" in line], lines
            assert _deadline_log(app, "Fallprevention", "review", FALL_REVIEW_DUE) == logged
            assert _deadline_log(app, "Läkaruppdrag", "expiry", date(2026, 12, 31)) == lakar_logged

        # On the 14th day the pause is over: the chair, the secretary, the mailbox and she hear of it again.
        smtp_server.clear()
        _reminders(app, "--today", "2026-12-07")
        resumed = _about(smtp_server.messages, FALL)
        assert sorted(r for m in resumed for r in m.recipients) == sorted([OWNER, MAILBOX, CHAIR, SECRETARY])
        assert reasons["chair"] in _about(smtp_server.to(CHAIR), FALL)[0].text
        new_rows = set(_deadline_log(app, "Fallprevention", "review", FALL_REVIEW_DUE)) - set(logged)
        assert sorted((r, state) for _stage, r, state in new_rows) == sorted(
            (e, "sent") for e in (OWNER, MAILBOX, CHAIR, SECRETARY)
        )
        assert mail_codes(smtp_server.messages) == {}

        page.goto(f"{base}/agreements/{link.group(1)}")
        # The passes after the review sent nothing more of it: the 30-day stage was only ever skipped (by
        # the first pass's catch-up, which sent the 7-day one).
        expect(reminder_rows.filter(has_text="30 dagar före").filter(has_text="Skickad")).to_have_count(0)
        expect(reminder_rows.filter(has_text="Skickad").filter(has_text="2027-12-31")).to_have_count(0)
        journey.step(page, "lakaruppdrag-after-the-passes")


def test_auditor_lists_expiring_agreements_and_downloads_xlsx(app, page):
    from playwright.sync_api import expect

    with served(app) as base, Journey("3-auditor", find_codes=codes_in) as journey:
        journey.watch(page)
        page.goto(f"{base}/")
        journey.step(page, "login")
        log_in(page, AUDITOR, seed.DEMO_PASSWORD)
        expect(heading(page)).to_have_text("Översikt")
        expect(page.locator("header .account")).to_contain_text(f"({AUDITOR_ROLE})")
        journey.step(page, "dashboard")

        main_menu(page, "Rapporter").click()
        journey.step(page, "reports")
        page.get_by_role("link", name="Avtal som upphör").click()
        expect(heading(page)).to_have_text("Avtal som upphör")
        journey.step(page, "expiring-default")
        page.get_by_label("Inom antal dagar").fill("180")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_text("Visar 2026-11-23 till 2027-05-22.")).to_be_visible()
        rows = page.locator("table.report tbody tr")
        expect(rows).to_have_count(2)  # not Läkemedelsgenomgångar (2027-09-30), nor Suicidprevention (2027-05-31)
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
        expect(page.get_by_role("link", name=REGISTER_REVIEW)).to_have_count(0)  # auditors only read
        journey.step(page, "agreement-history")
        tolk_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

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
        assert data[1]["Ägare"] == OWNER

        # A mistyped filter is said, not silently replaced by the default window.
        page.get_by_label("Inom antal dagar").fill("abc")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_role("alert")).to_have_text(
            "Inom antal dagar: «abc» är inte ett heltal. Ange ett tal, till exempel 90."
        )
        journey.step(page, "expiring-bad-number")
        page.get_by_label("Inom antal dagar").fill("")
        page.get_by_label("Från").fill("2027-02-01")
        page.get_by_label("Till").fill("2027-01-01")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_role("alert")).to_have_text(
            "Från-datumet 2027-02-01 ligger efter till-datumet 2027-01-01, så inget kan visas. Byt plats på dem."
        )
        journey.step(page, "expiring-dates-swapped")

        # The audit trail, filtered by (part of) an agreement's title in any case: Tolkförmedling's entries only.
        main_menu(page, "Ändringslogg").click()
        expect(heading(page)).to_have_text("Ändringslogg")
        journey.step(page, "audit")
        page.get_by_label("Avtalets titel").fill("GEMENSAM TOLKFÖRMEDLING")
        page.get_by_role("button", name="Visa").click()
        expect(page.locator("p.result-count")).to_contain_text("2 ändringar")
        entries = page.locator("main table tbody tr")
        expect(entries).to_have_count(2)  # created, then prolonged
        for i in range(2):
            expect(entries.nth(i).get_by_role("link", name=f"#{tolk_id}", exact=True)).to_be_visible()
        expect(entries.filter(has_text="2026-12-31 → 2027-03-31")).to_have_count(1)
        journey.step(page, "audit-by-title")
        page.get_by_label("Avtal (nummer)").fill("tolv")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_role("alert")).to_contain_text("Avtalets nummer ska vara ett heltal, till exempel 12.")
        journey.step(page, "audit-bad-number")

        # A week later, on the last day of November: the default window is six calendar months, to the last
        # day of May (180 days would end on 2027-05-29 and miss Suicidprevention, expiring 2027-05-31).
        app.config["TODAY"] = date(2026, 11, 30)
        main_menu(page, "Rapporter").click()
        page.get_by_role("link", name="Avtal som upphör").click()
        expect(page.locator("main"), "six calendar months from 2026-11-30 end on 2027-05-31").to_contain_text(
            "Visar 2026-11-30 till 2027-05-31."
        )
        rows = page.locator("table.report tbody tr")
        expect(rows.filter(has_text=SUICID)).to_have_count(1)
        expect(rows.filter(has_text=SUICID)).to_contain_text("2027-05-31")
        journey.step(page, "expiring-six-months-from-november-30")


def test_secretary_prepares_rekos_meeting_and_records_its_decisions(app, page, tmp_path):
    import docx
    from playwright.sync_api import expect

    sip = SIP_TITLE
    # ReKo decides the strategy groups' agreements too: its meeting of 2026-12-11 has every decision that
    # is late by then (Läkaruppdrag, the follow-ups due since 2026-01-01), as the register computes them.
    meeting = date(2026, 12, 11)
    computed = in_db(app, lambda: agendas.agenda(Group.get(Group.name == "ReKo"), meeting))
    count = len(computed)
    assert {i.agreement.short_name for i in computed} >= {"Läkaruppdrag", "Fallprevention"}
    assert all(i.carried for i in computed)
    with served(app) as base, Journey("4-meeting", find_codes=codes_in) as journey:
        journey.watch(page)
        page.goto(f"{base}/")
        journey.step(page, "login")
        log_in(page, SECRETARY, seed.DEMO_PASSWORD)
        expect(heading(page)).to_have_text("Översikt")
        nearest = page.get_by_role("heading", name=re.compile(NEXT_MEETING))
        expect(nearest).to_be_visible()
        coming = page.locator("section.next-meeting").filter(has=nearest)
        expect(coming.get_by_role("listitem")).to_have_count(count)
        expect(coming).to_contain_text("Läkaruppdrag")
        journey.step(page, "dashboard")

        nearest.get_by_role("link").click()
        expect(heading(page)).to_have_text("ReKo:s möte 2026-12-11")
        rows = page.locator("table.agenda-table tbody tr")
        expect(rows).to_have_count(count)
        expect(rows.filter(has_text="Läkaruppdrag")).to_contain_text("Sent: skulle ha beslutats 2026-09-11")
        journey.step(page, "meeting")

        # The SIP's new version, due 2027-05-23, belongs to February; she brings it forward.
        add = page.locator("section#add")
        add.get_by_label("Avtal").select_option(label=f"{SIP_TITLE} (Under revidering)")
        add.get_by_label("Gäller").select_option(label="Ny version")
        add.get_by_role("button", name="Lägg till", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Ärendet finns på dagordningen.")
        expect(rows.filter(has_text=sip)).to_contain_text("Flyttat hit från 2027-02-12")
        # Fallprevention waits for January.
        fall = rows.filter(has_text=FALL)
        fall.get_by_label(re.compile("^Flytta")).select_option("2027-01-08")
        fall.get_by_role("button", name="Flytta").click()
        expect(page.get_by_role("status")).to_contain_text("Ärendet är flyttat till mötet 2027-01-08.")
        expect(rows.filter(has_text=FALL)).to_have_count(0)
        # Another matter, added and taken off again: it stays listed, to be put back.
        add.get_by_label("Avtal").select_option(label=TOLK)
        add.get_by_role("button", name="Lägg till", exact=True).click()
        expect(rows.filter(has_text=TOLK)).to_contain_text("Övrigt ärende")
        rows.filter(has_text=TOLK).get_by_role("button", name="Ta bort").click()
        expect(page.get_by_role("list", name="Borttagna från dagordningen")).to_contain_text(TOLK)
        expect(rows).to_have_count(count)  # SIP in, Fallprevention out, the other matter taken off
        journey.step(page, "meeting-prepared")

        # The agenda as Word.
        with page.expect_download() as download:
            page.get_by_role("link", name=AGENDA_WORD).click()
        saved = tmp_path / "agenda.docx"
        download.value.save_as(saved)
        document = docx.Document(saved)
        assert document.paragraphs[0].text == "Ärendelista ReKo 2026-12-11"
        listed = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
        assert len(listed) == count + 1, listed  # the header and one row per item, in date order
        assert [row[1][: len(LAKARUPPDRAG)] for row in listed[-2:]] == [LAKARUPPDRAG, SIP_TITLE], listed
        assert listed[-1][3:5] == ["Ny version", "2027-05-23"]
        assert FALL not in [row[1] for row in listed]

        # As it prints: the agenda, without the forms.
        page.emulate_media(media="print")
        expect(page.locator("section#add")).to_be_hidden()
        expect(rows).to_have_count(count)
        journey.step(page, "meeting-print")
        page.emulate_media(media="screen")

        # The meeting day: ReKo's decisions, in one form.
        app.config["TODAY"] = meeting
        page.reload()
        lakar = rows.filter(has_text="Läkaruppdrag")
        lakar.get_by_label("Beslut", exact=True).select_option(label="Förlängd")
        lakar.get_by_label("Paragraf").fill("§ 5")
        lakar.get_by_label("Nytt slutdatum (vid Förlängd)").fill("2027-12-31")
        planned = rows.filter(has_text=sip)
        planned.get_by_label("Beslut", exact=True).select_option(label="Bordlagt")
        planned.get_by_label("Paragraf").fill("§ 6")
        journey.step(page, "decisions-filled")
        first = submit_twice(page, page.get_by_role("button", name=SAVE_DECISIONS))
        assert first == 302
        # The first post recorded both decisions; the second found the work done.
        expect(page.get_by_role("status").filter(has_text=DECISIONS_RECORDED)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text=NO_NEW_DECISIONS)).to_be_visible()
        expect(rows.filter(has_text="Läkaruppdrag")).to_contain_text("§ 5 Förlängd")
        expect(rows.filter(has_text=sip)).to_contain_text("§ 6 Bordlagt")
        journey.step(page, "decisions-recorded")
        reviews = Review.select().join(Agreement).where(Agreement.title.startswith(LAKARUPPDRAG))
        assert in_db(app, lambda: [(r.decision_ref, r.outcome, r.reviewed_on) for r in reviews]) == [
            ("§ 5", "extended", date(2026, 12, 11))
        ]

        # The agreement has moved: a new end date, and ReKo's decision on it.
        rows.filter(has_text="Läkaruppdrag").get_by_role("link", name=re.compile(f"^{LAKARUPPDRAG}")).click()
        expect(heading(page)).to_contain_text(LAKARUPPDRAG)
        expect(page.locator("main")).to_contain_text("2027-12-31")
        expect(page.locator("main")).to_contain_text("ReKo 2026-12-11 § 5")
        journey.step(page, "agreement-moved")

        # January's meeting has the tabled SIP and Fallprevention.
        page.goto(f"{base}/groups/{in_db(app, lambda: Group.get(Group.name == 'ReKo').id)}/meetings/2027-01-08")
        january = page.locator("table.agenda-table tbody tr")
        expect(january.filter(has_text=sip)).to_have_count(1)
        expect(january.filter(has_text=FALL)).to_have_count(1)
        journey.step(page, "next-meeting")


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


def test_the_code_check_names_each_code_on_each_page(page, tmp_path):
    """The code check is not vacuous either: a page showing codes fails the journey, naming them; the same
    words as labels, in addresses or in e-mail addresses pass."""
    journey = Journey("codes", find_codes=codes_in, folder=tmp_path / "codes")
    page.set_content(
        '<!doctype html><html lang="sv"><head><title>Koder</title></head><body><main><h1>Koder</h1>'
        "<p>Status: in_force. Typ: overenskommelse. Utfall: extended. Steg: before:90, overdue:30.</p>"
        "<p>Roll: secretary, chair. Startad från cli. Cykel: FREQ=YEARLY;INTERVAL=1. Åtgärd: acknowledge.</p>"
        "</main></body></html>"
    )
    journey.step(page, "codes")
    page.set_content(
        '<!doctype html><html lang="sv"><head><title>Etiketter</title></head><body><main><h1>Etiketter</h1>'
        "<p>Status: Gällande. Typ: Överenskommelse. Utfall: Förlängd. 90 dagar före. Sekreterare. Varje år.</p>"
        '<p><a href="/agreements?status=in_force">Gällande</a> admin@example.org'
        " https://registret.example.org/acknowledge/abc · Annan organisation · Kommunalt forum</p>"
        "</main></body></html>"
    )
    journey.step(page, "labels")
    found = journey.codes_found()
    assert list(found) == ["01-codes about:blank"], found
    assert found["01-codes about:blank"] == sorted(
        ["FREQ=", "acknowledge", "before:90", "chair", "cli", "extended", "in_force", "overdue:30",
         "overenskommelse", "secretary"]
    )  # fmt: skip
    with pytest.raises(
        pytest.fail.Exception, match="stored codes where a person reads:\n  01-codes about:blank: FREQ="
    ):
        journey.finish()
