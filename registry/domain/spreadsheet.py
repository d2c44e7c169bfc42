"""The agreement spreadsheet: one table of columns, written by the export and read by the import.

Every column of the export can be read back by the import, so a register
exported to CSV or XLSX and imported into another database with the same
groups, parties and people gives the same agreements (see docs/import.md).

The file format is Swedish whatever the user's language: Swedish headers,
kinds and statuses by their Swedish label (the stored code is accepted too),
dates as YYYY-MM-DD, groups, parties and owners by name or e-mail joined with
"; ", review cycles as "Årligen", "Vart 3:e år", "Var 6:e månad" (or the rule
text FREQ=...), and a related agreement by its case number, else its title.
Exports start with the metadata block of `exports` (4 rows and a blank row);
the reader skips everything above the header row.
"""

import datetime
import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _

from registry.rules import policy

from ..collation import organisation_key, sv_key
from ..models import Agreement, AgreementGroup, AgreementOwner, AgreementParty, Document, Group, Organisation, Person
from ..rules import cycles
from . import exports, sheetfile
from . import fields as F
from .agreements import EMPTY_AGREEMENT
from .sheetfile import (  # noqa: F401 (the reading limits and errors, as callers know them)
    FORMATS,
    HEADER_SEARCH_ROWS,
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    SpreadsheetError,
    file_format,
)

SHEET_TITLE = "Avtal"
EXPORT_FILENAME = "avtal"
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """One column: the data field it fills (save_agreement's key), its header, its kind of value, how to write it."""

    field: str
    header: str
    kind: str  # text, code, group, groups, people, organisations, date, cycle, agreement, documents, offsets, int
    help: object = ""


# The spreadsheet's kind of cell for each kind of field (the others are named alike).
_CELL_KINDS = {F.LINE: "text", F.TEXT: "text"}
# One column per field of the field table, in its order.
COLUMNS = tuple(Column(f.name, f.header, _CELL_KINDS.get(f.kind, f.kind), f.sheet_help) for f in F.FIELDS)
BY_FIELD = {c.field: c for c in COLUMNS}
HEADER = [c.header for c in COLUMNS]
# Without these the rows cannot be matched to the register.
REQUIRED_FIELDS = ("title", "responsible_group")
# The code columns' vocabularies (kind, status, publication), from the field table.
VOCABULARIES = {f.name: f.vocabulary for f in F.FIELDS if f.kind == F.CODE}


def header_key(text):
    """A header as compared: case, spacing and a trailing '*' do not matter."""
    return " ".join(str(text or "").replace("*", " ").split()).casefold()


# A header may also be the field's code ("title", "responsible_group").
_HEADERS = {header_key(c.header): c for c in COLUMNS} | {header_key(c.field): c for c in COLUMNS}
# Headers of earlier exports, still read: files saved from them import as before.
_HEADERS |= {
    header_key("Granskningscykel"): BY_FIELD["review_rule"],
    header_key("Påminn före granskning (dagar)"): BY_FIELD["review_offsets"],
}


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file: a row as the spreadsheet numbers it (None: the file), a column header."""

    row: int | None
    column: str | None
    message: str

    def __str__(self):
        where = [f"rad {self.row}" if self.row else "filen"]
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}"


# --- cell values ----------------------------------------------------------------


def cell_text(value):
    """A read cell as stripped text; spreadsheet dates and numbers as the text a user typed."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    # The export quotes text that a spreadsheet would run as a formula ("'=...", "'-..."); unquote it.
    if text.startswith("'") and text[1:2] and text[1] in exports.FORMULA_STARTS:
        text = text[1:]
    return text.strip()


def split_list(text):
    """'a; b' (or one per line) -> ['a', 'b']."""
    return [part.strip() for part in re.split(r"[;\n]", text or "") if part.strip()]


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text):
    """YYYY-MM-DD -> date; '' -> None; raises ValueError with a message."""
    if not text:
        return None
    found = _ISO_DATE.match(text)
    try:
        if found is None:
            raise ValueError
        return datetime.date(*map(int, found.groups()))
    except ValueError:
        raise ValueError(
            _("«%(value)s» är inget giltigt datum. Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.", value=text)
        ) from None


