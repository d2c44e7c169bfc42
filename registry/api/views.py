"""The API's routes, registered from one table that also writes the OpenAPI document.

Each view is declared with `@operation(...)`: its path, method, query
parameters, request body and responses. The decorator registers the Flask
route and records the operation in OPERATIONS, from which
registry/api/openapi.py builds /api/v1/openapi.json; query parameters and
bodies are checked against the very schemas the document publishes. Who may
call what is decided by registry/permissions.py (the `api.*` rules) before the
view runs; views add the per-agreement rule (editors change only their
groups' agreements), exactly as the web forms do.
"""

import functools
import operator
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..collation import sorted_organisations, sv_key
from ..domain import adoptions, agendas, directory, meeting_plan, queries, revisions, schedule, stored_documents
from ..domain import fields as F
from ..domain.agreements import EMPTY_AGREEMENT, editable_values, record_review, save_agreement
from ..domain.errors import ValidationError
from ..domain.queries import SORTS
from ..domain.users import group_ids
from ..extensions import csrf
from ..models import Agreement, Group, Organisation, Person
from ..permissions import can_edit_agreement, may_make_responsible
from ..vocab import DEADLINE_KINDS, REVISION_DEADLINE_KINDS
from . import PREFIX, serialise
from .errors import ApiError, from_api_error
from .schemas import (
    AGREEMENT_FILTERS,
    COMPONENTS,
    DEADLINE_PARAMETERS,
    ID,
    MEETING_PARAMETERS,
    ref,
)
from .validation import check, parse_body, parse_query

bp = Blueprint("api", __name__, url_prefix=PREFIX)
# Only bearer tokens authenticate here, never the session cookie (registry/security.py), so a
# forged cross-site request carries no credentials and needs no CSRF token.
csrf.exempt(bp)
bp.register_error_handler(ApiError, from_api_error)


@dataclass
class Operation:
    """One route of the API, as registered and as documented."""

    rule: str  # Flask rule under PREFIX, e.g. "/agreements/<int:agreement_id>"
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    ok: tuple  # (status, description, component name)
    parameters: list = field(default_factory=list)
    body: str | None = None
    public: bool = False
    may_refuse: bool = False  # can answer 403 (writes)
    upload: str | None = None  # a multipart/form-data body (component name) instead of a JSON `body`
    also_ok: tuple = ()  # further success answers: ((status, description, component name), ...)

    @property
    def path(self):
        """The OpenAPI path: /api/v1/agreements/{agreement_id}."""
        return PREFIX + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_parameters(self):
        return re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", self.rule)


OPERATIONS = []


def operation(
    rule,
    method,
    *,
    summary,
    tag,
    ok,
    description="",
    query=(),
    body=None,
    public=False,
    may_refuse=False,
    upload=None,
    also_ok=(),
):
    """Register a view as an API operation; the view receives path values, `args` and `read_body`."""

    def decorator(func):
        op = Operation(
            rule=rule,
            method=method,
            endpoint=func.__name__,
            summary=summary,
            description=description or (func.__doc__ or "").strip(),
            tag=tag,
            ok=ok,
            parameters=list(query),
            body=body,
            public=public,
            may_refuse=may_refuse,
            upload=upload,
            also_ok=tuple(also_ok),
        )

        @functools.wraps(func)
        def view(**path_values):
            for value in path_values.values():
                if not ID["minimum"] <= value <= ID["maximum"]:
                    raise ApiError(404)
            kwargs = dict(path_values)
            if op.parameters:
                kwargs["args"] = parse_query(op.parameters, COMPONENTS)
            if op.body:
                kwargs["read_body"] = lambda: parse_body(ref(op.body), COMPONENTS)
            return func(**kwargs)

        bp.add_url_rule(rule, func.__name__, view, methods=[method])
        OPERATIONS.append(op)
        return view

    return decorator


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- helpers --------------------------------------------------------------------


def today():
    return clock.today()


