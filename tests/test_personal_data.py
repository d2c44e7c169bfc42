"""Personal data: a person's page shows what the register holds about them; an admin removes a person who
has left once what they answer for is handed over, and the audit trail keeps every entry with a
pseudonym in place of their name and address (registry/domain/personal_data.py, docs/privacy.md)."""

import datetime

import pytest
from flask_login import login_user
from peewee import CharField, TextField

from registry.domain import audit, feeds, personal_data, tokens
from registry.domain.errors import ValidationError
from registry.models import (
    MODELS,
    AgreementOwner,
    AuditEntry,
    DocumentVersion,
    LoginFailure,
    Organisation,
    Person,
    Reminder,
    Revision,
    User,
)
from tests.factories import (
    client_as,
    client_for,
    make_agreement,
    make_group,
    make_organisation,
    make_person,
    make_user,
)
from tests.html import text, words

NAME, EMAIL = "Lena Lämnarsson", "lena.lamnarsson@kommun.example.se"


@pytest.fixture
def leaving(ctx):
    """A person who is leaving, with an account that acted, and everything a person can answer for."""
    group = make_group(name="Strategigrupp Test")
    person = make_person(name=NAME, email=EMAIL, groups=[group], title="Utvecklingsledare")
    chaired = make_group(name="Beredningsgrupp Test", chair=person)
    party = make_organisation(name="Testkommunen", contact_person=person.id)
    agreement = make_agreement(title="Överenskommelse om testning", owners=[person], responsible_group=group)
    revision = Revision.create(agreement=agreement, lead=person, started_on=datetime.date(2026, 11, 1))
    user = make_user("editor", email=EMAIL, name=NAME, person=person, groups=[group])
    with ctx.test_request_context():
        login_user(user)
        tokens.create_token(user, "Lenas skript")
        feeds.create_feed(user, "person")
    Reminder.create(
        agreement=agreement,
        kind="expiry",
        deadline_on=datetime.date(2027, 1, 1),
        stage="before:30",
        recipient=EMAIL,
        send_on=datetime.date(2026, 12, 1),
        state="sent",
        last_error=f"450 {EMAIL} mailbox busy",
    )
    LoginFailure.create(email=EMAIL, address="192.0.2.1")
    LoginFailure.create(email=f"reset:{EMAIL}", address="192.0.2.1")  # a password-reset request
    agreement.notes = f"Kontakt: {NAME}, {EMAIL}"
    agreement.save()
    return {
        "person": Person.get_by_id(person.id),
        "user": user,
        "group": group,
        "chaired": chaired,
        "party": party,
        "agreement": agreement,
        "revision": revision,
    }


def test_the_page_lists_what_the_register_holds(app, leaving):
    person = leaving["person"]
    page = words(client_as(app, "admin").get(f"/people/{person.id}"))
    assert "Personuppgifter i registret" in page
    for shown in (
        "Redaktör",  # the account's role
        "1 API-nyckel",
        "1 kalenderflöde",
        "Strategigrupp Test",
        "Beredningsgrupp Test",  # chair
        "Testkommunen",  # party contact
        "Överenskommelse om testning",  # revision led
        "Skickad: 1",
        "Misslyckade inloggningar 1",
        "Begärda lösenordslänkar 1",
    ):
        assert shown in page, shown
    held = personal_data.held(person)
    assert held.audit_count >= 4 and len(held.owned) == 1 and held.login_failures == 1 and held.reset_requests == 1


def test_only_admins_auditors_and_the_person_see_it(app, leaving):
    url = f"/people/{leaving['person'].id}"
    assert "Personuppgifter i registret" in text(client_as(app, "auditor").get(url))
    assert "Personuppgifter i registret" in text(client_for(app, leaving["user"]).get(url))
    assert "Personuppgifter i registret" not in text(client_as(app, "viewer").get(url))


def test_removal_is_refused_while_they_answer_for_something(app, leaving):
    person = leaving["person"]
    with pytest.raises(ValidationError) as refused:
        personal_data.remove(person)
    message = refused.value.errors["__all__"]
    for named in ("Överenskommelse om testning", "Testkommunen", "Beredningsgrupp Test", "leder revideringen"):
        assert named in message
    response = client_as(app, "admin").post(f"/people/{person.id}/remove", data={"confirm": "y"})
    assert response.status_code == 422
    page = words(response)
    assert "kan inte tas bort ännu" in page and "Lämna över till någon annan" in page
    assert Person.get_or_none(Person.id == person.id) is not None


@pytest.mark.parametrize("role", ["viewer", "editor", "auditor"])
def test_only_admins_remove(app, leaving, role):
    person = leaving["person"]
    client = client_as(app, role)
    assert client.post(f"/people/{person.id}/remove", data={"confirm": "y"}).status_code == 403
    assert client.post(f"/people/{person.id}/hand-over", data={"successor": person.id}).status_code == 403
    assert Person.get_or_none(Person.id == person.id) is not None