# Review cycles in Swedish. The export writes describe_cycle(); the import also reads
# common variants ("Varje år", "Vartannat år", "Kvartalsvis") and the rule text itself.
_UNITS = {"YEARLY": ("år", "år"), "MONTHLY": ("månad", "månad"), "WEEKLY": ("vecka", "vecka"), "DAILY": ("dag", "dag")}
_CYCLE_WORDS = {
    "årligen": ("YEARLY", 1),
    "varje år": ("YEARLY", 1),
    "en gång per år": ("YEARLY", 1),
    "vartannat år": ("YEARLY", 2),
    "varje månad": ("MONTHLY", 1),
    "månadsvis": ("MONTHLY", 1),
    "varannan månad": ("MONTHLY", 2),
    "kvartalsvis": ("MONTHLY", 3),
    "halvårsvis": ("MONTHLY", 6),
    "varje halvår": ("MONTHLY", 6),
    "varje vecka": ("WEEKLY", 1),
    "veckovis": ("WEEKLY", 1),
    "varannan vecka": ("WEEKLY", 2),
    "varje dag": ("DAILY", 1),
    "dagligen": ("DAILY", 1),
    "varannan dag": ("DAILY", 2),
}
_NO_CYCLE = {"", "-", "–", "ingen", "inget", "ingen fast granskningscykel", "ingen granskningscykel"}
_NO_CYCLE |= {"ingen fast uppföljningscykel", "ingen uppföljningscykel"}
_CYCLE_PATTERN = re.compile(
    r"^(?:var|vart|varje)\s+(\d+)\s*(?::\s*[ae])?\s*"
    r"(år|månad|månader|månaden|vecka|veckor|veckan|dag|dagar|dagen)$"
)
_UNIT_WORDS = {"å": "YEARLY", "m": "MONTHLY", "v": "WEEKLY", "d": "DAILY"}


def describe_cycle(rule):
    """The Swedish text the export writes for a rule: '' (none), 'Årligen', 'Vart 3:e år', 'Var 6:e månad'."""
    cycle = cycles.parse(rule)
    if cycle is None:
        return ""
    n = cycle.interval
    if n == 1:
        return {"YEARLY": "Årligen", "MONTHLY": "Varje månad", "WEEKLY": "Varje vecka", "DAILY": "Varje dag"}[
            cycle.freq
        ]
    word = "Vart" if cycle.freq == "YEARLY" else "Var"
    return f"{word} {n}:e {_UNITS[cycle.freq][0]}"


def parse_cycle(text):
    """A cycle cell -> canonical rule text ('' for none); raises ValueError with a message."""
    plain = " ".join((text or "").split()).casefold()
    if plain in _NO_CYCLE:
        return ""
    try:
        if "freq=" in plain:
            return cycles.normalise(text)
        if plain in _CYCLE_WORDS:
            freq, n = _CYCLE_WORDS[plain]
            return cycles.normalise(f"FREQ={freq};INTERVAL={n}")
        found = _CYCLE_PATTERN.match(plain)
        if found:
            return cycles.normalise(f"FREQ={_UNIT_WORDS[found.group(2)[0]]};INTERVAL={found.group(1)}")
    except cycles.CycleError as exc:
        raise ValueError(
            _("Uppföljningscykeln «%(value)s» kan inte användas: %(error)s", value=text, error=exc)
        ) from None
    raise ValueError(
        _(
            "Uppföljningscykeln «%(value)s» känns inte igen. Skriv till exempel Årligen, Vart 2:e år eller "
            "Var 6:e månad, eller lämna cellen tom om avtalet inte har någon fast uppföljningscykel.",
            value=text,
        )
    )


def parse_offsets(text):
    """'180, 90' (or '180; 90') -> canonical '180, 90'; raises ValueError."""
    try:
        return policy.format_offsets(policy.parse_offsets(text))
    except policy.PolicyError:
        raise ValueError(
            _(
                "«%(value)s» kan inte läsas som dagar. "
                "Skriv hela dagar åtskilda med kommatecken, till exempel 180, 90, 30.",
                value=text,
            )
        ) from None


def parse_int(text):
    if not text:
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise ValueError(
            _("«%(value)s» är inget heltal. Skriv ett heltal, till exempel 6, eller lämna cellen tom.", value=text[:40])
        )
    return int(text)


def parse_documents(text):
    """One document per line, 'Titel | https://…' (or just the address) -> [(title, url)]."""
    documents = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        title, sep, url = line.rpartition("|")
        title, url = (title.strip(), url.strip()) if sep else ("", line)
        if not url.startswith(("http://", "https://")):
            raise ValueError(_("Dokumentlänken «%(value)s» måste börja med http:// eller https://.", value=line))
        if len(url) > 1000 or len(title) > 255:
            raise ValueError(_("Dokumentets titel eller länk är för lång: «%(value)s». Korta den.", value=line[:80]))
        documents.append((title or url, url))
    return documents


