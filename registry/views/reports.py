"""Auditor's reports: pages with filters, printable, and CSV / XLSX downloads."""

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import exports, reports
from ..forms import filter_problems
from .helpers import today

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _report(key):
    report = reports.BY_KEY.get(key)
    if report is None:
        abort(404)
    return report


@bp.get("", endpoint="index")
def index():
    """The list of reports."""
    return render_template("reports/index.html", reports=reports.REPORTS)


@bp.get("/<key>", endpoint="show")
def show(key):
    """One report on a page."""
    report = _report(key)
    filters = reports.filters_for(key, request.args, today())
    header, rows = reports.run(key, filters, today())
    numbers = (("days", _("Inom antal dagar"), 90), ("months", _("Inom antal månader"), 6))
    problems = filter_problems(request.args, numbers=numbers)
    for problem in problems:  # said on the page, not silently replaced by the default
        flash(problem, "error")
    return render_template("reports/show.html", report=report, filters=filters, header=header, rows=rows)


@bp.get("/<key>/export.<fmt>", endpoint="export")
def export(key, fmt):
    """One report as CSV or XLSX, stating when, by whom and with which filter."""
    report = _report(key)
    filters = reports.filters_for(key, request.args, today())
    header, rows = reports.run(key, filters, today())
    response = exports.response(fmt, str(report.title), header, rows, current_user.email, filters, key)
    if response is None:
        abort(404)
    return response
