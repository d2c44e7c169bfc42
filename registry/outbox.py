"""Mail sent outside the request: the visitor's answer never waits for the mail server.

`send_later` hands a message, already rendered in the request (its language, its links),
to a thread of its own with its own app context. A mail server that is down or slow is
logged there and never reaches the visitor; a server that stalls is given up after
MAIL_TIMEOUT seconds. The thread is not a daemon, so a worker
shutting down gracefully finishes the sends it has begun. At most MAX_PENDING sends are under way
in a process at once: a flood of requests cannot pile up threads (a send beyond that is dropped
and logged; the reset requests that cause sends are also throttled, registry/views/auth.py).
"""

import smtplib
import threading
import weakref

from flask import current_app
from flask_mail import Connection

_threads = weakref.WeakSet()
MAX_PENDING = 8
_slots = threading.BoundedSemaphore(MAX_PENDING)


class TimeoutConnection(Connection):
    """Flask-Mail sets no timeout on its SMTP socket, so a server that accepts the connection and
    then stalls would hang the sender; this connection passes MAIL_TIMEOUT to smtplib."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _send(app, message):
    with app.app_context():
        try:
            with TimeoutConnection(app.extensions["mail"]) as connection:
                connection.send(message)
        except Exception:  # the mail server is down: logged, the visitor was answered long ago
            app.logger.exception("mail to %s failed", ", ".join(message.recipients))
        finally:
            _slots.release()


def send_later(message):
    """Send `message` in the background; returns the thread (tests may join it), or None when
    MAX_PENDING sends are already under way (the message is dropped and logged)."""
    if not _slots.acquire(blocking=False):
        current_app.logger.warning("outbox full: mail to %s dropped", ", ".join(message.recipients))
        return None
    thread = threading.Thread(
        target=_send, args=(current_app._get_current_object(), message), name="outbox", daemon=False
    )
    _threads.add(thread)
    thread.start()
    return thread


def running():
    """The sends still under way (for a test, or a shutdown, that waits for them)."""
    return [thread for thread in list(_threads) if thread.is_alive()]