def format_documents(documents):
    return "\n".join(f"{title} | {url}" for title, url in documents)


def vocabulary_labels(name):
    """{code: Swedish label} of the kind or status vocabulary, whatever the current language."""
    with force_locale("sv"):
        return {code: str(text) for code, text in VOCABULARIES[name].items()}


def vocabulary_lookup(name):
    """casefolded code, Swedish label or current-language label -> code."""
    lookup = {}
    for code, text in VOCABULARIES[name].items():
        lookup[code.casefold()] = code
        lookup[str(text).casefold()] = code
    for code, text in vocabulary_labels(name).items():
        lookup[text.casefold()] = code
    return lookup


# --- the directory: names of groups, parties and people ---------------------------


class _Names:
    """Name (or short name) -> id, case-insensitively; a short name shared by several rows is ambiguous."""

    AMBIGUOUS = object()

    def __init__(self, rows):
        self.names, self.by_id = {}, {}
        short = {}
        for pk, name, short_name in rows:
            self.by_id[pk] = name
            self.names[name.casefold()] = pk
            if short_name:
                key = short_name.casefold()
                short[key] = pk if short.get(key, pk) == pk else self.AMBIGUOUS
        for key, pk in short.items():
            self.names.setdefault(key, pk)

    def find(self, text):
        """The id for a name, None when unknown, AMBIGUOUS when several match."""
        return self.names.get(" ".join(text.split()).casefold())


class Directory:
    """The groups, parties and people a file may name, loaded once per file."""

    def __init__(self):
        self.groups = _Names(Group.select(Group.id, Group.name, Group.short_name).tuples())
        self.organisations = _Names(
            Organisation.select(Organisation.id, Organisation.name, Organisation.short_name).tuples()
        )
        self.organisation_order = {
            o.id: organisation_key(o)
            for o in Organisation.select(Organisation.id, Organisation.name, Organisation.kind)
        }
        people = list(Person.select(Person.id, Person.email, Person.name).tuples())
        self.emails = {pk: email for pk, email, _name in people}
        self.people = _Names((pk, email, name) for pk, email, name in people)

    def find_person(self, text):
        found = re.search(r"<([^<>\s]+@[^<>\s]+)>", text)  # "Name <e-mail>"
        return self.people.find(found.group(1) if found else text)


# --- the register's values ----------------------------------------------------------

# Every value save_agreement takes, empty: the base of a row that creates an agreement.
EMPTY_VALUES = EMPTY_AGREEMENT


def register_values():
    """{agreement id: values} for every agreement, in save_agreement's data shape (links as sorted ids)."""
    values = {}
    empty_text = {f.name for f in F.FIELDS if f.empty == ""}
    for a in Agreement.select().order_by(Agreement.id):
        # __data__ holds the stored values: ids, not rows, for the foreign keys.
        row = {name: a.__data__.get(name) for name in F.EMPTY if name in a._meta.fields}
        row.update({name: row[name] or "" for name in empty_text})
        if not row["case_number"]:
            row["case_number"] = None
        values[a.id] = {**row, "contributing_groups": [], "owners": [], "parties": [], "documents": []}
    for key, model, column in (
        ("contributing_groups", AgreementGroup, AgreementGroup.group),
        ("owners", AgreementOwner, AgreementOwner.person),
        ("parties", AgreementParty, AgreementParty.organisation),
    ):
        for agreement_id, pk in model.select(model.agreement, column).tuples():
            values[agreement_id][key].append(pk)
    for v in values.values():
        for key in ("contributing_groups", "owners", "parties"):
            v[key] = sorted(set(v[key]))
    for agreement_id, title, url in (
        Document.select(Document.agreement, Document.title, Document.url).order_by(Document.id).tuples()
    ):
        values[agreement_id]["documents"].append((title, url))
    return values


def agreement_reference(values, pk):
    """How the file names a related agreement: its case number, else its title."""
    target = values.get(pk)
    if target is None:
        return ""
    return target["case_number"] or target["title"]


