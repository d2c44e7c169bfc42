"""'Vi arbetar med det': the page an overdue notice's link leads to (confirm, then the escalation pauses).

GET only shows what will be recorded; the POST (with its CSRF token) records
it. The link's token is signed (registry/domain/acknowledgements.py), so it
can only name a deadline the register itself wrote into an email.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import acknowledgements
from .helpers import today

bp = Blueprint("acknowledge", __name__, url_prefix="/acknowledge")


def _deadline(token):
    try:
        return acknowledgements.read(token)
    except acknowledgements.BadLink:
        abort(404)


@bp.get("/<token>", endpoint="confirm")
def confirm(token):
    """What confirming records: who, which deadline, and until when the escalation pauses."""
    agreement, kind, deadline_on = _deadline(token)
    current = acknowledgements.is_current(agreement, kind, deadline_on)
    return render_template(
        "acknowledge/confirm.html",
        agreement=agreement,
        kind=kind,
        deadline_on=deadline_on,
        current=current,
        overdue=deadline_on < today(),
        days=acknowledgements.pause_days(),
        token=token,
    )


@bp.post("/<token>", endpoint="record")
def record(token):
    agreement, kind, deadline_on = _deadline(token)
    if not acknowledgements.is_current(agreement, kind, deadline_on):
        flash(_("Tidsfristen i länken gäller inte längre; inget har registrerats."), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement.id))
    ack = acknowledgements.acknowledge(current_user, agreement, kind, deadline_on, today())
    flash(
        _(
            "Registrerat: du arbetar med tidsfristen. "
            "Ordförande och sekreterare får inga påminnelser om den förrän %(date)s.",
            date=ack.paused_until.isoformat(),
        ),
        "success",
    )
    return redirect(url_for("agreements.show", agreement_id=agreement.id))
