"""Writing groups, organisations and people, with their uniqueness rules.

Every value is checked here, whatever sent it (a form, the seed, a command):
names and other single-line text through validation.check_line (no line
breaks or control characters: a group's or person's name travels into e-mail
subjects), descriptions and notes through validation.check_text, and every
reference to another row must name one that exists (an id beyond 64 bits is
as unknown as a deleted one).
"""

from contextlib import contextmanager

from flask_babel import gettext as _

from ..db import db
from ..models import Group, GroupMeeting, GroupMember, Organisation, Person
from ..rules import meetings as meeting_rules
from ..vocab import GROUP_KINDS, ORGANISATION_KINDS
from . import audit, meeting_plan, validation
from .errors import ValidationError

SHORT_NAME_MAX = 100  # as the forms
RULE_MAX = 500  # a meeting rule's text


def check_values(data, rules, errors):
    """{field: clean value} of `data` by `rules` ({field: (check, max length, required)}); a
    message for each field that breaks its rule goes into `errors`."""
    clean = {}
    for name, (check, max_length, required) in rules.items():
        clean[name], problem = check(data.get(name), max_length, required)
        if problem:
            errors[name] = problem
    return clean


def reference(model, value, errors, name, message):
    """The id of an existing row of `model` named by `value` (None for none); else a message in errors."""
    if value in (None, ""):
        return None
    pk = validation.valid_id(value)
    if pk is None or not model.select().where(model.id == pk).exists():
        errors[name] = message
        return None
    return pk


def references(model, values, errors, name, message):
    """The ids of existing rows of `model` among `values` (unique, in order); else a message in errors."""
    ids = list(dict.fromkeys(validation.valid_id(value) for value in values or ()))
    if len(ids) > validation.MAX_LINKS:  # before the query: SQLite takes a limited number of variables
        errors[name] = _("Listan har för många värden. Den får ha högst %(n)s.", n=validation.MAX_LINKS)
        return []
    unknown = None in ids
    if not unknown and ids:
        found = {row.id for row in model.select(model.id).where(model.id.in_(ids))}
        unknown = not found >= set(ids)
    if unknown:
        errors[name] = message
        return []
    return ids


def _unique(model, field, value, row, message):
    clash = model.select().where(field == value)
    if row is not None and row.id is not None:
        clash = clash.where(model.id != row.id)
    return {field.name: message} if clash.exists() else {}


def _parent_loops(group, parent_id, link="parent"):
    """True if making parent_id the parent of group (or what it reports to, link="reports_to") would
    create a cycle."""
    seen = set()
    current = Group.get_or_none(Group.id == parent_id)
    while current is not None and current.id not in seen:
        if group.id is not None and current.id == group.id:
            return True
        seen.add(current.id)
        current = getattr(current, link)
    return False


def group_values(group):
    """A group's stored values in save_group's shape (foreign keys as ids), to change some of them."""
    return dict(group.__data__)


def _meeting_plan(data, group, errors):
    """(rule text, start) of the group's meeting plan from `data`; a value left out keeps the stored one."""
    start = group.meeting_rule_start
    if "meeting_rule_start" in data:
        start, problem = validation.check_date(data.get("meeting_rule_start"))
        if problem:
            errors["meeting_rule_start"] = problem
            return group.meeting_rule, group.meeting_rule_start
    text = data.get("meeting_rule", group.meeting_rule)
    rule, problem = validation.check_line(text, RULE_MAX)
    if problem:
        errors["meeting_rule"] = problem
        return group.meeting_rule, start
    try:
        rule = meeting_rules.normalise(rule, start)
    except meeting_rules.MeetingRuleError as exc:
        errors[exc.field] = str(exc)
    return rule, start


def _facts(row):
    """A row's stored column values (foreign keys as ids), or {} for a new row."""
    return {} if row is None or row.id is None else dict(row.__data__)


@contextmanager
def audited(entity, row, extra=lambda row: {}):
    """Record what the block changed in `row` (and `extra` facts) in the audit trail, atomically.

    Assign the new values inside the block: the "before" is taken on entering it.
    """
    before = {**_facts(row), **(extra(row) if row.id else {})}
    with db.atomic():
        yield
        after = {**_facts(row), **extra(row)}
        changes = audit.diff(before, after)
        if changes:
            audit.record("update" if before else "create", entity, row.id, changes, summary=str(row))


