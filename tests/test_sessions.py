"""Sessions that really end: a copy of a session cookie stops working when the account logs out,
changes its password (on the account page or by a reset link), is deactivated or is logged out
everywhere by an admin; reactivation revives no cookie, API token or calendar feed. Logging in costs a
password-hash check also for unknown addresses, and the reset mail is sent outside the request."""

import functools
import re

import pytest
from werkzeug import security as werkzeug_security

from registry.db import db, migration_runner, upgrade
from registry.domain import audit, feeds, tokens, users
from registry.models import AuditEntry, User
from tests.conftest import make_app
from tests.factories import client_as
from tests.smtp import smtp, smtp_server  # noqa: F401

PASSWORD = "Rätt-lösenord-2026"
NEW_PASSWORD = "Nytt-lösen-för-kontot"
COOKIE = "session"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap PBKDF2 hashes instead of scrypt's 0.2 s each (the timing itself is bench/login_timing.py's)."""
    cheap = functools.partial(werkzeug_security.generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(users, "generate_password_hash", cheap)


def account(email="anna@example.org", **data):
    return users.save_user({"email": email, "name": "Anna Andersson", "role": "viewer", "password": PASSWORD, **data})


def logged_in_client(app, email="anna@example.org", password=PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def copy_of(app, client):
    """A second client holding a copy of `client`'s session cookie (a stolen or copied cookie)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def sent_to_login(client):
    response = client.get("/")
    return response.status_code == 302 and response.location.startswith("/login")


def reaches_dashboard(client):
    return client.get("/").status_code == 200


