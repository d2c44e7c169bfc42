"""/mail: the development mail sink, readable in the browser.

Only when MAIL_SINK_DIR is set (`make run` without a MAIL_SERVER); otherwise
these pages do not exist.
"""

import email
import re
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, render_template

bp = Blueprint("mailbox", __name__, url_prefix="/mail")
NAME = re.compile(r"^[\w.-]+\.eml$")
LIST_LIMIT = 200

# A message's HTML part, shown in a sandboxed frame on its page, is served by itself under this policy:
# its own inline styles (an e-mail has no others) and nothing else: no script, no request anywhere,
# no form. Links open in a new tab (the frame's sandbox allows that, and only that).
MESSAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)
OPEN_LINKS_IN_NEW_TAB = '<base target="_blank">'


def _folder():
    folder = current_app.config.get("MAIL_SINK_DIR")
    if not folder:
        abort(404)
    return Path(folder)


def _sent_at(header):
    """The Date header as a datetime (naive when it says -0000: UTC), or None when missing or unreadable."""
    try:
        return parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError):
        return None


def _read(path):
    with open(path, "rb") as fh:
        message = email.message_from_binary_file(fh, policy=policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "name": path.name,
        "to": message["To"],
        "from": message["From"],
        "subject": message["Subject"],
        "date": message["Date"],
        "sent_at": _sent_at(message["Date"]),
        "message_id": message["Message-ID"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


def _message(name):
    folder = _folder()
    if not NAME.match(name) or not (folder / name).is_file():
        abort(404)
    return _read(folder / name)


@bp.get("", endpoint="index")
def index():
    """Messages the local sink received, newest first."""
    folder = _folder()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:LIST_LIMIT] if folder.is_dir() else []
    return render_template("mailbox/index.html", messages=[_read(p) for p in paths], folder=folder)


@bp.get("/<name>", endpoint="show")
def show(name):
    """One message: headers, the text part, and the HTML part in a sandboxed frame."""
    return render_template("mailbox/show.html", message=_message(name))


@bp.get("/<name>/html", endpoint="html")
def html(name):
    """The message's HTML part alone, for the frame on its page (MESSAGE_CSP)."""
    body = _message(name)["html"]
    if not body:
        abort(404)
    head = re.search(r"<head[^>]*>", body, re.IGNORECASE)
    at = head.end() if head else 0
    response = make_response(body[:at] + OPEN_LINKS_IN_NEW_TAB + body[at:])
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = MESSAGE_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
