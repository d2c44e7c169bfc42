"""What a reminder email says, and what its links lead to, over real SMTP (tests/smtp.py).

Every item says what to do and links to the agreement and its review form; an
overdue item also offers "Vi arbetar med det", which (confirmed on a page
while logged in) pauses the deadline's escalation for ACKNOWLEDGE_PAUSE_DAYS;
each person chooses one digest per pass or one email per agreement; the footer
names only this recipient's reasons; the HTML and text parts say the same.
"""

import html as html_lib
import re
from datetime import date

import pytest

from registry.domain import acknowledgements
from registry.models import Acknowledgement, AuditEntry, Group, Person, Reminder
from scheduler import reminders
from tests.factories import client_as
from tests.smtp import smtp, smtp_server  # noqa: F401
from tests.test_reminders import new_agreement, person

# ruff: noqa: F811

BASE = "https://registret.example.org"
OWNER, MAILBOX, CHAIR, SECRETARY = (
    "agare@example.org",
    "testgruppen@example.org",
    "ordforande@example.org",
    "sekreterare@example.org",
)
EVERYONE = {OWNER, MAILBOX, CHAIR, SECRETARY}
# A yearly review due Tuesday 2026-03-03: overdue:1 on Wednesday 03-04, then every 7 days (all Wednesdays).
DUE = date(2026, 3, 3)
STAGE_CODE = re.compile(r"\b(before|overdue):\d+")


@pytest.fixture
def team(ctx):
    owner = person(OWNER)
    chair = person(CHAIR)
    person(SECRETARY, is_secretary=True)
    group = Group.create(name="Testgruppen", chair=chair, mailbox=MAILBOX)
    return group, owner


@pytest.fixture
def overdue(team):
    group, owner = team
    return new_agreement("Avtal om hemsjukvård", group, [owner], valid_from=date(2025, 3, 3), review_rule="FREQ=YEARLY")


