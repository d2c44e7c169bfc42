"""A person's personal data: what the register holds about them and where it is used, handing their
responsibilities to someone else, and removing a person who has left (docs/privacy.md).

`held` gathers everything with one query per kind. `hand_over` moves what a person answers for (the
agreements they own, the parties they are contact for, the groups they chair, the open revisions they
lead) to another active person, audited as each of those changes is. `remove` refuses while the person
still answers for any of that (checked under the audit chain's lock, inside its transaction); otherwise
it removes the person and their account (API tokens and calendar addresses with it), deletes their
failed logins, and puts a pseudonym ("Borttagen person 17") in place of them in what the register
keeps, the audit trail included: its entries all stay, in order, and the chain is re-sealed from the
first rewritten one (audit.rewrite).

What is replaced where (Pseudonymiser): "Name <email>" and their addresses everywhere; an actor whose
address is theirs as a whole; their bare name (a whole word, in any case) only in the entries about
their own rows (the person, their accounts, tokens and feeds; there their title is emptied too), in a
text that also holds one of their addresses, and as a revision's recorded lead. A name someone else
also has is replaced alone only in the entries about their own rows, and a bare name never goes into a
unique column: no one else's records are rewritten."""

import datetime
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import CharField, TextField, fn

from ..db import db
from ..models import (
    MODELS,
    Agreement,
    AgreementOwner,
    ApiToken,
    AuditEntry,
    AuditHead,
    DocumentVersion,
    FeedToken,
    Group,
    GroupMember,
    LoginFailure,
    Organisation,
    Person,
    Reminder,
    Review,
    Revision,
    User,
    utcnow,
)
from . import audit, revisions, users
from .agreements import snapshot
from .directory import audited
from .errors import ValidationError

# Failed logins are kept this long, for looking into an attack on an account; throttling needs only the
# last 15 minutes (registry/security.py). The daily reminder pass forgets older ones.
LOGIN_FAILURES_KEPT_DAYS = 30

PSEUDONYM = "Borttagen person {n}"  # stored text, like the rest of the trail: the same in every language
OPEN_REVISION = "open"

# Text kept as it was recorded: a stored document's text is read from the signed file, an official
# record that is kept unaltered (its file is, too). Hashes and lock names hold no one's name.
KEPT = {DocumentVersion.text, DocumentVersion.sha256}


@dataclass
class Held:
    """What the register holds about one person, and where it is used."""

    person: Person
    accounts: list = field(default_factory=list)  # User rows with the person's address or linked to them
    api_tokens: int = 0  # unrevoked
    feeds: int = 0  # unrevoked
    member_of: list = field(default_factory=list)
    chair_of: list = field(default_factory=list)
    owned: list = field(default_factory=list)
    contact_for: list = field(default_factory=list)
    revisions_led: list = field(default_factory=list)
    reminders: dict = field(default_factory=dict)  # {state: count}
    last_reminder_at: object = None
    audit_count: int = 0
    last_audit_at: object = None
    login_failures: int = 0
    reset_requests: int = 0

    @property
    def emails(self):
        return sorted({self.person.email, *(user.email for user in self.accounts)})

    @property
    def open_revisions(self):
        return [revision for revision in self.revisions_led if revision.state == OPEN_REVISION]

    @property
    def responsibilities(self):
        """What must be handed to someone else before the person can be removed."""
        return self.owned or self.contact_for or self.chair_of or self.open_revisions


def _accounts(person):
    return list(User.select().where((User.email == person.email) | (User.person == person.id)).order_by(User.id))


