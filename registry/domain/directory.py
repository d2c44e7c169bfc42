"""Writing groups, organisations and people, with their uniqueness rules."""

from flask_babel import gettext as _

from scheduler import policy

from ..db import db
from ..models import Group, GroupMeeting, GroupMember, Organisation, Person
from .agreements import ValidationError


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
    group.name = name
    group.short_name = (data.get("short_name") or "").strip()
    group.kind = data["kind"]
    group.parent = data.get("parent") or None
    group.chair = data.get("chair") or None
    group.mailbox = (data.get("mailbox") or "").strip()
    group.description = (data.get("description") or "").strip()
    group.lead_time_days = 14 if lead_time is None else lead_time
    for name, value in reminder_policy.items():
        setattr(group, name, value)
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
    with db.atomic():
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


def add_meeting(group, meets_on, note=""):
    """Add a meeting date to a group; a date it already has is refused."""
    clash = GroupMeeting.select().where((GroupMeeting.group == group) & (GroupMeeting.meets_on == meets_on))
    if clash.exists():
        raise ValidationError({"meets_on": _("Gruppen har redan ett möte det datumet.")})
    return GroupMeeting.create(group=group, meets_on=meets_on, note=(note or "").strip())
