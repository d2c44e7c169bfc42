"""The whole register as CSV or XLSX, and importing agreements from such a file: upload, preview, commit.

The upload is kept under instance/imports/ (or IMPORT_DIR) with a random name
and a note of who uploaded it; the preview writes nothing, and the commit
reads the stored file again and imports it all or nothing. See docs/import.md.
"""

import json
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from ..domain import exports, importer, spreadsheet

bp = Blueprint("spreadsheets", __name__)

UPLOAD_MAX_AGE_SECONDS = 24 * 3600  # an upload not committed within a day is forgotten
_UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{32}$")


class UploadForm(FlaskForm):
    file = FileField(
        _l("Fil"),
        validators=[FileRequired(_l("Välj en fil att importera."))],
        description=_l("En .xlsx- eller .csv-fil med samma kolumner som registrets export."),
    )


class CommitForm(FlaskForm):
    upload = HiddenField()


# --- the export -------------------------------------------------------------------


@bp.get("/agreements/export.<fmt>", endpoint="export")
def export(fmt):
    """Every agreement, in the columns the import reads."""
    if fmt not in spreadsheet.FORMATS:
        abort(404)
    header, rows = spreadsheet.export_rows()
    return exports.response(
        fmt, spreadsheet.SHEET_TITLE, header, rows, current_user.email, {}, spreadsheet.EXPORT_FILENAME
    )


# --- stored uploads ------------------------------------------------------------------


def _folder():
    folder = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder):
    limit = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # another request removed it


def _store(filename, content):
    """Keep an upload for the commit; return its random name."""
    folder = _folder()
    _forget_old(folder)
    name = secrets.token_hex(16)
    fmt = spreadsheet.file_format(filename)
    (folder / f"{name}.{fmt}").write_bytes(content)
    note = {"user": current_user.id, "filename": filename, "format": fmt, "at": time.time()}
    (folder / f"{name}.json").write_text(json.dumps(note), encoding="utf-8")
    return name


def _stored(name):
    """(filename, content) of this user's upload, or None when it is unknown, someone else's or too old."""
    if not name or not _UPLOAD_NAME.match(name):
        return None
    folder = _folder()
    try:
        note = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        if note.get("user") != current_user.id or note.get("format") not in spreadsheet.FORMATS:
            return None
        if time.time() - float(note.get("at", 0)) > UPLOAD_MAX_AGE_SECONDS:
            return None
        return note["filename"], (folder / f"{name}.{note['format']}").read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _discard(name):
    folder = _folder()
    for path in folder.glob(f"{name}.*"):
        path.unlink(missing_ok=True)


# --- the import ------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"], endpoint="upload")
def upload():
    """The upload form; a posted file is read and its preview shown (nothing is written)."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        filename = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
        content = storage.read(spreadsheet.MAX_BYTES + 1)
        try:
            plan = importer.plan(filename, content)
        except spreadsheet.SpreadsheetError as exc:
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            commit_form = None
            if plan.ok and plan.to_write:
                commit_form = CommitForm(formdata=None, upload=_store(filename, content))
            return render_template(
                "spreadsheets/preview.html", plan=plan, commit_form=commit_form, form=UploadForm(formdata=None)
            )
    status = 422 if request.method == "POST" else 200
    return render_template("spreadsheets/upload.html", form=form, columns=spreadsheet.COLUMNS), status


@bp.post("/import/commit", endpoint="commit")
def commit():
    """Import the previewed file: everything, or nothing when any row fails."""
    form = CommitForm()
    name = form.upload.data if form.validate_on_submit() else None
    stored = _stored(name)
    if stored is None:
        flash(_("Den uppladdade filen finns inte längre. Ladda upp den igen."), "error")
        return redirect(url_for(".upload"))
    filename, content = stored
    try:
        plan = importer.commit(filename, content)
    except spreadsheet.SpreadsheetError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".upload"))
    if not plan.committed:
        flash(_("Inget har importerats eftersom filen har problem. Rätta dem och ladda upp filen igen."), "error")
        return render_template(
            "spreadsheets/preview.html", plan=plan, commit_form=None, form=UploadForm(formdata=None)
        ), 422
    _discard(name)
    counts = plan.counts
    flash(
        _(
            "Importen är klar: %(create)s nya och %(update)s ändrade avtal (%(unchanged)s oförändrade).",
            create=counts["create"],
            update=counts["update"],
            unchanged=counts["unchanged"],
        ),
        "success",
    )
    return redirect(url_for("agreements.index"))
