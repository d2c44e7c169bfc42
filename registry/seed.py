"""Loading a region's register from a TOML file (the demo data, or another region's).

Loading is idempotent: rows are matched on natural keys (organisation and group
name, person email, agreement title and responsible group) and only what is
missing is created, so running it twice changes nothing and never overwrites
what users have edited since.
"""

import tomllib
from pathlib import Path

from . import clock
from .db import db
from .domain import adoptions, validation
from .domain import fields as F
from .domain.agreements import save_agreement
from .domain.errors import ValidationError
from .models import Agreement, Group, GroupMeeting, GroupMember, Organisation, Person
from .rules import meetings as meeting_rules

DEMO_FILE = Path(__file__).resolve().parent / "seed_data" / "jonkoping.toml"


class SeedError(ValueError):
    """The seed file refers to something it does not define."""


def _lookup(model, field, value, what):
    row = model.get_or_none(field == value)
    if row is None:
        raise SeedError(f"{what} {value!r} is not defined in the seed file or the database")
    return row


class _Ids:
    """Name -> id maps for one load, so each agreement costs no look-up queries."""

    def __init__(self):
        self.groups = dict(Group.select(Group.name, Group.id).tuples())
        self.people = dict(Person.select(Person.email, Person.id).tuples())
        self.organisations = dict(Organisation.select(Organisation.name, Organisation.id).tuples())

    @staticmethod
    def _get(mapping, key, what):
        if key not in mapping:
            raise SeedError(f"{what} {key!r} is not defined in the seed file or the database")
        return mapping[key]

    def group(self, name):
        return self._get(self.groups, name, "Group")

    def person(self, email):
        return self._get(self.people, email, "Person")

    def organisation(self, name):
        return self._get(self.organisations, name, "Organisation")


def _load_organisations(data, created):
    for item in data.get("organisations", []):
        if Organisation.get_or_none(Organisation.name == item["name"]) is None:
            Organisation.create(
                name=item["name"],
                short_name=item.get("short_name", ""),
                kind=item.get("kind", "other"),
                notes=item.get("notes", ""),
            )
            created["organisations"] += 1


def _load_people(data, created):
    for item in data.get("people", []):
        if Person.get_or_none(Person.email == item["email"]) is None:
            Person.create(
                name=item["name"],
                email=item["email"],
                title=item.get("title", ""),
                is_secretary=item.get("is_secretary", False),
            )
            created["people"] += 1


def _meeting_rule(item):
    """A group's meeting rule from the seed file, in its canonical form ("" for none)."""
    start = item.get("meeting_rule_start")
    try:
        return meeting_rules.normalise(item.get("meeting_rule", ""), start), start
    except meeting_rules.MeetingRuleError as exc:
        raise SeedError(f"Group {item['name']!r}: meeting_rule: {exc}") from None


def _meeting(group_name, entry):
    """(day, note) of one entry of a group's `meetings`: a date, or a table with `day` and an optional
    one-line `note` (what the minutes record of that meeting, say)."""
    if isinstance(entry, dict):
        day, note = entry.get("day"), entry.get("note", "")
    else:
        day, note = entry, ""
    day, problem = validation.check_date(day, required=True)
    if problem:
        raise SeedError(f"Group {group_name!r}: meetings: {entry!r}: {problem}")
    note, problem = validation.check_line(note)
    if problem:
        raise SeedError(f"Group {group_name!r}: meeting {day.isoformat()}: note: {problem}")
    return day, note


def _load_groups(data, created):
    new_groups = set()
    for item in data.get("groups", []):
        group = Group.get_or_none(Group.name == item["name"])
        if group is not None:
            continue
        parent = _lookup(Group, Group.name, item["parent"], "Group") if item.get("parent") else None
        chair = _lookup(Person, Person.email, item["chair"], "Person") if item.get("chair") else None
        rule, start = _meeting_rule(item)
        Group.create(
            name=item["name"],
            short_name=item.get("short_name", ""),
            kind=item.get("kind", "other"),
            description=item.get("description", ""),
            parent=parent,
            chair=chair,
            mailbox=item.get("mailbox", ""),
            lead_time_days=item.get("lead_time_days", 14),
            meeting_rule=rule,
            meeting_rule_start=start,
        )
        new_groups.add(item["name"])
        created["groups"] += 1
    for item in data.get("groups", []):
        group = Group.get(Group.name == item["name"])
        if item["name"] in new_groups and item.get("reports_to"):  # after every group exists
            group.reports_to = _lookup(Group, Group.name, item["reports_to"], "Group")
            group.save()
        for entry in item.get("meetings", []):
            day, note = _meeting(item["name"], entry)
            if GroupMeeting.get_or_none((GroupMeeting.group == group) & (GroupMeeting.meets_on == day)) is None:
                GroupMeeting.create(group=group, meets_on=day, note=note)
                created["meetings"] += 1
    for item in data.get("people", []):
        person = Person.get(Person.email == item["email"])
        for name in item.get("groups", []):
            group = _lookup(Group, Group.name, name, "Group")
            _row, new = GroupMember.get_or_create(group=group, person=person)
            created["memberships"] += int(new)


def _agreement_ref(name):
    """An agreement named by its title or its short name."""
    row = Agreement.get_or_none((Agreement.title == name) | (Agreement.short_name == name))
    if row is None:
        raise SeedError(f"Agreement {name!r} must come earlier in the seed file")
    return row.id


