"""The audit trail for auditors: search by person, agreement and date range; export."""

import datetime

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..domain import audit as trail
from ..domain import exports, validation
from ..domain.reports import date_filter
from ..forms import filter_problems
from ..models import AuditEntry
from ..templating import HISTORY_LABELS, change_value
from ..vocab import AUDIT_ACTIONS, AUDIT_ENTITIES, label

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_ROWS = 200


def _filters():
    """The search from the address: unusable values are ignored, dates are kept within the register's range."""
    return {
        "actor": request.args.get("actor", "").strip()[: validation.LINE_MAX],
        "agreement": validation.valid_id(request.args.get("agreement", "")),
        "title": request.args.get("title", "").strip()[: validation.LINE_MAX],
        "from": date_filter(request.args, "from"),
        "to": date_filter(request.args, "to"),
    }


def _query(filters):
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    if filters["actor"]:
        query = query.where(AuditEntry.actor.contains(filters["actor"]))
    if filters["agreement"]:
        query = query.where(AuditEntry.agreement_id == filters["agreement"])
    if filters.get("title"):
        query = query.where(AuditEntry.agreement_id.in_(trail.agreements_titled(filters["title"])))
    if filters["from"]:
        query = query.where(AuditEntry.at >= datetime.datetime.combine(filters["from"], datetime.time()))
    if filters["to"]:
        end = datetime.datetime.combine(filters["to"] + datetime.timedelta(days=1), datetime.time())
        query = query.where(AuditEntry.at < end)
    return query


@bp.get("", endpoint="index")
def index():
    """Who changed what, newest first, with the chain's state."""
    filters = _filters()
    query = _query(filters)
    ok, count, message = trail.verify()
    problems = filter_problems(request.args)  # said on the page, not silently dropped
    if validation.valid_id(request.args.get("agreement", "")) is None and request.args.get("agreement", "").strip():
        problems.append(_("Avtalets nummer ska vara ett heltal, till exempel 12."))
    return render_template(
        "audit/index.html",
        entries=list(query.limit(PAGE_ROWS)),
        total=query.count(),
        filters=filters,
        problems=problems,
        chain_ok=ok,
        chain_message=message,
    )


# Audited fields the history labels do not name: a group's chair and parent (labelled there by their column,
# "chair_id"), a person's organisation, a feed's or API key's owner and what a feed shows. "id" repeats the
# object id and is left out.
_MORE_LABELS = {
    "chair": HISTORY_LABELS.get("chair_id"),
    "parent": HISTORY_LABELS.get("parent_id"),
    "organisation": _l("Organisation"),
    "user": _l("Konto"),
    "scope": _l("Visar"),
}
_LEFT_OUT = {"id"}


def change_lines(entry):
    """An entry's changes as a person reads them: one "Fält: före → efter" line per field, labelled."""
    try:
        changes = trail.changes_of(entry)
    except ValueError:
        return entry.changes  # not JSON (written by hand?): shown as stored
    if not isinstance(changes, dict):
        return entry.changes
    lines = []
    labels = {**HISTORY_LABELS, **_MORE_LABELS}
    for field, pair in sorted(changes.items(), key=lambda item: str(labels.get(item[0], item[0]))):
        if field in _LEFT_OUT:
            continue
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        name = labels.get(field, field)
        shown = [change_value(value, field, entry.entity) for value in (before, after)]
        lines.append(f"{name}: {shown[0]} → {shown[1]}")
    return "\n".join(lines)


@bp.get("/export.<fmt>", endpoint="export")
def export(fmt):
    """The filtered audit trail as CSV or XLSX, every code through its label, times in the register's zone."""
    filters = _filters()
    header = [
        _("Id"),
        _("Tid (%(zone)s)", zone=exports.zone_name()),
        _("Vem"),
        _("Åtgärd"),
        _("Objekt"),
        _("Objekt-id"),
        _("Avtals-id"),
        _("Beskrivning"),
        _("Ändringar"),
        _("Hash"),
    ]
    rows = (
        [
            e.id,
            e.at,
            e.actor,
            str(label(AUDIT_ACTIONS, e.action)),
            str(label(AUDIT_ENTITIES, e.entity)),
            e.entity_id,
            e.agreement_id,
            e.summary,
            change_lines(e),
            e.hash,
        ]
        for e in _query(filters).iterator()
    )
    response = exports.response(fmt, _("Ändringslogg"), header, rows, current_user.email, filters, "andringslogg")
    if response is None:
        abort(404)
    return response
