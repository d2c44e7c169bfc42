"""A meeting's page: its agenda, the secretary's edits, the decisions per item, and the agenda as Word."""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..collation import sv_key
from ..domain import agenda_edits, agenda_words, agendas, meeting_plan, schedule, wordfile
from ..domain.errors import ValidationError
from ..forms import AgendaForm
from ..models import Agreement, Group
from ..permissions import can_prepare_meeting
from ..vocab import AGENDA_KINDS
from .helpers import get_or_404, today

bp = Blueprint("meetings", __name__, url_prefix="/groups/<int:pk>/meetings/<day>")

# The meetings an item can be moved to: this far back and ahead of today.
MOVE_BACK_DAYS = 92
# Decision fields of one item in the decisions form, named "<field>-<item token>".
DECISION_FIELDS = ("outcome", "decision_ref", "new_expires_on", "notes")


def _meeting(pk, day):
    """(group, rules.Meeting) of the URL, or a 404 page when the group does not meet that day."""
    group = get_or_404(Group, pk)
    try:
        meets_on = date.fromisoformat(day)
    except ValueError:
        abort(404)
    found = meeting_plan.meetings(group, meets_on, meets_on)
    if not found:
        abort(404)
    return group, found[0]


def _here(group, meeting):
    return url_for("meetings.show", pk=group.id, day=meeting.meets_on.isoformat())


def _may_prepare(group):
    if not can_prepare_meeting(current_user, group):
        abort(403)


def _page(group, meeting, errors=None, values=None, status=200):
    day = today()
    plan = meeting_plan.plan_of(group)
    items = agendas.agenda(group, meeting.meets_on, today=day, removed=True)
    others = [
        m
        for m in plan.between(day - timedelta(days=MOVE_BACK_DAYS), day + timedelta(days=meeting_plan.AHEAD_DAYS))
        if m.meets_on != meeting.meets_on
    ]
    agreements = sorted(
        Agreement.select(Agreement.id, Agreement.title, Agreement.short_name, Agreement.status),
        key=lambda a: sv_key(a.title),
    )
    return render_template(
        "meetings/show.html",
        group=group,
        meeting=meeting,
        items=items,
        active=[i for i in items if not i.removed],
        material_due_on=schedule.material_due_on(group, meeting.meets_on),
        previous=plan.last_on_or_before(meeting.meets_on - timedelta(days=1)),
        following=plan.first_on_or_after(meeting.meets_on + timedelta(days=1)),
        others=others,
        agreements=agreements,
        kinds=AGENDA_KINDS,
        choices={item.token: agenda_edits.outcome_choices(item) for item in items},
        can_prepare=can_prepare_meeting(current_user, group),
        held=meeting.meets_on <= day,
        form=AgendaForm(),
        errors=errors or {},
        item_errors=[k for k in (errors or {}) if k != "__all__"],
        values=values or {},
    ), status


@bp.get("", endpoint="show")
def show(pk, day):
    group, meeting = _meeting(pk, day)
    return _page(group, meeting)


@bp.get("/agenda.docx", endpoint="agenda_docx")
def agenda_docx(pk, day):
    """The agenda as a Word document: "Ärendelista ReKo 2027-02-12"."""
    group, meeting = _meeting(pk, day)
    items = agendas.agenda(group, meeting.meets_on, today=today())
    body, title = agenda_words.document(group, meeting, items, current_user.name)
    return wordfile.response(body, title)


def _edit(pk, day, change, done):
    """Run one agenda edit from a posted form and go back to the meeting page."""
    group, meeting = _meeting(pk, day)
    _may_prepare(group)
    if not AgendaForm().validate_on_submit():
        flash(_("Formuläret hade gått ut. Försök igen."), "error")
    else:
        try:
            change(group, meeting.meets_on)
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(message, "error")
        else:
            flash(done, "success")
    return redirect(_here(group, meeting) + "#agenda")


@bp.post("/items", endpoint="add_item")
def add_item(pk, day):
    form = request.form
    return _edit(
        pk,
        day,
        lambda group, meets_on: agenda_edits.add_item(group, form.get("agreement"), form.get("kind"), meets_on),
        _("Ärendet finns på dagordningen."),
    )


def _item_edit(pk, day, change, done):
    """An edit of the posted item (its token in "item") on this meeting."""
    token = request.form.get("item")
    return _edit(pk, day, lambda group, meets_on: change(group, token, meets_on), done)


@bp.post("/items/remove", endpoint="remove_item")
def remove_item(pk, day):
    return _item_edit(pk, day, agenda_edits.remove_item, _("Ärendet är borttaget från dagordningen."))


@bp.post("/items/restore", endpoint="restore_item")
def restore_item(pk, day):
    return _item_edit(pk, day, agenda_edits.restore_item, _("Ärendet är tillbaka på dagordningen."))


@bp.post("/items/move", endpoint="move_item")
def move_item(pk, day):
    to_day = request.form.get("to")
    return _item_edit(
        pk,
        day,
        lambda group, token, meets_on: agenda_edits.move_item(group, token, meets_on, to_day),
        _("Ärendet är flyttat till mötet %(day)s.", day=to_day),
    )


@bp.post("/decisions", endpoint="decisions")
def decisions(pk, day):
    """Record the meeting's decisions on its items in one form."""
    group, meeting = _meeting(pk, day)
    _may_prepare(group)
    form = request.form
    values = {
        token: {name: (form.get(f"{name}-{token}") or "").strip() for name in DECISION_FIELDS}
        for token in form.getlist("item")
    }
    if not AgendaForm().validate_on_submit():
        return _page(group, meeting, {"__all__": _("Formuläret hade gått ut. Försök igen.")}, values, 400)
    try:
        saved = agenda_edits.record_decisions(group, meeting.meets_on, values, today())
    except ValidationError as exc:
        flash(_("Besluten är inte sparade. Rätta det som är markerat och spara igen."), "error")
        return _page(group, meeting, exc.errors, values, 422)
    if saved:
        flash(
            ngettext(
                "%(num)s beslut är registrerat och avtalet uppdaterat.",
                "%(num)s beslut är registrerade och avtalen uppdaterade.",
                len(saved),
            ),
            "success",
        )
    else:
        flash(_("Inga nya beslut att registrera."), "success")
    return redirect(_here(group, meeting) + "#decisions")