def _seed_value(field, raw, ids):
    """A seed file's value of one field in save_agreement's shape (names and e-mails become ids)."""
    kind = field.kind
    if kind == F.GROUP:
        return ids.group(raw) if raw else None
    if kind == F.GROUPS:
        return [ids.group(name) for name in raw]
    if kind == F.PEOPLE:
        return [ids.person(email) for email in raw]
    if kind == F.ORGANISATIONS:
        return [ids.organisation(name) for name in raw]
    if kind == F.AGREEMENT:
        return _agreement_ref(raw) if raw else None
    if kind == F.DOCUMENTS:
        return [(d.get("title", ""), d["url"]) for d in raw]
    if kind == F.OFFSETS and isinstance(raw, list):
        return ", ".join(str(v) for v in raw)
    return raw


def _agreement_data(item, data, ids):
    """One [[agreements]] entry as save_agreement's data: every field of the field table by its seed key."""
    values = {f.name: _seed_value(f, item[f.seed_key], ids) for f in F.FIELDS if f.seed_key in item}
    values.setdefault("status", "in_force")
    if "parties" not in values:
        values["parties"] = [ids.organisation(n) for n in data.get("default_parties", [])]
    # A draft has not started: it gets no assumed start date (that would be its adoption deadline).
    if values.get("valid_from") is None and data.get("default_valid_from") and values["status"] != "draft":
        values["valid_from"] = data["default_valid_from"]
        values["notes"] = "\n\n".join(filter(None, [values.get("notes", ""), data.get("default_valid_from_note", "")]))
    return values


def _load_agreements(data, created):
    ids = _Ids()
    existing = set(Agreement.select(Agreement.title, Agreement.responsible_group).tuples())
    for item in data.get("agreements", []):
        if (item["title"], ids.group(item["responsible_group"])) in existing:
            continue
        try:
            row = save_agreement(_agreement_data(item, data, ids))
            _load_adoptions(row, item, ids)
        except ValidationError as exc:
            problems = "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
            raise SeedError(f"Agreement {item.get('title')!r}: {problems}") from None
        created["agreements"] += 1


def _load_revisions(data, created):
    """[[revisions]]: a revision of an agreement the file defines (registry/domain/revisions.py), with its
    mandate, lead, steps (done ones with their day), remiss with the parties' answers and a draft
    successor, each optional. An agreement that already has a revision is left as it is."""
    from .domain import revisions
    from .models import Revision

    ids = _Ids()
    for item in data.get("revisions", []):
        agreement = Agreement.get_by_id(_agreement_ref(item["agreement"]))
        if Revision.select().where(Revision.agreement == agreement.id).exists():
            continue
        today = item.get("started_on") or clock.today()
        values = {k: item.get(k) for k in ("mandate_by", "mandate_on", "mandate_ref", "due_on", "notes")}
        values["lead"] = ids.person(item["lead"]) if item.get("lead") else None
        values["steps"] = [{"title": s["title"], "due_on": s.get("due_on")} for s in item.get("steps", [])]
        try:
            revision = revisions.start(agreement, values, today)
            for step, given in zip(revisions.steps_of(revision), item.get("steps", []), strict=True):
                if given.get("done_on"):
                    revisions.update_step(revision, step, {**given, "done_on": given["done_on"]}, given["done_on"])
            remiss = item.get("consultation")
            if remiss:
                revisions.send_consultation(revision, remiss, remiss.get("sent_on") or today)
                answers = {ids.organisation(a["party"]): a for a in remiss.get("answers", [])}
                if answers:
                    revisions.record_answers(revision, answers, max(a["answered_on"] for a in answers.values()))
            if "successor" in item:
                revisions.create_successor(revision, item["successor"], today)
        except ValidationError as exc:
            problems = "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
            raise SeedError(f"Revision of {item['agreement']!r}: {problems}") from None
        created["revisions"] += 1


ADOPTION_KEYS = ("body", "decided_on", "decision_ref", "case_number", "signed_on", "document_url")


def _load_adoptions(agreement, item, ids):
    """A new agreement's recorded party decisions: `adoptions = [{ party = "…", body = "…", decided_on = … }]`,
    each through the same domain function as the form and the API."""
    for entry in item.get("adoptions", []):
        organisation_id = ids.organisation(entry.get("party", ""))
        decision = {key: entry[key] for key in ADOPTION_KEYS if key in entry}
        try:
            adoptions.record(agreement, organisation_id, decision, clock.today())
        except adoptions.NotAParty:
            raise SeedError(
                f"Agreement {agreement.title!r}: {entry['party']!r} has adopted it but is not one of its parties"
            ) from None


DEMO_PASSWORD = "demo-losenord-2026"


def load_users(path=DEMO_FILE, password=DEMO_PASSWORD):
    """Create the seed file's demo accounts that do not exist yet; return their emails."""
    from .domain.users import save_user
    from .models import User

    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    created = []
    for item in data.get("users", []):
        if User.get_or_none(User.email == item["email"]) is not None:
            continue
        account = {
            "email": item["email"],
            "name": item["name"],
            "role": item["role"],
            "is_secretary": item.get("secretary", False),
            "password": password,
            "is_active": True,
        }
        if "groups" in item:  # else the person's groups in the register stay as they are
            account["groups"] = [_lookup(Group, Group.name, name, "Group").id for name in item["groups"]]
        save_user(account)
        created.append(f"{item['email']} ({item['role']})")
    return created


def load(path=DEMO_FILE):
    """Load a seed file; return how many rows of each kind were created."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    created = dict.fromkeys(
        ("organisations", "people", "groups", "memberships", "meetings", "agreements", "revisions"), 0
    )
    with db.atomic():
        _load_organisations(data, created)
        _load_people(data, created)
        _load_groups(data, created)
        _load_agreements(data, created)
        _load_revisions(data, created)
    return created
