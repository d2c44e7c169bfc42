"""Logging in through an organisation's identity provider (OpenID Connect), and the offer to log out
there too.

Authlib's Flask client does the protocol: the authorization-code flow with PKCE (S256), a `state`
and a `nonce` kept in the session, and the ID token's signature (the provider's JWKS), issuer,
audience (our client id), expiry and nonce checked before any claim is read. What the claims make of
an account is registry/domain/sso.py's. With LOCAL_PASSWORDS=off the password form, password reset
and password change are refused (the login page shows only the providers' buttons).
"""

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, user_logged_out
from joserfc.errors import JoseError
from requests import RequestException

from ..domain import sso
from ..forms import LoginForm
from .auth import _safe_next

bp = Blueprint("sso", __name__)

# Refused when LOCAL_PASSWORDS=off (the login page's GET stays: it shows the providers' buttons).
PASSWORD_ENDPOINTS = {"auth.reset_request", "auth.reset", "auth.password"}
# Seconds to wait for the identity provider (discovery, token, keys).
PROVIDER_TIMEOUT = 10
SESSION_PROVIDER = "sso_provider"  # the provider the session logged in through
SESSION_LOGGED_OUT = "sso_logged_out"  # the provider to offer a logout at, after logging out here
SESSION_NEXT = "sso_next"


class Registry:
    """The app's identity providers and their Authlib clients (app.extensions["sso"])."""

    def __init__(self, app, providers):
        self.providers = {provider.name: provider for provider in providers}
        self.oauth = OAuth(app)
        for provider in providers:
            self.oauth.register(
                name=provider.name,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.metadata_url,
                client_kwargs={
                    "scope": provider.scopes,
                    "code_challenge_method": "S256",
                    "default_timeout": PROVIDER_TIMEOUT,
                },
            )


def init_app(app):
    """Check the single sign-on settings (the app does not start when they are wrong) and register
    the providers."""
    providers = sso.parse_providers(app.config.get("OIDC_PROVIDERS"), app.config.get("LOCAL_PASSWORDS", True))
    app.extensions["sso"] = Registry(app, providers)


def _registry():
    return current_app.extensions["sso"]


def _provider(name):
    provider = _registry().providers.get(name)
    if provider is None:
        abort(404)
    return provider, _registry().oauth.create_client(name)


def _callback_url(name):
    # The address registered at the provider: APP_BASE_URL, not the Host header, decides it.
    return current_app.config["APP_BASE_URL"] + url_for("sso.callback", name=name)


@bp.app_context_processor
def _login_choices():
    """For the login page: the providers' buttons, and whether the password form is shown."""
    if "sso" not in current_app.extensions or not has_request_context():  # e-mails rendered by the scheduler
        return {}
    return {
        "sso_providers": list(_registry().providers.values()),
        "local_passwords": current_app.config.get("LOCAL_PASSWORDS", True),
        "sso_logout_offer": _registry().providers.get(session.get(SESSION_LOGGED_OUT, "")),
    }


@bp.before_app_request
def _refuse_passwords():
    """LOCAL_PASSWORDS=off: no password login, reset or change (the login form is not even shown)."""
    if current_app.config.get("LOCAL_PASSWORDS", True):
        return None
    if request.endpoint in PASSWORD_ENDPOINTS or (request.endpoint == "auth.login" and request.method == "POST"):
        return _refused(_("Inloggning med lösenord är avstängd. Logga in via din organisation."), 403)
    return None


@bp.get("/login/oidc/<name>", endpoint="start")
def start(name):
    """Send the browser to the provider's login, with state, nonce and a PKCE challenge.

    A link, not a form: the Content-Security-Policy's form-action 'self' would stop a form whose
    answer redirects to the provider. Starting a login changes nothing here; the state it keeps in
    this browser's session is what the provider's answer must bring back."""
    client = _provider(name)[1]
    session[SESSION_NEXT] = _safe_next(request.args.get("next"))
    try:
        return client.authorize_redirect(_callback_url(name))
    except (OAuthError, RequestException, ValueError) as exc:
        current_app.logger.warning("single sign-on with %s could not start: %s", name, exc)
        return _refused(_("Det gick inte att nå inloggningstjänsten. Försök igen om en stund."), 502)


def _refused(message, status=401):
    """The login page (the providers' buttons, and the password form unless it is off) with `message`."""
    flash(message, "error")
    return render_template("auth/login.html", form=LoginForm()), status


def _verified_claims(provider, client):
    """The ID token's claims once Authlib has checked state, code, signature, issuer, audience,
    expiry and nonce; None (after a warning in the log) when anything failed."""
    try:
        metadata = client.load_server_metadata()
        issuer = provider.issuer or metadata.get("issuer", "")
        if metadata.get("issuer") != issuer:  # the discovery document must be the configured issuer's
            raise OAuthError(description=f"discovery names issuer {metadata.get('issuer')!r}, expected {issuer!r}")
        claims_options = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": provider.client_id},
        }
        token = client.authorize_access_token(claims_options=claims_options)
    except (OAuthError, JoseError, RequestException, RuntimeError, ValueError, KeyError) as exc:
        reason = getattr(exc, "description", None) or exc
        current_app.logger.warning("single sign-on with %s refused: %s: %s", provider.name, type(exc).__name__, reason)
        return None, None
    claims = token.get("userinfo")
    if not claims:
        current_app.logger.warning("single sign-on with %s refused: no ID token", provider.name)
    return issuer, claims


@bp.get("/login/oidc/<name>/callback", endpoint="callback")
def callback(name):
    """The provider sends the browser back here with a code; log in the account its ID token names."""
    provider, client = _provider(name)
    issuer, claims = _verified_claims(provider, client)
    if not claims:
        return _refused(_("Inloggningen via %(provider)s kunde inte godkännas. Försök igen.", provider=provider.label))
    try:
        user = sso.sign_in(provider, issuer, dict(claims))
    except sso.Refused as refusal:
        return _refused(refusal.message, 403)
    login_user(user)
    session[SESSION_PROVIDER] = provider.name
    session.pop(SESSION_LOGGED_OUT, None)
    return redirect(_safe_next(session.pop(SESSION_NEXT, None)))


@user_logged_out.connect
def _remember_provider(app, user=None, **_extra):
    """On logout, remember which provider the session came from, to offer its logout on the login page
    (kept in g until the response: the logout view may clear the session)."""
    if app.extensions.get("sso") is not None:
        g.sso_logged_out = session.pop(SESSION_PROVIDER, None)


@bp.after_app_request
def _offer_provider_logout(response):
    provider = g.pop("sso_logged_out", None)
    if provider:
        session[SESSION_LOGGED_OUT] = provider
    return response


@bp.get("/login/oidc/<name>/logout", endpoint="provider_logout")
def provider_logout(name):
    """Log out at the provider as well (its end_session_endpoint), back to the login page afterwards."""
    provider, client = _provider(name)
    session.pop(SESSION_LOGGED_OUT, None)
    try:
        end_session = client.load_server_metadata().get("end_session_endpoint")
    except (OAuthError, RequestException, ValueError) as exc:
        current_app.logger.warning("logout at %s: no discovery document: %s", name, exc)
        end_session = None
    if not end_session:
        flash(_("%(provider)s erbjuder ingen utloggning härifrån.", provider=provider.label), "error")
        return redirect(url_for("auth.login"))
    return client.logout_redirect(
        post_logout_redirect_uri=current_app.config["APP_BASE_URL"] + url_for("auth.login"),
        client_id=provider.client_id,
    )
