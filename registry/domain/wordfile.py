"""Word documents (DOCX): a meeting's agenda and the yearly reports upward, made with python-docx.

A document is a title, a few lines under it (the meeting, who it goes to), and sections, each a
heading with a table or a line saying it is empty. Like the spreadsheets (exports.py), it says
when it was made and by whom, and every text goes through `validation.printable`, since XML
cannot carry the control characters that older data may hold.
"""

import datetime
import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import get_locale
from flask_babel import gettext as _

from . import exports
from .validation import printable

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The document's language, by the language it is written in: python-docx's template says en-US,
# which a screen reader in Word would read Swedish with (WCAG 3.1.1; docs/accessibility.md).
LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}


@dataclass
class Section:
    """A heading and its table (`header`, `rows` of cell texts); `empty` is said when there are no rows."""

    heading: str
    header: list
    rows: list = field(default_factory=list)
    empty: str = ""
    widths: list = field(default_factory=list)  # column widths in cm, optional


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return printable(str(value))


def _table(doc, section):
    table = doc.add_table(rows=1, cols=len(section.header))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, section.header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(_text(name))
        run.bold = True
    # A header row, not only bold text: screen readers announce it with each cell (WCAG 1.3.1), and Word
    # repeats it on every page of a long table.
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    for row in section.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _text(value)
    for index, width in enumerate(section.widths):
        for row in table.rows:
            row.cells[index].width = Cm(width)
    return table


def _set_language(doc):
    """The language of the page that made the document (Swedish outside a request)."""
    locale = get_locale()
    tag = LANGUAGE_TAGS.get(locale.language if locale else "sv", LANGUAGE_TAGS["sv"])
    doc.core_properties.language = tag
    for lang in doc.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), tag)
        lang.set(qn("w:eastAsia"), tag)


def document(title, lines, sections, generated_by, landscape=False):
    """The document as bytes: `title` as its heading and core title, `lines` under it, then `sections`."""
    doc = Document()
    _set_language(doc)
    doc.core_properties.title = _text(title)
    doc.core_properties.author = _text(generated_by)
    page = doc.sections[0]
    if landscape:
        page.orientation = WD_ORIENT.LANDSCAPE
        page.page_width, page.page_height = page.page_height, page.page_width
    for margin in ("left_margin", "right_margin"):
        setattr(page, margin, Cm(2))
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(_text(title), level=1)
    for line in lines:
        doc.add_paragraph(_text(line))
    for section in sections:
        doc.add_heading(_text(section.heading), level=2)
        if section.rows:
            _table(doc, section)
        else:
            doc.add_paragraph(_text(section.empty))
    made = exports.local(datetime.datetime.now(datetime.UTC).replace(microsecond=0))
    footer = doc.add_paragraph(_("Skapad %(when)s av %(who)s.", when=f"{made:%Y-%m-%d %H:%M}", who=_text(generated_by)))
    footer.runs[0].italic = True
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def response(body, filename):
    """A download of the document; never cached, since it holds register data."""
    from flask import Response

    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "-" for c in filename)
    return Response(
        body,
        content_type=CONTENT_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"{safe}.docx\"; filename*=UTF-8''{_quote(filename)}.docx",
            "Cache-Control": "no-store",
        },
    )


def _quote(name):
    from urllib.parse import quote

    return quote(name, safe="")