def held(person):
    """Everything the register holds about `person`: one query per kind."""
    found = Held(person=person, accounts=_accounts(person))
    user_ids = [user.id for user in found.accounts]
    emails = found.emails
    if user_ids:
        found.api_tokens = ApiToken.select().where(ApiToken.user.in_(user_ids), ApiToken.revoked_at.is_null()).count()
        found.feeds = FeedToken.select().where(FeedToken.user.in_(user_ids), FeedToken.revoked_at.is_null()).count()
    found.member_of = list(Group.select().join(GroupMember).where(GroupMember.person == person).order_by(Group.name))
    found.chair_of = list(Group.select().where(Group.chair == person).order_by(Group.name))
    found.owned = list(
        Agreement.select()
        .join(AgreementOwner)
        .where(AgreementOwner.person == person)
        .order_by(Agreement.title, Agreement.id)
    )
    found.contact_for = list(
        Organisation.select().where(Organisation.contact_person == person).order_by(Organisation.name)
    )
    found.revisions_led = list(
        Revision.select(Revision, Agreement)
        .join(Agreement, on=Revision.agreement == Agreement.id)
        .where(Revision.lead == person)
        .order_by(Revision.started_on.desc(), Revision.id)
    )
    rows = (
        Reminder.select(Reminder.state, fn.COUNT(Reminder.id), fn.MAX(Reminder.updated_at))
        .where(Reminder.recipient.in_(emails))
        .group_by(Reminder.state)
        .tuples()
    )
    for state, count, last in rows:
        found.reminders[state] = count
        if state == "sent":
            found.last_reminder_at = last
    found.audit_count, found.last_audit_at = (
        AuditEntry.select(fn.COUNT(AuditEntry.id), fn.MAX(AuditEntry.at)).where(_about(person, found)).tuples().get()
    )
    counts = dict(
        LoginFailure.select(LoginFailure.email.startswith(users.RESET_KEY_PREFIX), fn.COUNT(LoginFailure.id))
        .where(LoginFailure.email.in_(users.login_failure_keys(emails)))
        .group_by(LoginFailure.email.startswith(users.RESET_KEY_PREFIX))
        .tuples()
    )
    found.login_failures = counts.get(False, 0)
    found.reset_requests = counts.get(True, 0)
    return found


def _owned_ids(person, found):
    """{entity: ids} of the audit entries about the person's own rows: the person, their accounts, and
    the accounts' API tokens and calendar feeds (all removed with them)."""
    user_ids = [user.id for user in found.accounts]
    own = {"person": [person.id], "user": user_ids}
    if user_ids:
        own["api_token"] = [pk for (pk,) in ApiToken.select(ApiToken.id).where(ApiToken.user.in_(user_ids)).tuples()]
        own["feed"] = [pk for (pk,) in FeedToken.select(FeedToken.id).where(FeedToken.user.in_(user_ids)).tuples()]
    return {entity: set(ids) for entity, ids in own.items() if ids}


def _own(owned):
    """SQL: the audit entries about the person's own rows (_owned_ids)."""
    condition = None
    for entity, ids in owned.items():
        match = (AuditEntry.entity == entity) & AuditEntry.entity_id.in_(sorted(ids))
        condition = match if condition is None else condition | match
    return condition


def _about(person, found):
    """SQL: the audit entries tied to the person: about them or their accounts, or holding one of their
    addresses (made by them, or naming them by address), or naming them as a revision's lead (recorded
    by name) when no one else has that name."""
    condition = _own(_owned_ids(person, found))
    for email in found.emails:
        for column in (AuditEntry.actor, AuditEntry.summary, AuditEntry.changes):
            condition |= column.contains(email)
    for name in _free_names(found):
        condition |= (AuditEntry.entity == "revision") & AuditEntry.changes.contains(name)
    return condition


def _names(found):
    """The person's names: theirs and their accounts'."""
    return sorted({text for text in (found.person.name, *(user.name for user in found.accounts)) if text.strip()})


def _free_names(found):
    """The person's names that no one else in the register has (in any case): only these are replaced
    where they stand alone outside the entries about the person, for a namesake's would be too."""
    names = _names(found)
    if not names:
        return []
    folded = [name.casefold() for name in names]
    user_ids = [user.id for user in found.accounts] or [0]
    others = {
        name.casefold()
        for (name,) in (
            *Person.select(Person.name).where(Person.id != found.person.id).tuples(),
            *User.select(User.name).where(User.id.not_in(user_ids)).tuples(),
        )
    }
    return [name for name, key in zip(names, folded, strict=True) if key not in others]


# --- handing over -----------------------------------------------------------