def save_group(data, group=None):
    """Create or change a group. Its meeting plan (`meeting_rule`, `meeting_rule_start`) and
    `reports_to` keep their stored values when `data` leaves them out."""
    group = group or Group()
    errors = {}
    text = check_values(
        data,
        {
            "name": (validation.check_line, validation.LINE_MAX, True),
            "short_name": (validation.check_line, SHORT_NAME_MAX, False),
            "mailbox": (validation.check_line, validation.LINE_MAX, False),
            "description": (validation.check_text, validation.TEXT_MAX, False),
        },
        errors,
    )
    name = text["name"]
    if "name" not in errors:
        errors.update(
            _unique(Group, Group.name, name, group, _("Det finns redan en grupp med det namnet. Välj ett annat namn."))
        )
    if data.get("kind") not in GROUP_KINDS:
        errors["kind"] = _("Värdet finns inte i listan. Välj ett av listans värden.")
    parent = reference(
        Group, data.get("parent"), errors, "parent", _("Gruppen finns inte i registret. Välj en grupp i listan.")
    )
    if parent and _parent_loops(group, parent):
        errors["parent"] = _("En grupp kan inte ligga under sig själv. Välj en annan överordnad grupp.")
    chair = reference(
        Person, data.get("chair"), errors, "chair", _("Personen finns inte i registret. Välj en person i listan.")
    )
    reports_to = group.reports_to_id
    if "reports_to" in data:
        reports_to = reference(
            Group,
            data.get("reports_to"),
            errors,
            "reports_to",
            _("Gruppen finns inte i registret. Välj en grupp i listan."),
        )
    if reports_to and (reports_to == group.id or _parent_loops(group, reports_to, "reports_to")):
        errors["reports_to"] = _(
            "En grupp kan inte rapportera till sig själv, inte heller via andra grupper. Välj en annan grupp."
        )
    rule, rule_start = _meeting_plan(data, group, errors)
    reminder_policy, policy_errors = validation.check_policy(data)
    errors.update(policy_errors)
    lead_time = data.get("lead_time_days")
    if lead_time is not None and (isinstance(lead_time, bool) or not isinstance(lead_time, int)):
        lead_time, problem = validation.check_int(lead_time, 0, 365)
        if problem:
            errors["lead_time_days"] = _("Ange antalet dagar som ett heltal mellan 0 och 365.")
    if lead_time is not None and not 0 <= lead_time <= 365:
        errors["lead_time_days"] = _("Ange antalet dagar som ett heltal mellan 0 och 365.")
    if errors:
        raise ValidationError(errors)
    with audited("group", group):
        group.name = name
        group.short_name = text["short_name"]
        group.kind = data["kind"]
        group.parent = parent
        group.chair = chair
        group.mailbox = text["mailbox"]
        group.description = text["description"]
        group.lead_time_days = 14 if lead_time is None else lead_time
        group.meeting_rule = rule
        group.meeting_rule_start = rule_start
        group.reports_to = reports_to
        for field, value in reminder_policy.items():
            setattr(group, field, value)
        group.save()
    return group


def save_organisation(data, organisation=None):
    organisation = organisation or Organisation()
    errors = {}
    text = check_values(
        data,
        {
            "name": (validation.check_line, validation.LINE_MAX, True),
            "short_name": (validation.check_line, SHORT_NAME_MAX, False),
            "notes": (validation.check_text, validation.TEXT_MAX, False),
        },
        errors,
    )
    name = text["name"]
    if "name" not in errors:
        errors.update(
            _unique(
                Organisation,
                Organisation.name,
                name,
                organisation,
                _("Det finns redan en part med det namnet. Välj ett annat namn."),
            )
        )
    if data.get("kind") not in ORGANISATION_KINDS:
        errors["kind"] = _("Värdet finns inte i listan. Välj ett av listans värden.")
    # Who hears that the party's decision on an agreement is missing: a person, a mailbox, or both.
    contact_person = reference(
        Person,
        data.get("contact_person"),
        errors,
        "contact_person",
        _("Personen finns inte i registret. Välj en person i listan."),
    )
    contact_email, problem = validation.check_email(data.get("contact_email"))
    if problem:
        errors["contact_email"] = problem
    if errors:
        raise ValidationError(errors)
    with audited("organisation", organisation):
        organisation.name = name
        organisation.short_name = text["short_name"]
        organisation.kind = data["kind"]
        organisation.notes = text["notes"]
        organisation.contact_person = contact_person
        organisation.contact_email = contact_email
        organisation.save()
    return organisation


