"""The dashboard: what ReKo looks at first."""

from flask import Blueprint, render_template

from ..domain import queries
from .helpers import today, window_days

bp = Blueprint("main", __name__)


@bp.get("/")
def dashboard():
    """Counts by status and group, deadlines in the coming window, and what is overdue."""
    now, window = today(), window_days()
    return render_template(
        "main/dashboard.html",
        by_status=queries.counts_by_status(),
        by_group=queries.counts_by_group(now, window),
        upcoming=queries.upcoming(now, window),
        overdue=queries.overdue(now),
        window=window,
    )