def window_days():
    return current_app.config["DEADLINE_WINDOW_DAYS"]


def json(data, status=200, headers=None):
    response = current_app.json.response(data)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def agreement_or_404(agreement_id):
    agreement = Agreement.get_or_none(Agreement.id == agreement_id)
    if agreement is None:
        raise ApiError(404, _("Det finns inget avtal med det id:t."))
    return agreement


def editable_or_403(agreement):
    if not can_edit_agreement(current_user, agreement):
        raise ApiError(403, _("Du kan bara ändra avtal som dina grupper ansvarar för eller som du är ägare till."))
    return agreement


def page_numbers(args):
    return args.get("page", 1), args.get("per_page", current_app.config["PAGE_SIZE"])


def paged(items, total, page, per_page):
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": max(-(-total // per_page), 1)}


# API field -> the domain's name for it: the field table's API names, and the review's reviewer.
DOMAIN_NAMES = {f.api_name: f.name for f in F.FIELDS if f.api_name != f.name} | {"reviewer_id": "reviewer"}
API_NAMES = {domain: api for api, domain in DOMAIN_NAMES.items()}

# A new agreement from the API is in force unless the body says otherwise.
NEW_AGREEMENT = {**EMPTY_AGREEMENT, "kind": None, "status": "in_force"}


def to_domain(body, base):
    """Apply an API body (checked against its schema) to domain-shaped data."""
    data = dict(base)
    for name, value in body.items():
        field = F.BY_API_NAME[name]
        if field.kind == F.OFFSETS:
            value = ", ".join(str(v) for v in value or ())
        elif field.kind == F.CYCLE:
            value = value or ""
        elif field.kind == F.DOCUMENTS:
            value = [((doc.get("title") or "").strip(), doc["url"].strip()) for doc in value or ()]
        data[field.name] = value
    return data


def api_errors(errors):
    """The domain's {field: message} under the API's field names; a general error has no field."""
    fields = {API_NAMES.get(name, name): message for name, message in errors.items() if name != "__all__"}
    message = errors.get("__all__")
    return ApiError(422, message, fields)


def own_group_or_422(data, agreement=None):
    """Editors register agreements only for the groups they belong to (as in the web form); an
    owner outside the responsible group may keep that group."""
    if may_make_responsible(current_user, data.get("responsible_group"), agreement):
        return
    raise ApiError(422, fields={"responsible_group_id": _("Du kan bara registrera avtal för grupper du tillhör.")})


def _save(data, agreement=None):
    own_group_or_422(data, agreement)
    try:
        return save_agreement(data, agreement)
    except ValidationError as exc:
        raise api_errors(exc.errors) from None


def _location(agreement):
    return {"Location": url_for("api.get_agreement", agreement_id=agreement.id)}


# --- the document itself -----------------------------------------------------------


@operation(
    "/openapi.json",
    "GET",
    summary="This OpenAPI document",
    tag="meta",
    ok=(200, "The OpenAPI 3.0 document", None),
    public=True,
)
def openapi():
    """The API's OpenAPI 3.0 document; needs no token."""
    from .openapi import document

    return json(document())


@operation("/me", "GET", summary="The token's user", tag="meta", ok=(200, "The user", "Me"))
def me():
    """Who the token acts as: role and, for editors, the groups whose agreements they may change."""
    return json(
        {
            "id": current_user.id,
            "email": current_user.email,
            "name": current_user.name,
            "role": current_user.role,
            "group_ids": sorted(group_ids(current_user)),
        }
    )


# --- agreements -----------------------------------------------------------------


