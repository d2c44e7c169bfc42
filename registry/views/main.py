"""The dashboard: what ReKo looks at first."""

from flask import Blueprint, render_template

from ..domain import queries
from .helpers import today, window_days

bp = Blueprint("main", __name__)

# The dashboard lists at most this many overdue and this many coming deadlines;
# its counts and links lead to the full lists.
DASHBOARD_ITEMS = 50


@bp.get("/")
def dashboard():
    """Counts by status and group, deadlines in the coming window, and what is overdue."""
    now, window = today(), window_days()
    return render_template(
        "main/dashboard.html",
        overview=queries.overview(now, window),
        upcoming=queries.upcoming(now, window, limit=DASHBOARD_ITEMS),
        overdue=queries.overdue(now, limit=DASHBOARD_ITEMS),
        window=window,
    )
