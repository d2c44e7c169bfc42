"""Reading the register: the filtered agreement list and the dashboard figures."""

import math
import re
from dataclasses import dataclass, field, fields
from datetime import timedelta

from flask_babel import gettext as _
from peewee import OP, Case, SqliteDatabase, fn

from ..collation import sv_collation_key
from ..db import Swedish, db
from ..models import (
    Agreement,
    AgreementGroup,
    AgreementOwner,
    AgreementParty,
    DocumentVersion,
    Group,
    GroupMember,
    Person,
    StoredDocument,
)
from ..vocab import ACTIVE_STATUSES, AGREEMENT_KINDS, AGREEMENT_STATUSES, DEADLINE_COLUMNS
from . import status as derived

# Titles and names in Swedish alphabetical order (å, ä, ö after z) on SQLite and PostgreSQL.
SORTS = {
    "title": Swedish(Agreement.title),
    "kind": Agreement.kind,
    "group": Swedish(Group.name),
    "status": Agreement.status,
    "expires_on": Agreement.expires_on,
    "next_review_on": Agreement.next_review_on,
    "updated_at": Agreement.updated_at,
}
DEADLINE_FILTERS = ("attention", *derived.FLAG_DEADLINES)
# How the group filter reads a group: responsible for the agreement, contributing to it, or either.
GROUP_ROLES = ("responsible", "contributing")


@dataclass
class AgreementQuery:
    """What the agreement list shows: search text, filters, sort and page."""

    q: str = ""
    group: int | None = None
    role: str = ""  # with `group`: one of GROUP_ROLES, or either
    party: int | None = None
    kind: str = ""
    status: str = ""
    deadline: str = ""
    owner: str = ""  # as given: "me" or a person's id
    sort: str = "title"
    desc: bool = False
    page: int = 1
    # Resolved from `owner` (not URL arguments): the person, or why there is none.
    owner_id: int | None = None
    owner_problem: str = ""

    @classmethod
    def from_args(cls, args, me=None):
        """Build from request arguments, ignoring values that make no sense; `me` is the logged-in
        user's person id for owner=me. A bad owner is not ignored: `owner_problem` says why, and
        the query then matches nothing."""

        def as_int(name):
            try:
                value = int(args.get(name, ""))
            except ValueError:
                return None
            return value if 0 < value <= MAX_ID else None

        query = cls(
            q=(args.get("q") or "").replace("\x00", "").strip()[:200],
            group=as_int("group"),
            role=args.get("role") if args.get("role") in GROUP_ROLES else "",
            party=as_int("party"),
            kind=args.get("kind") if args.get("kind") in AGREEMENT_KINDS else "",
            status=args.get("status") if args.get("status") in AGREEMENT_STATUSES else "",
            deadline=args.get("deadline") if args.get("deadline") in DEADLINE_FILTERS else "",
            sort=args.get("sort") if args.get("sort") in SORTS else "title",
            desc=args.get("desc") == "1",
        )
        query.page = max(as_int("page") or 1, 1)
        owner = (args.get("owner") or "").replace("\x00", "").strip()[:20]
        if owner:
            query.owner = owner
            query.owner_id, query.owner_problem = owner_filter(owner, me)
        return query

    def args(self, **changes):
        """URL arguments for this query with some values changed (for links)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in RESOLVED}
        values.update(changes)
        out = {k: v for k, v in values.items() if v not in (None, "", False)}
        if out.get("desc"):
            out["desc"] = 1
        if out.get("page") == 1:
            out.pop("page")
        if out.get("sort") == "title":
            out.pop("sort")
        return out


RESOLVED = {"owner_id", "owner_problem"}


def NO_PERSON():  # noqa: N802 - a message, looked up in the language of the request
    return _("Ditt konto är inte kopplat till någon person i registret, så inga avtal står på dig som ägare.")


def owner_filter(value, me):
    """(person id, problem) for an owner filter's value: "me" (`me`: the logged-in user's person id,
    None when the account has none) or a person's id. The problem is a sentence for the user."""
    if value == "me":
        if me is None:
            return None, NO_PERSON()
        return me, ""
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_ID:
        return None, _("Ägare anges som en persons id (ett heltal) eller me för dig själv, till exempel owner=me.")
    if not Person.select().where(Person.id == int(value)).exists():
        return None, _("Det finns ingen person med id %(id)s i registret. Välj en ägare i listan.", id=int(value))
    return int(value), ""