def save_person(data, person=None):
    person = person or Person()
    errors = {}
    text = check_values(
        data,
        {
            "name": (validation.check_line, validation.LINE_MAX, True),
            "email": (validation.check_line, validation.LINE_MAX, True),
            "title": (validation.check_line, validation.LINE_MAX, False),
        },
        errors,
    )
    email = text["email"].lower()
    if "email" not in errors:
        errors.update(
            _unique(
                Person,
                Person.email,
                email,
                person,
                _("Det finns redan en person med den e-postadressen. Varje person ska ha en egen e-postadress."),
            )
        )
    organisation = reference(
        Organisation,
        data.get("organisation"),
        errors,
        "organisation",
        _("Värdet finns inte i listan. Välj ett av listans värden."),
    )
    group_ids = references(
        Group, data.get("groups"), errors, "groups", _("Gruppen finns inte i registret. Välj en grupp i listan.")
    )
    delivery = data.get("reminder_delivery") or person.reminder_delivery or "digest"
    if delivery not in ("digest", "each"):
        errors["reminder_delivery"] = _(
            "Välj ett samlat e-postmeddelande per utskick eller ett e-postmeddelande per avtal."
        )
    if errors:
        raise ValidationError(errors)
    with audited("person", person, extra=_person_groups):
        person.name = text["name"]
        person.email = email
        person.title = text["title"]
        person.organisation = organisation
        person.is_secretary = bool(data.get("is_secretary"))
        person.reminder_delivery = delivery
        person.save()
        GroupMember.delete().where(GroupMember.person == person).execute()
        for group_id in group_ids:
            GroupMember.create(person=person, group=group_id)
    return person


def _person_groups(person):
    names = Group.select(Group.name).join(GroupMember).where(GroupMember.person == person)
    return {"groups": sorted(g.name for g in names)}


def _meeting_facts(group, meets_on, note=""):
    """(day, note, {field: message}) of a meeting form's values."""
    errors = {}
    meets_on, problem = validation.check_date(meets_on, required=True)
    if problem:
        errors["meets_on"] = problem
    note, problem = validation.check_line(note)
    if problem:
        errors["note"] = problem
    return meets_on, note, errors


def _row_on(group, meets_on):
    return GroupMeeting.get_or_none((GroupMeeting.group == group) & (GroupMeeting.meets_on == meets_on))


def add_meeting(group, meets_on, note=""):
    """Add a single extra meeting to a group's plan; a day it already meets on is refused."""
    meets_on, note, errors = _meeting_facts(group, meets_on, note)
    if errors:
        raise ValidationError(errors)
    row = _row_on(group, meets_on)
    if row is not None and row.cancelled:
        raise ValidationError(
            {"meets_on": _("Mötet den dagen är inställt. Ångra inställningen i stället för att lägga till det igen.")}
        )
    if row is not None:
        raise ValidationError({"meets_on": _("Gruppen har redan ett möte den dagen. Välj ett annat datum.")})
    if meeting_plan.plan_of(group).planned(meets_on, meets_on):
        raise ValidationError({"meets_on": _("Gruppens mötesplan har redan ett möte den dagen. Välj ett annat datum.")})
    with db.atomic():
        meeting = GroupMeeting.create(group=group, meets_on=meets_on, note=note)
        audit.record(
            "create",
            "meeting",
            meeting.id,
            {"group": [None, group.name], "meets_on": [None, meets_on.isoformat()], "note": [None, meeting.note]},
            summary=group.name,
        )
    return meeting


def cancel_meeting(group, meets_on, note=""):
    """Cancel a day the group's meeting rule plans (the group does not meet then); undone by remove_meeting."""
    meets_on, note, errors = _meeting_facts(group, meets_on, note)
    if errors:
        raise ValidationError(errors)
    row = _row_on(group, meets_on)
    if row is not None and row.cancelled:
        raise ValidationError({"meets_on": _("Mötet den dagen är redan inställt.")})
    if row is not None or not meeting_plan.plan_of(group).planned(meets_on, meets_on):
        raise ValidationError(
            {
                "meets_on": _(
                    "Gruppens mötesregel har inget möte den dagen. Välj en dag som regeln ger; "
                    "ett enstaka möte tas bort i stället för att ställas in."
                )
            }
        )
    with db.atomic():
        meeting = GroupMeeting.create(group=group, meets_on=meets_on, note=note, cancelled=True)
        audit.record(
            "create",
            "meeting",
            meeting.id,
            {
                "group": [None, group.name],
                "meets_on": [None, meets_on.isoformat()],
                "cancelled": [None, True],
                "note": [None, meeting.note],
            },
            summary=group.name,
        )
    return meeting


def remove_meeting(meeting):
    """Remove a single meeting, or undo a cancellation (the rule's day is planned again)."""
    with db.atomic():
        changes = {"group": [meeting.group.name, None], "meets_on": [meeting.meets_on.isoformat(), None]}
        if meeting.cancelled:
            changes["cancelled"] = [True, None]
        audit.record("delete", "meeting", meeting.id, changes, summary=meeting.group.name)
        meeting.delete_instance()
