"""Importing agreements from a spreadsheet: a plan first (every problem by row and column), then all or nothing.

`plan(filename, content)` reads the file and decides, row by row, whether it
creates an agreement, updates one or changes nothing, and lists every problem;
it writes nothing. `commit(filename, content)` makes the plan again and, only
when the file has no problems, writes every new and changed row through
save_agreement inside one transaction: if any row fails, nothing is written.

Rows match the register on the case number, else on title and responsible
group (see docs/import.md for the details). An unchanged row is not written,
so importing the same file twice changes nothing the second time.
"""

import heapq
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import DatabaseError

from ..db import db
from ..models import Agreement
from . import agreements, spreadsheet
from . import fields as F
from .errors import ValidationError
from .spreadsheet import BY_FIELD, Problem

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
REF_FIELDS = ("parent", "replaced_by")


@dataclass
class RowPlan:
    """What one row of the file does."""

    row: int
    title: str = ""
    case_number: str | None = None
    agreement_id: int | None = None  # the matched agreement; None creates one
    action: str = CREATE
    changes: list = field(default_factory=list)  # headers of the columns that change
    data: dict = field(default_factory=dict)  # save_agreement's data, references not yet resolved
    refs: dict = field(default_factory=dict)  # parent / replaced_by -> ("row", n) | ("id", pk) | None
    problems: list = field(default_factory=list)
    raw_refs: dict = field(default_factory=dict)  # parent / replaced_by as written in the file
    full: dict = field(default_factory=dict)  # the complete data save_agreement gets


@dataclass
class Plan:
    """The outcome of reading a file: its rows and problems, and after commit what was written."""

    filename: str
    header_row: int = 0
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # file-level problems (row None or the header row)
    committed: bool = False

    @property
    def all_problems(self):
        found = list(self.problems)
        for row in self.rows:
            found.extend(row.problems)
        order = {c.header: i for i, c in enumerate(spreadsheet.COLUMNS)}
        return sorted(found, key=lambda p: (p.row or 0, order.get(p.column, -1)))

    @property
    def ok(self):
        return not self.all_problems

    @property
    def counts(self):
        counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED, "problems"), 0)
        for row in self.rows:
            counts["problems" if row.problems else row.action] += 1
        return counts

    @property
    def to_write(self):
        return sum(1 for row in self.rows if row.action != UNCHANGED)

    def summary(self):
        c = self.counts
        return ngettext(
            "%(num)s rad: %(create)s nya, %(update)s ändrade, %(unchanged)s oförändrade, %(problems)s med problem.",
            "%(num)s rader: %(create)s nya, %(update)s ändrade, %(unchanged)s oförändrade, %(problems)s med problem.",
            len(self.rows),
            create=c[CREATE],
            update=c[UPDATE],
            unchanged=c[UNCHANGED],
            problems=c["problems"],
        )


def _ambiguous_name(name):
    return _(
        "«%(value)s» är tvetydigt: flera i registret heter så. Skriv hela namnet (för en person: e-postadressen).",
        value=name,
    )


def _norm(text):
    return " ".join((text or "").split()).casefold()


