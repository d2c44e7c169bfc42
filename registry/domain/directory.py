"""Writing groups, organisations and people, with their uniqueness rules."""

from flask_babel import gettext as _

from ..db import db
from ..models import Group, GroupMember, Organisation, Person
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
    if errors:
        raise ValidationError(errors)
    group.name = name
    group.short_name = (data.get("short_name") or "").strip()
    group.kind = data["kind"]
    group.parent = data.get("parent") or None
    group.chair = data.get("chair") or None
    group.mailbox = (data.get("mailbox") or "").strip()
    group.description = (data.get("description") or "").strip()
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
        person.save()
        GroupMember.delete().where(GroupMember.person == person).execute()
        for group_id in dict.fromkeys(data.get("groups") or ()):
            GroupMember.create(person=person, group=group_id)
    return person
