"""Logging in, throttling, sessions, CSRF, security headers, secrets, error pages and passwords."""

import datetime
import functools
import re
from html import unescape

import pytest
from werkzeug import security as werkzeug_security

from registry.domain import audit, users
from registry.models import Agreement, AuditEntry, LoginFailure, User, utcnow
from tests.conftest import make_app, migrated_app
from tests.factories import agreement_form, client_as, make_group, names
from tests.html import csrf_token, field_error
from tests.smtp import smtp, smtp_server  # noqa: F401

PASSWORD = "Rätt-lösenord-2026"
NEW_PASSWORD = "Nytt-lösen-för-kontot"
WRONG_MESSAGE = "Fel e-postadress eller lösenord."
THROTTLED_MESSAGE = "För många misslyckade inloggningsförsök. Försök igen om en kvart."
RESET_SENT = "Om adressen har ett konto har vi skickat en länk för att välja nytt lösenord. Länken gäller en timme."


@pytest.fixture
def fast_hashing(monkeypatch):
    """scrypt costs 0.2 s a hash; these tests hash dozens of times, so store cheap PBKDF2 hashes instead."""
    cheap = functools.partial(werkzeug_security.generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(users, "generate_password_hash", cheap)


pytestmark = pytest.mark.usefixtures("fast_hashing")


# --- helpers ----------------------------------------------------------------


def text(response):
    return unescape(response.get_data(as_text=True))


def account(email="anna@example.org", password=PASSWORD, role="viewer", **data):
    return users.save_user({"email": email, "name": "Anna Andersson", "role": role, "password": password, **data})


def login(client, email, password, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def logged_in(client):
    """True if the client's session reaches the dashboard."""
    return client.get("/").status_code == 200


# --- logging in -------------------------------------------------------------


def test_passwords_are_stored_with_scrypt(ctx, monkeypatch):
    monkeypatch.setattr(users, "generate_password_hash", werkzeug_security.generate_password_hash)
    anna = account()
    stored = User.get_by_id(anna.id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    assert users.check_password(anna, PASSWORD)
    assert not users.check_password(anna, PASSWORD.lower())
    assert not users.check_password(User(password_hash=""), "")  # an account without a password cannot log in


def test_login_with_the_right_password_and_refusals(ctx, anonymous):
    anna = account()
    assert anonymous.get("/").status_code == 302

    for email, password in [
        ("anna@example.org", "fel-lösenord-123"),
        ("okand@example.org", PASSWORD),
        ("anna@example.org", ""),
    ]:
        response = login(anonymous, email, password)
        if password:
            assert response.status_code == 401
            assert WRONG_MESSAGE in text(response)
        else:
            assert response.status_code == 422  # an empty field is a form error, not a failed login
        assert not logged_in(anonymous)
    assert LoginFailure.select().count() == 2

    response = login(anonymous, "  Anna@Example.ORG ", PASSWORD)
    assert response.status_code == 302
    assert response.location == "/"
    assert logged_in(anonymous)
    assert anonymous.get("/agreements").status_code == 200
    assert User.get_by_id(anna.id).last_login_at is not None

    # After logging in, only local pages are followed.
    other = ctx.test_client()
    assert login(other, anna.email, PASSWORD, query_string={"next": "/agreements?q=x"}).location == "/agreements?q=x"
    assert login(other, anna.email, PASSWORD, query_string={"next": "//evil.example.org/"}).location == "/"
    assert login(other, anna.email, PASSWORD, query_string={"next": "https://evil.example.org/"}).location == "/"

    # A deactivated account cannot log in, and its open session ends.
    User.update(is_active=False).where(User.id == anna.id).execute()
    assert not logged_in(anonymous)
    response = login(ctx.test_client(), anna.email, PASSWORD)
    assert response.status_code == 401 and WRONG_MESSAGE in text(response)


def test_five_failures_lock_the_account_even_for_the_right_password(ctx, anonymous):
    anna = account()
    bertil = account("bertil@example.org")
    for attempt in range(5):
        response = login(anonymous, anna.email, f"fel-lösenord-{attempt}")
        assert response.status_code == 401, attempt
    response = login(anonymous, anna.email, PASSWORD)
    assert response.status_code == 429
    assert THROTTLED_MESSAGE in text(response)
    assert not logged_in(anonymous)
    # The lock is on the account, from every address; other accounts are not affected.
    elsewhere = ctx.test_client()
    assert login(elsewhere, anna.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 429
    assert login(elsewhere, bertil.email, PASSWORD).status_code == 302
    # After the window (15 minutes) the account opens again.
    LoginFailure.update(at=utcnow() - datetime.timedelta(minutes=16)).execute()
    assert login(ctx.test_client(), anna.email, PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_the_address(ctx, anonymous):
    anna = account()
    for attempt in range(20):
        response = login(anonymous, f"gissning{attempt}@example.org", "fel-lösenord-123")
        assert response.status_code == 401, attempt
    response = login(anonymous, anna.email, PASSWORD)
    assert response.status_code == 429
    assert THROTTLED_MESSAGE in text(response)
    assert not logged_in(anonymous)
    # The same account from another address is fine.
    elsewhere = ctx.test_client()
    assert login(elsewhere, anna.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302
    assert logged_in(elsewhere)


def test_a_successful_login_clears_the_accounts_failures(ctx, anonymous):
    anna = account()
    for attempt in range(4):
        assert login(anonymous, anna.email, f"fel-{attempt}-lösenord").status_code == 401
    assert login(anonymous, anna.email, PASSWORD).status_code == 302
    assert LoginFailure.select().where(LoginFailure.email == anna.email).count() == 0
    anonymous.post("/logout")
    # Four more failures would have made nine without the clearing: still not locked.
    for attempt in range(4):
        assert login(anonymous, anna.email, f"fel-{attempt}-igen").status_code == 401
    assert login(anonymous, anna.email, PASSWORD).status_code == 302


def test_logout_is_post_only_and_ends_the_session(client):
    assert client.get("/logout").status_code == 405
    assert logged_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.location == "/login"
    assert "Du är utloggad." in text(client.get("/login"))
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert client.post("/logout").status_code == 401


# --- CSRF, cookies, headers ---------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(database_url):
    with migrated_app(database_url, WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            account()
            group = make_group("ReKo")
        client = app.test_client()

        response = login(client, "anna@example.org", PASSWORD)
        assert response.status_code == 400
        assert not logged_in(client)
        assert LoginFailure.select().count() == 0
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"email": "anna@example.org", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)

        admin = client_as(app, "admin")
        data = agreement_form(title="Överenskommelse utan token", responsible_group=group)
        assert admin.post("/agreements/new", data=data).status_code == 400
        assert admin.post("/agreements/new", data={**data, "csrf_token": "forged"}).status_code == 400
        assert Agreement.select().count() == 0
        assert AuditEntry.select().where(AuditEntry.entity == "agreement").count() == 0
        response = admin.post("/agreements/new", data={**data, "csrf_token": csrf_token(admin, "/agreements/new")})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert Agreement.select().count() == 1

        assert admin.post("/logout").status_code == 400
        assert logged_in(admin)


def test_security_headers_on_every_response(client, viewer_client, anonymous):
    responses = {
        "page": client.get("/"),
        "redirect": anonymous.get("/"),
        "login page": anonymous.get("/login"),
        "not found": client.get("/finns-inte"),
        "not allowed": client.get("/logout"),
        "unauthorised": anonymous.post("/logout"),
        "forbidden": viewer_client.get("/users"),
        "export": client.get("/audit/export.csv"),
        "static": anonymous.get("/static/app.css"),
    }
    responses["static"].close()
    for name, response in responses.items():
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, name
        assert "default-src 'self'" in csp and "object-src 'none'" in csp, name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("Referrer-Policy") == "same-origin", name
    assert responses["forbidden"].status_code == 403
    assert responses["unauthorised"].status_code == 401


def _session_cookie(response):
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return [part.strip() for part in cookies[0].split(";")]


def test_session_cookie_flags(database_url):
    with migrated_app(database_url) as app:
        with app.app_context():
            account()
        attributes = _session_cookie(login(app.test_client(), "anna@example.org", PASSWORD))
        assert "HttpOnly" in attributes and "SameSite=Lax" in attributes
        assert "Secure" not in attributes
        assert app.config["REMEMBER_COOKIE_SECURE"] is False
    with migrated_app(database_url, SESSION_COOKIE_SECURE=True) as app:
        attributes = _session_cookie(login(app.test_client(), "anna@example.org", PASSWORD))
        assert "HttpOnly" in attributes and "SameSite=Lax" in attributes and "Secure" in attributes
        assert app.config["REMEMBER_COOKIE_SECURE"] is True


# --- secret key and error pages -----------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "dev-only-change-me",
        "changeme",
        "testing",
        "k" * 31,
        "please-change-me-to-a-long-random-value-0123456789",
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app("sqlite:///:memory:", APP_ENV="production", SECRET_KEY=key)


def test_production_starts_with_a_strong_secret_key():
    key = "Zq4Vb9xL2mN7pR5tW8yA3cE6gJ1kH0sD4fG7hK2lM5nP8qR1"
    assert len(key) == 48
    app = make_app("sqlite:///:memory:", APP_ENV="production", SECRET_KEY=key)
    assert app.config["SECRET_KEY"] == key
    # Development tolerates the default key.
    assert make_app("sqlite:///:memory:", APP_ENV="development", SECRET_KEY="dev-only-change-me")


def test_an_unexpected_error_shows_the_swedish_error_page(app, client, monkeypatch):
    def broken():
        raise RuntimeError("hemlig intern detalj /srv/registry/secret.py")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setitem(app.view_functions, "main.dashboard", broken)
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert '<html lang="sv">' in body and "Ett fel uppstod" in body
    assert "Traceback" not in body and "hemlig intern detalj" not in body and "RuntimeError" not in body
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert client.get("/agreements").status_code == 200  # the app keeps working


# --- passwords ----------------------------------------------------------------


def test_changing_ones_password(ctx, anonymous):
    anna = account()
    assert login(anonymous, anna.email, PASSWORD).status_code == 302
    assert anonymous.get("/account/password").status_code == 200
    old_hash = User.get_by_id(anna.id).password_hash

    response = anonymous.post(
        "/account/password", data={"current": "inte-mitt-lösenord", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert field_error(response, "current") == "Lösenordet stämmer inte. Skriv ditt nuvarande lösenord."
    response = anonymous.post("/account/password", data={"current": PASSWORD, "password": "kort", "confirm": "kort"})
    assert response.status_code == 422
    assert field_error(response, "password") == "Lösenordet måste ha minst 12 tecken."
    response = anonymous.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 422
    assert field_error(response, "confirm") == "Lösenorden stämmer inte överens. Skriv samma lösenord i båda fälten."
    assert User.get_by_id(anna.id).password_hash == old_hash

    response = anonymous.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert names(entry.actor, anna) and (entry.entity, entry.entity_id) == ("user", anna.id)
    assert audit.changes_of(entry) == {"password": ["***", "*** (ändrat)"], "sessions": [None, "avslutade"]}

    anonymous.post("/logout")
    response = login(anonymous, anna.email, PASSWORD)
    assert response.status_code == 401 and WRONG_MESSAGE in text(response)
    assert login(anonymous, anna.email, NEW_PASSWORD).status_code == 302


def test_resetting_a_forgotten_password_by_email(ctx, anonymous, smtp):  # noqa: F811
    anna = account()
    for attempt in range(5):
        login(anonymous, anna.email, f"glömt-{attempt}-lösenordet")
    assert login(anonymous, anna.email, PASSWORD).status_code == 429

    response = anonymous.post("/reset-password", data={"email": " ANNA@example.org "}, follow_redirects=True)
    assert response.status_code == 200
    assert RESET_SENT in text(response)
    (message,) = smtp.wait_for(1)
    assert message.recipients == [anna.email]
    assert message.subject == "Återställ ditt lösenord till Överenskommelseregistret"
    link = re.search(r"https://registret\.example\.org(/reset-password/\S+)", message.text).group(1)

    assert anonymous.get(link).status_code == 200
    response = anonymous.post(link, data={"password": "kort", "confirm": "kort"})
    assert response.status_code == 422
    assert field_error(response, "password") == "Lösenordet måste ha minst 12 tecken."
    response = anonymous.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert "Lösenordet är ändrat. Logga in med det nya lösenordet." in text(response)
    # The new password works at once: the reset also lifted the lock.
    assert login(anonymous, anna.email, NEW_PASSWORD).status_code == 302
    anonymous.post("/logout")
    assert login(anonymous, anna.email, PASSWORD).status_code == 401

    # The link works once.
    response = anonymous.get(link, follow_redirects=True)
    assert "Länken är ogiltig, har gått ut eller har redan använts. Be om en ny." in text(response)
    response = anonymous.post(link, data={"password": "Tredje-lösenordet-x", "confirm": "Tredje-lösenordet-x"})
    assert response.status_code == 302 and response.location == "/reset-password"
    assert login(ctx.test_client(), anna.email, "Tredje-lösenordet-x").status_code == 401
    # A forged or altered link is refused too.
    token = link.rsplit("/", 1)[1]
    altered = ("B" if token[0] == "A" else "A") + token[1:]
    assert anonymous.get(f"/reset-password/{altered}").status_code == 302

    # An unknown address gets the same answer and no mail.
    response = anonymous.post("/reset-password", data={"email": "okand@example.org"}, follow_redirects=True)
    assert RESET_SENT in text(response)
    assert len(smtp.messages) == 1


# --- create-user --------------------------------------------------------------


def test_create_user_command(ctx, runner):
    aldre = make_group("Strategigrupp Äldre", short_name="Äldre")
    make_group("ReKo")
    pw = "Kommandorad-lösen-1"

    result = runner.invoke(
        args=["create-user", "--email", "Eva@Example.org", "--name", "Eva E", "--role", "editor"]
        + ["--group", "Äldre", "--password", pw]
    )
    assert result.exit_code == 0, result.output
    assert "user eva@example.org (editor) saved" in result.output
    eva = User.get(User.email == "eva@example.org")
    assert (eva.name, eva.role, eva.is_active) == ("Eva E", "editor", True)
    assert users.check_password(eva, pw)
    assert users.group_ids(eva) == {aldre.id}
    entry = AuditEntry.select().where(AuditEntry.entity == "user").order_by(AuditEntry.id.desc()).first()
    assert entry.actor.startswith("command line") and entry.entity_id == eva.id

    # Prompted for (hidden, twice) when --password is left out.
    result = runner.invoke(
        args=["create-user", "--email", "olle@example.org", "--name", "Olle", "--role", "auditor"],
        input=f"{pw}x\n{pw}x\n",
    )
    assert result.exit_code == 0, result.output
    assert users.check_password(User.get(User.email == "olle@example.org"), pw + "x")

    # An unknown group: a clear message naming the groups there are, and nothing saved.
    result = runner.invoke(
        args=["create-user", "--email", "per@example.org", "--name", "Per", "--role", "editor"]
        + ["--group", "Finns inte", "--password", pw]
    )
    assert result.exit_code == 1
    assert "No group called 'Finns inte'" in result.output
    assert "Strategigrupp Äldre" in result.output and "ReKo" in result.output
    assert User.get_or_none(User.email == "per@example.org") is None

    # Rules of the domain: editors need a group, passwords must be strong.
    result = runner.invoke(
        args=["create-user", "--email", "per@example.org", "--name", "Per", "--role", "editor", "--password", pw]
    )
    assert (
        result.exit_code == 1
        and "En redaktör måste höra till minst en grupp. Välj en eller flera grupper." in result.output
    )
    result = runner.invoke(
        args=["create-user", "--email", "per@example.org", "--name", "Per", "--role", "viewer", "--password", "kort"]
    )
    assert result.exit_code == 1 and "Lösenordet måste ha minst 12 tecken." in result.output
    assert User.get_or_none(User.email == "per@example.org") is None

    # The same address again updates the account.
    count = User.select().count()
    result = runner.invoke(
        args=["create-user", "--email", "eva@example.org", "--name", "Eva Ek", "--role", "admin"]
        + ["--password", "Ett-annat-lösenord-9"]
    )
    assert result.exit_code == 0, result.output
    assert User.select().count() == count
    eva = User.get(User.email == "eva@example.org")
    assert (eva.name, eva.role) == ("Eva Ek", "admin")
    assert users.check_password(eva, "Ett-annat-lösenord-9") and not users.check_password(eva, pw)
