"""The public register (/public): what anyone may see of the published agreements, and nothing else.

An agreement is published when an editor has said so (`publication` "yes"), or, by the default rule
(`publication` "auto"), when it is in force (Gällande, or Under revidering: the version in force while its
successor is prepared) and of kind avtal or överenskommelse; "no" keeps it out whatever it is. Of a
published agreement, only the versions of its stored documents an editor has marked published are shown.

Every public page and export is built from the records of this module, which select the allowed columns
by name: title, short name, kind, status, case number, legal basis, description, target group, the
responsible, contributing and deciding groups' names, the parties' names, the decision and validity
dates, each party's decision (deciding body, date, §, the party's case number) and the published
versions (title, kind, number, file name, format, size, checksum, upload date). People (owners, chairs,
contacts, who recorded or uploaded anything), e-mail addresses, notes, reviews, reminders, revisions,
document links and the audit trail are never read here, so no template can show them by mistake.
"""

import datetime
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import JOIN, fn

from ..collation import organisation_key, sv_key
from ..db import db
from ..models import (
    Adoption,
    Agreement,
    AgreementGroup,
    AgreementParty,
    DocumentVersion,
    Group,
    Organisation,
    StoredDocument,
)
from ..vocab import ACTIVE_STATUSES, AGREEMENT_KINDS, AGREEMENT_STATUSES, DOCUMENT_KINDS
from . import audit, exports, validation

# The kinds the default rule publishes.
DEFAULT_KINDS = ("avtal", "overenskommelse")
MAX_QUERY = 200  # characters of a search


def published_condition():
    """SQL: the agreements the public register shows."""
    by_default = (
        (Agreement.publication == "auto") & Agreement.status.in_(ACTIVE_STATUSES) & Agreement.kind.in_(DEFAULT_KINDS)
    )
    return (Agreement.publication == "yes") | by_default


def is_published(agreement):
    """Does the public register show this agreement (as published_condition says)?"""
    if agreement.publication == "yes":
        return True
    return agreement.publication == "auto" and agreement.status in ACTIVE_STATUSES and agreement.kind in DEFAULT_KINDS


@dataclass(frozen=True)
class PublicAdoption:
    """One party's decision: the party, the body that decided, when, the paragraph and the party's case number."""

    party: str
    body: str
    decided_on: datetime.date
    decision_ref: str
    case_number: str


@dataclass(frozen=True)
class PublicVersion:
    """A published version of a stored document."""

    document_id: int
    title: str
    kind: str
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_on: datetime.date


@dataclass(frozen=True)
class PublicParty:
    name: str
    must_adopt: bool
    adoption: PublicAdoption | None


@dataclass(frozen=True)
class PublicAgreement:
    """A published agreement as the public sees it."""

    id: int
    title: str
    short_name: str
    kind: str
    status: str
    case_number: str
    legal_basis: str
    description: str
    target_group: str
    responsible_group: str
    responsible_group_id: int
    contributing_groups: tuple
    decision_body: str
    decision_date: datetime.date | None
    decision_ref: str
    valid_from: datetime.date | None
    expires_on: datetime.date | None
    parties: tuple = field(default=())  # PublicParty, regions first, then municipalities, then others
    documents: tuple = field(default=())  # PublicVersion, by document then newest first

    @property
    def adoptions(self):
        return tuple(p.adoption for p in self.parties if p.adoption is not None)

    @property
    def count_text(self):
        """ "Antagen av 11 av 14", as the agreement's own page says it (registry/domain/adoptions.py): for one
        registered in force without some of its parties' decisions, "Beslut registrerade för 3 av 14 parter".
        Empty when no party must adopt it."""
        must = [p for p in self.parties if p.must_adopt]
        if not must:
            return ""
        adopted = sum(1 for p in must if p.adoption is not None)
        if self.status == "draft" or adopted == len(must):
            return _("Antagen av %(adopted)s av %(total)s", adopted=adopted, total=len(must))
        return _("Beslut registrerade för %(adopted)s av %(total)s parter", adopted=adopted, total=len(must))