@operation(
    "/agreements",
    "GET",
    summary="List agreements",
    tag="agreements",
    ok=(200, "One page of agreements", "AgreementPage"),
    query=AGREEMENT_FILTERS,
)
def list_agreements(args):
    """The register, filtered as the web list is, one page at a time (sorted by title unless `sort` says)."""
    page, per_page = page_numbers(args)
    query = queries.AgreementQuery(
        q=args.get("q", "").strip(),
        group=args.get("group"),
        party=args.get("party"),
        kind=args.get("kind", ""),
        status=args.get("status", ""),
        deadline=args.get("deadline", ""),
    )
    if "owner" in args:  # as the web list's owner filter; a bad value is refused, never ignored
        query.owner = args["owner"].strip()
        query.owner_id, problem = queries.owner_filter(query.owner, current_user.person_id)
        if problem:
            raise ApiError(422, fields={"owner": problem})
    select = queries.filtered(query, today(), window_days())
    if "expires_before" in args:
        select = select.where(Agreement.expires_on <= args["expires_before"])
    if "expires_after" in args:
        select = select.where(Agreement.expires_on >= args["expires_after"])
    if "review_due_before" in args:
        select = select.where(Agreement.next_review_on <= args["review_due_before"])
    total = select.count()
    column = SORTS[args.get("sort", "title")]
    order = column.desc(nulls="LAST") if args.get("desc") else column.asc(nulls="LAST")
    rows = select.order_by(order, Agreement.id).paginate(page, per_page)
    items = [serialise.agreement_summary(a, today(), window_days()) for a in rows]
    return json(paged(items, total, page, per_page))


@operation(
    "/agreements",
    "POST",
    summary="Register an agreement",
    tag="agreements",
    ok=(201, "The new agreement", "Agreement"),
    body="NewAgreement",
    may_refuse=True,
)
def create_agreement(read_body):
    """Register an agreement (editors: for one of their groups). The answer has a Location header."""
    saved = _save(to_domain(read_body(), NEW_AGREEMENT))
    return json(serialise.agreement_detail(saved, today(), window_days()), 201, _location(saved))


@operation(
    "/agreements/<int:agreement_id>",
    "GET",
    summary="One agreement",
    tag="agreements",
    ok=(200, "The agreement", "Agreement"),
)
def get_agreement(agreement_id):
    """Every fact about one agreement, its parties, owners, reviews and open deadlines (soonest first)."""
    agreement = agreement_or_404(agreement_id)
    return json(serialise.agreement_detail(agreement, today(), window_days()))


@operation(
    "/agreements/<int:agreement_id>",
    "PATCH",
    summary="Change an agreement",
    tag="agreements",
    ok=(200, "The changed agreement", "Agreement"),
    body="AgreementChanges",
    may_refuse=True,
)
def update_agreement(agreement_id, read_body):
    """Change the fields given; the others keep their values (editors: their groups' agreements only)."""
    agreement = editable_or_403(agreement_or_404(agreement_id))
    saved = _save(to_domain(read_body(), editable_values(agreement)), agreement)
    return json(serialise.agreement_detail(saved, today(), window_days()))


@operation(
    "/agreements/<int:agreement_id>/reviews",
    "POST",
    summary="Record a review",
    tag="agreements",
    ok=(201, "The recorded review", "Review"),
    body="NewReview",
    may_refuse=True,
)
def create_review(agreement_id, read_body):
    """Record a review: its outcome sets the status (and the new end date when extended), and the next
    review date is recomputed. Name the reviewer by `reviewer_id` or `reviewer_name`. With the outcome
    to_be_revised, `revision_due_on` sets when the new version must be decided (default six months on).
    `indicator_values` records the values of the agreement's indicators ({indicator id: number}, see the
    agreement's `indicators`), `deviations` the deviations in the collaboration the review noted."""
    agreement = editable_or_403(agreement_or_404(agreement_id))
    body = read_body()
    data = {DOMAIN_NAMES.get(name, name): value for name, value in body.items()}
    if data.get("indicator_values"):  # null values: no value this time
        data["indicator_values"] = {k: v for k, v in data["indicator_values"].items() if v is not None}
    try:
        review = record_review(agreement, data, today())
    except ValidationError as exc:
        errors = {_indicator_key(name): message for name, message in exc.errors.items()}
        raise api_errors(errors) from None
    return json(serialise.review(review), 201, _location(agreement))