def hand_over(person, successor):
    """Make `successor` (an active person other than `person`) answer for what `person` does: the
    agreements they own, the parties they are contact for, the groups they chair and the open revisions
    they lead. Audited as each change; returns how many rows changed."""
    successor = Person.get_or_none(Person.id == getattr(successor, "id", successor)) if successor else None
    if successor is None:
        raise ValidationError({"successor": _("Välj vem som ska ta över. Personen finns inte i registret.")})
    if successor.id == person.id:
        raise ValidationError({"successor": _("Välj en annan person än den som ska lämna över.")})
    if not successor.is_active:
        raise ValidationError(
            {
                "successor": _(
                    "%(name)s är inte aktiv i registret. Välj en aktiv person som ska ta över.", name=successor.name
                )
            }
        )
    with db.atomic():
        audit.lock()  # what they answer for, read under the lock every audited change takes
        found = held(person)
        for agreement in found.owned:
            before = snapshot(agreement)
            already = AgreementOwner.select().where(
                (AgreementOwner.agreement == agreement) & (AgreementOwner.person == successor)
            )
            mine = AgreementOwner.agreement == agreement
            if already.exists():
                AgreementOwner.delete().where(mine & (AgreementOwner.person == person)).execute()
            else:
                AgreementOwner.update(person=successor).where(mine & (AgreementOwner.person == person)).execute()
            agreement.updated_at = utcnow()
            agreement.save()
            changes = audit.diff(before, snapshot(agreement))
            audit.record(
                "update", "agreement", agreement.id, changes, agreement_id=agreement.id, summary=agreement.title
            )
        for organisation in found.contact_for:
            with audited("organisation", organisation):
                organisation.contact_person = successor
                organisation.save()
        for group in found.chair_of:
            with audited("group", group):
                group.chair = successor
                group.save()
        for revision in found.open_revisions:
            before = revisions.facts(revision)
            revision.lead = successor
            revision.save()
            audit.record(
                "update",
                "revision",
                revision.id,
                audit.diff(before, revisions.facts(revision)),
                agreement_id=revision.agreement_id,
                summary=revision.agreement.title,
            )
    return len(found.owned) + len(found.contact_for) + len(found.chair_of) + len(found.open_revisions)


SHOWN_IN_REFUSAL = 3  # more than this many of a kind are counted, not named, in the refusal


def _named(rows, name, count_message):
    if len(rows) > SHOWN_IN_REFUSAL:
        return count_message(len(rows))
    return ", ".join(name(row) for row in rows)


def refusal(found):
    """Why the person cannot be removed yet, in one message; None when nothing stands in the way."""
    parts = []
    if found.owned:
        owned = _named(found.owned, lambda a: f"”{a.title}”", lambda n: ngettext("%(num)s avtal", "%(num)s avtal", n))
        parts.append(_("äger %(list)s", list=owned))
    if found.contact_for:
        parties = _named(found.contact_for, lambda o: o.name, lambda n: ngettext("%(num)s part", "%(num)s parter", n))
        parts.append(_("är kontaktperson för %(list)s", list=parties))
    if found.chair_of:
        groups = _named(found.chair_of, lambda g: g.name, lambda n: ngettext("%(num)s grupp", "%(num)s grupper", n))
        parts.append(_("är ordförande i %(list)s", list=groups))
    if found.open_revisions:
        led = _named(
            found.open_revisions,
            lambda r: f"”{r.agreement.title}”",
            lambda n: ngettext("%(num)s avtal", "%(num)s avtal", n),
        )
        parts.append(_("leder revideringen av %(list)s", list=led))
    if not parts:
        return None
    return _(
        "%(name)s kan inte tas bort ännu: personen %(what)s. Lämna över ansvaret till någon annan först.",
        name=found.person.name,
        what="; ".join(parts),
    )


# --- removal ----------------------------------------------------------------


def pseudonym_for(person):
    """The name a removed person is given in what the register keeps: "Borttagen person <id>", with a
    number after it should the id have been used before (SQLite may give a removed row's id again)."""
    base = PSEUDONYM.format(n=person.id)
    used = AuditEntry.select().where(
        (AuditEntry.entity == "person") & (AuditEntry.action == "delete") & AuditEntry.summary.startswith(base)
    )
    count = used.count()
    return base if count == 0 else f"{base} ({count + 1})"


# In the entries about the person, the values of these fields are theirs: who they are is replaced by the
# pseudonym, what describes them is emptied.
PERSONAL = {"person", "user"}
IDENTIFYING = {"name", "email"}
DESCRIBING = {"title", "phone"}
LEAD = "lead"  # a revision's lead, recorded by name (revisions.facts)