# The agreement's columns the public register reads: nothing else of the row is ever selected.
_COLUMNS = (
    Agreement.id,
    Agreement.title,
    Agreement.short_name,
    Agreement.kind,
    Agreement.status,
    Agreement.case_number,
    Agreement.legal_basis,
    Agreement.description,
    Agreement.target_group,
    Agreement.responsible_group,
    Agreement.decision_body,
    Agreement.decision_date,
    Agreement.decision_ref,
    Agreement.valid_from,
    Agreement.expires_on,
)


@dataclass
class Filters:
    """A search of the public register: text, kind, responsible group, party and status (all optional)."""

    q: str = ""
    kind: str = ""
    group: int | None = None
    party: int | None = None
    status: str = ""

    @classmethod
    def from_args(cls, args):
        """From query arguments; a value that cannot be one is left out."""
        q = validation.one_line(args.get("q", ""))[:MAX_QUERY]
        kind = args.get("kind", "")
        status = args.get("status", "")
        return cls(
            q=q,
            kind=kind if kind in AGREEMENT_KINDS else "",
            group=validation.valid_id(args.get("group", "")),
            party=validation.valid_id(args.get("party", "")),
            status=status if status in AGREEMENT_STATUSES else "",
        )

    def args(self):
        """The search as query arguments (empty ones left out)."""
        values = {"q": self.q, "kind": self.kind, "group": self.group, "party": self.party, "status": self.status}
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self):
        return bool(self.args())


def _where(filters):
    condition = published_condition()
    if filters.q:
        text = filters.q.lower()
        columns = (Agreement.title, Agreement.short_name, Agreement.case_number, Agreement.description)
        found = fn.lower(columns[0]).contains(text)
        for column in columns[1:]:
            found |= fn.lower(column).contains(text)
        condition &= found
    if filters.kind:
        condition &= Agreement.kind == filters.kind
    if filters.group:
        condition &= Agreement.responsible_group == filters.group
    if filters.party:
        condition &= Agreement.id.in_(
            AgreementParty.select(AgreementParty.agreement).where(AgreementParty.organisation == filters.party)
        )
    if filters.status:
        condition &= Agreement.status == filters.status
    return condition


def search(filters=None):
    """The published agreements that match, by title in Swedish order."""
    rows = list(Agreement.select(*_COLUMNS).where(_where(filters or Filters())))
    found = _records(rows)
    return sorted(found, key=lambda a: (sv_key(a.title), a.id))


def find(agreement_id):
    """One published agreement, or None (also for one that exists but is not published)."""
    pk = validation.valid_id(agreement_id)
    if pk is None:
        return None
    rows = list(Agreement.select(*_COLUMNS).where((Agreement.id == pk) & published_condition()))
    return _records(rows)[0] if rows else None


def published_version(agreement_id, document_id, number):
    """A published version of a published agreement's document, with its bytes; None otherwise."""
    if find(agreement_id) is None:
        return None
    if not all(0 < value <= validation.MAX_ID for value in (document_id, number)):
        return None
    return (
        DocumentVersion.select(
            DocumentVersion.filename, DocumentVersion.content_type, DocumentVersion.content, DocumentVersion.size
        )
        .join(StoredDocument)
        .where(
            (StoredDocument.id == document_id)
            & (StoredDocument.agreement == agreement_id)
            & (DocumentVersion.number == number)
            & (DocumentVersion.published == True)  # noqa: E712 (peewee SQL)
        )
        .first()
    )


def _names(model, ids):
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return dict(model.select(model.id, model.name).where(model.id.in_(ids)).tuples())