def _text_columns():
    for model in MODELS:
        for column in model._meta.sorted_fields:
            if isinstance(column, CharField | TextField) and column is not DocumentVersion.text:
                yield model, column


def test_after_hand_over_removal_leaves_only_a_pseudonym(app, leaving):
    person, agreement = leaving["person"], leaving["agreement"]
    successor = make_person(name="Sara Efterträdare")
    admin = client_as(app, "admin")
    response = admin.post(f"/people/{person.id}/hand-over", data={"successor": successor.id})
    assert response.status_code == 302
    assert AgreementOwner.get(AgreementOwner.agreement == agreement).person_id == successor.id
    assert Organisation.get_by_id(leaving["party"].id).contact_person_id == successor.id
    assert Revision.get_by_id(leaving["revision"].id).lead_id == successor.id
    entries_before = AuditEntry.select().count()
    by_person = AuditEntry.select().where(AuditEntry.actor.contains(EMAIL)).count()
    assert by_person >= 2  # the token and the feed

    response = admin.post(f"/people/{person.id}/remove", data={"confirm": "y"})
    assert response.status_code == 302, text(response)[:500]
    pseudonym = f"Borttagen person {person.id}"
    assert Person.get_or_none(Person.id == person.id) is None
    assert User.get_or_none(User.id == leaving["user"].id) is None

    # Nowhere in the database: every text column of every table.
    for model, column in _text_columns():
        for needle in (EMAIL, NAME, "Lämnarsson"):
            found = model.select().where(column.contains(needle)).count()
            assert found == 0, f"{model._meta.table_name}.{column.name} holds {needle}"
    # Every entry is still there (plus the removal), the chain holds, and they read with the pseudonym.
    assert AuditEntry.select().count() == entries_before + 1
    ok, _count, message = audit.verify()
    assert ok, message
    assert AuditEntry.select().where(AuditEntry.actor == pseudonym).count() == by_person
    removal = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (removal.action, removal.entity, removal.summary) == ("delete", "person", pseudonym)
    assert removal.actor.endswith("<admin@test.example.org>")
    assert pseudonym in Organisation.get_by_id(leaving["party"].id).notes + agreement_notes(agreement)
    assert Reminder.get().recipient == pseudonym
    trail = words(admin.get("/audit"))
    assert pseudonym in trail and NAME not in trail


def agreement_notes(agreement):
    return type(agreement).get_by_id(agreement.id).notes


def test_an_admin_cannot_remove_themself(app, ctx):
    admin = client_as(app, "admin")
    person = make_person(name="Admin Själv", email=admin.user.email)
    response = admin.post(f"/people/{person.id}/remove", data={"confirm": "y"})
    assert response.status_code == 422
    assert Person.get_or_none(Person.id == person.id) is not None


def test_removal_needs_the_confirmation(app, ctx):
    person = make_person()
    response = client_as(app, "admin").post(f"/people/{person.id}/remove", data={})
    assert response.status_code == 422
    assert Person.get_or_none(Person.id == person.id) is not None


def test_the_daily_pass_forgets_old_login_failures(ctx):
    from registry.models import utcnow
    from scheduler.reminders import run_pass

    now = utcnow()
    LoginFailure.create(email="old@example.org", address="192.0.2.9", at=now - datetime.timedelta(days=31))
    LoginFailure.create(email="new@example.org", address="192.0.2.9", at=now - datetime.timedelta(days=29))
    run_pass(datetime.date(2026, 11, 23))
    assert [f.email for f in LoginFailure.select()] == ["new@example.org"]


def test_hand_over_to_a_co_owner_and_to_no_one(leaving):
    person, agreement = leaving["person"], leaving["agreement"]
    co_owner = make_person(name="Kim Medägare")
    AgreementOwner.create(agreement=agreement, person=co_owner)
    with pytest.raises(ValidationError) as refused:
        personal_data.hand_over(person, person)
    assert "annan person" in refused.value.errors["successor"]
    with pytest.raises(ValidationError):
        personal_data.hand_over(person, None)
    assert personal_data.hand_over(person, co_owner) == 4
    owners = [link.person_id for link in AgreementOwner.select().where(AgreementOwner.agreement == agreement)]
    assert owners == [co_owner.id]
    entry = AuditEntry.select().where(AuditEntry.entity == "agreement").order_by(AuditEntry.id.desc()).get()
    assert audit.changes_of(entry)["owners"] == [sorted([EMAIL, co_owner.email]), [co_owner.email]]
    assert personal_data.refusal(personal_data.held(person)) is None


