"""Single sign-on with OpenID Connect, end to end against a real provider process (tests/oidc.py):
the authorization-code flow with PKCE, state and nonce; accounts created and linked by verified email
and matched on the subject later; role and groups from the claims; refusals (wrong issuer, expired
token, unverified email, state mismatch, a failed PKCE check, a deactivated account); LOCAL_PASSWORDS=off;
the provider's logout; and the settings checked at start."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from config import oidc_providers
from registry import create_app
from registry.db import db
from registry.domain import sso
from registry.models import AuditEntry, Group, GroupMember, SsoIdentity, User
from tests.conftest import migrated_app
from tests.factories import make_group, make_user
from tests.oidc import CLIENT_ID, running_provider, s256, settings, sso_login

# The provider (oidc-provider-mock on Authlib's server) uses an Authlib interface that warns of its
# deprecation on every token it issues; the warning is the provider's, not the register's.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

MAPPING = {
    "ROLE_MAP": "Registret.Admin=admin; Registret.Redaktor=editor; Registret.Revisor=auditor",
    "GROUP_MAP": "grp-aldre=Strategigrupp Äldre; grp-barn=Barn och unga",
}
ANNA = {
    "email": "Anna.Berg@Region.example.org",
    "email_verified": True,
    "name": "Anna Berg",
    "roles": ["Registret.Redaktor"],
    "groups": ["grp-aldre", "some-other-group"],
}


@pytest.fixture(scope="module")
def provider():
    with running_provider() as provider:
        yield provider


@pytest.fixture
def sso_app(database_url, provider):
    provider.wrong_issuer = False
    with migrated_app(database_url, OIDC_PROVIDERS=settings(provider, **MAPPING)) as app:
        with app.app_context():
            db.connect(reuse_if_open=True)
            make_group(name="Strategigrupp Äldre")
            make_group(name="Barn och unga")
            make_group(name="Handläggargrupp")  # not in the mapping: kept as the register has it
            db.close()
        yield app


def _query(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def _account(app, email):
    def facts():
        user = User.get_or_none(User.email == email)
        if user is None:
            return None
        groups = sorted(m.group.name for m in GroupMember.select().where(GroupMember.person == user.person_id))
        return {"role": user.role, "groups": groups, "name": user.name, "active": user.is_active, "id": user.id}

    return _query(app, facts)


def _messages(response):
    return response.get_data(as_text=True)


def test_first_login_creates_the_account_with_the_mapped_role_and_groups(sso_app, provider):
    provider.set_user("anna-sub", ANNA)
    client = sso_app.test_client()
    answer = sso_login(client, provider, "anna-sub", start_args={"next": "/agreements"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/agreements"

    # The authorization request carried state, nonce and an S256 PKCE challenge; the token request the
    # verifier that matches it (the provider checked it too).
    asked = provider.authorize_requests[-1]
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["state"] and asked["nonce"] and asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == "https://registret.example.org/login/oidc/test/callback"
    assert s256(provider.token_requests[-1]["code_verifier"]) == asked["code_challenge"]

    account = _account(sso_app, "anna.berg@region.example.org")
    assert account["role"] == "editor" and account["groups"] == ["Strategigrupp Äldre"]
    assert account["name"] == "Anna Berg"
    link = _query(sso_app, lambda: SsoIdentity.get(SsoIdentity.user == account["id"]))
    assert (link.issuer, link.subject, link.provider) == (provider.url, "anna-sub", "test")
    page = client.get("/")
    assert page.status_code == 200 and "Anna Berg" in _messages(page) and "Redaktör" in _messages(page)
    # Audited like every change of an account: created (role, groups), then linked to the provider.
    entries = _query(
        sso_app,
        lambda: [(e.action, json.loads(e.changes)) for e in AuditEntry.select().where(AuditEntry.entity == "user")],
    )
    assert entries[0][0] == "create" and entries[0][1]["role"] == [None, "editor"]
    assert entries[-1][1]["sso"] == [None, f"Testregionen ({provider.url})"]


def test_later_logins_match_on_the_subject_and_apply_the_mapping_again(sso_app, provider):
    provider.set_user("anna-sub", ANNA)
    sso_login(sso_app.test_client(), provider, "anna-sub")
    account = _account(sso_app, "anna.berg@region.example.org")

    def add_unmapped_group():
        person = User.get_by_id(account["id"]).person
        GroupMember.create(person=person, group=Group.get(Group.name == "Handläggargrupp"))

    _query(sso_app, add_unmapped_group)
    # The provider now says another email, admin, and the other mapped group: the subject still finds
    # the account; role and mapped groups follow the claims; the unmapped group stays.
    provider.set_user(
        "anna-sub", {**ANNA, "email": "anna@nytt.example.org", "roles": ["Registret.Admin"], "groups": ["grp-barn"]}
    )
    answer = sso_login(sso_app.test_client(), provider, "anna-sub")
    assert answer.status_code == 302
    again = _account(sso_app, "anna.berg@region.example.org")
    assert again["id"] == account["id"]
    assert again["role"] == "admin" and again["groups"] == ["Barn och unga", "Handläggargrupp"]
    assert _account(sso_app, "anna@nytt.example.org") is None
    # No role claim at all: the default role (viewer).
    provider.set_user("anna-sub", {**ANNA, "roles": [], "groups": []})
    sso_login(sso_app.test_client(), provider, "anna-sub")
    assert _account(sso_app, "anna.berg@region.example.org")["role"] == "viewer"


def test_an_existing_account_is_linked_by_its_verified_email(sso_app, provider):
    existing = _query(sso_app, lambda: make_user("auditor", email="bo@kommun.example.org", name="Bo Ek")).id
    bo = {"email": "BO@kommun.example.org", "email_verified": True, "roles": ["Registret.Revisor"]}
    provider.set_user("bo-sub", bo)
    client = sso_app.test_client()
    assert sso_login(client, provider, "bo-sub").status_code == 302
    assert _query(sso_app, lambda: SsoIdentity.get(SsoIdentity.subject == "bo-sub").user_id) == existing
    assert _account(sso_app, "bo@kommun.example.org")["name"] == "Bo Ek"  # the register's name is kept


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_refused(sso_app, provider, verified):
    claims = {"email": "cilla@kommun.example.org", "roles": ["Registret.Admin"]}
    if verified is not None:
        claims["email_verified"] = verified
    provider.set_user("cilla-sub", claims)
    client = sso_app.test_client()
    answer = sso_login(client, provider, "cilla-sub")
    assert answer.status_code == 403
    assert "har inte bekräftat din e-postadress cilla@kommun.example.org" in _messages(answer)
    assert _account(sso_app, "cilla@kommun.example.org") is None
    assert client.get("/").status_code == 302  # not logged in


def test_a_provider_trusted_for_email_may_leave_email_verified_out(database_url, provider):
    provider.set_user("dan-sub", {"email": "dan@kommun.example.org"})
    trusted = settings(provider, TRUST_EMAIL="on", EMAIL_DOMAINS="kommun.example.org")
    with migrated_app(database_url, OIDC_PROVIDERS=trusted) as app:
        assert sso_login(app.test_client(), provider, "dan-sub").status_code == 302
        assert _account(app, "dan@kommun.example.org")["role"] == "viewer"
        # ... but an explicit "not verified" is refused all the same.
        provider.set_user("eva-sub", {"email": "eva@kommun.example.org", "email_verified": False})
        assert sso_login(app.test_client(), provider, "eva-sub").status_code == 403


def test_a_provider_vouches_only_for_its_own_email_domains(sso_app, database_url, provider):
    existing = _query(sso_app, lambda: make_user("admin", email="chef@kommun.example.org")).id
    provider.set_user("mallory-sub", {"email": "chef@kommun.example.org", "email_verified": True})
    limited = settings(provider, TRUST_EMAIL="on", EMAIL_DOMAINS="region.example.org, @rjl.example.org")
    sso_app.extensions["sso"].providers["test"] = sso.parse_providers(limited)[0]
    client = sso_app.test_client()
    answer = sso_login(client, provider, "mallory-sub")
    assert answer.status_code == 403 and "får inte logga in adressen chef@kommun.example.org" in _messages(answer)
    assert _query(sso_app, lambda: SsoIdentity.select().where(SsoIdentity.user == existing).count()) == 0
    provider.set_user("anna-sub", ANNA)
    assert sso_login(client, provider, "anna-sub").status_code == 302


def test_a_deactivated_account_is_refused(sso_app, provider):
    provider.set_user("anna-sub", ANNA)
    sso_login(sso_app.test_client(), provider, "anna-sub")
    _query(sso_app, lambda: User.update(is_active=False).execute())
    client = sso_app.test_client()
    answer = sso_login(client, provider, "anna-sub")
    assert answer.status_code == 403 and "Ditt konto i registret är avstängt" in _messages(answer)
    assert client.get("/").status_code == 302


def _refused(answer, client, caplog=None, reason=None):
    """The callback refused the login (and, given `reason`, logged it as the cause)."""
    assert answer.status_code == 401
    if reason is not None:
        assert reason in caplog.text
    assert "Inloggningen via Testregionen kunde inte godkännas" in _messages(answer)
    assert client.get("/").status_code == 302  # not logged in


def test_a_state_mismatch_is_refused(sso_app, provider, caplog):
    provider.set_user("anna-sub", ANNA)
    client = sso_app.test_client()
    started = client.get("/login/oidc/test")
    back = urlsplit(provider.log_in(started.headers["Location"], "anna-sub"))
    query = parse_qs(back.query)
    _refused(
        client.get(back.path, query_string={"code": query["code"][0], "state": "forged"}),
        client,
        caplog,
        "MismatchingStateError",
    )
    # The answer to a login started in another browser (a planted code): this browser has no state.
    other = sso_app.test_client()
    _refused(other.get(f"{back.path}?{back.query}"), other)
    assert _account(sso_app, "anna.berg@region.example.org") is None


def test_a_failed_pkce_check_is_refused(sso_app, provider):
    provider.set_user("anna-sub", ANNA)
    client = sso_app.test_client()
    started = client.get("/login/oidc/test")
    with client.session_transaction() as session:  # the verifier kept for the token request is altered
        [key] = [key for key in session if key.startswith("_state_test_")]
        kept = session[key]
        kept["data"]["code_verifier"] = "x" * 50
        session[key] = kept
    back = urlsplit(provider.log_in(started.headers["Location"], "anna-sub"))
    refusals = provider.pkce_refusals
    _refused(client.get(f"{back.path}?{back.query}"), client)
    assert provider.pkce_refusals == refusals + 1  # the provider refused the code: the verifier did not match


def test_an_id_token_from_another_issuer_is_refused(sso_app, provider, caplog):
    provider.set_user("anna-sub", ANNA)
    provider.wrong_issuer = True
    try:
        client = sso_app.test_client()
        _refused(sso_login(client, provider, "anna-sub"), client, caplog, "Invalid claim: 'iss'")
    finally:
        provider.wrong_issuer = False
    assert _account(sso_app, "anna.berg@region.example.org") is None


def test_a_discovery_document_of_another_issuer_is_refused(database_url, provider, caplog):
    provider.set_user("anna-sub", ANNA)
    other = settings(provider, METADATA_URL=provider.url + "/.well-known/openid-configuration")
    other["test"]["ISSUER"] = "http://localhost:1/other"
    with migrated_app(database_url, OIDC_PROVIDERS=other) as app:
        client = app.test_client()
        _refused(sso_login(client, provider, "anna-sub"), client, caplog, "discovery names issuer")


def test_an_expired_id_token_is_refused(database_url, caplog):
    with running_provider(id_token_max_age=timedelta(minutes=-10)) as expired:
        expired.set_user("anna-sub", ANNA)
        with migrated_app(database_url, OIDC_PROVIDERS=settings(expired)) as app:
            client = app.test_client()
            _refused(sso_login(client, expired, "anna-sub"), client, caplog, "token is expired")
            assert _account(app, "anna.berg@region.example.org") is None


def test_local_passwords_off_hides_and_refuses_the_password_form(database_url, provider):
    with migrated_app(database_url, OIDC_PROVIDERS=settings(provider), LOCAL_PASSWORDS=False) as app:
        _query(app, lambda: make_user("admin", email="admin@test.example.org"))
        client = app.test_client()
        page = _messages(client.get("/login"))
        assert "Logga in med Testregionen" in page and 'name="password"' not in page
        answer = client.post("/login", data={"email": "admin@test.example.org", "password": "x" * 20})
        assert answer.status_code == 403 and "Inloggning med lösenord är avstängd" in _messages(answer)
        assert client.get("/reset-password").status_code == 403
        assert client.post("/reset-password", data={"email": "admin@test.example.org"}).status_code == 403
        provider.set_user("anna-sub", ANNA)
        assert sso_login(client, provider, "anna-sub").status_code == 302
        assert client.get("/account/password").status_code == 403
        assert "Byt lösenord" not in _messages(client.get("/"))


def test_logout_offers_the_providers_logout(sso_app, provider):
    provider.set_user("anna-sub", ANNA)
    client = sso_app.test_client()
    sso_login(client, provider, "anna-sub")
    client.post("/logout")
    assert client.get("/").status_code == 302
    page = _messages(client.get("/login"))
    assert "Logga ut även från Testregionen" in page
    answer = client.get("/login/oidc/test/logout")
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == provider.url + "/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["https://registret.example.org/login"]
    assert "Logga ut även från" not in _messages(client.get("/login"))  # offered once


def test_the_login_page_without_providers_is_as_before(anonymous):
    page = _messages(anonymous.get("/login"))
    assert 'name="password"' in page and "Logga in med" not in page


def test_an_unknown_provider_is_not_found(sso_app):
    assert sso_app.test_client().get("/login/oidc/nobody").status_code == 404


def test_the_settings_are_read_from_the_environment():
    environ = {
        "OIDC_PROVIDERS": " RJL, jonkoping ",
        "OIDC_RJL_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
        "OIDC_RJL_CLIENT_ID": "id",
        "OIDC_RJL_CLIENT_SECRET": "secret",
        "OIDC_RJL_ROLE_MAP": "Registret.Admin=admin;Registret.Revisor=auditor",
        "OIDC_RJL_GROUP_MAP": "6f1c…=Strategigrupp Äldre",
        "OIDC_JONKOPING_METADATA_URL": "https://idp.jonkoping.example/.well-known/openid-configuration",
        "OIDC_JONKOPING_CLIENT_ID": "id2",
        "OIDC_JONKOPING_CLIENT_SECRET": "secret2",
        "OIDC_JONKOPING_LABEL": "Jönköpings kommun",
        "OIDC_JONKOPING_TRUST_EMAIL": "on",
        "OIDC_JONKOPING_EMAIL_DOMAINS": "jonkoping.se",
        "OIDC_JONKOPING_LINK_ADMINS": "on",
        "OIDC_JONKOPING_MAX_ROLE": "editor",
    }
    rjl, jonkoping = sso.parse_providers(oidc_providers(environ))
    assert (rjl.name, rjl.label, rjl.scopes, rjl.default_role) == ("rjl", "rjl", "openid email profile", "viewer")
    assert rjl.metadata_url == "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration"
    assert rjl.role_map == (("Registret.Admin", "admin"), ("Registret.Revisor", "auditor"))
    assert rjl.group_map == (("6f1c…", "Strategigrupp Äldre"),) and not rjl.trust_email
    assert (jonkoping.label, jonkoping.issuer, jonkoping.trust_email) == ("Jönköpings kommun", "", True)
    assert (jonkoping.email_domains, jonkoping.link_admins, jonkoping.max_role) == (("jonkoping.se",), True, "editor")
    assert (rjl.link_admins, rjl.max_role) == (False, "admin")


def test_wrong_settings_stop_the_start_naming_every_variable(tmp_path):
    raw = {
        "rjl": {
            "ISSUER": "http://login.example.org",
            "CLIENT_ID": "id",
            "SCOPES": "email profile",
            "ROLE_MAP": "Registret.Admin=superuser; broken",
            "DEFAULT_ROLE": "boss",
            "TRUST_EMAIL": "maybe",
            "LINK_ADMINS": "sometimes",
            "MAX_ROLE": "king",
        },
        "open": {"ISSUER": "https://idp.example.org", "CLIENT_ID": "x", "CLIENT_SECRET": "y", "TRUST_EMAIL": "on"},
        "tenant": {
            "ISSUER": "https://tenant.example.org",
            "CLIENT_ID": "x",
            "CLIENT_SECRET": "y",
            "MAX_ROLE": "editor",
            "DEFAULT_ROLE": "admin",
            "ROLE_MAP": "Registret.Admin=admin; Registret.Redaktor=editor",
        },
        "bad-name": {"ISSUER": "https://ok.example.org", "CLIENT_ID": "x", "CLIENT_SECRET": "y"},
    }
    with pytest.raises(sso.SettingsError) as caught:
        sso.parse_providers(raw)
    for words in (
        "OIDC_RJL_ISSUER must be an https:// address",
        "OIDC_RJL_CLIENT_SECRET must be set",
        "OIDC_RJL_SCOPES must include openid",
        "OIDC_RJL_ROLE_MAP: 'superuser' is not a role",
        "OIDC_RJL_ROLE_MAP: 'broken' is not of the form",
        "OIDC_RJL_DEFAULT_ROLE must be one of",
        "OIDC_RJL_TRUST_EMAIL must be on or off",
        "OIDC_RJL_LINK_ADMINS must be on or off",
        "OIDC_RJL_MAX_ROLE must be one of",
        "OIDC_OPEN_TRUST_EMAIL=on needs OIDC_OPEN_EMAIL_DOMAINS",
        "OIDC_TENANT_DEFAULT_ROLE 'admin' is above OIDC_TENANT_MAX_ROLE 'editor'",
        "OIDC_TENANT_ROLE_MAP: Registret.Admin=admin is above OIDC_TENANT_MAX_ROLE 'editor'",
        "OIDC_PROVIDERS: 'bad-name' is not a usable name",
    ):
        assert words in str(caught.value)
    assert "Registret.Redaktor=editor is above" not in str(caught.value)
    with pytest.raises(sso.SettingsError, match="LOCAL_PASSWORDS=off needs at least one identity provider"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "LOCAL_PASSWORDS": False})


def test_the_mapping_of_claims():
    [provider] = sso.parse_providers(
        {"x": {"ISSUER": "https://idp.example.org", "CLIENT_ID": "i", "CLIENT_SECRET": "s", **MAPPING}}
    )
    assert sso.mapped_role(provider, {"roles": ["Registret.Revisor", "Registret.Admin"]}) == "admin"
    assert sso.mapped_role(provider, {"roles": "Registret.Revisor"}) == "auditor"  # a single value
    assert sso.mapped_role(provider, {"roles": ["Okänd"]}) == "viewer"  # the default role
    assert sso.mapped_groups(provider, {"groups": ["grp-barn", "x"]}) == (
        {"Strategigrupp Äldre", "Barn och unga"},
        {"Barn och unga"},
    )
    [unmapped] = sso.parse_providers(
        {"x": {"ISSUER": "https://idp.example.org", "CLIENT_ID": "i", "CLIENT_SECRET": "s"}}
    )
    assert sso.mapped_role(unmapped, {"roles": ["Registret.Admin"]}) is None  # roles are kept in the register


def test_emails_render_outside_a_request_with_providers_configured(sso_app):
    from flask import render_template

    with sso_app.app_context():  # as the scheduler renders reminders: no request, no session
        body = render_template("email/reset.txt", user=User(name="Anna", email="a@x.org"), link="https://x/y")
    assert "https://x/y" in body


def test_an_unreachable_provider_is_said_on_the_login_page(database_url, provider):
    gone = settings(provider)
    gone["test"]["ISSUER"] = "http://127.0.0.1:9"  # the discard port: nothing answers
    with migrated_app(database_url, OIDC_PROVIDERS=gone) as app:
        answer = app.test_client().get("/login/oidc/test")
        assert answer.status_code == 502 and "Det gick inte att nå inloggningstjänsten" in _messages(answer)


def test_trust_email_without_email_domains_stops_the_start(tmp_path, provider):
    with pytest.raises(sso.SettingsError, match="OIDC_TEST_TRUST_EMAIL=on needs OIDC_TEST_EMAIL_DOMAINS"):
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "OIDC_PROVIDERS": settings(provider, TRUST_EMAIL="on"),
            }
        )


def test_an_administrators_account_is_not_linked_by_email_unless_the_provider_may(sso_app, provider):
    chef = _query(sso_app, lambda: make_user("admin", email="chef@region.example.org", name="Chef Chefsson")).id
    provider.set_user("chef-sub", {"email": "chef@region.example.org", "email_verified": True})
    client = sso_app.test_client()
    answer = sso_login(client, provider, "chef-sub")
    assert answer.status_code == 403
    assert "Ditt konto i registret är ett administratörskonto och kopplas inte automatiskt" in _messages(answer)
    assert _query(sso_app, lambda: SsoIdentity.select().where(SsoIdentity.user == chef).count()) == 0
    assert client.get("/").status_code == 302
    # OIDC_TEST_LINK_ADMINS=on: the provider may link administrators' accounts too.
    allowed = settings(provider, LINK_ADMINS="on", **MAPPING)
    sso_app.extensions["sso"].providers["test"] = sso.parse_providers(allowed)[0]
    chef_claims = {"email": "chef@region.example.org", "email_verified": True, "roles": ["Registret.Admin"]}
    provider.set_user("chef-sub", chef_claims)
    assert sso_login(client, provider, "chef-sub").status_code == 302
    assert _query(sso_app, lambda: SsoIdentity.get(SsoIdentity.subject == "chef-sub").user_id) == chef


def test_the_audit_trail_names_the_account_not_the_tokens_address_or_subject(sso_app, provider):
    def actors():
        return _query(sso_app, lambda: [e.actor for e in AuditEntry.select().order_by(AuditEntry.id)])

    # A new account: by its verified address (lower case, as stored) until it exists, then as the account.
    before = len(actors())  # the groups the fixture made
    provider.set_user("anna-sub", ANNA)
    sso_login(sso_app.test_client(), provider, "anna-sub")
    first = actors()[before:]
    assert first[0] == "anna.berg@region.example.org (Testregionen)"
    assert first[-1] == "Anna Berg <anna.berg@region.example.org> (Testregionen)"
    # Found by its link, with another address in the token (and then none at all): the account's own.
    provider.set_user("anna-sub", {**ANNA, "email": "anna@nytt.example.org", "roles": ["Registret.Admin"]})
    sso_login(sso_app.test_client(), provider, "anna-sub")
    provider.set_user("anna-sub", {"name": "Anna Berg", "roles": ["Registret.Revisor"]})
    sso_login(sso_app.test_client(), provider, "anna-sub")
    later = actors()[before + len(first) :]
    assert len(later) == 2
    assert set(later) == {"Anna Berg <anna.berg@region.example.org> (Testregionen)"}
    assert not any("anna-sub" in actor or "nytt" in actor for actor in actors())


def test_an_issuer_ending_in_a_slash_is_kept_as_it_is(database_url, provider):
    [parsed] = sso.parse_providers(settings(provider, ISSUER="https://tenant.auth0.example.com/"))
    assert parsed.issuer == "https://tenant.auth0.example.com/"
    assert parsed.metadata_url == "https://tenant.auth0.example.com/.well-known/openid-configuration"
    provider.set_user("anna-sub", ANNA)
    provider.trailing_slash = True  # the discovery document and the ID tokens say "<address>/"
    try:
        with migrated_app(database_url, OIDC_PROVIDERS=settings(provider, ISSUER=provider.url + "/")) as app:
            assert sso_login(app.test_client(), provider, "anna-sub").status_code == 302
            link = _query(app, lambda: SsoIdentity.get(SsoIdentity.subject == "anna-sub"))
            assert link.issuer == provider.url + "/"
    finally:
        provider.trailing_slash = False