def _indicator_key(name):
    """The domain's key of an indicator's value ("indicator_12") as the API names it ("indicator_values.12")."""
    if name.startswith("indicator_") and name != "indicator_values":
        return f"indicator_values.{name.removeprefix('indicator_')}"
    return name


@operation(
    "/agreements/<int:agreement_id>/adoptions/<int:party_id>",
    "PUT",
    summary="Record one party's decision",
    tag="agreements",
    ok=(200, "The party's decision as recorded", "Adoption"),
    body="AdoptionRecord",
    may_refuse=True,
)
def put_adoption(agreement_id, party_id, read_body):
    """Record one party's decision on the agreement: the deciding body, `decided_on`, the minutes'
    paragraph (`decision_ref`), the party's own `case_number`, `signed_on` and a `document_url`. The body
    replaces what was recorded for that party; `decided_on: null` (and nothing else) removes it.
    `must_adopt` (left out: unchanged) says whether the party must adopt the agreement at all. A
    draft that every party that must adopt it has adopted enters into force (from its `valid_from`
    when that is still to come). `party_id` is the organisation's id; one that is not a party of
    the agreement is a 404."""
    agreement = editable_or_403(agreement_or_404(agreement_id))
    try:
        adoptions.party_of(agreement, party_id)
    except adoptions.NotAParty:
        raise ApiError(404, _("Organisationen är inte part i avtalet. Ange id:t för en av avtalets parter.")) from None
    body = read_body()
    try:
        decision = adoptions.record(agreement, party_id, body, today(), current_user)
    except ValidationError as exc:
        fields = {name: message for name, message in exc.errors.items() if name != "__all__"}
        raise ApiError(422, exc.errors.get("__all__"), fields) from None
    return json(serialise.adoption(decision))


@operation(
    "/agreements/<int:agreement_id>/documents",
    "POST",
    summary="Upload a stored document or its next version",
    tag="agreements",
    ok=(201, "The document with its versions; the upload made version `uploaded_version`", "StoredDocumentUpload"),
    also_ok=((200, "These very bytes are already the newest version: nothing was stored", "StoredDocumentUpload"),),
    upload="DocumentUpload",
    may_refuse=True,
)
def upload_document(agreement_id):
    """Upload a PDF, DOCX or ODT file (`file`, multipart/form-data; the type is read from the content) as
    a stored document of the agreement titled `title` (default: the file's name without its ending), or,
    when the agreement has a document with that title (case and spaces aside), as its next version. The
    same bytes as that document's newest version store nothing (200, `created: false`). The text of the
    file is read for the register's search (`text_status` says whether it could be). At most
    DOCUMENT_MAX_BYTES (20 MiB by default); a larger file is a 422, a larger request a 413."""
    agreement = editable_or_403(agreement_or_404(agreement_id))
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, _("Skicka filen som multipart/form-data, med filen i fältet file och titeln i title."))
    form = request.form
    schema = COMPONENTS["DocumentUpload"]["properties"]
    values, errors = {}, {}
    for name in ("title", "kind"):
        if name in form:
            values[name] = check(schema[name], form[name], COMPONENTS, name, errors)[0]
    if errors:
        raise ApiError(422, fields=errors)
    storage = request.files.get("file")
    content = storage.read(stored_documents.max_bytes() + 1) if storage is not None else None
    try:
        done = stored_documents.upload(
            agreement,
            content,
            storage.filename if storage is not None else "",
            values.get("title") or "",
            values.get("kind") or "",
            current_user,
        )
    except ValidationError as exc:
        raise ApiError(422, fields=exc.errors) from None
    found = stored_documents.document_of(done.document)
    answer = {**serialise.stored_document(found), "uploaded_version": done.version.number, "created": done.created}
    return json(answer, 201 if done.created else 200, _location(agreement))


# --- deadlines ------------------------------------------------------------------


