"""What kind of file an upload is (by its content, never its name), and the text in it for search.

`sniff(content)` names the format from the first bytes and, for the zip-based formats, from the
archive's directory: a PDF starts with `%PDF-`; a DOCX is a zip with `[Content_Types].xml` and a
`word/` part; an ODT is a zip whose `mimetype` entry says `application/vnd.oasis.opendocument.text`.
Anything else is None.

`extract(fmt, content)` returns (text, state) and never raises: a broken, encrypted or hostile file
(a zip bomb, a PDF whose streams unpack to gigabytes, a document with millions of words) gives no
text or the first MAX_TEXT_CHARS of it, and a state that says so (vocab.DOCUMENT_TEXT_STATES). The
zip-based formats are first checked as the spreadsheet import checks workbooks
(registry/domain/sheetfile.py: entries, unpacked size, packing ratio, checksums), before python-docx
or the XML parser sees them.
"""

import io
import logging
import re
import time
import zipfile

from . import sheetfile

log = logging.getLogger(__name__)

PDF, DOCX, ODT = "pdf", "docx", "odt"
CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ODT: "application/vnd.oasis.opendocument.text",
}
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt"}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

# At most this much text is kept per version for search (about 300 pages of prose).
MAX_TEXT_CHARS = 1_000_000
# Reading a PDF stops after this many pages or seconds; what was read by then is kept.
MAX_PDF_PAGES = 2000
MAX_SECONDS = 20
# ODT: content.xml larger than this unpacked is not parsed.
MAX_ODT_XML_BYTES = 40 * 1024 * 1024

# Control characters other than tab and line breaks, and lone surrogates: PostgreSQL refuses NUL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t]+")
_LINES = re.compile(r"\n{3,}")


def sniff(content):
    """'pdf', 'docx' or 'odt' from the file's content, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and any(name.startswith("word/") for name in names):
                return DOCX
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read(info).strip() == ODT_MIMETYPE:
                    return ODT
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def clean(text):
    """Text fit for the database and search: no control characters, runs of spaces and blank lines
    folded, at most MAX_TEXT_CHARS characters. (text, cut)"""
    text = _CONTROL.sub(" ", text)
    text = _LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
    if len(text) > MAX_TEXT_CHARS:
        return text[:MAX_TEXT_CHARS], True
    return text, False


def extract(fmt, content):
    """(text, state): the text of a file of format `fmt` for search, and whether it could be read
    ("extracted", "truncated", "empty", "unreadable"). Never raises."""
    readers = {PDF: _pdf_text, DOCX: _docx_text, ODT: _odt_text}
    try:
        raw, cut = readers[fmt](content)
        text, cut_here = clean(raw)
    except Exception as exc:  # a hostile or broken file: keep the file, say that its text is not searchable
        log.info("no text read from a %s upload: %s: %s", fmt, exc.__class__.__name__, exc)
        return "", "unreadable"
    if not text:
        return "", "empty"
    return text, "truncated" if cut or cut_here else "extracted"


class _Collected:
    """Pieces of text up to MAX_TEXT_CHARS; `full` once the limit is passed."""

    def __init__(self):
        self.parts, self.size, self.full = [], 0, False

    def add(self, piece):
        if self.full or not piece:
            return
        self.parts.append(piece)
        self.size += len(piece)
        if self.size > MAX_TEXT_CHARS:
            self.full = True

    def text(self):
        return "\n".join(self.parts)


def _pdf_text(content):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("encrypted with a password")
    collected, started = _Collected(), time.monotonic()
    cut = False
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES or time.monotonic() - started > MAX_SECONDS:
            cut = True
            break
        collected.add(page.extract_text() or "")
        if collected.full:
            cut = True
            break
    return collected.text(), cut


def _checked_archive(content):
    """Refuse a zip that the spreadsheet import would refuse (a bomb, lying sizes, bad checksums)."""
    try:
        sheetfile.check_archive(content)
    except sheetfile.SpreadsheetError as exc:
        raise ValueError(str(exc)) from None


def _docx_text(content):
    _checked_archive(content)
    import docx

    document = docx.Document(io.BytesIO(content))
    collected = _Collected()
    for paragraph in document.paragraphs:
        collected.add(paragraph.text)
        if collected.full:
            return collected.text(), True
    for table in document.tables:
        for row in table.rows:
            collected.add(" ".join(cell.text for cell in row.cells))
            if collected.full:
                return collected.text(), True
    return collected.text(), False


TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _odt_text(content):
    _checked_archive(content)
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("content.xml")
        if info.file_size > MAX_ODT_XML_BYTES:
            raise ValueError("content.xml too large")
        xml = archive.read(info)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    root = etree.fromstring(xml, parser)
    collected = _Collected()
    for element in root.iter(f"{{{TEXT_NS}}}p", f"{{{TEXT_NS}}}h"):
        collected.add("".join(element.itertext()))
        if collected.full:
            return collected.text(), True
    return collected.text(), False
