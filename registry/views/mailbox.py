"""/mail: the development mail sink, readable in the browser.

Only when MAIL_SINK_DIR is set (`make run` without a MAIL_SERVER); otherwise
these pages do not exist.
"""

import email
import re
from email import policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("mailbox", __name__, url_prefix="/mail")
NAME = re.compile(r"^[\w.-]+\.eml$")
LIST_LIMIT = 200


def _folder():
    folder = current_app.config.get("MAIL_SINK_DIR")
    if not folder:
        abort(404)
    return Path(folder)


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
        "message_id": message["Message-ID"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


@bp.get("", endpoint="index")
def index():
    """Messages the local sink received, newest first."""
    folder = _folder()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:LIST_LIMIT] if folder.is_dir() else []
    return render_template("mailbox/index.html", messages=[_read(p) for p in paths], folder=folder)


@bp.get("/<name>", endpoint="show")
def show(name):
    """One message: headers, the text part, and the HTML part in a sandboxed frame."""
    folder = _folder()
    if not NAME.match(name) or not (folder / name).is_file():
        abort(404)
    return render_template("mailbox/show.html", message=_read(folder / name))
