"""The dashboard: what ReKo looks at first, and first of all the logged-in person's own agreements."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..domain import agendas, queries
from ..models import Group, GroupMember
from .helpers import today, window_days

bp = Blueprint("main", __name__)

# The dashboard lists at most this many overdue and this many coming deadlines;
# its counts and links lead to the full lists.
DASHBOARD_ITEMS = 50


@bp.get("/")
def dashboard():
    """The owner's view (agreements the user's person owns or their groups have, with their
    deadlines, and the next meeting of each of their groups with its agenda) first; then counts by
    status and group, the coming window and what is overdue."""
    now, window = today(), window_days()
    person = current_user.person if current_user.person_id else None
    return render_template(
        "main/dashboard.html",
        mine=queries.mine(person, now, window, limit=DASHBOARD_ITEMS) if person else None,
        meetings=agendas.next_meetings(_groups_of(person), now) if person else [],
        overview=queries.overview(now, window),
        upcoming=queries.upcoming(now, window, limit=DASHBOARD_ITEMS),
        overdue=queries.overdue(now, limit=DASHBOARD_ITEMS),
        window=window,
    )


def _groups_of(person):
    return list(Group.select().join(GroupMember).where(GroupMember.person == person.id))


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page says: the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
