"""A real OpenID Connect provider for the single sign-on tests: oidc-provider-mock's Flask app, served
from a thread on a free loopback port, wrapped so that it checks PKCE and can misbehave on request.

The mock issues ID tokens signed with its own key (served as JWKS), with the claims a test sets per
subject (`provider.set_user(sub, claims)`, its PUT /users/<sub>); its login form takes a subject
("sub") and sends the browser back with a code. It does not check PKCE itself, so `Provider` does:
it keeps each code's challenge from the authorization answer and refuses a token request whose
code_verifier does not match it (S256), as a provider enforcing PKCE would. `wrong_issuer` makes the
token endpoint answer as another host (the ID token's `iss` is then that host's address);
`trailing_slash` makes its issuer end in "/" (as Auth0's does), in the discovery document and in
the ID tokens alike.
"""

import base64
import hashlib
import io
import json
import warnings
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.browser import served

with warnings.catch_warnings():  # it imports Authlib's httpx client, which warns of its deprecation
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock
    from oidc_provider_mock import _app as mock_app

TRAILING_SLASH = "tests.oidc.trailing_slash"  # the WSGI environ key: this request's issuer ends in "/"


def _jwt_config(get_jwt_config):
    def config(self, *args, **kwargs):
        found = get_jwt_config(self, *args, **kwargs)
        if mock_app.flask.request.environ.get(TRAILING_SLASH):
            found["iss"] += "/"
        return found

    return config


# The mock's issuer is its address without the slash; the tests may ask for one (its own check of the
# token's iss stays unaffected: the register, not the mock, is the client here).
mock_app.OpenIDCode.get_jwt_config = _jwt_config(mock_app.OpenIDCode.get_jwt_config)

CLIENT_ID = "registret"
CLIENT_SECRET = "registret-hemlighet"


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Provider:
    """WSGI middleware around the mock's app: PKCE enforcement and misbehaviour; also what was asked."""

    def __init__(self, app):
        self.app = app
        self.challenges = {}  # code -> (code_challenge, method)
        self.authorize_requests = []  # the query of every authorization request
        self.token_requests = []  # the form of every token request
        self.wrong_issuer = False
        self.trailing_slash = False
        self.pkce_refusals = 0
        self.url = None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        environ[TRAILING_SLASH] = self.trailing_slash
        if path == "/.well-known/openid-configuration" and self.trailing_slash:
            return self._discovery_with_slash(environ, start_response)
        if path == "/oauth2/authorize":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _discovery_with_slash(self, environ, start_response):
        answer = {}

        def keep(status, headers, exc_info=None):
            answer["status"] = status
            return lambda data: None

        document = json.loads(b"".join(self.app(environ, keep)))
        document["issuer"] += "/"
        body = json.dumps(document).encode()
        start_response(answer["status"], [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _authorize(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.authorize_requests.append(query)

        def remember_code(status, headers, exc_info=None):
            location = dict(headers).get("Location", "")
            code = parse_qs(urlsplit(location).query).get("code")
            if code:
                self.challenges[code[0]] = (query.get("code_challenge"), query.get("code_challenge_method"))
            return start_response(status, headers, exc_info)

        return self.app(environ, remember_code)

    def _token(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        challenge, method = self.challenges.get(form.get("code"), (None, None))
        verifier = form.get("code_verifier")
        if challenge and (method != "S256" or not verifier or s256(verifier) != challenge):
            self.pkce_refusals += 1
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"error": "invalid_grant", "error_description": "PKCE verification failed"}']
        if self.wrong_issuer:
            # Another name of this machine (Authlib's server refuses plain http elsewhere): the ID
            # token's iss becomes http://localhost:<port>, not the issuer the register knows.
            environ["HTTP_HOST"] = f"localhost:{environ['SERVER_PORT']}"
        return self.app(environ, start_response)

    def set_user(self, sub, claims):
        """The claims the provider puts in `sub`'s ID token from now on."""
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def log_in(self, authorize_url, sub):
        """What the provider's login form does for `sub`: the address it sends the browser back to."""
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


@contextmanager
def running_provider(id_token_max_age=timedelta(hours=1)):
    """A mock provider on a free port, nonces required; yields its Provider (`.url` is its issuer).
    A negative `id_token_max_age` makes every ID token it issues expired already."""
    mock = oidc_provider_mock.app(require_nonce=True, access_token_max_age=id_token_max_age)
    provider = Provider(mock.wsgi_app)
    mock.wsgi_app = provider
    with served(mock) as url:
        provider.url = url
        yield provider


def settings(provider, **extra):
    """OIDC_PROVIDERS for an app that logs in through `provider` as "test" ("Testregionen")."""
    raw = {"ISSUER": provider.url, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "LABEL": "Testregionen"}
    raw.update(extra)
    return {"test": raw}


def sso_login(client, provider, sub, name="test", start_args=None):
    """Log the test client in through the provider as `sub`: the button, the provider's form, and the
    answer back; returns the register's answer to the callback."""
    started = client.get(f"/login/oidc/{name}" + ("?" + urlencode(start_args) if start_args else ""))
    assert started.status_code == 302, started.status_code
    back = urlsplit(provider.log_in(started.headers["Location"], sub))
    return client.get(f"{back.path}?{back.query}")