def _window_end(start, days=None):
    try:
        return start + timedelta(days=window_days() if days is None else days)
    except OverflowError:
        return date.max


@operation(
    "/deadlines",
    "GET",
    summary="Deadlines in a date window",
    tag="deadlines",
    ok=(200, "One page of deadlines, soonest first", "DeadlinePage"),
    query=DEADLINE_PARAMETERS,
)
def list_deadlines(args):
    """Expiries, next reviews and new versions due (under revision) of agreements in force that
    fall in the window (both days included), soonest first, each with the deciding group's
    meeting before it. A window that ends before it starts is empty."""
    page, per_page = page_numbers(args)
    start = args.get("from", today())
    end = args.get("to") or _window_end(start)
    wanted = [args["kind"]] if "kind" in args else [*DEADLINE_KINDS, *REVISION_DEADLINE_KINDS]
    kinds = [kind for kind in wanted if kind in DEADLINE_KINDS]
    found = []
    if kinds:
        in_window = reduce(operator.or_, (Agreement.deadline_between(kind, start, end) for kind in kinds))
        select = (
            Agreement.select(Agreement, Group).join(Group, on=Agreement.responsible_group == Group.id).where(in_window)
        )
        if "group" in args:
            select = select.where(queries.in_group(args["group"]))
        agreements = list(select)
        meetings = schedule.Meetings(agreements)
        for agreement in agreements:
            for kind in kinds:
                due_on = agreement.due_on(kind)
                if due_on is not None and start <= due_on <= end:
                    found.append((due_on, sv_key(agreement.title), agreement.id, kind, agreement, None))
    else:
        meetings = schedule.Meetings([])
    # A revision's steps and remiss (registry/domain/revisions.py): no meeting decides them.
    work = [kind for kind in wanted if kind in REVISION_DEADLINE_KINDS]
    if work:
        opened = {
            pk: [d for d in items if d.kind in work and start <= d.due_on <= end]
            for pk, items in revisions.open_deadlines().items()
        }
        ids = [pk for pk, items in opened.items() if items]
        if ids:
            select = Agreement.select(Agreement, Group).join(Group, on=Agreement.responsible_group == Group.id)
            select = select.where(Agreement.id.in_(ids))
            if "group" in args:
                select = select.where(queries.in_group(args["group"]))
            for agreement in select:
                for d in opened[agreement.id]:
                    found.append((d.due_on, sv_key(agreement.title), agreement.id, d.kind, agreement, d))
    found.sort(key=lambda item: (*item[:4], item[5].item_id if item[5] else 0))
    chosen = found[(page - 1) * per_page : page * per_page]
    items = [
        {
            **(
                serialise.revision_deadline(work_item, today())
                if work_item is not None
                else serialise.deadline(kind, due_on, today(), meetings.safe_deciding_meeting(a, due_on))
            ),
            "agreement": serialise.agreement_ref(a),
        }
        for due_on, _key, _id, kind, a, work_item in chosen
    ]
    return json(paged(items, len(found), page, per_page))


# --- the collaboration structure -------------------------------------------------------


@operation("/groups", "GET", summary="List groups", tag="structure", ok=(200, "Every group", "GroupList"))
def list_groups():
    """The collaboration groups, with their chairs, meeting plans and the meetings of the next 365 days."""
    rows = sorted(Group.select(), key=lambda g: sv_key(g.name))
    people = {p.id: p for p in Person.select().where(Person.id.in_([g.chair_id for g in rows if g.chair_id]))}
    for row in rows:
        if row.chair_id:
            row.chair = people.get(row.chair_id)
    plans = meeting_plan.plans_for({g.id for g in rows}, {g.id: g for g in rows})
    items = [serialise.group(row, meeting_plan.coming(row, today(), plans[row.id])) for row in rows]
    return json({"items": items, "total": len(items)})


def group_or_404(group_id):
    group = Group.get_or_none(Group.id == group_id)
    if group is None:
        raise ApiError(404, _("Det finns ingen grupp med det id:t."))
    return group