def visible_text(html):
    """The words a reader of the HTML part sees, whitespace collapsed."""
    body = re.sub(r"<head>.*?</head>", "", html, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    return " ".join(text.split())


def flat(text):
    return " ".join(text.split())


def links_in(text):
    return re.findall(r"https?://\S+", text)


def sent_on(day, recipient, smtp):
    before = len(smtp.to(recipient))
    reminders.run_pass(day)
    return smtp.to(recipient)[before:]


def test_every_item_says_what_to_do_and_links_the_agreement_and_its_review_form(team, overdue, smtp):
    group, owner = team
    (message,) = sent_on(date(2026, 1, 2), OWNER, smtp)  # 60 days before: an advance reminder
    agreement_url = f"{BASE}/agreements/{overdue.id}"
    assert f"Öppna avtalet: {agreement_url}\n" in message.text
    assert f"Registrera uppföljningen: {agreement_url}/reviews/new\n" in message.text
    assert "Att göra: Gör uppföljningen av avtalet och registrera den i registret." in message.text
    assert f'href="{agreement_url}/reviews/new"' in message.html
    assert f'href="{agreement_url}"' in message.html
    # Not overdue: no "Vi arbetar med det".
    assert "Vi arbetar med det" not in message.text + message.html
    assert "/acknowledge/" not in message.text + message.html


def test_html_and_text_say_the_same_and_no_stage_code_appears(team, overdue, smtp):
    group, owner = team
    meeting_day = date(2026, 2, 20)
    group.meetings.model.create(group=group, meets_on=meeting_day)
    # A meeting after the deadline: the plan reaches it, so 2026-02-20 is the decide-by meeting.
    group.meetings.model.create(group=group, meets_on=date(2026, 4, 17))
    messages = sent_on(date(2026, 1, 2), OWNER, smtp) + sent_on(date(2026, 3, 4), OWNER, smtp)
    assert len(messages) == 2
    for message in messages:
        text, html = flat(message.text), visible_text(message.html)
        assert not STAGE_CODE.search(message.text + message.html + message.subject)
        # Every line of the text part (bar its links and signature) is said in the HTML part too.
        for line in message.text.splitlines():
            line = re.sub(r"https?://\S+", "", line).strip(" *:()-")
            if line and line != "Överenskommelseregistret":
                assert flat(line) in html, line
        # The days as words in both ("58 dagar sedan", never "Dagar -58").
        assert "Dagar" not in html
        days = re.findall(r"\((?:om \d+ dag(?:ar)?|\d+ dag(?:ar)? sedan)\)", text)
        assert days and days == re.findall(r"\((?:om \d+ dag(?:ar)?|\d+ dag(?:ar)? sedan)\)", html)
        # The same links in both.
        assert set(links_in(message.text)) == set(re.findall(r'href="([^"]+)"', message.html))
    advance, late = messages
    assert "Beslutas senast vid Testgruppens möte 2026-02-20" in visible_text(advance.html)
    assert "Beslutas senast vid Testgruppens möte 2026-02-20" in flat(advance.text)
    assert "(58 dagar sedan)" not in late.text and "(1 dag sedan)" in late.text


def test_the_footer_names_only_this_recipients_reason(team, overdue, smtp):
    reminders.run_pass(date(2026, 3, 4))
    expected = {
        OWNER: "för att du står som ägare av avtalet",
        MAILBOX: "för att adressen är funktionsbrevlåda",
        CHAIR: "för att du är ordförande i avtalets ansvariga grupp",
        SECRETARY: "för att du är sekreterare",
    }
    for recipient, reason in expected.items():
        (message,) = smtp.to(recipient)
        for other in expected.values():
            assert (other in message.text) == (other == reason), (recipient, other)
            assert (other in visible_text(message.html)) == (other == reason), (recipient, other)


def test_a_person_in_two_roles_reads_both_reasons_each_with_its_agreements(team, overdue, smtp):
    group, owner = team
    chair = Person.get(Person.email == CHAIR)
    new_agreement("Avtal om läkemedel", group, [chair], valid_from=date(2025, 3, 3), review_rule="FREQ=YEARLY")
    reminders.run_pass(date(2026, 3, 4))
    (message,) = smtp.to(CHAIR)
    assert "står som ägare av avtalet. (Avtal om läkemedel)" in message.text
    assert "ordförande i avtalets ansvariga grupp och tidsfristen har passerat. (Avtal om hemsjukvård)" in message.text
    assert "sekreterare" not in message.text.split("-- ")[0].split("\n\n")[-2]


def test_one_email_per_agreement_for_who_chose_so(team, smtp):
    group, owner = team
    for title in ("Avtal A", "Avtal B", "Avtal C"):
        new_agreement(title, group, [owner], valid_from=date(2025, 3, 3), review_rule="FREQ=YEARLY")
    Person.update(reminder_delivery="each").where(Person.email == OWNER).execute()
    reminders.run_pass(date(2026, 1, 2))
    mine = smtp.to(OWNER)
    assert len(mine) == 3
    assert sorted(m.subject for m in mine) == [f"Påminnelse: Avtal {x} – ska följas upp 2026-03-03" for x in "ABC"]
    assert len({m.message_id for m in mine}) == 3
    assert {r.message_id for r in Reminder.select().where(Reminder.recipient == OWNER)} == {m.message_id for m in mine}
    # The group mailbox (no person's choice) still gets one digest.
    (digest,) = smtp.to(MAILBOX)
    assert digest.subject == "Påminnelse: 3 tidsfrister i avtalsregistret"


def test_the_choice_is_made_on_the_person_form(app, team, smtp):
    group, owner = team
    admin = client_as(app, "admin")
    page = admin.get(f"/people/{owner.id}/edit").get_data(as_text=True)
    assert 'name="reminder_delivery"' in page and "Ett e-postmeddelande per avtal" in page
    response = admin.post(
        f"/people/{owner.id}/edit",
        data={"name": owner.name, "email": owner.email, "reminder_delivery": "each"},
    )
    assert response.status_code == 302
    assert Person.get_by_id(owner.id).reminder_delivery == "each"
    trail = admin.get("/audit").get_data(as_text=True)  # the change, in words
    assert "Påminnelser per e-post" in trail and "Ett e-postmeddelande per avtal" in trail
    assert "reminder_delivery" not in trail
    response = admin.post(
        f"/people/{owner.id}/edit",
        data={"name": owner.name, "email": owner.email, "reminder_delivery": "weekly"},
    )
    assert response.status_code != 302
    assert Person.get_by_id(owner.id).reminder_delivery == "each"


def _acknowledge_link(message):
    (link,) = [u for u in links_in(message.text) if "/acknowledge/" in u]
    assert f'href="{link}"' in message.html
    return link.removeprefix(BASE)


def test_vi_arbetar_med_det_pauses_escalation_for_14_days_then_it_resumes(app, team, overdue, smtp):
    group, owner = team
    reminders.run_pass(date(2026, 3, 4))
    assert {m.recipient for m in smtp.messages} == EVERYONE
    (notice,) = smtp.to(OWNER)
    path = _acknowledge_link(notice)
    assert "Vi arbetar med det" in notice.text and "i 14 dagar" in notice.text

    # Logged out, the link leads to the login page; nothing is recorded by following it.
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    app.config["TODAY"] = date(2026, 3, 4)
    user = client_as(app, "viewer", person=owner, name="Åsa Ägare")
    page = user.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Bekräfta: vi arbetar med det" in body and "Avtal om hemsjukvård" in body
    assert Acknowledgement.select().count() == 0  # a GET never acts

    response = user.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agreements/{overdue.id}")
    (ack,) = Acknowledgement.select()
    assert (ack.agreement_id, ack.kind, ack.deadline_on, ack.paused_until) == (
        overdue.id,
        "review",
        DUE,
        date(2026, 3, 18),
    )
    assert ack.user_id == user.user.id
    entry = AuditEntry.select().where(AuditEntry.action == "acknowledge").get()
    assert entry.agreement_id == overdue.id and "Åsa Ägare" in entry.actor
    shown = user.get(f"/agreements/{overdue.id}").get_data(as_text=True)
    assert "Åsa Ägare bekräftade" in shown and 'pausas till <time datetime="2026-03-18">2026-03-18</time>' in shown
    # The change history says it in words, no codes.
    assert "Bekräftade försenad tidsfrist: vi arbetar med det" in shown
    assert "Påminnelser om förseningen pausade till" in shown
    for code in ("acknowledge", "paused_until", "deadline_on"):
        assert code not in visible_text(shown)

    # The repeats of 03-11 and the 03-17 pass: nothing to anyone about this deadline.
    smtp.clear()
    reminders.run_pass(date(2026, 3, 11))
    reminders.run_pass(date(2026, 3, 17))
    assert smtp.messages == []
    assert Reminder.select().where(Reminder.stage == "overdue:8").count() == 0

    # 14 days on, the escalation resumes: everyone hears of it again.
    reminders.run_pass(date(2026, 3, 18))
    assert {m.recipient for m in smtp.messages} == EVERYONE
    assert {r.stage for r in Reminder.select().where(Reminder.send_on == date(2026, 3, 18))} == {"overdue:15"}


def test_pause_days_are_configurable(app, team, overdue, smtp):
    group, owner = team
    app.config["ACKNOWLEDGE_PAUSE_DAYS"] = 7
    reminders.run_pass(date(2026, 3, 4))
    path = _acknowledge_link(smtp.to(OWNER)[0])
    assert "i 7 dagar" in smtp.to(OWNER)[0].text
    app.config["TODAY"] = date(2026, 3, 4)
    client_as(app, "editor", person=owner).post(path)
    assert Acknowledgement.get().paused_until == date(2026, 3, 11)
    smtp.clear()
    reminders.run_pass(date(2026, 3, 11))
    assert {m.recipient for m in smtp.messages} == EVERYONE


def test_a_forged_or_outdated_link_records_nothing(app, team, overdue, smtp):
    group, owner = team
    user = client_as(app, "editor", person=owner)
    assert user.get("/acknowledge/not-a-token").status_code == 404
    assert user.post("/acknowledge/not-a-token").status_code == 404
    with app.test_request_context():
        stale = acknowledgements.token(overdue.id, "review", date(2025, 3, 3))
    assert "gäller inte längre" in user.get(f"/acknowledge/{stale}").get_data(as_text=True)
    assert user.post(f"/acknowledge/{stale}").status_code == 302
    assert Acknowledgement.select().count() == 0