@dataclass
class Pseudonymiser:
    """Replaces the person by the pseudonym in a text, an audit entry's actor or its changes.

    `strong` (anywhere): "Name <email>" as a whole, then their addresses, in any case. Their bare names
    (whole words, in any case) only where the text is tied to them: in the entries about their own rows
    (all their names), and in a text that also holds one of their addresses (only the `free` names, those
    no one else has). A revision's lead is recorded by name: a free name there is replaced too.
    """

    found: Held
    pseudonym: str

    def __post_init__(self):
        names, emails = _names(self.found), self.found.emails
        self.emails = [email.casefold() for email in emails]
        self.free = {name.casefold() for name in _free_names(self.found)}
        pairs = [f"{name} <{email}>" for name in names for email in emails]
        self._strong = self._pattern([re.escape(text) for text in sorted((*pairs, *emails), key=len, reverse=True)])
        words = sorted(names, key=len, reverse=True)
        self._all_names = self._pattern([rf"(?<!\w){re.escape(name)}(?!\w)" for name in words])
        free = [name for name in words if name.casefold() in self.free]
        self._free_names = self._pattern([rf"(?<!\w){re.escape(name)}(?!\w)" for name in free])

    @staticmethod
    def _pattern(alternatives):
        return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def _sub(self, pattern, text):
        return pattern.sub(self.pseudonym, text) if pattern is not None else text

    def strong(self, text):
        """Their "Name <email>" pairs and addresses replaced, nothing else (for any text, unique ones too)."""
        return self._sub(self._strong, text) if isinstance(text, str) and text else text

    def has_address(self, text):
        folded = text.casefold()
        return any(email in folded for email in self.emails)

    def text(self, text, own=False):
        """A text: their pairs and addresses replaced; their bare names too in their own rows, and in a
        text that holds one of their addresses (when no one else has the name)."""
        if not isinstance(text, str) or not text:
            return text
        tied = self.has_address(text)
        replaced = self.strong(text)
        if own:
            return self._sub(self._all_names, replaced)
        return self._sub(self._free_names, replaced) if tied else replaced

    def actor(self, actor):
        """An entry's actor, "Name <email>": the pseudonym when the address is theirs, whatever the name
        was then; any other actor (a namesake's too) as it was, but for their addresses."""
        match = re.fullmatch(r"[^<>]*<([^<>]+)>\s*", actor or "")
        if match and match.group(1).strip().casefold() in self.emails:
            return self.pseudonym
        return self.strong(actor)

    def changes(self, value, own, entity, key=None):
        if isinstance(value, list):
            return [self.changes(item, own, entity, key) for item in value]
        if isinstance(value, dict):
            return {name: self.changes(item, own, entity, name) for name, item in value.items()}
        if not isinstance(value, str):
            return value
        if own and entity in PERSONAL and key in IDENTIFYING and value:
            return self.pseudonym
        if own and entity in PERSONAL and key in DESCRIBING:
            return ""
        if entity == "revision" and key == LEAD and value.strip().casefold() in self.free:
            return self.pseudonym
        return self.text(value, own)


def _audit_change(pseudonymiser, owned):
    def change(entry):
        own = entry.entity_id in owned.get(entry.entity, ())
        before = (entry.actor, entry.summary, entry.changes)
        entry.actor = pseudonymiser.actor(entry.actor)
        entry.summary = pseudonymiser.text(entry.summary, own)[:255]
        changes = audit.changes_of(entry)
        rewritten = pseudonymiser.changes(changes, own, entry.entity)
        if rewritten != changes:
            entry.changes = json.dumps(rewritten, sort_keys=True, ensure_ascii=False)
        return (entry.actor, entry.summary, entry.changes) != before

    return change


def _text_columns(model):
    return [
        column
        for column in model._meta.sorted_fields
        if isinstance(column, CharField | TextField) and column not in KEPT and not column.primary_key
    ]


def _unique_columns(model):
    """The columns in a unique key: a bare name is never put there (two rows could then collide)."""
    unique = {column.name for column in model._meta.sorted_fields if column.unique}
    for columns, is_unique in model._meta.indexes:
        if is_unique:
            unique.update(column if isinstance(column, str) else column.name for column in columns)
    return unique


