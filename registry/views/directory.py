"""Pages for groups, organisations and people: lists, detail pages and forms."""

from contextlib import nullcontext
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN, fn

from registry.rules import policy

from ..collation import sorted_organisations
from ..db import Swedish
from ..domain import agendas, audit, directory, meeting_plan, personal_data, queries, upward_report, wordfile
from ..domain.errors import ValidationError
from ..forms import (
    GroupForm,
    HandOverForm,
    MeetingForm,
    OrganisationForm,
    PersonForm,
    RemovePersonForm,
    prefilled,
)
from ..models import Agreement, AgreementOwner, Group, GroupMeeting, GroupMember, Organisation, Person
from ..permissions import may_see_personal_data
from .helpers import apply_errors, get_or_404, today, window_days

groups_bp = Blueprint("groups", __name__, url_prefix="/groups")
organisations_bp = Blueprint("organisations", __name__, url_prefix="/organisations")
people_bp = Blueprint("people", __name__, url_prefix="/people")


# What each kind of row is unique by: a second copy of a create form names the same value.
_UNIQUE_BY = {"groups": ("group", "name"), "organisations": ("organisation", "name"), "people": ("person", "email")}


def _form_page(bp_name, form, save, row, template, prepare=None):
    """Shared create/edit flow: validate, save through the domain, redirect or re-show."""
    if prepare:
        prepare(form)
    if form.validate_on_submit():
        entity, unique = _UNIQUE_BY[bp_name]
        once = audit.created_once(entity=entity, key={unique: form.data.get(unique)}) if row is None else nullcontext()
        try:
            with once:
                saved = save(form.data, row)
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        except audit.Repeated as repeated:  # the same form sent twice: the first one is the row
            flash(_("Uppgifterna var redan sparade; formuläret skickades två gånger."), "success")
            return redirect(url_for(f"{bp_name}.show", pk=repeated.entry.entity_id))
        else:
            flash(_("Uppgifterna har sparats."), "success")
            return redirect(url_for(f"{bp_name}.show", pk=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, row=row), status


def _agreements_of(condition):
    return list(
        Agreement.select(Agreement, Group)
        .join(Group, on=Agreement.responsible_group == Group.id)
        .where(condition)
        .order_by(Agreement.title)
    )


# --- groups ---------------------------------------------------------------


@groups_bp.get("", endpoint="index")
def group_index():
    """All groups, with how many agreements each is responsible for."""
    groups = (
        Group.select(Group, fn.COUNT(Agreement.id).alias("agreement_count"))
        .join(Agreement, on=(Agreement.responsible_group == Group.id), join_type=JOIN.LEFT_OUTER)
        .group_by(Group)
        .order_by(Swedish(Group.name))
    )
    return render_template("groups/index.html", groups=list(groups))


@groups_bp.get("/<int:pk>", endpoint="show")
def group_show(pk):
    """A group: its place in the structure, its meeting plan with the coming meetings and their agendas,
    members, and the agreements it owns or contributes to."""
    group = get_or_404(Group, pk)
    members = Person.select().join(GroupMember).where(GroupMember.group == group).order_by(Person.name)
    day = today()
    plan = meeting_plan.plan_of(group)
    singles = meeting_plan.single_meetings(group)
    return render_template(
        "groups/show.html",
        group=group,
        members=list(members),
        agreements=_agreements_of(queries.in_group(group.id)),
        plan=plan,
        rule_words=meeting_plan.describe(group),
        coming=agendas.agendas(group, day, day + timedelta(days=meeting_plan.AHEAD_DAYS), plan),
        single_ids={m.meets_on: m.id for m in singles},
        earlier=[m for m in singles if m.meets_on < day],
        cancelled=meeting_plan.cancellations(group),
        reporting=list(group.reported_to_by.order_by(Group.name)),
        meeting_form=MeetingForm(),
        policy=policy.resolve(None, group),
        window=window_days(),
        today=day,
    )


@groups_bp.get("/<int:pk>/report", endpoint="report")
def group_report(pk):
    """The group's yearly follow-up report to the body it reports to (?year=YYYY, default this year):
    its agreements and those of the groups reporting to it (registry/domain/upward_report.py)."""
    group = get_or_404(Group, pk)
    day = today()
    year, problem = upward_report.year_of(request.args.get("year"), day)
    return render_template(
        "groups/report.html",
        report=upward_report.report(group, year, day),
        problem=problem,
        years=range(day.year + 1, day.year - 6, -1),
        today=day,
    )


@groups_bp.get("/<int:pk>/report.docx", endpoint="report_docx")
def group_report_docx(pk):
    """The same report as a Word document."""
    group = get_or_404(Group, pk)
    day = today()
    year, _problem = upward_report.year_of(request.args.get("year"), day)
    found = upward_report.report(group, year, day)
    return wordfile.response(upward_report.document(found, current_user.email), upward_report.filename(found))


@groups_bp.post("/<int:pk>/meetings", endpoint="add_meeting")
def group_add_meeting(pk):
    """Add a meeting date to a group."""
    group = get_or_404(Group, pk)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            with audit.created_once(
                entity="meeting",
                key={"group": group.name, "meets_on": form.meets_on.data, "note": form.note.data or ""},
            ):
                directory.add_meeting(group, form.meets_on.data, form.note.data)
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(message, "error")
        except audit.Repeated:
            flash(_("Mötet var redan tillagt; formuläret skickades två gånger."), "success")
        else:
            flash(_("Mötet har lagts till."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("groups.show", pk=group.id) + "#meetings")


@groups_bp.post("/<int:pk>/meetings/cancel", endpoint="cancel_meeting")
def group_cancel_meeting(pk):
    """Cancel a day the group's meeting rule plans."""
    group = get_or_404(Group, pk)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            with audit.created_once(
                entity="meeting", key={"group": group.name, "meets_on": form.meets_on.data, "cancelled": True}
            ):
                directory.cancel_meeting(group, form.meets_on.data, form.note.data)
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(message, "error")
        except audit.Repeated:
            flash(_("Mötet var redan inställt; formuläret skickades två gånger."), "success")
        else:
            flash(_("Mötet %(day)s är inställt.", day=form.meets_on.data.isoformat()), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("groups.show", pk=group.id) + "#meetings")


@groups_bp.post("/<int:pk>/meetings/<int:meeting_id>/delete", endpoint="delete_meeting")
def group_delete_meeting(pk, meeting_id):
    """Remove a single meeting from a group, or undo a cancelled day (it is planned again)."""
    group = get_or_404(Group, pk)
    meeting = get_or_404(GroupMeeting, meeting_id)
    if meeting.group_id != group.id:
        abort(404)
    was_cancelled = meeting.cancelled
    directory.remove_meeting(meeting)
    if was_cancelled:
        flash(_("Mötet %(day)s är inte längre inställt.", day=meeting.meets_on.isoformat()), "success")
    else:
        flash(_("Mötet har tagits bort."), "success")
    return redirect(url_for("groups.show", pk=group.id) + "#meetings")


def _group_prepare(row):
    return lambda form: form.fill_choices(row.id if row else None)


@groups_bp.route("/new", methods=["GET", "POST"], endpoint="create")
def group_create():
    """Add a group."""
    return _form_page("groups", GroupForm(), directory.save_group, None, "groups/form.html", _group_prepare(None))


@groups_bp.route("/<int:pk>/edit", methods=["GET", "POST"], endpoint="edit")
def group_edit(pk):
    """Change a group."""
    group = get_or_404(Group, pk)
    if request.method == "GET":
        form = prefilled(GroupForm, group)
    else:
        form = GroupForm()
    return _form_page("groups", form, directory.save_group, group, "groups/form.html", _group_prepare(group))


# --- organisations ----------------------------------------------------------


@organisations_bp.get("", endpoint="index")
def organisation_index():
    """All parties."""
    return render_template("organisations/index.html", organisations=sorted_organisations(Organisation.select()))


@organisations_bp.get("/<int:pk>", endpoint="show")
def organisation_show(pk):
    """A party and the agreements it is party to."""
    organisation = get_or_404(Organisation, pk)
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        agreements=_agreements_of(queries.with_party(organisation.id)),
        today=today(),
        window=window_days(),
    )


def _organisation_prepare(form):
    form.fill_choices()


@organisations_bp.route("/new", methods=["GET", "POST"], endpoint="create")
def organisation_create():
    """Add a party."""
    return _form_page(
        "organisations",
        OrganisationForm(),
        directory.save_organisation,
        None,
        "organisations/form.html",
        _organisation_prepare,
    )


@organisations_bp.route("/<int:pk>/edit", methods=["GET", "POST"], endpoint="edit")
def organisation_edit(pk):
    """Change a party: its name, kind, and its contact for decisions on agreements."""
    organisation = get_or_404(Organisation, pk)
    form = prefilled(OrganisationForm, organisation) if request.method == "GET" else OrganisationForm()
    return _form_page(
        "organisations",
        form,
        directory.save_organisation,
        organisation,
        "organisations/form.html",
        _organisation_prepare,
    )


# --- people -----------------------------------------------------------------


@people_bp.get("", endpoint="index")
def person_index():
    """Everyone who owns agreements or sits in groups."""
    return render_template("people/index.html", people=list(Person.select().order_by(Swedish(Person.name), Person.id)))


@people_bp.get("/<int:pk>", endpoint="show")
def person_show(pk):
    """A person: groups and owned agreements; for admins, auditors and the person themself also all the
    register holds about them and where it is used (registry/domain/personal_data.py)."""
    person = get_or_404(Person, pk)
    held = personal_data.held(person) if may_see_personal_data(current_user, person) else None
    owned = Agreement.id.in_(AgreementOwner.select(AgreementOwner.agreement).where(AgreementOwner.person == person))
    groups = Group.select().join(GroupMember).where(GroupMember.person == person).order_by(Group.name)
    return render_template(
        "people/show.html",
        person=person,
        groups=list(groups),
        agreements=_agreements_of(owned),
        held=held,
        today=today(),
        window=window_days(),
    )


@people_bp.route("/<int:pk>/remove", methods=["GET", "POST"], endpoint="remove")
def person_remove(pk):
    """Remove a person who has left (admins): refused, with what stands in the way and a hand-over form,
    while they still answer for something; else confirmed, then removed and pseudonymised."""
    person = get_or_404(Person, pk)
    form = RemovePersonForm()
    status = 200
    if request.method == "POST":
        status = 422
        if person.id == current_user.person_id or person.email == current_user.email:
            flash(_("Du kan inte ta bort dig själv. Be en annan administratör."), "error")
        elif form.validate_on_submit():
            try:
                removal = personal_data.remove(person)
            except ValidationError as exc:
                for message in exc.errors.values():
                    flash(message, "error")
            else:
                name = removal.pseudonym
                flash(_("Personen har tagits bort. I ändringsloggen heter hen nu %(name)s.", name=name), "success")
                if removal.name_shared:
                    flash(
                        _(
                            "Någon annan i registret har samma namn. Där namnet står utan e-postadress har det "
                            "därför bara ersatts i posterna om den borttagna personen själv."
                        ),
                        "info",
                    )
                return redirect(url_for("people.index"))
    return _remove_page(person, form, HandOverForm(), status)


def _remove_page(person, form, hand_over_form, status):
    held = personal_data.held(person)
    hand_over_form.fill_choices(person.id)
    return render_template(
        "people/remove.html",
        person=person,
        held=held,
        refusal=personal_data.refusal(held),
        form=form,
        hand_over_form=hand_over_form,
    ), status


@people_bp.post("/<int:pk>/hand-over", endpoint="hand_over")
def person_hand_over(pk):
    """Hand what a person answers for (agreements, party contacts, chairs, open revisions) to another."""
    person = get_or_404(Person, pk)
    form = HandOverForm()
    form.fill_choices(person.id)
    if form.validate_on_submit():
        try:
            count = personal_data.hand_over(person, form.successor.data)
        except ValidationError as exc:
            for message in apply_errors(form, exc.errors):
                flash(message, "error")
        else:
            flash(_("%(count)s uppdrag har lämnats över.", count=count), "success")
            return redirect(url_for("people.remove", pk=person.id))
    return _remove_page(person, RemovePersonForm(), form, 422)


def _person_prepare(form):
    form.fill_choices()


@people_bp.route("/new", methods=["GET", "POST"], endpoint="create")
def person_create():
    """Add a person."""
    return _form_page("people", PersonForm(), directory.save_person, None, "people/form.html", _person_prepare)


@people_bp.route("/<int:pk>/edit", methods=["GET", "POST"], endpoint="edit")
def person_edit(pk):
    """Change a person."""
    person = get_or_404(Person, pk)
    if request.method == "GET":
        form = prefilled(PersonForm, person, groups=[m.group_id for m in person.memberships])
    else:
        form = PersonForm()
    return _form_page("people", form, directory.save_person, person, "people/form.html", _person_prepare)
