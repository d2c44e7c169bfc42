"""Sending mail through Flask-Mail over one reused connection, with a socket timeout.

Flask-Mail sets no timeout on its SMTP socket, so a server that accepts the
connection and then stalls would hang the scheduler; this connection passes
MAIL_TIMEOUT to smtplib.
"""

import hashlib
from urllib.parse import urlparse

from flask import current_app
from flask_mail import Message

from registry.outbox import TimeoutConnection


def connect():
    """An SMTP connection for many messages: `with connect() as conn: conn.send(msg)`."""
    return TimeoutConnection(current_app.extensions["mail"])


def message_id(keys):
    """A Message-ID that is the same every time the same reminders are sent."""
    digest = hashlib.sha256("|".join(map(str, sorted(keys))).encode()).hexdigest()[:24]
    domain = urlparse(current_app.config["APP_BASE_URL"]).hostname or "localhost"
    return f"<reminder.{digest}@{domain}>"


def build(recipient, subject, text, html, msgid):
    msg = Message(subject=subject, recipients=[recipient], body=text, html=html)
    msg.msgId = msgid
    return msg