def format_row(v, values, directory, labels):
    """One agreement's cells, in COLUMNS order."""
    groups = directory.groups.by_id
    cells = []
    for column in COLUMNS:
        value = v[column.field]
        if column.kind == "code":
            cell = labels[column.field].get(value, value)
        elif column.kind == "group":
            cell = groups.get(value, "") if value else ""
        elif column.kind == "groups":
            cell = LIST_SEPARATOR.join(sorted((groups[pk] for pk in value), key=sv_key))
        elif column.kind == "organisations":
            ordered = sorted(value, key=lambda pk: directory.organisation_order[pk])
            cell = LIST_SEPARATOR.join(directory.organisations.by_id[pk] for pk in ordered)
        elif column.kind == "people":
            cell = LIST_SEPARATOR.join(sorted(directory.emails[pk] for pk in value))
        elif column.kind == "cycle":
            cell = describe_cycle(value)
        elif column.kind == "agreement":
            cell = agreement_reference(values, value) if value else ""
        elif column.kind == "documents":
            cell = format_documents(value)
        else:
            cell = value
        cells.append(cell)
    return cells


def export_rows():
    """The header and one row per agreement: responsible group, then title."""
    values = register_values()
    directory = Directory()
    labels = {name: vocabulary_labels(name) for name in VOCABULARIES}
    ordered = sorted(
        values.items(),
        key=lambda item: (
            sv_key(directory.groups.by_id.get(item[1]["responsible_group"], "")),
            sv_key(item[1]["title"]),
            item[0],
        ),
    )
    return HEADER, [format_row(v, values, directory, labels) for _pk, v in ordered]


# --- reading a file ---------------------------------------------------------------------


@dataclass
class Sheet:
    """A read file: where the header is, which columns it has, the data rows and what is wrong with the layout."""

    header_row: int = 0
    columns: dict = field(default_factory=dict)  # field -> index in the row
    rows: list = field(default_factory=list)  # (row number, {field: text})
    problems: list = field(default_factory=list)


def _csv_rows(content):
    return sheetfile.csv_rows(content, _find_header)


def _xlsx_rows(content):
    return sheetfile.xlsx_rows(content, _find_header)


def _find_header(rows):
    """(row number, row) of the header row: the first with a 'Titel' column and another known column."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        known = [_HEADERS.get(header_key(cell_text(c))) for c in row]
        fields = {c.field for c in known if c}
        if "title" in fields and len(fields) >= 2:
            return number, row
    return 0, None


def read(filename, content):
    """Read an uploaded CSV or XLSX into a Sheet; raises SpreadsheetError when it is not one."""
    fmt = file_format(filename)
    if not content:
        raise SpreadsheetError(_("Filen är tom."))
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(
            _(
                "Filen är för stor. Den får vara högst %(n)s MB; dela upp den i flera filer.",
                n=MAX_BYTES // (1024 * 1024),
            )
        )
    rows = _csv_rows(content) if fmt == "csv" else _xlsx_rows(content)
    header_row, header = _find_header(rows)
    if not header_row:
        raise SpreadsheetError(
            _(
                "Filen har ingen rubrikrad. Den första raden med kolumnnamn måste ha kolumnerna "
                "«Titel» och «Ansvarig grupp», som i registrets export."
            )
        )
    sheet = Sheet(header_row=header_row)
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        column = _HEADERS.get(header_key(text))
        if column is None:
            sheet.problems.append(
                Problem(
                    header_row,
                    text,
                    _(
                        "Kolumnen finns inte i registrets export och kan inte importeras. "
                        "Byt namn på den eller ta bort den."
                    ),
                )
            )
        elif column.field in sheet.columns:
            sheet.problems.append(Problem(header_row, text, _("Kolumnen finns två gånger. Ta bort den ena.")))
        else:
            sheet.columns[column.field] = index
    for name in REQUIRED_FIELDS:
        if name not in sheet.columns:
            sheet.problems.append(
                Problem(header_row, BY_FIELD[name].header, _("Kolumnen saknas men måste finnas i filen."))
            )
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        cells = {name: cell_text(row[index]) if index < len(row) else "" for name, index in sheet.columns.items()}
        if any(cells.values()):
            sheet.rows.append((number, cells))
    if not sheet.rows:
        sheet.problems.append(Problem(None, None, _("Filen innehåller inga avtal under rubrikraden.")))
    elif len(sheet.rows) > MAX_ROWS:
        sheet.problems.append(
            Problem(None, None, _("Filen har fler än %(n)s avtal. Dela upp den i flera filer.", n=MAX_ROWS))
        )
    return sheet
