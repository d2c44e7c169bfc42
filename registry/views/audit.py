"""The audit trail for auditors: search by person, agreement and date range; export."""

import datetime

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..domain import audit as trail
from ..domain import exports, validation
from ..domain.reports import date_filter
from ..models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_ROWS = 200


def _filters():
    """The search from the address: unusable values are ignored, dates are kept within the register's range."""
    return {
        "actor": request.args.get("actor", "").strip()[: validation.LINE_MAX],
        "agreement": validation.valid_id(request.args.get("agreement", "")),
        "from": date_filter(request.args, "from"),
        "to": date_filter(request.args, "to"),
    }


def _query(filters):
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    if filters["actor"]:
        query = query.where(AuditEntry.actor.contains(filters["actor"]))
    if filters["agreement"]:
        query = query.where(AuditEntry.agreement_id == filters["agreement"])
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
    return render_template(
        "audit/index.html",
        entries=list(query.limit(PAGE_ROWS)),
        total=query.count(),
        filters=filters,
        chain_ok=ok,
        chain_message=message,
    )


@bp.get("/export.<fmt>", endpoint="export")
def export(fmt):
    """The filtered audit trail as CSV or XLSX."""
    filters = _filters()
    header = ["Id", "Tid (UTC)", "Vem", "Åtgärd", "Objekt", "Objekt-id", "Avtal-id", "Beskrivning", "Ändringar", "Hash"]
    rows = (
        [e.id, e.at, e.actor, e.action, e.entity, e.entity_id, e.agreement_id, e.summary, e.changes, e.hash]
        for e in _query(filters).iterator()
    )
    response = exports.response(fmt, "Ändringslogg", header, rows, current_user.email, filters, "andringslogg")
    if response is None:
        abort(404)
    return response
