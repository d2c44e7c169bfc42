"""Documents stored in the register, with versions: upload, list, download.

An agreement's signed text, its appendices and decision minutes are uploaded as PDF, DOCX or ODT
(the type is read from the content, never the name) up to DOCUMENT_MAX_BYTES. Each upload is a new
version of the document with its title (an upload without a title takes the file's name without its
ending); the version records who uploaded it, when, its size and SHA-256, and the text read from it
for the register's search (registry/domain/text_extraction.py). Nothing is deleted: a new version
supersedes the one before, which stays downloadable.

The same bytes uploaded again as the newest version of the same title (a form sent twice, a script
run twice) store nothing and say so. Uploads and downloads are in the audit trail. The files are in
the database, so a backup of it holds them and every web process serves them.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from ..db import db
from ..models import DocumentVersion, StoredDocument, utcnow
from ..vocab import DOCUMENT_KINDS
from . import audit, text_extraction, validation
from .errors import ValidationError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_FILENAME = 255
ACCEPTED = "PDF, DOCX (Word) och ODT (OpenDocument-text)"


def max_bytes():
    """The largest file accepted, in bytes (DOCUMENT_MAX_BYTES)."""
    return current_app.config.get("DOCUMENT_MAX_BYTES") or DEFAULT_MAX_BYTES


def megabytes(n):
    """A size in MB for messages: 20 for 20 MiB, 0.5 for half a MiB."""
    value = n / (1024 * 1024)
    return int(value) if value == int(value) else round(value, 1)


def too_large_message(limit=None):
    return _(
        "Filen är för stor. Ett dokument får vara högst %(n)s MB. Minska filen (till exempel genom att spara "
        "PDF:en med lägre bildupplösning) eller dela upp den i flera dokument.",
        n=megabytes(limit or max_bytes()),
    )


def wrong_type_message():
    return _(
        "Filen är inte ett dokument som registret tar emot. Ladda upp en PDF-, DOCX- (Word) eller ODT-fil "
        "(OpenDocument-text); filens innehåll avgör, inte dess namn."
    )


@dataclass
class Upload:
    """What an upload came to: the document, its version, and whether this upload made it."""

    document: StoredDocument
    version: DocumentVersion
    created: bool


def title_key(title):
    """Titles that name the same document: case and runs of spaces do not count."""
    return " ".join(title.split()).casefold()


def safe_filename(name, fmt):
    """The uploaded file's name without folders or control characters, at most 255 characters,
    ending as its format does (a PDF named "avtal" is stored as "avtal.pdf")."""
    name = validation.one_line((name or "").replace("\\", "/").rsplit("/", 1)[-1])
    ending = text_extraction.EXTENSIONS[fmt]
    stem = name[: -len(ending)] if name.lower().endswith(ending) else name
    stem = stem.strip(" .") or _("dokument")
    return stem[: MAX_FILENAME - len(ending)] + ending


def _default_title(filename, fmt):
    return filename[: -len(text_extraction.EXTENSIONS[fmt])]


def check(content, filename, title, kind):
    """(format, clean title, kind) of an upload, or ValidationError naming each bad field
    ("file", "title", "kind")."""
    errors = {}
    fmt = None
    if content is None:
        errors["file"] = _("Välj en fil att ladda upp: en PDF-, DOCX- eller ODT-fil.")
    elif not content:
        errors["file"] = _("Filen är tom. Välj filen igen och ladda upp den.")
    elif len(content) > max_bytes():
        errors["file"] = too_large_message()
    else:
        fmt = text_extraction.sniff(content)
        if fmt is None:
            errors["file"] = wrong_type_message()
    title, problem = validation.check_line(title, validation.LINE_MAX)
    if problem:
        errors["title"] = problem
    kind = kind or "other"
    if kind not in DOCUMENT_KINDS:
        errors["kind"] = _(
            "Värdet finns inte bland de tillåtna. Välj ett av: %(choices)s.", choices=", ".join(DOCUMENT_KINDS)
        )
    if errors:
        raise ValidationError(errors)
    return fmt, title, kind


def upload(agreement, content, filename, title="", kind="", user=None):
    """Store `content` as the next version of the agreement's document titled `title` (or named as the
    file), a new document when there is none. Returns an Upload; `created` is False when these very
    bytes are already that document's newest version (nothing is stored then). ValidationError for a
    file that is missing, empty, too large or of another type, or a bad title."""
    fmt, title, kind = check(content, filename, title, kind)
    filename = safe_filename(filename, fmt)
    title = title or _default_title(filename, fmt)
    digest = hashlib.sha256(content).hexdigest()
    key = title_key(title)
    with db.atomic():
        audit.lock()  # the same upload sent twice at once: the second waits, then finds the first
        document = StoredDocument.get_or_none(
            (StoredDocument.agreement == agreement.id) & (StoredDocument.title_key == key)
        )
        newest = _newest(document) if document is not None else None
        if newest is not None and newest.sha256 == digest:
            return Upload(document, newest, False)
    text, state = text_extraction.extract(fmt, content)  # slow for large files: outside the lock
    with db.atomic():
        audit.lock()
        document = StoredDocument.get_or_none(
            (StoredDocument.agreement == agreement.id) & (StoredDocument.title_key == key)
        )
        made = document is None
        if made:
            document = StoredDocument.create(agreement=agreement.id, title=title, title_key=key, kind=kind)
        newest = _newest(document) if not made else None
        if newest is not None and newest.sha256 == digest:  # a twin committed while this one read the text
            return Upload(document, newest, False)
        now = utcnow()
        if newest is not None:
            DocumentVersion.update(superseded_at=now).where(DocumentVersion.id == newest.id).execute()
        version = DocumentVersion.create(
            document=document,
            number=(newest.number + 1) if newest is not None else 1,
            filename=filename,
            content_type=text_extraction.CONTENT_TYPES[fmt],
            size=len(content),
            sha256=digest,
            content=content,
            text=text,
            text_status=state,
            uploaded_by=user.id if user is not None and getattr(user, "id", None) else None,
            uploaded_by_name=audit.current_actor(),
            uploaded_at=now,
        )
        changes = {
            "version": [None, version.number],
            "filename": [None, filename],
            "content_type": [None, version.content_type],
            "size": [None, version.size],
            "sha256": [None, digest],
        }
        if made:
            changes.update({"title": [None, title], "kind": [None, kind]})
        audit.record(
            "create" if made else "update",
            "document",
            document.id,
            changes,
            agreement_id=agreement.id,
            summary=f"{title}, version {version.number}",
        )
    return Upload(document, version, True)


def _newest(document):
    return (
        DocumentVersion.select(DocumentVersion.id, DocumentVersion.number, DocumentVersion.sha256)
        .where(DocumentVersion.document == document.id)
        .order_by(DocumentVersion.number.desc())
        .first()
    )


# Every column of a version but its bytes and text: what pages and the API list.
LISTED = (
    DocumentVersion.id,
    DocumentVersion.document,
    DocumentVersion.number,
    DocumentVersion.filename,
    DocumentVersion.content_type,
    DocumentVersion.size,
    DocumentVersion.sha256,
    DocumentVersion.text_status,
    DocumentVersion.uploaded_by,
    DocumentVersion.uploaded_by_name,
    DocumentVersion.uploaded_at,
    DocumentVersion.superseded_at,
    DocumentVersion.published,
)


def of_agreement(agreement):
    """The agreement's stored documents in the order they were made, each with `listed_versions`
    (newest first, without their bytes or text), in two queries."""
    documents = list(
        StoredDocument.select().where(StoredDocument.agreement == agreement.id).order_by(StoredDocument.id)
    )
    by_id = {d.id: d for d in documents}
    for document in documents:
        document.listed_versions = []
    if documents:
        versions = (
            DocumentVersion.select(*LISTED)
            .where(DocumentVersion.document.in_(list(by_id)))
            .order_by(DocumentVersion.document, DocumentVersion.number.desc())
        )
        for version in versions:
            by_id[version.document_id].listed_versions.append(version)
    return documents


def document_of(document):
    """One stored document with its `listed_versions`, newest first."""
    document.listed_versions = list(
        DocumentVersion.select(*LISTED)
        .where(DocumentVersion.document == document.id)
        .order_by(DocumentVersion.number.desc())
    )
    return document


def find_version(agreement_id, document_id, number):
    """The version `number` of the agreement's document, with its bytes; None when there is none."""
    if not all(0 < value <= validation.MAX_ID for value in (agreement_id, document_id, number)):
        return None
    return (
        DocumentVersion.select(DocumentVersion, StoredDocument)
        .join(StoredDocument)
        .where(
            (StoredDocument.id == document_id)
            & (StoredDocument.agreement == agreement_id)
            & (DocumentVersion.number == number)
        )
        .first()
    )


def record_download(version):
    """Put a download of `version` in the audit trail."""
    document = version.document
    with db.atomic():
        audit.record(
            "download",
            "document",
            document.id,
            {"version": [version.number, version.number], "filename": [version.filename, version.filename]},
            agreement_id=document.agreement_id,
            summary=f"{document.title}, version {version.number}",
        )


def format_name(content_type):
    """The short name of a stored content type: PDF, DOCX, ODT."""
    for fmt, known in text_extraction.CONTENT_TYPES.items():
        if known == content_type:
            return fmt.upper()
    return content_type


def content_bytes(version):
    """The stored bytes (PostgreSQL gives a memoryview)."""
    return bytes(version.content)
