"""Överenskommelseregistret: the Flask application factory."""

import os

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, TestingConfig

from . import cli, errors, i18n, security, templating
from .db import db, open_database
from .extensions import babel, csrf, mail
from .views import BLUEPRINTS

# Served without opening a connection first: /healthz checks the database itself.
NO_DATABASE_ENDPOINTS = {"static", "health.healthz"}


def create_app(test_config=None):
    """Build the web application. It never starts the scheduler."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(os.path.dirname(__file__), "..", "templates"),
        static_folder=os.path.join(os.path.dirname(__file__), "..", "static"),
    )
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
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
