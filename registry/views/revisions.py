"""An agreement's revision: the page and the forms that start, change and close it
(registry/domain/revisions.py holds every rule)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..collation import sv_collation_key
from ..domain import adoptions, revisions
from ..domain.errors import ValidationError
from ..models import Agreement, Person
from ..permissions import can_edit_agreement
from .helpers import get_or_404, today

bp = Blueprint("revisions", __name__, url_prefix="/agreements")
REVISION_FIELDS = ("mandate_by", "mandate_on", "mandate_ref", "lead", "due_on", "notes")
EXTRA_STEP_ROWS = 2


def _page(agreement):
    return url_for(".show", agreement_id=agreement.id)


def _editable(agreement_id):
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    return agreement


def _open_revision(agreement):
    """The agreement's open revision; without one, a message and None."""
    found = revisions.open_of(agreement)
    if found is None:
        flash(_("Avtalet har ingen pågående revidering."), "error")
    return found


def _people():
    return sorted(Person.select().where(Person.is_active), key=lambda p: sv_collation_key(p.name))


def _show(agreement, errors=None, values=None, status=200):
    revision = revisions.latest_of(agreement)
    consultation = revisions.consultation_of(revision) if revision else None
    answers = revisions.answers_of(revision, consultation) if revision else []
    successor = revision.successor if revision and revision.successor_id else None
    for message in (errors or {}).values():
        flash(message if isinstance(message, str) else " ".join(message.values()), "error")
    return render_template(
        "agreements/revision.html",
        agreement=agreement,
        revision=revision,
        steps=revisions.steps_of(revision) if revision else [],
        consultation=consultation,
        answers=answers,
        answered=sum(1 for a in answers if a.answer is not None),
        successor=successor,
        successor_standing=adoptions.standing(successor) if successor else None,
        producing=revisions.producing(agreement),
        may_edit=can_edit_agreement(current_user, agreement),
        errors=errors or {},
        values=values or {},
        positions=revisions.CONSULTATION_POSITIONS,
    ), status


@bp.get("/<int:agreement_id>/revision")
def show(agreement_id):
    """The agreement's revision: mandate, lead, steps, the remiss with each party's answer, the successor."""
    return _show(get_or_404(Agreement, agreement_id))


def _form(agreement, revision, data=None, errors=None, status=200):
    if data is None:
        if revision is not None:
            data = {name: getattr(revision, name) for name in REVISION_FIELDS if name != "lead"}
            data["lead"] = revision.lead_id
        else:
            data = {"due_on": agreement.revision_due_on if agreement.status == "under_revision" else None}
    return render_template(
        "agreements/revision_form.html",
        agreement=agreement,
        revision=revision,
        data=data,
        errors=errors or {},
        people=_people(),
        suggestions=revisions.suggested_steps() if revision is None else [],
        extra_rows=EXTRA_STEP_ROWS if revision is None else 0,
    ), status


def _form_data():
    data = {name: request.form.get(name, "") for name in REVISION_FIELDS}
    steps = []
    rows = len(revisions.suggested_steps()) + EXTRA_STEP_ROWS
    for index in range(rows):
        title = request.form.get(f"steps-{index}-title", "")
        due_on = request.form.get(f"steps-{index}-due_on", "")
        # A suggested step is taken when ticked or given a date; an own one when it has a title.
        chosen = request.form.get(f"steps-{index}-use") or due_on or index >= len(revisions.suggested_steps())
        if chosen and title.strip():
            steps.append({"title": title, "due_on": due_on})
        else:
            steps.append({})
    data["steps"] = steps
    return data


@bp.route("/<int:agreement_id>/revision/start", methods=["GET", "POST"])
def start(agreement_id):
    """Start a revision of the agreement: mandate, lead, the date the new version is due, first steps."""
    agreement = _editable(agreement_id)
    if request.method == "GET":
        if revisions.open_of(agreement) is not None:
            return redirect(_page(agreement))
        return _form(agreement, None)
    data = _form_data()
    try:
        revisions.start(agreement, data, today())
    except ValidationError as exc:
        if "__all__" in exc.errors and len(exc.errors) == 1:
            flash(exc.errors["__all__"], "error")
            return redirect(_page(agreement))
        return _form(agreement, None, data, exc.errors, 422)
    flash(_("Revideringen har startats."), "success")
    return redirect(_page(agreement))


