"""CSV and XLSX downloads; each states when it was made, by whom, and with which filter.

An XLSX file has the table on its first sheet, header on row 1 (frozen and
auto-filtered), and the metadata (title, made when, by whom, filter, time
zone) on a second sheet "Om filen". Dates are real spreadsheet dates; times are
stored in the database as naive UTC and written in the register's time zone
(SCHEDULER_TIMEZONE, Europe/Stockholm), which the metadata names. A CSV file
keeps the metadata in four lines above its header, since it has one sheet.

Every text that reaches a file goes through `validation.printable`: data an
older version stored, and filters as typed, may hold control characters that
XLSX cannot carry (openpyxl refuses them); they are written as U+FFFD, so an
export never fails on what is already stored.
"""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .validation import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_MAX = 32767  # characters Excel shows in a cell; longer text (old audit entries) is cut
# What a sheet title may not hold (Excel's rule, enforced by openpyxl), besides control characters.
_SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")
DEFAULT_ZONE = "Europe/Stockholm"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WIDTH_MIN, WIDTH_MAX = 8, 60
# The filter arguments of reports and the audit trail, as a person reads them.
FILTER_LABELS = {
    "from": _l("Från"),
    "to": _l("Till"),
    "days": _l("Inom antal dagar"),
    "months": _l("Inom antal månader"),
    "actor": _l("Person (e-post)"),
    "agreement": _l("Avtal (nummer)"),
    "title": _l("Avtalets titel"),
}


def zone_name():
    """The register's time zone: the scheduler's (config SCHEDULER_TIMEZONE), Europe/Stockholm by default."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("SCHEDULER_TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


def local(value, zone=None):
    """A stored timestamp (naive UTC, or aware) as naive local time in the register's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(ZoneInfo(zone or zone_name())).replace(tzinfo=None)


def _text(value):
    return printable(value) if isinstance(value, str) else value


def quoted(value):
    """Text as a CSV cell: one a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
    return) gets a leading apostrophe. The public register's open data uses it too (public_register.csv_row)."""
    value = printable(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value, zone=None):
    """A value as written to a CSV file; text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, datetime.datetime):
        return local(value, zone).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return quoted(", ".join(map(str, value)))
    return "" if value is None else value


def _xlsx_cell(value, zone=None):
    """A value as written to an XLSX cell: dates and times stay dates (times in local time)."""
    if isinstance(value, datetime.datetime):
        return local(value, zone)
    if isinstance(value, datetime.date):
        return value
    value = _cell(value, zone)
    if isinstance(value, str) and len(value) > XLSX_CELL_MAX:
        return value[: XLSX_CELL_MAX - 1] + "…"
    return value


def sheet_title(title):
    """A title as a sheet may carry it: at most 31 characters, none of \\ / * ? : [ ] or control characters."""
    cleaned = _SHEET_TITLE_BAD.sub(" ", printable(str(title))).replace("\ufffd", " ").strip()
    return cleaned[:31].strip() or "Blad1"


def describe_filters(filters):
    """The filter as a person reads it: "Från: 2026-11-01; Vem: anna", or "–"."""
    parts = []
    for key, value in filters.items():
        if value in (None, ""):
            continue
        if isinstance(value, datetime.date) and value.year == 9999:
            continue  # an open end ("from a date on")
        shown = value.isoformat() if isinstance(value, datetime.date) else value
        parts.append(f"{FILTER_LABELS.get(key, key)}: {shown}")
    return "; ".join(parts) or "–"


def _meta(title, generated_by, filters, generated_at, zone):
    return [
        [_text(str(title))],
        [_("Skapad"), local(generated_at, zone).isoformat(sep=" ", timespec="seconds")],
        [_("Skapad av"), _text(generated_by)],
        [_("Filter"), _text(describe_filters(filters))],
    ]


def to_csv(title, header, rows, generated_by, filters, generated_at):
    zone = zone_name()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")  # Excel in Swedish expects semicolons
    for line in _meta(title, generated_by, filters, generated_at, zone):
        writer.writerow(line)
    writer.writerow([])
    writer.writerow([_text(str(h)) for h in header])
    for row in rows:
        writer.writerow([_cell(v, zone) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads å, ä, ö right


def _width(value):
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = "" if value is None else str(value)
    return max((len(line) for line in text.split("\n")), default=0)


def to_xlsx(title, header, rows, generated_by, filters, generated_at):
    """The table on the first sheet (header on row 1, frozen, auto-filtered), the metadata on the second."""
    zone = zone_name()
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    sheet.append([_text(str(h)) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [_width(str(h)) + 2 for h in header]  # room for the filter button
    count = 0
    for row in rows:
        count += 1
        values = [_xlsx_cell(v, zone) for v in row]
        sheet.append(values)
        for index, value in enumerate(values):
            if index < len(widths):
                widths[index] = max(widths[index], _width(value))
            if isinstance(value, datetime.date):
                # The row is count + 1 (under the header). Asking the sheet (max_row) scans every cell so far:
                # quadratic in the rows, minutes for the register's largest export.
                cell = sheet.cell(row=count + 1, column=index + 1)
                cell.number_format = DATETIME_FORMAT if isinstance(value, datetime.datetime) else DATE_FORMAT
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(
            max(width + 1, WIDTH_MIN), WIDTH_MAX
        )
    sheet.freeze_panes = "A2"
    if header:
        sheet.auto_filter.ref = sheet.dimensions

    about = book.create_sheet(sheet_title(_("Om filen")))
    meta = _meta(title, generated_by, filters, generated_at, zone)
    about.append(meta[0])
    about["A1"].font = Font(bold=True, size=13)
    about.append([_("Skapad"), local(generated_at, zone)])
    about["B2"].number_format = "yyyy-mm-dd hh:mm:ss"
    for line in meta[2:]:
        about.append(line)
    about.append([_("Tidszon"), _("Tider i svensk tid (%(zone)s)", zone=zone)])
    about.append([_("Rader"), count])
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(fmt, title, header, rows, generated_by, filters, filename):
    """A Flask response with the file, or None for an unknown format. Never cached: it holds register data."""
    from flask import Response

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    if fmt == "csv":
        body = to_csv(title, header, rows, generated_by, filters, now)
        content_type = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = to_xlsx(title, header, rows, generated_by, filters, now)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        return None
    stamp = local(now)
    return Response(
        body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}-{stamp:%Y%m%d-%H%M}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
