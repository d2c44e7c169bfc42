"""Writing groups, organisations and people, with their uniqueness rules."""

from contextlib import contextmanager

from flask_babel import gettext as _

from registry.rules import policy

from ..db import db
from ..models import Group, GroupMeeting, GroupMember, Organisation, Person
from . import audit
from .errors import ValidationError


def _unique(model, field, value, row, message):
    clash = model.select().where(field == value)
    if row is not None and row.id is not None:
        clash = clash.where(model.id != row.id)
    return {field.name: message} if clash.exists() else {}


def _parent_loops(group, parent_id):
    """True if making parent_id the parent of group would create a cycle."""
    seen = set()
    current = Group.get_or_none(Group.id == parent_id)
    while current is not None and current.id not in seen:
        if group.id is not None and current.id == group.id:
            return True
        seen.add(current.id)
        current = current.parent
    return False


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
    group = group or Group()
    name = data["name"].strip()
    errors = _unique(Group, Group.name, name, group, _("Det finns redan en grupp med det namnet."))
    if data.get("parent") and _parent_loops(group, data["parent"]):
        errors["parent"] = _("En grupp kan inte ligga under sig själv.")
    reminder_policy, policy_errors = policy.clean(data)
    errors.update(policy_errors)
    lead_time = data.get("lead_time_days")
    if lead_time is not None and not 0 <= lead_time <= 365:
        errors["lead_time_days"] = _("Ange ett antal dagar mellan 0 och 365.")
    if errors:
        raise ValidationError(errors)
    with audited("group", group):
        group.name = name
        group.short_name = (data.get("short_name") or "").strip()
        group.kind = data["kind"]
        group.parent = data.get("parent") or None
        group.chair = data.get("chair") or None
        group.mailbox = (data.get("mailbox") or "").strip()
        group.description = (data.get("description") or "").strip()
        group.lead_time_days = 14 if lead_time is None else lead_time
        for field, value in reminder_policy.items():
            setattr(group, field, value)
        group.save()
    return group


def save_organisation(data, organisation=None):
    organisation = organisation or Organisation()
    name = data["name"].strip()
    errors = _unique(
        Organisation, Organisation.name, name, organisation, _("Det finns redan en organisation med det namnet.")
    )
    if errors:
        raise ValidationError(errors)
    with audited("organisation", organisation):
        organisation.name = name
        organisation.short_name = (data.get("short_name") or "").strip()
        organisation.kind = data["kind"]
        organisation.notes = (data.get("notes") or "").strip()
        organisation.save()
    return organisation


def save_person(data, person=None):
    person = person or Person()
    email = data["email"].strip().lower()
    errors = _unique(Person, Person.email, email, person, _("Det finns redan en person med den e-postadressen."))
    if errors:
        raise ValidationError(errors)
    with audited("person", person, extra=_person_groups):
        person.name = data["name"].strip()
        person.email = email
        person.title = (data.get("title") or "").strip()
        person.organisation = data.get("organisation") or None
        person.is_secretary = bool(data.get("is_secretary"))
        person.save()
        GroupMember.delete().where(GroupMember.person == person).execute()
        for group_id in dict.fromkeys(data.get("groups") or ()):
            GroupMember.create(person=person, group=group_id)
    return person


def _person_groups(person):
    names = Group.select(Group.name).join(GroupMember).where(GroupMember.person == person)
    return {"groups": sorted(g.name for g in names)}


def add_meeting(group, meets_on, note=""):
    """Add a meeting date to a group; a date it already has is refused."""
    clash = GroupMeeting.select().where((GroupMeeting.group == group) & (GroupMeeting.meets_on == meets_on))
    if clash.exists():
        raise ValidationError({"meets_on": _("Gruppen har redan ett möte det datumet.")})
    with db.atomic():
        meeting = GroupMeeting.create(group=group, meets_on=meets_on, note=(note or "").strip())
        audit.record(
            "create",
            "meeting",
            meeting.id,
            {"group": [None, group.name], "meets_on": [None, meets_on.isoformat()], "note": [None, meeting.note]},
            summary=group.name,
        )
    return meeting


def remove_meeting(meeting):
    with db.atomic():
        audit.record(
            "delete",
            "meeting",
            meeting.id,
            {"group": [meeting.group.name, None], "meets_on": [meeting.meets_on.isoformat(), None]},
            summary=meeting.group.name,
        )
        meeting.delete_instance()