def _records(rows):
    """PublicAgreement records of these agreement rows, in a few queries."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    groups = _names(Group, [a.responsible_group_id for a in rows] + [a.decision_body_id for a in rows])
    contributing = {}
    for agreement_id, name in (
        AgreementGroup.select(AgreementGroup.agreement, Group.name).join(Group).where(AgreementGroup.agreement.in_(ids))
    ).tuples():
        contributing.setdefault(agreement_id, []).append(name)
    decisions = {}
    adoptions = Adoption.select(
        Adoption.agreement,
        Adoption.organisation,
        Adoption.body,
        Adoption.decided_on,
        Adoption.decision_ref,
        Adoption.case_number,
    ).where(Adoption.agreement.in_(ids))
    for row in adoptions:
        decisions[(row.agreement_id, row.organisation_id)] = row
    parties = {}
    links = (
        AgreementParty.select(
            AgreementParty.agreement, AgreementParty.must_adopt, Organisation.id, Organisation.name, Organisation.kind
        )
        .join(Organisation, JOIN.INNER)
        .where(AgreementParty.agreement.in_(ids))
    )
    for link in links:
        organisation = link.organisation
        row = decisions.get((link.agreement_id, organisation.id))
        adoption = None
        if row is not None:
            adoption = PublicAdoption(organisation.name, row.body, row.decided_on, row.decision_ref, row.case_number)
        parties.setdefault(link.agreement_id, []).append(
            (organisation_key(organisation), PublicParty(organisation.name, bool(link.must_adopt), adoption))
        )
    documents = {}
    versions = (
        DocumentVersion.select(
            DocumentVersion.number,
            DocumentVersion.filename,
            DocumentVersion.content_type,
            DocumentVersion.size,
            DocumentVersion.sha256,
            DocumentVersion.uploaded_at,
            StoredDocument.id,
            StoredDocument.agreement,
            StoredDocument.title,
            StoredDocument.kind,
        )
        .join(StoredDocument)
        .where(StoredDocument.agreement.in_(ids) & (DocumentVersion.published == True))  # noqa: E712
        .order_by(StoredDocument.id, DocumentVersion.number.desc())
    )
    for v in versions:
        d = v.document
        documents.setdefault(d.agreement_id, []).append(
            PublicVersion(d.id, d.title, d.kind, v.number, v.filename, v.content_type, v.size, v.sha256,
                          v.uploaded_at.date())
        )  # fmt: skip
    return [
        PublicAgreement(
            id=a.id,
            title=a.title,
            short_name=a.short_name or "",
            kind=a.kind,
            status=a.status,
            case_number=a.case_number or "",
            legal_basis=a.legal_basis or "",
            description=a.description or "",
            target_group=a.target_group or "",
            responsible_group=groups.get(a.responsible_group_id, ""),
            responsible_group_id=a.responsible_group_id,
            contributing_groups=tuple(sorted(contributing.get(a.id, ()), key=sv_key)),
            decision_body=groups.get(a.decision_body_id, "") if a.decision_body_id else "",
            decision_date=a.decision_date,
            decision_ref=a.decision_ref or "",
            valid_from=a.valid_from,
            expires_on=a.expires_on,
            parties=tuple(p for _key, p in sorted(parties.get(a.id, ()), key=lambda pair: pair[0])),
            documents=tuple(documents.get(a.id, ())),
        )
        for a in rows
    ]


def choices():
    """The kinds, responsible groups, parties and statuses the published agreements have, for the filters:
    {"kind": [(code, label)], "group": [(id, name)], "party": [(id, name)], "status": [(code, label)]}."""
    published = Agreement.select(Agreement.id).where(published_condition())
    kinds = {k for (k,) in Agreement.select(Agreement.kind).where(published_condition()).distinct().tuples()}
    statuses = {s for (s,) in Agreement.select(Agreement.status).where(published_condition()).distinct().tuples()}
    groups = (
        Group.select(Group.id, Group.name)
        .where(Group.id.in_(Agreement.select(Agreement.responsible_group).where(published_condition())))
        .tuples()
    )
    parties = list(
        Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(
            Organisation.id.in_(AgreementParty.select(AgreementParty.organisation).where(
                AgreementParty.agreement.in_(published)))
        )
    )  # fmt: skip
    return {
        "kind": [(code, label) for code, label in AGREEMENT_KINDS.items() if code in kinds],
        "group": sorted(groups, key=lambda pair: sv_key(pair[1])),
        "party": [(o.id, o.name) for o in sorted(parties, key=organisation_key)],
        "status": [(code, label) for code, label in AGREEMENT_STATUSES.items() if code in statuses],
    }


# --- open data ------------------------------------------------------------------------------------

# The open data's fields, in order (docs/public.md describes each): CSV columns and JSON keys alike.
OPEN_FIELDS = (
    "id",
    "url",
    "title",
    "short_name",
    "kind",
    "kind_label",
    "status",
    "status_label",
    "case_number",
    "legal_basis",
    "responsible_group",
    "contributing_groups",
    "parties",
    "decision_body",
    "decision_date",
    "decision_ref",
    "valid_from",
    "expires_on",
    "adoptions",
    "documents",
    "description",
    "target_group",
)


def _iso(value):
    return value.isoformat() if value else None


def open_record(agreement, page_url, document_url):
    """One agreement as the open data's JSON object; `page_url(id)` and `document_url(id, doc, n)` give addresses.
    Labels are Swedish whatever the page's language, as the register's files are."""
    with force_locale("sv"):
        kind_label, status_label = (
            str(AGREEMENT_KINDS.get(agreement.kind, agreement.kind)),
            str(AGREEMENT_STATUSES.get(agreement.status, agreement.status)),
        )
        kinds = {code: str(label) for code, label in DOCUMENT_KINDS.items()}
    return {
        "id": agreement.id,
        "url": page_url(agreement.id),
        "title": agreement.title,
        "short_name": agreement.short_name,
        "kind": agreement.kind,
        "kind_label": kind_label,
        "status": agreement.status,
        "status_label": status_label,
        "case_number": agreement.case_number,
        "legal_basis": agreement.legal_basis,
        "responsible_group": agreement.responsible_group,
        "contributing_groups": list(agreement.contributing_groups),
        "parties": [p.name for p in agreement.parties],
        "decision_body": agreement.decision_body,
        "decision_date": _iso(agreement.decision_date),
        "decision_ref": agreement.decision_ref,
        "valid_from": _iso(agreement.valid_from),
        "expires_on": _iso(agreement.expires_on),
        "adoptions": [
            {
                "party": a.party,
                "body": a.body,
                "decided_on": _iso(a.decided_on),
                "decision_ref": a.decision_ref,
                "case_number": a.case_number,
            }
            for a in agreement.adoptions
        ],
        "documents": [
            {
                "title": v.title,
                "kind": v.kind,
                "kind_label": kinds.get(v.kind, v.kind),
                "version": v.number,
                "filename": v.filename,
                "content_type": v.content_type,
                "size": v.size,
                "sha256": v.sha256,
                "uploaded_on": _iso(v.uploaded_on),
                "url": document_url(agreement.id, v.document_id, v.number),
            }
            for v in agreement.documents
        ],
        "description": agreement.description,
        "target_group": agreement.target_group,
    }


LIST_SEPARATOR = "; "


def _adoption_text(a):
    parts = [a["body"], a["decided_on"], a["decision_ref"], a["case_number"]]
    return f"{a['party']}: {', '.join(p for p in parts if p)}"


def csv_row(record):
    """An open-data record as CSV cells, in OPEN_FIELDS order: lists joined with "; ", a party's decision as
    "Party: body, date, §, case number", a document as its address. Text a spreadsheet would run as a formula
    (= + - @ first) is quoted with an apostrophe, as the register's own exports do (exports.quoted)."""
    cells = []
    for name in OPEN_FIELDS:
        value = record[name]
        if name == "adoptions":
            value = LIST_SEPARATOR.join(_adoption_text(a) for a in value)
        elif name == "documents":
            value = LIST_SEPARATOR.join(d["url"] for d in value)
        elif isinstance(value, list):
            value = LIST_SEPARATOR.join(value)
        cells.append("" if value is None else exports.quoted(value) if isinstance(value, str) else value)
    return cells


# --- publishing a stored version -----------------------------------------------------------------


def set_version_published(version, published):
    """Mark a stored version as published (shown in the public register when its agreement is) or not;
    audited. Returns True when it changed."""
    published = bool(published)
    if bool(version.published) == published:
        return False
    document = version.document
    with db.atomic():
        DocumentVersion.update(published=published).where(DocumentVersion.id == version.id).execute()
        audit.record(
            "update",
            "document",
            document.id,
            {"version": [version.number, version.number], "published": [not published, published]},
            agreement_id=document.agreement_id,
            summary=f"{document.title}, version {version.number}",
        )
    version.published = published
    return True