@operation(
    "/groups/<int:group_id>",
    "PATCH",
    summary="Change a group's meeting plan",
    tag="structure",
    ok=(200, "The changed group", "Group"),
    body="GroupChanges",
    may_refuse=True,
)
def update_group(group_id, read_body):
    """Change a group's meeting plan (`meeting_rule`, `meeting_rule_start`, `lead_time_days`) or the group it
    reports to (`reports_to_id`); the fields left out keep their values (administrators)."""
    group = group_or_404(group_id)
    body = read_body()
    data = directory.group_values(group)
    for name, value in body.items():
        data[_GROUP_DOMAIN_NAMES.get(name, name)] = value
    if "meeting_rule" in body and body["meeting_rule"] is None:
        data["meeting_rule"] = ""
    try:
        saved = directory.save_group(data, group)
    except ValidationError as exc:
        raise ApiError(422, fields={_GROUP_API_NAMES.get(k, k): m for k, m in exc.errors.items()}) from None
    return json(serialise.group(saved, meeting_plan.coming(saved, today())))


_GROUP_API_NAMES = {"reports_to": "reports_to_id"}
_GROUP_DOMAIN_NAMES = {api: domain for domain, api in _GROUP_API_NAMES.items()}


@operation(
    "/meetings",
    "GET",
    summary="Meetings with their agendas",
    tag="structure",
    ok=(200, "One page of the meetings in the window, by date", "MeetingPage"),
    query=MEETING_PARAMETERS,
)
def list_meetings(args):
    """The groups' meetings between `from` and `to` (both included; default: today and the next 365 days), by
    date and group, one page at a time: those the meeting rule plans (cancelled days left out) and single
    ones, each with the day its material is due and its agenda: the open deadlines (expiry, follow-up, new
    version, a draft's adoption) whose decide-by meeting it is, a late one also on the next meeting, and
    what the secretary added, moved or decided there (registry/domain/agendas.py). A window that ends
    before it starts is empty."""
    page, per_page = page_numbers(args)
    start = args.get("from", today())
    end = args.get("to") or _window_end(start, meeting_plan.AHEAD_DAYS)
    query = Group.select()
    if "group" in args:
        query = query.where(Group.id == args["group"])
    groups = sorted(query, key=lambda g: sv_key(g.name))
    plans = meeting_plan.plans_for({g.id for g in groups}, {g.id: g for g in groups})
    found = []
    for group in groups:
        if plans[group.id].empty or end < start:
            continue
        for meeting, agenda in agendas.agendas(group, start, end, plans[group.id]):
            found.append((meeting.meets_on, sv_key(group.name), group, meeting, agenda))
    found.sort(key=lambda item: item[:2])
    chosen = found[(page - 1) * per_page : page * per_page]
    items = [serialise.meeting(group, meeting, agenda) for _day, _key, group, meeting, agenda in chosen]
    return json(paged(items, len(found), page, per_page))


@operation(
    "/organisations",
    "GET",
    summary="List organisations",
    tag="structure",
    ok=(200, "Every organisation (party)", "OrganisationList"),
)
def list_organisations():
    """The parties: regions first, then municipalities, then other bodies."""
    items = [serialise.organisation(o) for o in sorted_organisations(Organisation.select())]
    return json({"items": items, "total": len(items)})


@operation("/people", "GET", summary="List people", tag="structure", ok=(200, "Every person", "PersonList"))
def list_people():
    """The people who own agreements, chair groups or review (ids for `owner_ids` and `reviewer_id`)."""
    items = [serialise.person(p) for p in sorted(Person.select(), key=lambda p: sv_key(p.name))]
    return json({"items": items, "total": len(items)})


def route_methods():
    """{OpenAPI path: {methods}} of the registered operations."""
    found = {}
    for op in OPERATIONS:
        found.setdefault(op.path, set()).add(op.method)
    return found
