"""CSV and XLSX downloads; each states when it was made, by whom, and with which filter.

Every text that reaches a file goes through `validation.printable`: data an
older version stored, and filters as typed, may hold control characters that
XLSX cannot carry (openpyxl refuses them); they are written as U+FFFD, so an
export never fails on what is already stored.
"""

import csv
import datetime
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from .validation import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_MAX = 32767  # characters Excel shows in a cell; longer text (old audit entries) is cut
# What a sheet title may not hold (Excel's rule, enforced by openpyxl), besides control characters.
_SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")


def _text(value):
    return printable(value) if isinstance(value, str) else value


def _cell(value):
    """A value as written to a file; text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str):
        value = printable(value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime.datetime | datetime.date):
        return (
            value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime.datetime) else value.isoformat()
        )
    if isinstance(value, list | tuple):
        return printable(", ".join(map(str, value)))
    return "" if value is None else value


def _xlsx_cell(value):
    value = _cell(value)
    if isinstance(value, str) and len(value) > XLSX_CELL_MAX:
        return value[: XLSX_CELL_MAX - 1] + "…"
    return value


def sheet_title(title):
    """A title as a sheet may carry it: at most 31 characters, none of \\ / * ? : [ ] or control characters."""
    cleaned = _SHEET_TITLE_BAD.sub(" ", printable(str(title))).replace("\ufffd", " ").strip()
    return cleaned[:31].strip() or "Blad1"


def _meta(title, generated_by, filters, generated_at):
    described = "; ".join(f"{k}: {v}" for k, v in filters.items() if v not in (None, "")) or "–"
    return [
        [_text(title)],
        ["Skapad", generated_at.isoformat(sep=" ", timespec="seconds")],
        ["Skapad av", _text(generated_by)],
        ["Filter", _text(described)],
        [],
    ]


def to_csv(title, header, rows, generated_by, filters, generated_at):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")  # Excel in Swedish expects semicolons
    for line in _meta(title, generated_by, filters, generated_at):
        writer.writerow(line)
    writer.writerow([_text(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads å, ä, ö right


def to_xlsx(title, header, rows, generated_by, filters, generated_at):
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    for line in _meta(title, generated_by, filters, generated_at):
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_text(h) for h in header])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    for column in sheet.columns:
        width = max((len(str(c.value or "")) for c in column[5:]), default=10)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(fmt, title, header, rows, generated_by, filters, filename):
    """A Flask response with the file, or None for an unknown format."""
    from flask import Response

    now = datetime.datetime.now().replace(microsecond=0)
    if fmt == "csv":
        body = to_csv(title, header, rows, generated_by, filters, now)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = to_xlsx(title, header, rows, generated_by, filters, now)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        return None
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}-{now:%Y%m%d-%H%M}.{fmt}"'},
    )
