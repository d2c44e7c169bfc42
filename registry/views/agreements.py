"""The agreement list, the agreement page, and the forms that change agreements."""

import io
from contextlib import nullcontext

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.rules import policy

from ..collation import organisation_key, sorted_organisations, sv_collation_key
from ..domain import (
    adoptions,
    audit,
    decisions,
    fields,
    indicators,
    public_register,
    queries,
    revisions,
    schedule,
    stored_documents,
)
from ..domain.agreements import editable_values, record_review, save_agreement, validate
from ..domain.errors import ValidationError
from ..domain.users import group_ids
from ..forms import AdoptionForm, AgreementForm, DocumentForm, IndicatorForm, ReviewForm, list_problems
from ..i18n import genitive
from ..models import (
    Adoption,
    Agreement,
    AgreementOwner,
    AuditEntry,
    Group,
    Indicator,
    Organisation,
    Person,
    Reminder,
    Review,
)
from ..permissions import can_edit_agreement, may_make_responsible
from . import charts
from .helpers import apply_errors, get_or_404, today, window_days

bp = Blueprint("agreements", __name__, url_prefix="/agreements")
REMINDER_HISTORY_ROWS = 100


@bp.get("")
def index():
    """Search, filter, sort and page through the register."""
    query = queries.AgreementQuery.from_args(request.args, me=current_user.person_id)
    for problem in list_problems(request.args):  # said, not silently dropped
        flash(problem, "error")
    page = queries.search(query, today(), window_days(), current_app.config["PAGE_SIZE"])
    owners = Person.select().where(Person.id.in_(AgreementOwner.select(AgreementOwner.person)))
    return render_template(
        "agreements/index.html",
        query=query,
        page=page,
        groups=Group.select().order_by(Group.name),
        organisations=sorted_organisations(Organisation.select()),
        owners=sorted(owners, key=lambda person: sv_collation_key(person.name)),
        owner=Person.get_by_id(query.owner_id) if query.owner_id else None,
        window=window_days(),
    ), (400 if query.owner_problem else 200)


@bp.get("/<int:agreement_id>")
def show(agreement_id):
    """Every fact about one agreement, its parties, reviews, stored documents and coming deadlines."""
    return _show_page(get_or_404(Agreement, agreement_id))


def _show_page(agreement, document_form=None, status=200):
    """The agreement page; `document_form` is the upload form as posted (with its errors)."""
    reviews = list(
        Review.select().where(Review.agreement == agreement).order_by(Review.reviewed_on.desc(), Review.id.desc())
    )
    reminders = (
        Reminder.select()
        .where(Reminder.agreement == agreement)
        .order_by(Reminder.send_on.desc(), Reminder.id.desc())
        .limit(REMINDER_HISTORY_ROWS)
    )
    indicator_series = indicators.of_agreement(agreement)
    may_edit = can_edit_agreement(current_user, agreement)
    if may_edit and document_form is None:
        document_form = DocumentForm(formdata=None)
    if document_form is not None:
        document_form.file.description = _(
            "PDF, DOCX (Word) eller ODT (OpenDocument-text), högst %(n)s MB.",
            n=stored_documents.megabytes(stored_documents.max_bytes()),
        )
    # The change history: downloads are in the audit trail (/audit) but change nothing.
    history = AuditEntry.select().where((AuditEntry.agreement_id == agreement.id) & (AuditEntry.action != "download"))
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        indicator_series=[
            (found, charts.chart(found, indicators.target_text(found.indicator))) for found in indicator_series
        ],
        has_deviations=any(r.deviations for r in reviews),
        reminders=list(reminders),
        may_edit=may_edit,
        history=list(history.order_by(AuditEntry.id.desc())),
        policy=policy.resolve(agreement, agreement.responsible_group),
        reviews=reviews,
        latest_decision=decisions.latest_decision(agreement, reviews),
        deadlines=_with_meetings(agreement),
        parties=sorted((link.organisation for link in agreement.party_links), key=organisation_key),
        adoption=adoptions.standing(agreement),
        revision=revisions.latest_of(agreement),
        producing=revisions.producing(agreement),
        versions=revisions.versions(agreement),
        facts=fields.facts(),
        agreement_links={
            "contributing_groups": [link.group for link in agreement.contributor_links],
            "owners": [link.person for link in agreement.owner_links],
        },
        stored=stored_documents.of_agreement(agreement),
        document_form=document_form,
        published=public_register.is_published(agreement),
        window=window_days(),
    ), status


