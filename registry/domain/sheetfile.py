"""Reading an uploaded spreadsheet file into rows of cells, within fixed limits.

This module knows file formats and limits, nothing about agreements: it turns
the bytes of a CSV or XLSX upload into lists of cell values and refuses what
it cannot read. `find_header(rows) -> (row number, row)` is given by the
caller (registry/domain/spreadsheet.py): it picks the delimiter of a CSV file
and the sheet of a workbook.
"""

import csv
import io
import warnings
import zipfile

from flask_babel import gettext as _

FORMATS = ("csv", "xlsx")
MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an XLSX that unpacks to more than this is refused
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 30  # the header row must be among the first rows


class SpreadsheetError(ValueError):
    """The upload is not a CSV or XLSX file that can be read; the message says why."""


def file_format(filename):
    """'csv' or 'xlsx' from a file name; raises SpreadsheetError for anything else."""
    name = (filename or "").lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if name.endswith((".xls", ".ods", ".numbers")):
        raise SpreadsheetError(
            _("Filformatet stöds inte. Spara filen som Excel-arbetsbok (.xlsx) eller CSV (.csv) och försök igen.")
        )
    raise SpreadsheetError(_("Filen måste vara ett kalkylark: .xlsx (Excel) eller .csv (semikolonseparerad)."))


def csv_rows(content, find_header):
    """The rows of a CSV file, with the first delimiter (; , tab) that gives a header row."""
    if b"\x00" in content[:65536]:
        raise SpreadsheetError(
            _("Filen är inte en CSV-fil (den innehåller binära data). Välj en .csv- eller .xlsx-fil.")
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Swedish Windows
    candidates = []
    for delimiter in (";", ",", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise SpreadsheetError(_("CSV-filen kunde inte läsas: %(error)s", error=exc)) from None
        candidates.append(rows)
        if find_header(rows)[0]:
            return rows
    return candidates[0]


def xlsx_rows(content, find_header):
    """The rows of the first worksheet that has a header row (else of the first worksheet)."""
    if not content.startswith(b"PK\x03\x04"):
        if content.startswith(b"\xd0\xcf\x11\xe0"):
            raise SpreadsheetError(
                _("Filen är i det gamla Excel-formatet (.xls). Spara den som .xlsx och försök igen.")
            )
        raise SpreadsheetError(_("Filen är inte en XLSX-fil (Excel-arbetsbok). Välj en .xlsx- eller .csv-fil."))
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SpreadsheetError(_("Filen är för stor."))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            book = load_workbook(io.BytesIO(content), data_only=True)
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors for a broken file
        raise SpreadsheetError(
            _("Filen kunde inte läsas som XLSX (Excel-arbetsbok): %(error)s", error=exc.__class__.__name__)
        ) from None
    sheets = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    book.close()
    for rows in sheets:  # the first sheet with a header row
        if find_header(rows)[0]:
            return rows
    return sheets[0] if sheets else []