@dataclass
class Page:
    items: list
    total: int
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(math.ceil(self.total / self.page_size), 1)


def in_group(group_id, role=""):
    """Agreements a group is responsible for or contributes to (`role`: only one of the two)."""
    contributing = Agreement.id.in_(
        AgreementGroup.select(AgreementGroup.agreement).where(AgreementGroup.group == group_id)
    )
    responsible = Agreement.responsible_group == group_id
    if role == "responsible":
        return responsible
    if role == "contributing":
        return contributing
    return responsible | contributing


def owned_by(person_id):
    """Agreements on which a person is named as an owner."""
    owned = AgreementOwner.select(AgreementOwner.agreement).where(AgreementOwner.person == person_id)
    return Agreement.id.in_(owned)


def person_group_ids(person_id):
    return [m.group_id for m in GroupMember.select(GroupMember.group).where(GroupMember.person == person_id)]


def of_person(person_id, group_ids):
    """Agreements a person owns, or that one of their groups is responsible for or contributes to."""
    condition = owned_by(person_id)
    if group_ids:
        contributing = AgreementGroup.select(AgreementGroup.agreement).where(AgreementGroup.group.in_(group_ids))
        condition |= Agreement.responsible_group.in_(group_ids) | Agreement.id.in_(contributing)
    return condition


def with_party(organisation_id):
    parties = AgreementParty.select(AgreementParty.agreement).where(AgreementParty.organisation == organisation_id)
    return Agreement.id.in_(parties)


SEARCHED = (Agreement.title, Agreement.short_name, Agreement.case_number, Agreement.description)
MAX_ID = 2**31 - 1  # ids and page numbers beyond this are garbage, not a crash


# Characters outside ASCII whose lower case contains an ASCII letter, with that letter (KELVIN
# SIGN -> k, LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + dot): the only ones SQLite's LIKE cannot
# see through, and only when the needle holds that letter.
_FOLDS_TO_ASCII = (("\u212a", "k"), ("\u0130", "i"))
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def matching(text):
    """Case-insensitive substring search; % and _ in the text are literal.

    Matches the agreement's title, short name, case number and description, and the text of the
    newest version of each of its stored documents (registry/domain/stored_documents.py).

    On SQLite, each column is first tested with a cheap
    condition that is true of every value the exact test accepts: SQLite's
    lower() is a Python function here (it must fold å, ä, ö), and calling it
    once per row and column makes a search over a large register slow. The
    built-in LIKE folds ASCII letters only, in C: every ASCII run of the
    needle must occur in a matching value, unless the value holds one of the
    two characters whose lower case is ASCII (and the needle that letter).
    """
    needle = text.lower()
    sqlite = isinstance(db.obj, SqliteDatabase)
    runs = _ASCII_RUN.findall(needle) if sqlite else []
    condition = None
    for column in SEARCHED:
        exact = _contains(column, needle, runs, sqlite)
        condition = exact if condition is None else condition | exact
    return condition | Agreement.id.in_(_documents_saying(needle, runs, sqlite))


def _contains(column, needle, runs, sqlite):
    """SQL: `column` contains the lower-case `needle`, folding case (see matching)."""
    exact = fn.LOWER(column).contains(needle)
    if not sqlite:
        # PostgreSQL: both sides are lower case already; ILIKE would fold them again, row by
        # row. (On SQLite peewee writes ILIKE as LIKE, and LIKE as GLOB: leave it.)
        exact.op = OP.LIKE
    if runs:
        cheap = column.contains(runs[0])
        for run in runs[1:]:
            cheap &= column.contains(run)
        for char, letter in _FOLDS_TO_ASCII:
            if any(letter in run for run in runs):
                cheap |= fn.INSTR(column, char) > 0
        exact = cheap & exact
    return exact


def _documents_saying(needle, runs, sqlite):
    """SQL: the ids of agreements with a stored document whose newest version's text contains `needle`.
    One pass over the newest versions' text (older versions are superseded and not searched)."""
    return (
        StoredDocument.select(StoredDocument.agreement)
        .join(DocumentVersion, on=DocumentVersion.document == StoredDocument.id)
        .where(DocumentVersion.superseded_at.is_null() & _contains(DocumentVersion.text, needle, runs, sqlite))
    )