@bp.post("/<int:agreement_id>/documents")
def upload_document(agreement_id):
    """Upload a file (PDF, DOCX, ODT) as a new stored document, or as the next version of the one with
    the same title; the same file sent again as the newest version stores nothing."""
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    form = DocumentForm()
    if form.validate_on_submit():
        storage = form.file.data
        content = storage.read(stored_documents.max_bytes() + 1) if storage else None
        try:
            done = stored_documents.upload(
                agreement,
                content,
                storage.filename if storage else "",
                form.title.data,
                form.kind.data,
                current_user,
            )
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        else:
            title, number = done.document.title, done.version.number
            if done.created:
                flash(_("%(title)s version %(n)s är sparad.", title=title, n=number), "success")
            else:
                flash(
                    _(
                        "Filen var redan sparad som den senaste versionen av %(title)s (version %(n)s); "
                        "ingen ny version har skapats.",
                        title=title,
                        n=number,
                    ),
                    "success",
                )
            anchor = f"document-{done.document.id}"
            return redirect(url_for(".show", agreement_id=agreement.id, _anchor=anchor))
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        flash(_("Formuläret hade gått ut. Skicka det igen."), "error")
    # Said at the top too: the form is far down the page.
    flash(_("Dokumentet har inte sparats. Se vad som är fel under ”Ladda upp ett dokument”."), "error")
    return _show_page(agreement, form, 422)


@bp.get("/<int:agreement_id>/documents/<int:document_id>/versions/<int:number>")
def download_document(agreement_id, document_id, number):
    """One version of a stored document, as the file that was uploaded; the download is audited."""
    version = stored_documents.find_version(agreement_id, document_id, number)
    if version is None:
        abort(404)
    stored_documents.record_download(version)
    return document_response(version)


@bp.post("/<int:agreement_id>/documents/<int:document_id>/versions/<int:number>/publication")
def publish_version(agreement_id, document_id, number):
    """Mark a stored version as published in the public register (/public), or take the mark off; audited."""
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    version = stored_documents.find_version(agreement_id, document_id, number)
    if version is None:
        abort(404)
    published = request.form.get("published") == "1"
    public_register.set_version_published(version, published)
    title = version.document.title
    if published:
        flash(_("%(title)s version %(n)s är publicerad.", title=title, n=number), "success")
    else:
        flash(_("%(title)s version %(n)s är inte längre publicerad.", title=title, n=number), "success")
    return redirect(url_for(".show", agreement_id=agreement.id, _anchor=f"document-{document_id}"))