@bp.route("/<int:agreement_id>/revision/edit", methods=["GET", "POST"])
def edit(agreement_id):
    """Change the revision's mandate, lead, due date and notes."""
    agreement = _editable(agreement_id)
    revision = _open_revision(agreement)
    if revision is None:
        return redirect(_page(agreement))
    if request.method == "GET":
        return _form(agreement, revision)
    data = {name: request.form.get(name, "") for name in REVISION_FIELDS}
    try:
        revisions.update(revision, data, today())
    except ValidationError as exc:
        return _form(agreement, revision, data, exc.errors, 422)
    flash(_("Ändringarna har sparats."), "success")
    return redirect(_page(agreement))


def _act(agreement_id, action, done_message, anchor=""):
    """Shared flow of the page's small forms: the open revision, the domain's action, a message."""
    agreement = _editable(agreement_id)
    revision = _open_revision(agreement)
    if revision is None:
        return redirect(_page(agreement))
    try:
        action(revision)
    except ValidationError as exc:
        return _show(agreement, exc.errors, request.form, 422)
    except LookupError:  # a step removed meanwhile, or none named
        flash(_("Steget finns inte längre. Ladda om sidan och försök igen."), "error")
        return redirect(_page(agreement))
    flash(done_message, "success")
    return redirect(_page(agreement) + anchor)


@bp.post("/<int:agreement_id>/revision/abandon")
def abandon(agreement_id):
    """Stop the revision: the agreement is in force again as it was."""
    return _act(
        agreement_id,
        lambda r: revisions.abandon(r, today(), request.form.get("notes", "")),
        _("Revideringen har avbrutits. Avtalet gäller som förut."),
    )


@bp.post("/<int:agreement_id>/revision/steps")
def add_step(agreement_id):
    """Add a step with its due date."""
    return _act(
        agreement_id,
        lambda r: revisions.add_step(r, {name: request.form.get(name, "") for name in ("title", "due_on", "note")}),
        _("Steget har lagts till."),
        "#steps-heading",
    )


@bp.post("/<int:agreement_id>/revision/steps/update")
def update_step(agreement_id):
    """Mark a step done (today, or the date given), not done, or remove it."""

    def change(revision):
        step = revisions.step_of(revision, request.form.get("step"))
        what = request.form.get("action")
        if what == "remove":
            data = {"remove": True}
        elif what == "undo":
            data = {"done": False}
        else:
            data = {"done": True, "done_on": request.form.get("done_on", "")}
        revisions.update_step(revision, step, data, today())

    return _act(agreement_id, change, _("Steget har ändrats."), "#steps-heading")


@bp.post("/<int:agreement_id>/revision/consultation")
def send_consultation(agreement_id):
    """Send the draft on remiss to the parties with a due date (or change the date of the one sent)."""
    return _act(
        agreement_id,
        lambda r: revisions.send_consultation(
            r, {name: request.form.get(name, "") for name in ("sent_on", "due_on", "note")}, today()
        ),
        _("Remissen är registrerad."),
        "#consultation-heading",
    )


@bp.post("/<int:agreement_id>/revision/answers")
def record_answers(agreement_id):
    """Record the parties' answers to the remiss, one row per party."""

    def record(revision):
        answers = {}
        for party in revisions.answers_of(revision):
            pk = party.organisation.id
            if f"{pk}-position" not in request.form:
                continue
            answers[pk] = {
                name: request.form.get(f"{pk}-{name}", "")
                for name in ("position", "answered_on", "comment", "document_url")
            }
        revisions.record_answers(revision, answers, today())

    return _act(agreement_id, record, _("Remissvaren har sparats."), "#consultation-heading")


@bp.post("/<int:agreement_id>/revision/successor")
def create_successor(agreement_id):
    """Create the draft successor from the version in force."""
    agreement = _editable(agreement_id)
    revision = _open_revision(agreement)
    if revision is None:
        return redirect(_page(agreement))
    data = {name: request.form.get(name, "") for name in ("title", "valid_from", "expires_on")}
    try:
        successor = revisions.create_successor(revision, data, today())
    except ValidationError as exc:
        return _show(agreement, exc.errors, request.form, 422)
    flash(
        _("Den nya versionen är registrerad som utkast. Den börjar gälla när alla parter har antagit den."),
        "success",
    )
    return redirect(url_for("agreements.show", agreement_id=successor.id))
