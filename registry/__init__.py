"""Överenskommelseregistret: the Flask application factory."""

import os

import flask
from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, TestingConfig

from . import cli, errors, i18n, security, templating
from .db import db, open_database
from .extensions import babel, csrf, mail
from .views import BLUEPRINTS
from .views import sso as sso_views

# Served without opening a connection first: /healthz checks the database itself.
NO_DATABASE_ENDPOINTS = {"static", "health.healthz"}
# May send a body of MAX_UPLOAD_LENGTH (a spreadsheet file) instead of MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = {"spreadsheets.upload"}
# A stored document's upload may send DOCUMENT_MAX_BYTES and this much for the form around it.
FORM_MARGIN = 1024 * 1024


def _without_nul(text):
    return text.replace("\x00", "") if isinstance(text, str) else text


class TextParameters(ImmutableMultiDict):
    """Query arguments and form fields with NUL taken out of names and values as they are parsed.

    NUL means nothing in text, and PostgreSQL refuses it ("A string literal cannot
    contain NUL"): left in, it made every page that looks a value up answer 500.
    Files are left as they are.
    """

    def __init__(self, mapping=None):
        pairs = () if mapping is None else MultiDict(mapping).items(multi=True)
        super().__init__([(_without_nul(key), _without_nul(value)) for key, value in pairs])


class Request(flask.Request):
    """The application's request: NUL-free parameters, and a body limit by endpoint."""

    parameter_storage_class = TextParameters

    @property
    def max_content_length(self):
        """MAX_CONTENT_LENGTH, or MAX_UPLOAD_LENGTH for the spreadsheet upload (DOCUMENT_MAX_BYTES and a
        margin for a stored document's upload), unless a view set
        its own (the JSON API: 1 MiB); a larger body is refused with 413 before it is read."""
        if self._max_content_length is not None:
            return self._max_content_length
        if current_app and self.endpoint in UPLOAD_ENDPOINTS:
            return current_app.config["MAX_UPLOAD_LENGTH"]
        if current_app and self.endpoint in errors.DOCUMENT_ENDPOINTS:
            return current_app.config["DOCUMENT_MAX_BYTES"] + FORM_MARGIN
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value):
        self._max_content_length = value


def create_app(test_config=None):
    """Build the web application. It never starts the scheduler."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(os.path.dirname(__file__), "..", "templates"),
        static_folder=os.path.join(os.path.dirname(__file__), "..", "static"),
    )
    app.request_class = Request
    app.config.from_object(TestingConfig if (test_config or {}).get("TESTING") else Config)
    if test_config:
        app.config.update(test_config)

    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind nginx: the client's address (login throttling, audit) and https come from X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.initialize(open_database(app.config["DATABASE_URL"]))
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    mail.init_app(app)

    @app.before_request
    def _connect():
        if request.endpoint not in NO_DATABASE_ENDPOINTS:
            db.connect(reuse_if_open=True)

    security.init_app(app)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    sso_views.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
