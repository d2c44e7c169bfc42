"""Pages of the reminders issue: status, meetings, policies, reminder history, the mail sink."""

from datetime import date

from registry.models import Agreement, Group, GroupMeeting, Person, Reminder, SchedulerRun
from scheduler import locks
from scheduler.reminders import run_pass
from tests.factories import client_as
from tests.smtp import smtp, smtp_server  # noqa: F401


def text(response):
    return response.get_data(as_text=True)


def test_status_page_before_and_after_a_pass(seeded, client, smtp):  # noqa: F811
    before = text(client.get("/reminders"))
    assert "Inte igång" in before and "Ingen körning ännu." in before
    run_pass(date(2026, 7, 3))
    locks.heartbeat(locks.SCHEDULER_LOCK)
    page = text(client.get("/reminders"))
    assert "Igång" in page
    run = SchedulerRun.select().first()
    assert f"{run.sent} skickade, {run.skipped} hoppade över, 0 misslyckade" in page
    assert "2026-07-03" in page


def test_failed_sends_are_listed(seeded, client):
    lakar = Agreement.get(Agreement.short_name == "Läkaruppdrag")
    Reminder.create(
        agreement=lakar,
        kind="expiry",
        deadline_on=lakar.expires_on,
        stage="before:180",
        recipient="beredning.reko@example.org",
        send_on=date(2026, 7, 3),
        state="failed",
        attempts=2,
        last_error="SMTPRecipientsRefused: 451 try later",
    )
    page = text(client.get("/reminders"))
    assert "451 try later" in page and "beredning.reko@example.org" in page
    history = text(client.get(f"/agreements/{lakar.id}"))
    assert "Misslyckades" in history and "180 dagar före" in history and "2 försök" in history


def test_meetings_can_be_added_and_removed(seeded, client):
    reko = Group.get(Group.name == "ReKo")
    response = client.post(f"/groups/{reko.id}/meetings", data={"meets_on": "2026-11-20", "note": "Beslutsmöte"})
    assert response.status_code == 302
    meeting = GroupMeeting.get(GroupMeeting.group == reko)
    assert meeting.meets_on == date(2026, 11, 20)
    page = text(client.get(f"/groups/{reko.id}"))
    assert "2026-11-20" in page and "Beslutsmöte" in page
    # The same day again, by someone else (the same person's second copy within a minute is a double click).
    other_admin = client_as(client.application, "admin")
    again = other_admin.post(f"/groups/{reko.id}/meetings", data={"meets_on": "2026-11-20"}, follow_redirects=True)
    assert "Gruppen har redan ett möte den dagen. Välj ett annat datum." in text(again)
    # A day ReKo's meeting rule already plans (the second Friday of December).
    planned = other_admin.post(f"/groups/{reko.id}/meetings", data={"meets_on": "2026-12-11"}, follow_redirects=True)
    assert "Gruppens mötesplan har redan ett möte den dagen. Välj ett annat datum." in text(planned)
    bad = client.post(f"/groups/{reko.id}/meetings", data={"meets_on": "20 nov"}, follow_redirects=True)
    assert "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31." in text(bad)
    assert GroupMeeting.select().where(GroupMeeting.group == reko).count() == 1
    other = Group.get(Group.name == "Kommunalt forum")
    assert client.post(f"/groups/{other.id}/meetings/{meeting.id}/delete").status_code == 404
    assert client.post(f"/groups/{reko.id}/meetings/{meeting.id}/delete").status_code == 302
    assert GroupMeeting.select().where(GroupMeeting.group == reko).count() == 0


def test_group_policy_form_refuses_bad_offsets(seeded, client):
    reko = Group.get(Group.name == "ReKo")
    data = {"name": "ReKo", "kind": "leadership", "lead_time_days": "21", "expiry_offsets": "120, sextio"}
    response = client.post(f"/groups/{reko.id}/edit", data=data)
    assert response.status_code == 422
    assert "Ange hela dagar mellan 1 och" in text(response)
    assert Group.get_by_id(reko.id).expiry_offsets == ""
    data["expiry_offsets"] = "60,120"
    assert client.post(f"/groups/{reko.id}/edit", data=data).status_code == 302
    stored = Group.get_by_id(reko.id)
    assert (stored.expiry_offsets, stored.lead_time_days) == ("120, 60", 21)
    assert "120, 60 dagar före slutdatum" in text(client.get(f"/groups/{reko.id}"))


def test_person_can_be_marked_secretary(seeded, client):
    person = Person.get(Person.email == "beredning.aldre@example.org")
    data = {"name": person.name, "email": person.email, "is_secretary": "y"}
    assert client.post(f"/people/{person.id}/edit", data=data).status_code == 302
    assert Person.get_by_id(person.id).is_secretary
    assert "får alla eskaleringar" in text(client.get(f"/people/{person.id}"))


def test_mail_sink_pages(app, client, tmp_path):
    assert client.get("/mail").status_code == 404
    app.config["MAIL_SINK_DIR"] = str(tmp_path)
    (tmp_path / "20261123-070000-00001.eml").write_bytes(
        b"From: registret@example.org\r\nTo: reko@example.org\r\nSubject: =?utf-8?q?P=C3=A5minnelse?=\r\n"
        b"Message-ID: <x@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej ReKo!\r\n"
    )
    listing = text(client.get("/mail"))
    assert "Påminnelse" in listing and "reko@example.org" in listing
    assert "Hej ReKo!" in text(client.get("/mail/20261123-070000-00001.eml"))
    assert client.get("/mail/..%2Fsecret.eml").status_code == 404
    assert client.get("/mail/missing.eml").status_code == 404