def _scrub(found, pseudonymiser):
    """Replace the person's pairs and addresses in every text column of every table except the audit
    trail (rewritten by audit.rewrite) and what is kept as recorded (KEPT), and their bare names in a
    text that also holds one of their addresses (not in a unique column). {table: rows changed}."""
    changed = {}
    for model in MODELS:
        if model in (AuditEntry, AuditHead, Person, User):
            continue
        columns = _text_columns(model)
        if not columns or not found.emails:
            continue
        unique = _unique_columns(model)
        condition = None
        for column in columns:
            for email in found.emails:
                match = column.contains(email)
                condition = match if condition is None else condition | match
        rows = []
        for row in model.select().where(condition):
            before = [getattr(row, column.name) for column in columns]
            for column in columns:
                replace = pseudonymiser.strong if column.name in unique else pseudonymiser.text
                setattr(row, column.name, replace(getattr(row, column.name)))
            if [getattr(row, column.name) for column in columns] != before:
                rows.append(row)
        if rows:
            model.bulk_update(rows, columns, batch_size=200)
            changed[model._meta.table_name] = len(rows)
    return changed


def _detach(model, ids):
    """Take the rows that refer to `model`'s rows `ids` out of the way of deleting those: nullable
    references are set to NULL (who it was stays as text, pseudonymised), the rest are deleted with them
    (group memberships; an account's API tokens and calendar addresses)."""
    for fk, referring in model._meta.backrefs.items():
        if fk.null:
            referring.update({fk: None}).where(fk.in_(ids)).execute()
        else:
            referring.delete().where(fk.in_(ids)).execute()


@dataclass
class Removal:
    pseudonym: str  # what the removed person is known by in what the register keeps
    name_shared: bool  # someone else has their name: it was replaced alone only in the entries about them


def remove(person):
    """Remove a person who has left, and their account; refused (ValidationError) while they still answer
    for something (refusal). Returns a Removal: their pseudonym, and whether their name is shared."""
    with db.atomic():
        # What they answer for is read under the audit chain's lock, which every audited change takes: an
        # agreement made theirs a moment ago refuses the removal instead of losing its owner.
        audit.lock()
        found = held(person)
        message = refusal(found)
        if message:
            raise ValidationError({"__all__": message})
        pseudonym = pseudonym_for(person)
        pseudonymiser = Pseudonymiser(found, pseudonym)
        user_ids = [user.id for user in found.accounts]
        owned = _owned_ids(person, found)
        rewritten, first = audit.rewrite(_about(person, found), _audit_change(pseudonymiser, owned))
        Reminder.update(state="skipped", last_error="Mottagaren har tagits bort ur registret.").where(
            Reminder.recipient.in_(found.emails) & Reminder.state.in_(("pending", "failed"))
        ).execute()
        LoginFailure.delete().where(LoginFailure.email.in_(users.login_failure_keys(found.emails))).execute()
        scrubbed = _scrub(found, pseudonymiser)
        Review.update(reviewer_name=pseudonym).where(Review.reviewer == person).execute()
        if user_ids:
            _detach(User, user_ids)
            User.delete().where(User.id.in_(user_ids)).execute()
        _detach(Person, [person.id])
        person.delete_instance()
        changes = {
            "person": [pseudonym, None],
            "accounts": [len(user_ids), 0],
            "api_tokens": [found.api_tokens, 0],
            "feeds": [found.feeds, 0],
            "audit_entries_pseudonymised": [None, rewritten],
            "rows_pseudonymised": [None, sum(scrubbed.values())],
        }
        if first is not None:
            changes["audit_resealed_from"] = [None, first]
        name_shared = len(_free_names(found)) < len(_names(found))
        if name_shared:
            changes["name_shared"] = [None, True]
        audit.record("delete", "person", person.id, changes, summary=pseudonym)
    return Removal(pseudonym, name_shared)


def forget_old_login_failures(now):
    """Delete the failed logins older than LOGIN_FAILURES_KEPT_DAYS; returns how many."""
    cutoff = now - datetime.timedelta(days=LOGIN_FAILURES_KEPT_DAYS)
    return LoginFailure.delete().where(LoginFailure.at < cutoff).execute()