def _conditions(query, today, window_days):
    """The WHERE conditions of a query's filters."""
    conditions = []
    if query.q:
        conditions.append(matching(query.q))
    if query.group:
        conditions.append(in_group(query.group, query.role))
    if query.party:
        conditions.append(with_party(query.party))
    if query.owner_id:
        conditions.append(owned_by(query.owner_id))
    elif query.owner:  # a bad owner matches nothing rather than everything
        conditions.append(Agreement.id.is_null())
    if query.kind:
        conditions.append(Agreement.kind == query.kind)
    if query.status:
        conditions.append(Agreement.status == query.status)
    if query.deadline == "attention":
        # derived.needs_attention with the status test taken out of its four branches: the
        # same rows, in a form one index (status, expires_on, next_review_on) answers.
        horizon = today + timedelta(days=window_days)
        conditions.append(Agreement.status.in_(ACTIVE_STATUSES) & derived.due_by(Agreement, horizon))
    elif query.deadline:
        conditions.append(derived.condition(Agreement, query.deadline, today, window_days))
    return conditions


def filtered(query, today, window_days):
    """The agreements matching a query's filters (unsorted, unpaginated)."""
    select = Agreement.select(Agreement, Group).join(Group, on=Agreement.responsible_group == Group.id)
    for condition in _conditions(query, today, window_days):
        select = select.where(condition)
    return select


# Sort columns that may be empty: empty dates go last in either direction.
NULLABLE_SORTS = {"expires_on", "next_review_on"}
# At most this many matches: fetch and sort them rather than walk an index for them (SQLite).
FEW = 500


def search(query, today, window_days, page_size):
    """One page of the agreement list.

    The total is counted without the join to the responsible group (every
    agreement has one), and the order is one an index can serve: a sort
    column with no empty values needs no NULLS LAST, and the id that breaks
    ties runs in the same direction as the sort.
    """
    conditions = _conditions(query, today, window_days)
    counted = Agreement.select(Agreement.id)
    for condition in conditions:
        counted = counted.where(condition)
    select = filtered(query, today, window_days)
    few = None
    if conditions and isinstance(db.obj, SqliteDatabase):
        # SQLite: when few rows match, it would walk the whole sort index looking for them;
        # finding them once and sorting those few is quicker, and counts them at the same time.
        few = [row_id for (row_id,) in counted.limit(FEW + 1).tuples()]
        if len(few) <= FEW:
            select = _with_group().where(Agreement.id.in_(few))
    total = len(few) if few is not None and len(few) <= FEW else counted.count()
    column = SORTS[query.sort]
    nulls = {"nulls": "LAST"} if query.sort in NULLABLE_SORTS else {}
    if query.desc:
        order = (column.desc(**nulls), Agreement.id.desc())
    else:
        order = (column.asc(**nulls), Agreement.id.asc())
    items = list(select.order_by(*order).paginate(query.page, page_size))
    return Page(items, total, query.page, page_size)


@dataclass(frozen=True)
class DueItem:
    """One deadline of one agreement, for the dashboard."""

    agreement: Agreement
    kind: str
    due_on: object
    days_left: int


def _with_group():
    return Agreement.select(Agreement, Group).join(Group, on=Agreement.responsible_group == Group.id)


def _dashboard_order(item):
    """Date, then title in Swedish order (as Swedish() sorts in SQL), then id."""
    return (item.due_on, sv_collation_key(item.agreement.title), item.agreement.id)


def _due_between(start, end, today, limit=None, scope=None):
    """DueItems of active agreements with a deadline from start to end, by date then title.

    With `limit`, only the first `limit` items, read as such from the
    database: per kind of deadline, the first `limit` rows in the same order
    (from the (status, date) indexes), merged; a large register costs a page
    of rows, not all of them.
    """
    items = []
    for kind, name in DEADLINE_COLUMNS.items():
        column = getattr(Agreement, name)
        condition = Agreement.deadline_between(kind, start, end)
        if scope is not None:
            condition &= scope
        if limit is not None:
            # The ids first, from the (status, date) index alone; a join here tempts the
            # planner into walking every agreement in the range.
            first = (
                Agreement.select(Agreement.id).where(condition).order_by(column, Swedish(Agreement.title), Agreement.id)
            )
            condition = Agreement.id.in_([row_id for (row_id,) in first.limit(limit).tuples()])
        for agreement in _with_group().where(condition):
            due_on = agreement.due_on(kind)
            items.append(DueItem(agreement, kind, due_on, (due_on - today).days))
    items.sort(key=_dashboard_order)
    return items if limit is None else items[:limit]