def last_user_changes(user):
    entry = (
        AuditEntry.select()
        .where((AuditEntry.entity == "user") & (AuditEntry.entity_id == user.id))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    return audit.changes_of(entry)


def test_a_copied_cookie_dies_with_logout(ctx):
    anna = account()
    client = logged_in_client(ctx)
    elsewhere = logged_in_client(ctx)  # the same account on another device
    thief = copy_of(ctx, client)
    assert reaches_dashboard(thief) and reaches_dashboard(elsewhere)

    assert client.post("/logout").status_code == 302
    assert sent_to_login(client)
    assert sent_to_login(thief)
    assert sent_to_login(elsewhere)
    assert last_user_changes(anna) == {"sessions": [None, "avslutade (utloggning)"]}
    # Logging in again works, with a new cookie; the old copy stays dead.
    again = logged_in_client(ctx)
    assert reaches_dashboard(again) and sent_to_login(thief)


def test_a_copied_cookie_dies_with_a_password_change_on_the_account_page(ctx):
    account()
    client = logged_in_client(ctx)
    thief = copy_of(ctx, client)
    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert sent_to_login(thief)
    # The session that changed the password goes on, under the account's new key.
    assert reaches_dashboard(client)


def test_a_copied_cookie_dies_with_a_reset_by_email(ctx, smtp):  # noqa: F811
    account()
    client = logged_in_client(ctx)
    thief = copy_of(ctx, client)
    ctx.test_client().post("/reset-password", data={"email": "anna@example.org"})
    (message,) = smtp.wait_for(1)
    link = re.search(r"https://registret\.example\.org(/reset-password/\S+)", message.text).group(1)
    visitor = ctx.test_client()
    assert visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert sent_to_login(thief)
    assert sent_to_login(client)
    assert reaches_dashboard(logged_in_client(ctx, password=NEW_PASSWORD))


def _user_form(user, **changes):
    data = {"name": user.name, "email": user.email, "role": user.role, "is_active": "y", **changes}
    return {key: value for key, value in data.items() if value is not None}


def test_deactivation_ends_sessions_and_reactivation_revives_nothing(ctx):
    anna = account()
    client = logged_in_client(ctx)
    thief = copy_of(ctx, client)
    _row, token = tokens.create_token(anna, "Annas skript")
    feed = feeds.create_feed(anna, "all")
    api = ctx.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/agreements", headers=bearer).status_code == 200
    assert ctx.test_client().get(f"/feeds/{feed.token}.ics").status_code == 200

    admin = client_as(ctx, "admin")
    response = admin.post(f"/users/{anna.id}/edit", data=_user_form(anna, is_active=None))
    assert response.status_code == 302
    assert not User.get_by_id(anna.id).is_active
    assert sent_to_login(client) and sent_to_login(thief)
    changes = last_user_changes(anna)
    assert changes["is_active"] == [True, False] and changes["sessions"] == [None, "avslutade"]
    # The token and the feed are revoked for good, each audited.
    revoked = AuditEntry.select().where(AuditEntry.action == "delete")
    assert {(e.entity, e.summary) for e in revoked} == {
        ("api_token", "API-nyckel: Annas skript"),
        ("feed", "Kalenderflöde: Hela registret"),
    }

    response = admin.post(f"/users/{anna.id}/edit", data=_user_form(User.get_by_id(anna.id)))
    assert response.status_code == 302
    assert User.get_by_id(anna.id).is_active
    # Reactivated: no old cookie, token or feed works again ...
    assert sent_to_login(client) and sent_to_login(thief)
    assert api.get("/api/v1/agreements", headers=bearer).status_code == 401
    assert ctx.test_client().get(f"/feeds/{feed.token}.ics").status_code == 404
    # ... but logging in does, and new ones can be made.
    assert reaches_dashboard(logged_in_client(ctx))
    _row, fresh = tokens.create_token(User.get_by_id(anna.id), "Nytt skript")
    assert api.get("/api/v1/agreements", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_reactivation_revokes_what_an_older_version_left(ctx):
    """An account deactivated before this version kept its tokens: reactivating it revokes them."""
    anna = account()
    _row, token = tokens.create_token(anna, "Gammalt skript")
    User.update(is_active=False).where(User.id == anna.id).execute()  # as an older version deactivated
    users.save_user(_user_form(User.get_by_id(anna.id), is_active=True), User.get_by_id(anna.id))
    assert tokens.user_for_token(token) is None


def test_an_admin_logs_an_account_out_everywhere(ctx):
    anna = account()
    client = logged_in_client(ctx)
    thief = copy_of(ctx, client)
    admin = client_as(ctx, "admin")
    page = admin.get(f"/users/{anna.id}/edit").get_data(as_text=True)
    assert f'action="/users/{anna.id}/end-sessions"' in page and "Logga ut överallt" in page

    response = admin.post(f"/users/{anna.id}/end-sessions", follow_redirects=True)
    assert response.status_code == 200
    assert "Anna Andersson är utloggad överallt." in response.get_data(as_text=True)
    assert sent_to_login(client) and sent_to_login(thief)
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.entity, entry.entity_id, entry.actor) == ("user", anna.id, f"Test admin <{admin.user.email}>")
    assert audit.changes_of(entry) == {"sessions": [None, "avslutade (logga ut överallt)"]}
    assert "Inloggningar" in admin.get("/audit").get_data(as_text=True)
    # Only an admin may; an unknown account is a 404.
    assert client_as(ctx, "editor").post(f"/users/{anna.id}/end-sessions").status_code == 403
    assert admin.post("/users/999999/end-sessions").status_code == 404
    assert admin.get(f"/users/{anna.id}/end-sessions").status_code == 405


def test_the_api_keeps_its_bearer_tokens(ctx):
    """Logging out or changing the password ends sessions, not the account's API tokens."""
    anna = account()
    _row, token = tokens.create_token(anna, "Annas skript")
    bearer = {"Authorization": f"Bearer {token}"}
    client = logged_in_client(ctx)
    client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/logout")
    assert ctx.test_client().get("/api/v1/agreements", headers=bearer).status_code == 200
    # A session cookie never opens the API.
    assert logged_in_client(ctx, password=NEW_PASSWORD).get("/api/v1/agreements").status_code == 401


def test_a_cookie_naming_only_the_account_id_is_refused(ctx):
    """The cookies of the version before session keys, and ids with a wrong or empty key."""
    anna = account()
    for user_id in (str(anna.id), f"{anna.id}:", f"{anna.id}:fel-nyckel", f"x:{anna.session_key}", "", "9" * 40):
        client = ctx.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
        assert sent_to_login(client), user_id


def test_login_checks_a_password_hash_whether_or_not_the_account_exists(ctx, monkeypatch):
    """The same work for every answer: an unknown or inactive address is checked against a dummy hash."""
    account()
    account(email="inaktiv@example.org", is_active=False)
    checked = []
    real = users.check_password_hash

    def spy(stored, password):
        checked.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(users, "check_password_hash", spy)
    method = "pbkdf2:sha256:1000"  # the hasher the accounts were stored with (fast_hashing)
    for email, password, status in [
        ("anna@example.org", PASSWORD, 302),
        ("anna@example.org", "fel-lösenord-x", 401),
        ("okand@example.org", PASSWORD, 401),
        ("inaktiv@example.org", PASSWORD, 401),
    ]:
        checked.clear()
        response = ctx.test_client().post("/login", data={"email": email, "password": password})
        assert response.status_code == status, email
        assert checked == [method], email


def test_the_reset_mail_does_not_hold_up_the_answer(ctx, smtp):  # noqa: F811
    account()
    smtp.hold()  # the mail server takes the message and then says nothing
    response = ctx.test_client().post("/reset-password", data={"email": "anna@example.org"})
    assert response.status_code == 302 and response.location == "/login"
    assert smtp.wait_held(1)  # the message is still on its way after the answer
    assert smtp.messages == []
    smtp.release()
    (message,) = smtp.wait_for(1)
    assert message.recipients == ["anna@example.org"]


def test_a_mail_server_that_is_down_is_logged_not_shown(ctx, smtp, caplog):  # noqa: F811
    account()
    smtp.stop()
    response = ctx.test_client().post("/reset-password", data={"email": "anna@example.org"})
    assert response.status_code == 302
    from registry import outbox

    for thread in outbox.running():
        thread.join(10)
    assert "mail to anna@example.org failed" in caplog.text


def test_existing_accounts_get_keys_of_their_own_when_upgrading(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        migration_runner().up(target="0016_indicators")
        for email in ("a@example.org", "b@example.org"):
            db.execute_sql(
                "INSERT INTO app_user (email, name, password_hash, role, is_active, created_at, locale)"
                f" VALUES ({db.param}, 'A', '', 'viewer', {db.param}, CURRENT_TIMESTAMP, '')",
                (email, True),
            )
        upgrade()
        keys = [user.session_key for user in User.select()]
        assert len(keys) == 2 and len(set(keys)) == 2 and all(len(key) >= 20 for key in keys)
        db.close()


def test_an_admin_setting_their_own_password_stays_logged_in(ctx):
    admin = client_as(ctx, "admin")
    thief = copy_of(ctx, admin)
    me = User.get_by_id(admin.user.id)
    response = admin.post(f"/users/{me.id}/edit", data=_user_form(me, password=NEW_PASSWORD))
    assert response.status_code == 302
    assert reaches_dashboard(admin) and sent_to_login(thief)


def test_a_reset_link_dies_when_the_accounts_sessions_are_ended(ctx):
    """A link mailed before "log out everywhere" (a lost laptop, a read mailbox) no longer works."""
    user = account()
    link = users.reset_token(user)
    assert users.user_for_token(link) == user
    users.end_sessions(User.get_by_id(user.id), users.EVERYWHERE)
    assert users.user_for_token(link) is None
    assert users.user_for_token(users.reset_token(User.get_by_id(user.id))) == user  # a new link works


def test_reset_requests_for_one_address_are_throttled(ctx, smtp, caplog):  # noqa: F811
    """Five links per address in a quarter of an hour; the sixth request gets the same answer and no mail."""
    from registry import outbox
    from registry.security import MAX_FAILURES_PER_ACCOUNT

    account()
    client = ctx.test_client()
    for _ in range(MAX_FAILURES_PER_ACCOUNT + 1):
        response = client.post("/reset-password", data={"email": "anna@example.org"})
        assert response.status_code == 302 and response.location == "/login"
    for thread in outbox.running():
        thread.join(10)
    assert len(smtp.wait_for(MAX_FAILURES_PER_ACCOUNT)) == MAX_FAILURES_PER_ACCOUNT
    assert "password reset for anna@example.org throttled" in caplog.text
    # the account's own login is not throttled by its reset requests (they count under a key of their own)
    assert client.post("/login", data={"email": "anna@example.org", "password": PASSWORD}).status_code == 302


def test_a_full_outbox_drops_and_logs_rather_than_piling_up_threads(ctx, monkeypatch, caplog):
    import threading

    from flask_mail import Message

    from registry import outbox

    monkeypatch.setattr(outbox, "_slots", threading.BoundedSemaphore(1))
    assert outbox._slots.acquire(blocking=False)  # the one slot is taken by a send under way
    try:
        assert outbox.send_later(Message(subject="x", recipients=["anna@example.org"], body="x")) is None
    finally:
        outbox._slots.release()
    assert "outbox full: mail to anna@example.org dropped" in caplog.text