class _Builder:
    """Makes the plan of one file against the register as it is now."""

    def __init__(self, filename, sheet):
        self.plan = Plan(filename, header_row=sheet.header_row, problems=list(sheet.problems))
        self.sheet = sheet
        self.present = set(sheet.columns)
        self.directory = spreadsheet.Directory()
        self.values = spreadsheet.register_values()
        self.by_case = {v["case_number"]: pk for pk, v in self.values.items() if v["case_number"]}
        self.by_title_group = {}
        self.by_title = {}
        for pk, v in self.values.items():
            self.by_title_group.setdefault((_norm(v["title"]), v["responsible_group"]), []).append(pk)
            self.by_title.setdefault(_norm(v["title"]), []).append(pk)
        self.lookups = {name: spreadsheet.vocabulary_lookup(name) for name in spreadsheet.VOCABULARIES}
        self.labels = {name: spreadsheet.vocabulary_labels(name) for name in spreadsheet.VOCABULARIES}

    def build(self):
        if self.plan.problems and any(p.row is None or p.column in _required_headers() for p in self.plan.problems):
            return self.plan  # without the key columns, or without rows, there is nothing to match
        for number, cells in self.sheet.rows:
            self.plan.rows.append(self._parse(number, cells))
        self._match()
        self._resolve_references()
        self._order_references()
        for row in self.plan.rows:
            self._validate(row)
            self._decide(row)
        return self.plan

    # --- one row's cells -------------------------------------------------------------

    def _problem(self, row, name, message):
        header = BY_FIELD[name].header if name in BY_FIELD else None
        if not any(p.column == header and p.message == message for p in row.problems):
            row.problems.append(Problem(row.row, header, message))

    def _parse(self, number, cells):
        row = RowPlan(row=number)
        data = {}
        for name, text in cells.items():
            column = BY_FIELD[name]
            try:
                data[name] = self._value(column, text)
            except ValueError as exc:
                self._problem(row, name, str(exc))
                data[name] = spreadsheet.EMPTY_VALUES[name]
        row.raw_refs = {name: cells[name] for name in REF_FIELDS if name in cells}
        for name in REF_FIELDS:
            data.pop(name, None)
        row.data.update(data)
        row.title = data.get("title", "")
        row.case_number = data.get("case_number") or None
        if not row.title:
            self._problem(row, "title", _("Titel måste anges."))
        return row

    def _value(self, column, text):
        kind = column.kind
        if kind == "text":  # limits and characters are checked by save_agreement's validation
            return text or spreadsheet.EMPTY_VALUES[column.field]
        if kind == "code":
            if not text and not F.BY_NAME[column.field].required:
                return F.BY_NAME[column.field].empty  # publication: the default rule
            if not text:
                raise ValueError(
                    _("Ange avtalets typ, till exempel Överenskommelse.")
                    if column.field == "kind"
                    else _("Ange avtalets status, till exempel Gällande.")
                )
            code = self.lookups[column.field].get(_norm(text))
            if code is None:
                raise ValueError(
                    _(
                        "Värdet «%(value)s» känns inte igen. Använd ett av: %(choices)s.",
                        value=text,
                        choices=", ".join(self.labels[column.field].values()),
                    )
                )
            return code
        if kind == "group":
            if not text:
                if column.field == "responsible_group":
                    raise ValueError(_("Ansvarig grupp måste anges."))
                return None
            return self._find(
                self.directory.groups.find,
                text,
                _(
                    "Gruppen «%(value)s» finns inte i registret. Skriv gruppens namn eller kortnamn som det står där.",
                    value=text,
                ),
            )
        if kind == "groups":
            return self._find_all(self.directory.groups.find, text, _("grupper"))
        if kind == "organisations":
            return self._find_all(self.directory.organisations.find, text, _("parter"))
        if kind == "people":
            return self._find_all(self.directory.find_person, text, _("personer"))
        if kind == "date":
            return spreadsheet.parse_date(text)
        if kind == "cycle":
            return spreadsheet.parse_cycle(text)
        if kind == "documents":
            return spreadsheet.parse_documents(text)
        if kind == "offsets":
            return spreadsheet.parse_offsets(text)
        if kind == "int":
            return spreadsheet.parse_int(text)
        return text  # agreement references are resolved once every row is read

    @staticmethod
    def _find(find, text, unknown):
        pk = find(text)
        if pk is spreadsheet._Names.AMBIGUOUS:
            raise ValueError(_ambiguous_name(text))
        if pk is None:
            raise ValueError(unknown)
        return pk

    def _find_all(self, find, text, unknown):
        ids, missing = [], []
        for name in spreadsheet.split_list(text):
            pk = find(name)
            if pk is spreadsheet._Names.AMBIGUOUS:
                raise ValueError(_ambiguous_name(name))
            if pk is None:
                missing.append(name)
            else:
                ids.append(pk)
        if missing:
            raise ValueError(
                _(
                    "Följande %(what)s finns inte i registret: %(names)s. Skriv namnen som de står i registret, "
                    "åtskilda med «; ».",
                    what=unknown,
                    names=", ".join(f"«{n}»" for n in missing),
                )
            )
        return sorted(set(ids))

    # --- matching rows to the register ------------------------------------------------

    def _match(self):
        seen_case, seen_agreement, seen_new = {}, {}, {}
        for row in self.plan.rows:
            group = row.data.get("responsible_group")
            if not row.title or group is None:
                continue
            key = (_norm(row.title), group)
            same = self.by_title_group.get(key, [])
            without_number = [pk for pk in same if not self.values[pk]["case_number"]]
            if row.case_number:
                if self._repeated(
                    seen_case,
                    row.case_number,
                    row,
                    "case_number",
                    lambda n: _(
                        "Diarienumret finns redan på rad %(n)s i filen. Varje avtal ska ha ett eget diarienummer.", n=n
                    ),
                ):
                    continue
                holder = self.by_case.get(row.case_number)
                if holder is not None:
                    if without_number and holder not in same:
                        other = self.values[holder]
                        self._problem(
                            row,
                            "case_number",
                            _(
                                "Diarienumret används redan av ett annat avtal i registret: «%(title)s» "
                                "(%(group)s), men titel och ansvarig grupp pekar på ett avtal utan diarienummer.",
                                title=other["title"],
                                group=self.directory.groups.by_id.get(other["responsible_group"], ""),
                            ),
                        )
                        continue
                    row.agreement_id = holder
                elif len(without_number) > 1:
                    self._ambiguous(row)
                    continue
                elif without_number:
                    row.agreement_id = without_number[0]
            else:
                candidates = without_number if "case_number" in self.present else same
                if len(candidates) > 1:
                    self._ambiguous(row)
                    continue
                if candidates:
                    row.agreement_id = candidates[0]
                elif self._repeated(
                    seen_new,
                    key,
                    row,
                    "title",
                    lambda n: _(
                        "Samma titel och ansvariga grupp som rad %(n)s, utan diarienummer: "
                        "ange diarienummer för att skilja avtalen åt.",
                        n=n,
                    ),
                ):
                    continue
            if row.agreement_id is not None:
                self._repeated(
                    seen_agreement,
                    row.agreement_id,
                    row,
                    "title",
                    lambda n: _("Raden avser samma avtal i registret som rad %(n)s.", n=n),
                )

    def _repeated(self, seen, key, row, field, message):
        """True (and a problem naming the earlier row) when `key` came on an earlier row of the
        file; otherwise remember this row for it."""
        if key in seen:
            self._problem(row, field, message(seen[key]))
            return True
        seen[key] = row.row
        return False

    def _ambiguous(self, row):
        self._problem(
            row,
            "title",
            _(
                "Flera avtal i registret har den här titeln och ansvariga gruppen. "
                "Ange diarienumret för att skilja dem åt."
            ),
        )

    # --- parent and replaced_by ----------------------------------------------------------

    def _resolve_references(self):
        rows_by_case, rows_by_title = {}, {}
        for row in self.plan.rows:
            if row.case_number:
                rows_by_case.setdefault(row.case_number, row)
            rows_by_title.setdefault(_norm(row.title), []).append(row)
        for row in self.plan.rows:
            for name in REF_FIELDS:
                text = row.raw_refs.get(name)
                if name not in row.raw_refs:
                    continue  # no such column: an update keeps the reference
                if not text:
                    row.refs[name] = None
                    continue
                target = self._reference(text, rows_by_case, rows_by_title)
                if target is None:
                    self._problem(
                        row,
                        name,
                        _(
                            "Avtalet «%(value)s» finns varken i filen eller i registret. Ange diarienummer eller "
                            "titel på ett avtal i filen eller i registret.",
                            value=text,
                        ),
                    )
                elif target == "ambiguous":
                    self._problem(
                        row, name, _("Flera avtal har titeln «%(value)s». Ange diarienumret i stället.", value=text)
                    )
                elif target in (("row", row.row), ("id", row.agreement_id)):
                    self._problem(
                        row,
                        name,
                        _(
                            "Ett avtal kan inte hänvisa till sig självt. "
                            "Ange ett annat avtals diarienummer eller titel."
                        ),
                    )
                else:
                    row.refs[name] = target

    def _reference(self, text, rows_by_case, rows_by_title):
        """("row", n) for a row of the file, ("id", pk) for an agreement only in the register."""
        if text in rows_by_case:
            return self._as_target(rows_by_case[text])
        if text in self.by_case:
            return ("id", self.by_case[text])
        rows = rows_by_title.get(_norm(text), [])
        if len(rows) > 1:
            return "ambiguous"
        if rows:
            return self._as_target(rows[0])
        ids = self.by_title.get(_norm(text), [])
        if len(ids) > 1:
            return "ambiguous"
        return ("id", ids[0]) if ids else None

    @staticmethod
    def _as_target(row):
        return ("id", row.agreement_id) if row.agreement_id is not None else ("row", row.row)

    def _order_references(self):
        """Order the rows so that each new agreement comes before the rows that refer to it.

        References between new rows that go round in a circle cannot be created
        in any order: those rows are problems.
        """
        rows = {row.row: row for row in self.plan.rows}
        needs = {n: {t[1] for t in row.refs.values() if t and t[0] == "row"} for n, row in rows.items()}
        waiting = {n: len(targets) for n, targets in needs.items()}
        needed_by = {}
        for n, targets in needs.items():
            for target in targets:
                needed_by.setdefault(target, []).append(n)
        ready = [n for n, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        self.order = []
        while ready:
            n = heapq.heappop(ready)
            self.order.append(n)
            for other in needed_by.get(n, ()):
                waiting[other] -= 1
                if waiting[other] == 0:
                    heapq.heappush(ready, other)
        stuck = sorted(set(rows) - set(self.order))
        for n in stuck:
            for name, target in rows[n].refs.items():
                if target and target[0] == "row" and target[1] in stuck:
                    self._problem(
                        rows[n],
                        name,
                        _(
                            "Hänvisningarna mellan raderna %(rows)s går runt i en cirkel; "
                            "inget av avtalen kan skapas först.",
                            rows=", ".join(map(str, stuck)),
                        ),
                    )

    def write_order(self):
        """The rows to write (new and changed), each new agreement before the rows that refer to it."""
        rows = {row.row: row for row in self.plan.rows}
        return [rows[n] for n in self.order if rows[n].action != UNCHANGED]

    # --- validation and what changes ----------------------------------------------------

    def _full_data(self, row):
        """save_agreement's data: the register's values (or empty ones), overlaid with the file's columns."""
        base = dict(self.values[row.agreement_id]) if row.agreement_id is not None else dict(spreadsheet.EMPTY_VALUES)
        if row.agreement_id is None and "status" not in self.present:
            base["status"] = "in_force"
        data = {**base, **row.data}
        for name in REF_FIELDS:
            if name in row.refs:
                target = row.refs[name]
                data[name] = target[1] if target and target[0] == "id" else None
        return data

    def _validate(self, row):
        data = row.full = self._full_data(row)
        existing = Agreement.get_by_id(row.agreement_id) if row.agreement_id is not None else None
        already = {p.column for p in row.problems}
        for name, message in agreements.validate(dict(data), existing).items():
            if name in REF_FIELDS or (name in BY_FIELD and BY_FIELD[name].header in already):
                continue  # the file's own message says more; references were checked above
            if name in ("kind", "status") and name not in self.present:
                self._problem(
                    row,
                    name,
                    _(
                        "Kolumnen «%(column)s» saknas i filen. Lägg till den: ett nytt avtal måste ha ett värde där.",
                        column=BY_FIELD[name].header,
                    ),
                )
            else:
                self._problem(row, name, message)
        if data["status"] == "replaced" and not row.refs.get("replaced_by") and not data.get("replaced_by"):
            if "replaced_by" not in row.raw_refs or not row.raw_refs["replaced_by"]:
                self._problem(
                    row,
                    "replaced_by",
                    _("Ange i Ersatt av vilket avtal som ersätter det här avtalet; det krävs när status är Ersatt."),
                )

    def _decide(self, row):
        if row.agreement_id is None:
            row.action = CREATE
            return
        current = self.values[row.agreement_id]
        changed = []
        for column in spreadsheet.COLUMNS:
            name = column.field
            new = row.full[name]
            if name in REF_FIELDS and row.refs.get(name) and row.refs[name][0] == "row":
                changed.append(column.header)  # refers to an agreement the file creates
            elif new != current[name]:
                changed.append(column.header)
        row.changes = changed
        row.action = UPDATE if changed else UNCHANGED


def _required_headers():
    return {BY_FIELD[name].header for name in spreadsheet.REQUIRED_FIELDS}


def plan(filename, content):
    """Read a file and plan its import; writes nothing. Raises SpreadsheetError for an unreadable file."""
    sheet = spreadsheet.read(filename, content)
    return _Builder(filename, sheet).build()


class _Abort(Exception):
    """Leaves the transaction, rolling back everything written so far."""


def commit(filename, content):
    """Plan the file again and, only if it has no problems, write every new and changed row in one transaction.

    Returns the plan; `plan.committed` tells whether anything was written. Any
    failure while writing (a rule save_agreement enforces, a clash with a
    change made meanwhile) rolls the whole import back and is reported on its row.
    """
    sheet = spreadsheet.read(filename, content)
    try:
        with db.atomic():
            builder = _Builder(filename, sheet)
            result = builder.build()
            if not result.ok:
                raise _Abort
            written = {}
            for row in builder.write_order():
                data = dict(row.full)
                for name in REF_FIELDS:
                    target = row.refs.get(name)
                    if target and target[0] == "row":
                        data[name] = written[target[1]]
                existing = Agreement.get_by_id(row.agreement_id) if row.agreement_id is not None else None
                try:
                    saved = agreements.save_agreement(data, existing)
                except ValidationError as exc:
                    for name, message in exc.errors.items():
                        builder._problem(row, name, message)
                    raise _Abort from None
                except DatabaseError as exc:  # e.g. a value too long for its column
                    builder._problem(
                        row,
                        None,
                        _("Raden kunde inte sparas (%(error)s). Kontrollera värdena och försök igen.", error=exc),
                    )
                    raise _Abort from None
                written[row.row] = saved.id
            result.committed = True
    except _Abort:
        pass
    return result