def upcoming(today, window_days, limit=None, scope=None):
    """Deadlines (expiries, reviews, new versions) from today to the end of the window, soonest
    first (the first `limit`; with `scope`, a condition, only those agreements)."""
    return _due_between(today, today + timedelta(days=window_days), today, limit, scope)


def overdue(today, limit=None, scope=None):
    """Deadlines that have passed (expired agreements still in force, reviews and new versions past
    their date), oldest first (the first `limit`)."""
    return _due_between(today.min, today - timedelta(days=1), today, limit, scope)


@dataclass
class Mine:
    """The owner's view: a person's agreements (owned, or of their groups) and their deadlines."""

    person: Person
    owned: int  # agreements the person is named owner of
    groups: list  # the person's groups, each with `count`: agreements it is responsible for or contributes to
    total: int  # agreements owned or of their groups
    overdue: list
    upcoming: list
    overdue_total: int
    upcoming_total: int


def mine(person, today, window_days, limit=None):
    """The owner's view of `person`, with at most `limit` overdue and `limit` coming deadlines."""
    group_ids = person_group_ids(person.id)
    scope = of_person(person.id, group_ids)
    groups = list(Group.select().where(Group.id.in_(group_ids or [0])).order_by(Swedish(Group.name)))
    for group in groups:
        group.count = Agreement.select().where(in_group(group.id)).count()

    def counted(*codes):
        return sum(
            Agreement.select().where(scope & derived.condition(Agreement, c, today, window_days)).count() for c in codes
        )

    return Mine(
        person=person,
        owned=Agreement.select().where(owned_by(person.id)).count(),
        groups=groups,
        total=Agreement.select().where(scope).count(),
        overdue=overdue(today, limit, scope),
        upcoming=upcoming(today, window_days, limit, scope),
        overdue_total=counted(*derived.LATE),
        upcoming_total=counted(*derived.SOON),
    )


@dataclass
class Overview:
    """The dashboard's figures: agreements per status and per responsible group, and how
    many deadlines are overdue or coming within the window."""

    by_status: dict
    by_group: list
    overdue: int
    upcoming: int


def overview(today, window_days):
    """Every dashboard figure: one grouped pass over an index of the agreement table (no
    join) for the counts per status and group, and one index range per kind of deadline.

    Groups come in Swedish order of their names, each with the counts of the agreements it is
    responsible for: `total`, `by_status` ({status: count}, as the status cards count) and
    `attention` (derived.needs_attention). Each count is what the agreement list shows with
    group=<id>&role=responsible and the matching status or deadline filter.
    """
    horizon = today + timedelta(days=window_days)
    rows = (
        Agreement.select(
            Agreement.responsible_group,
            Agreement.status,
            fn.COUNT(Agreement.id),
            fn.SUM(Case(None, ((derived.due_by(Agreement, horizon), 1),), 0)),  # counted for active statuses below
        )
        .group_by(Agreement.responsible_group, Agreement.status)
        .tuples()
    )
    by_status = dict.fromkeys(AGREEMENT_STATUSES, 0)
    per_group = {}
    for group_id, code, count, attention in rows:
        by_status[code] = by_status.get(code, 0) + count
        group = per_group.setdefault(group_id, {"total": 0, "by_status": {}, "attention": 0})
        group["total"] += count
        group["by_status"][code] = group["by_status"].get(code, 0) + count
        if code in ACTIVE_STATUSES:
            group["attention"] += attention or 0
    groups = list(Group.select().where(Group.id.in_(list(per_group) or [0])).order_by(Swedish(Group.name)))
    for group in groups:
        group.total = per_group[group.id]["total"]
        group.by_status = per_group[group.id]["by_status"]
        group.attention = per_group[group.id]["attention"]

    def counted(*codes):
        return sum(Agreement.select().where(derived.condition(Agreement, c, today, window_days)).count() for c in codes)

    overdue = counted(*derived.LATE)
    upcoming = counted(*derived.SOON)
    return Overview(by_status, groups, overdue, upcoming)