def test_removal_leaves_their_title_nowhere_in_the_trail(leaving):
    person = leaving["person"]
    personal_data.hand_over(person, make_person(name="Sara Efterträdare"))
    personal_data.remove(Person.get_by_id(person.id))
    assert AuditEntry.select().where(AuditEntry.changes.contains("Utvecklingsledare")).count() == 0
    created = AuditEntry.get((AuditEntry.entity == "person") & (AuditEntry.action == "create"))
    assert audit.changes_of(created)["title"] == [None, ""]
    assert audit.changes_of(created)["name"] == [None, f"Borttagen person {person.id}"]


def test_removal_leaves_a_namesake_and_common_words_alone(app, ctx):
    agreement = make_agreement(title="Bo och Admin i boendet")
    leaving = make_person(name="Anna Andersson", email="anna.a@x.se")
    namesake = make_person(name="anna andersson", email="anna.b@y.se")
    make_user("admin", email="anna.a@x.se", name="Admin", person=leaving)
    other = make_user("editor", email="anna.b@y.se", name="Anna Andersson", person=namesake)
    for user in (other, User.get(User.email == "anna.a@x.se")):
        actor = f"{user.name} <{user.email}>"
        audit.record(
            "update", "agreement", agreement.id, {"notes": ["", "Bo och Admin"]}, summary=agreement.title, actor=actor
        )
    agreement.notes = "Fråga Anna Andersson (anna.b@y.se) eller anna.a@x.se."
    agreement.save()
    theirs = AuditEntry.select().where(AuditEntry.actor == "Anna Andersson <anna.b@y.se>").count()
    assert theirs >= 1
    namesake_entries = [
        (e.id, e.actor, e.summary, e.changes)
        for e in AuditEntry.select().where((AuditEntry.entity == "person") & (AuditEntry.entity_id == namesake.id))
    ]

    removal = personal_data.remove(Person.get_by_id(leaving.id))
    pseudonym = removal.pseudonym
    assert removal.name_shared
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert audit.changes_of(last)["name_shared"] == [None, True]

    assert AuditEntry.select().where(AuditEntry.actor == "Anna Andersson <anna.b@y.se>").count() == theirs
    assert [
        (e.id, e.actor, e.summary, e.changes)
        for e in AuditEntry.select().where((AuditEntry.entity == "person") & (AuditEntry.entity_id == namesake.id))
    ] == namesake_entries
    stored = type(agreement).get_by_id(agreement.id)
    assert stored.title == "Bo och Admin i boendet"
    assert stored.notes == f"Fråga Anna Andersson (anna.b@y.se) eller {pseudonym}."
    assert AuditEntry.select().where(AuditEntry.summary == "Bo och Admin i boendet").count() >= 3
    assert AuditEntry.select().where(AuditEntry.changes.contains("Bo och Admin")).count() >= 2
    # The removed one's data is gone: their address everywhere, their name in the entries about them.
    for model, column in _text_columns():
        assert model.select().where(column.contains("anna.a@x.se")).count() == 0, model
    about = AuditEntry.select().where((AuditEntry.entity == "person") & (AuditEntry.entity_id == leaving.id))
    assert all("Andersson" not in e.summary + e.changes for e in about)
    ok, _count, message = audit.verify()
    assert ok, message


def test_removal_refuses_if_they_were_made_an_owner_meanwhile(monkeypatch, ctx):
    person = make_person(name="Olle Ägare")
    agreement = make_agreement(title="Avtal som får en ägare")
    lock = audit.lock

    def an_owner_comes_first():
        if not AgreementOwner.select().where(AgreementOwner.person == person.id).exists():
            AgreementOwner.create(agreement=agreement, person=person)
        lock()

    monkeypatch.setattr(audit, "lock", an_owner_comes_first)
    with pytest.raises(ValidationError) as refused:
        personal_data.remove(person)
    assert "Avtal som får en ägare" in refused.value.errors["__all__"]
    assert Person.get_or_none(Person.id == person.id) is not None


def test_hand_over_needs_an_active_person(app, leaving):
    person = leaving["person"]
    gone = make_person(name="Inaktiv Person")
    Person.update(is_active=False).where(Person.id == gone.id).execute()
    with pytest.raises(ValidationError) as refused:
        personal_data.hand_over(person, gone.id)
    assert "inte aktiv" in refused.value.errors["successor"]
    admin = client_as(app, "admin")
    for successor in (gone.id, 999999):
        response = admin.post(f"/people/{person.id}/hand-over", data={"successor": successor})
        assert response.status_code == 422
    assert "Inaktiv Person" not in text(admin.get(f"/people/{person.id}/remove"))
    assert AgreementOwner.get(AgreementOwner.agreement == leaving["agreement"]).person_id == person.id


def test_the_admin_is_told_when_the_name_is_shared(app, ctx):
    leaving = make_person(name="Per Persson", email="per.a@x.se")
    make_person(name="Per Persson", email="per.b@y.se")
    admin = client_as(app, "admin")
    response = admin.post(f"/people/{leaving.id}/remove", data={"confirm": "y"}, follow_redirects=True)
    assert "Någon annan i registret har samma namn" in text(response)