def document_response(version):
    """The file of a stored version: its own content type, as an attachment with its file name (an ASCII
    fallback and filename*), never cached or sniffed by the browser."""
    response = send_file(
        io.BytesIO(stored_documents.content_bytes(version)),
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.filename,
        etag=False,
        conditional=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _with_meetings(agreement):
    """[(deadline, schedule.DecidingMeeting or None)] of the agreement's open deadlines."""
    meetings = schedule.Meetings([agreement])
    found = [(d, meetings.safe_deciding_meeting(agreement, d.due_on)) for d in schedule.deadlines_of(agreement)]
    # A revision's steps and remiss (registry/domain/revisions.py): no meeting decides them.
    found += [(d, None) for d in revisions.deadlines_of(agreement)]
    return sorted(found, key=lambda pair: pair[0].due_on)


def _agreement_form(agreement, done_message):
    """Shared create/edit flow: validate, save through the domain, redirect or re-show with errors.

    Editors may only edit agreements their groups are responsible for, and only
    make their own groups responsible.
    """
    if agreement is not None and not can_edit_agreement(current_user, agreement):
        abort(403)
    if request.method == "POST" or agreement is None:
        form = AgreementForm()
    else:
        form = AgreementForm.for_agreement(agreement)
    form.fill_choices(agreement.id if agreement else None)
    if current_user.role != "admin":  # editors choose among their own groups (owners: or keep the current one)
        keep = group_ids(current_user) | ({agreement.responsible_group_id} if agreement else set())
        form.responsible_group.choices = [c for c in form.responsible_group.choices if c.value in keep or c.value == ""]
    valid = form.validate_on_submit() and _own_group(form, agreement)
    removal = _unconfirmed_removal(form, agreement) if valid else None
    if removal:  # nothing stored: the page lists what would go and asks to confirm
        return render_template("agreements/form.html", form=form, agreement=agreement, removal=removal), 409
    if valid:
        try:
            with audit.created_once() if agreement is None else nullcontext():
                saved = save_agreement(form.to_data(), agreement)
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        except audit.Repeated as repeated:  # the same form sent twice: the first one is the agreement
            flash(_("Avtalet var redan registrerat; formuläret skickades två gånger."), "success")
            return redirect(url_for(".show", agreement_id=repeated.entry.entity_id))
        else:
            flash(done_message, "success")
            return redirect(url_for(".show", agreement_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("agreements/form.html", form=form, agreement=agreement), status


def _unconfirmed_removal(form, agreement):
    """Parties, owners or contributing groups this edit would remove, unless the post confirms exactly
    that removal: {"removed": [(label, [names])], "key": ...}; None when nothing goes or it is confirmed."""
    if agreement is None:
        return None
    removed, key = form.removed_links(editable_values(agreement))
    if not removed or request.form.get("confirm_removal") == key or validate(form.to_data(), agreement):
        # (a post the domain refuses shows its errors first)
        return None
    return {"removed": removed, "key": key}


def _own_group(form, agreement=None):
    if may_make_responsible(current_user, form.responsible_group.data, agreement):
        return True
    form.responsible_group.errors.append(_("Du kan bara registrera avtal för grupper du tillhör."))
    return False


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Register a new agreement."""
    return _agreement_form(None, _("Avtalet har registrerats."))


@bp.route("/<int:agreement_id>/edit", methods=["GET", "POST"])
def edit(agreement_id):
    """Change an agreement's facts."""
    return _agreement_form(get_or_404(Agreement, agreement_id), _("Ändringarna har sparats."))


# What a review's audit entry records of the form: the same values sent again are the same review.
REVIEW_FACTS = ("reviewed_on", "outcome", "decision_ref", "new_expires_on", "notes", "deviations")


@bp.route("/<int:agreement_id>/reviews/new", methods=["GET", "POST"])
def new_review(agreement_id):
    """Record a review; the next review date is recomputed from it."""
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    active = indicators.of(agreement, active_only=True)
    latest = {pk: found.points[-1] for pk, found in indicators.series(active).items() if found.points}
    form = ReviewForm.for_indicators(active, latest)
    form.fill_choices()
    if request.method == "GET":
        form.reviewed_on.data = today()
    if form.validate_on_submit():
        data = form.to_data()
        twin = {name: data.get(name) for name in REVIEW_FACTS}
        try:
            with audit.created_once(entity="review", key=twin, agreement_id=agreement.id):
                record_review(agreement, data, today())
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        except audit.Repeated:  # the same review sent twice (a double click): stored once
            flash(_("Uppföljningen var redan registrerad; formuläret skickades två gånger."), "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
        else:
            flash(_("Uppföljningen har registrerats."), "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    status = 422 if request.method == "POST" else 200
    return render_template("agreements/review_form.html", form=form, agreement=agreement), status


@bp.route("/<int:agreement_id>/adoptions/<int:party_id>", methods=["GET", "POST"])
def record_adoption(agreement_id, party_id):
    """Record one party's decision on the agreement (body, date, paragraph, its case number, signed
    date, link), change it, or remove it; and whether the party must adopt the agreement at all."""
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    try:
        link, organisation = adoptions.party_of(agreement, party_id)
    except adoptions.NotAParty:
        abort(404)
    if request.method == "POST":
        form = AdoptionForm()
    else:
        recorded = Adoption.get_or_none((Adoption.agreement == agreement.id) & (Adoption.organisation == party_id))
        facts = {name: getattr(recorded, name) for name in adoptions.DECISION_FIELDS} if recorded else {}
        form = AdoptionForm(data={**facts, "must_adopt": link.must_adopt})
    form.for_party(organisation)
    if form.validate_on_submit():
        status = agreement.status
        try:
            decision = adoptions.record(agreement, organisation.id, form.to_data(), today(), current_user)
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        else:
            if decision.adoption is not None:
                flash(_("%(party)s beslut är registrerat.", party=genitive(organisation.name)), "success")
            else:
                flash(_("Inget beslut är registrerat för %(party)s.", party=organisation.name), "success")
            page = url_for(".show", agreement_id=agreement.id)
            if status == "draft" and agreement.status == "in_force":  # the page's top says it: status and message
                flash(_("Alla parter som ska anta avtalet har gjort det: avtalet gäller nu."), "success")
                return redirect(page)
            return redirect(f"{page}#party-{organisation.id}")  # the party's row, for the next one
    status_code = 422 if request.method == "POST" else 200
    return render_template(
        "agreements/adoption_form.html",
        form=form,
        agreement=agreement,
        organisation=organisation,
        adoption=adoptions.standing(agreement),
    ), status_code


# --- indicators -------------------------------------------------------------------------------


def _editable(agreement_id):
    agreement = get_or_404(Agreement, agreement_id)
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    return agreement


def _indicator_of(agreement, indicator_id):
    indicator = get_or_404(Indicator, indicator_id)
    if indicator.agreement_id != agreement.id:
        abort(404)
    return indicator


def _indicator_form(agreement, indicator, done_message):
    """Shared add/change flow of an indicator: the domain checks, the page shows each message by its field."""
    if request.method == "POST":
        form = IndicatorForm()
    elif indicator is not None:
        facts = {name: getattr(indicator, name) for name in ("name", "unit", "direction", "description", "active")}
        target = indicators.number_text(indicator.target) if indicator.target is not None else ""
        form = IndicatorForm(data={**facts, "target": target})
    else:
        form = IndicatorForm()
    if form.validate_on_submit():
        data = form.to_data()
        if indicator is None:
            data["active"] = True  # a new indicator is followed up; the box is on the change form only
        try:
            saved = indicators.save(agreement, data, indicator)
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        else:
            flash(done_message, "success")
            return redirect(url_for(".show", agreement_id=agreement.id) + f"#indicator-{saved.id}")
    status = 422 if request.method == "POST" else 200
    return render_template(
        "agreements/indicator_form.html",
        form=form,
        agreement=agreement,
        indicator=indicator,
        has_values=indicator is not None and indicators.has_values(indicator),
    ), status


@bp.route("/<int:agreement_id>/indicators/new", methods=["GET", "POST"])
def new_indicator(agreement_id):
    """Add an indicator the agreement's follow-ups record a value of."""
    return _indicator_form(_editable(agreement_id), None, _("Indikatorn har lagts till."))


@bp.route("/<int:agreement_id>/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
def edit_indicator(agreement_id, indicator_id):
    """Change an indicator: name, unit, target, direction, description, whether it is followed up."""
    agreement = _editable(agreement_id)
    return _indicator_form(agreement, _indicator_of(agreement, indicator_id), _("Indikatorn har ändrats."))


@bp.post("/<int:agreement_id>/indicators/<int:indicator_id>/remove")
def remove_indicator(agreement_id, indicator_id):
    """Delete an indicator without values; retire one with values (its series stays on the page)."""
    agreement = _editable(agreement_id)
    indicator = _indicator_of(agreement, indicator_id)
    if indicators.remove(agreement, indicator) == "deleted":
        flash(_("Indikatorn %(name)s har tagits bort.", name=indicator.name), "success")
        return redirect(url_for(".show", agreement_id=agreement.id) + "#indicators-heading")
    flash(
        _("Indikatorn %(name)s följs inte längre upp. Dess värden finns kvar.", name=indicator.name),
        "success",
    )
    return redirect(url_for(".show", agreement_id=agreement.id) + f"#indicator-{indicator.id}")
