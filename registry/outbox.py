"""Mail sent outside the request: the visitor's answer never waits for the mail server.

`send_later` hands a message, already rendered in the request (its language, its links),
to a thread of its own with its own app context. A mail server that is down or slow is
logged there and never reaches the visitor. The thread is not a daemon, so a worker
shutting down gracefully finishes the sends it has begun.
"""

import threading
import weakref

from flask import current_app

from .extensions import mail

_threads = weakref.WeakSet()


def _send(app, message):
    with app.app_context():
        try:
            mail.send(message)
        except Exception:  # the mail server is down: logged, the visitor was answered long ago
            app.logger.exception("mail to %s failed", ", ".join(message.recipients))


def send_later(message):
    """Send `message` in the background; returns the thread (tests may join it)."""
    thread = threading.Thread(
        target=_send, args=(current_app._get_current_object(), message), name="outbox", daemon=False
    )
    _threads.add(thread)
    thread.start()
    return thread


def running():
    """The sends still under way (for a test, or a shutdown, that waits for them)."""
    return [thread for thread in list(_threads) if thread.is_alive()]
