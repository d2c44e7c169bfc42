"""Reading an uploaded spreadsheet file into rows of cells, within fixed limits.

This module knows file formats and limits, nothing about agreements: it turns
the bytes of a CSV or XLSX upload into rows of cell values (tuples; an empty
row is `()`) and refuses what it cannot read, always with a message for the
person who uploaded the file. `find_header(rows) -> (row number, row)` is given
by the caller (registry/domain/spreadsheet.py): it picks the delimiter of a
CSV file and the sheet of a workbook, looking at the first HEADER_SEARCH_ROWS
rows only.

An XLSX file is a zip archive of XML. Before openpyxl sees it, its directory
is checked (how many entries, how large unpacked, how strongly packed) and
every entry is unpacked once into nothing, so that a declared size that lies
or a broken checksum is found; then the workbook is opened read-only and its
rows are streamed, so memory stays bounded by what is kept: at most
MAX_ROWS + HEADER_SEARCH_ROWS rows with cells, MAX_COLUMNS columns wide.
The limits were measured (docs/import.md): an export of 5,000 agreements with
3,000-character descriptions is 4.7 MB packed and 28.6 MB unpacked (7 times).
"""

import csv
import io
import warnings
import zipfile
import zlib
from itertools import islice

from flask_babel import gettext as _

FORMATS = ("csv", "xlsx")
MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused
MAX_ROWS = 5000  # agreements in one file
HEADER_SEARCH_ROWS = 30  # the header row must be among the first rows
# Rows with cells read at most: more than this cannot be MAX_ROWS agreements below a header.
MAX_FILLED_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
MAX_LINES = 1_048_576  # rows of any kind, empty ones too (Excel's own limit)
MAX_COLUMNS = 100  # cells further right are not read
# XLSX: the sum of the entries' unpacked sizes (a 5,000-row export with long descriptions: 28.6 MB).
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ENTRIES = 1000  # an export has 9
# An entry larger than RATIO_FLOOR unpacked may be at most MAX_RATIO times its packed size
# (exports pack 6 to 8 times; a zip bomb thousands of times).
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
_CHUNK = 1024 * 1024
_EMPTY = ()


class SpreadsheetError(ValueError):
    """The upload is not a CSV or XLSX file that can be read; the message says why."""


def _megabytes(n):
    return n // (1024 * 1024)


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


def _too_many_rows():
    return SpreadsheetError(_("Filen har fler än %(n)s rader. Dela upp den i flera filer.", n=MAX_ROWS))


def _filled(cell):
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _bounded(source, rows=None):
    """Rows from `source` (after `rows`, already read) as tuples: empty rows as (), cells beyond
    MAX_COLUMNS and empty cells at the end dropped. Refuses more rows than MAX_FILLED_ROWS with
    cells, or MAX_LINES in all, rather than dropping any."""
    rows = list(rows or ())
    filled = sum(1 for row in rows if row)
    for row in source:
        last = min(len(row), MAX_COLUMNS)
        while last and not _filled(row[last - 1]):
            last -= 1
        if last:
            filled += 1
            if filled > MAX_FILLED_ROWS:
                raise _too_many_rows()
            rows.append(tuple(row[:last]))
        else:
            rows.append(_EMPTY)
        if len(rows) > MAX_LINES:
            raise _too_many_rows()
    return rows


# --- CSV ---------------------------------------------------------------------------------


def _csv_reader(text, delimiter):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def csv_rows(content, find_header):
    """The rows of a CSV file, with the first delimiter (; , tab) that gives a header row."""
    if b"\x00" in content[:65536]:
        raise SpreadsheetError(
            _("Filen är inte en CSV-fil (den innehåller binära data). Välj en .csv- eller .xlsx-fil.")
        )
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(
            _("Filen är för stor. Den får vara högst %(n)s MB; dela upp den i flera filer.", n=_megabytes(MAX_BYTES))
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Swedish Windows
    try:
        chosen = ";"
        for delimiter in (";", ",", "\t"):
            if find_header(_bounded(islice(_csv_reader(text, delimiter), HEADER_SEARCH_ROWS)))[0]:
                chosen = delimiter
                break
        return _bounded(_csv_reader(text, chosen))
    except csv.Error as exc:  # a line with NUL, a cell longer than csv.field_size_limit()
        raise SpreadsheetError(
            _(
                "CSV-filen kunde inte läsas (%(error)s). "
                "Spara den på nytt som CSV (semikolonseparerad) och försök igen.",
                error=exc,
            )
        ) from None


# --- XLSX --------------------------------------------------------------------------------


_BROKEN_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError, NotImplementedError, RuntimeError)


def _unreadable(exc):
    return SpreadsheetError(
        _(
            "Filen kunde inte läsas som en Excel-arbetsbok (%(error)s). Spara den på nytt som .xlsx och försök igen.",
            error=exc.__class__.__name__,
        )
    )


def check_archive(content):
    """Refuse a zip archive whose directory is implausible for a workbook, or whose entries do not
    unpack to their declared sizes and checksums (unpacked in pieces, kept nowhere)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except _BROKEN_ZIP as exc:
        raise _unreadable(exc) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            count = len(entries)
            raise SpreadsheetError(
                _(
                    "Filen innehåller för många delar (%(count)s) för att vara en Excel-arbetsbok. "
                    "Spara den på nytt som .xlsx och försök igen.",
                    count=count,
                )
            )
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            raise SpreadsheetError(
                _(
                    "Arbetsboken är för stor uppackad. Den får vara högst %(n)s MB; dela upp den i flera filer.",
                    n=_megabytes(MAX_UNPACKED_BYTES),
                )
            )
        for entry in entries:
            if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                raise SpreadsheetError(
                    _(
                        "Filen är komprimerad på ett sätt som en Excel-arbetsbok aldrig är och kan därför inte läsas. "
                        "Spara den på nytt som .xlsx och försök igen."
                    )
                )
        broken = _("Filen är skadad: den kunde inte packas upp. Spara den på nytt som .xlsx och försök igen.")
        for entry in entries:
            size = 0
            try:
                with archive.open(entry) as member:
                    while chunk := member.read(_CHUNK):
                        size += len(chunk)
            except _BROKEN_ZIP:
                # A wrong checksum or size, an entry cut short, encryption, an unknown compression.
                raise SpreadsheetError(broken) from None
            if size != entry.file_size:
                raise SpreadsheetError(broken)


def xlsx_rows(content, find_header):
    """The rows of the first worksheet that has a header row (else the first rows of the first worksheet)."""
    if not content.startswith(b"PK\x03\x04"):
        if content.startswith(b"\xd0\xcf\x11\xe0"):
            raise SpreadsheetError(
                _("Filen är i det gamla Excel-formatet (.xls). Spara den som .xlsx och försök igen.")
            )
        raise SpreadsheetError(_("Filen är inte en XLSX-fil (Excel-arbetsbok). Välj en .xlsx- eller .csv-fil."))
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(
            _("Filen är för stor. Den får vara högst %(n)s MB; dela upp den i flera filer.", n=_megabytes(MAX_BYTES))
        )
    check_archive(content)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            first = None
            for sheet in book.worksheets:
                # The <dimension> a file states may be wrong: read every row there is.
                sheet.reset_dimensions()
                source = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
                head = _bounded(islice(source, HEADER_SEARCH_ROWS))
                if find_header(head)[0]:
                    return _bounded(source, head)
                if first is None:
                    first = head
            return first or []
        finally:
            book.close()
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors for a broken file
        raise _unreadable(exc) from None
