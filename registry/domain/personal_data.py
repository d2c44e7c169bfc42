"""A person's personal data: what the register holds about them and where it is used, handing their
responsibilities to someone else, and removing a person who has left (docs/privacy.md).

`held` gathers everything with one query per kind. `hand_over` moves what a person answers for (the
agreements they own, the parties they are contact for, the groups they chair, the open revisions they
lead) to another person, audited as each of those changes is. `remove` refuses while the person still
answers for any of that; otherwise it removes the person and their account (API tokens and calendar
addresses with it), deletes their failed logins, and puts a pseudonym ("Borttagen person 17") in place
of their name and e-mail address in every text the register keeps, the audit trail included: its
entries all stay, in order, and the chain is re-sealed from the first rewritten one (audit.rewrite).
"""

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
from . import audit, revisions
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
    found.login_failures = LoginFailure.select().where(LoginFailure.email.in_(emails)).count()
    return found


def _about(person, found):
    """SQL: the audit entries that are about the person, or name them, or that they made."""
    condition = (AuditEntry.entity == "person") & (AuditEntry.entity_id == person.id)
    if found.accounts:
        condition |= (AuditEntry.entity == "user") & AuditEntry.entity_id.in_([user.id for user in found.accounts])
    for text in _texts(found):
        for column in (AuditEntry.actor, AuditEntry.summary, AuditEntry.changes):
            condition |= column.contains(text)
    return condition


def _texts(found):
    """The names and addresses that identify the person (theirs and their accounts')."""
    names = {found.person.name, *(user.name for user in found.accounts)}
    return sorted({text for text in (*names, *found.emails) if text.strip()}, key=len, reverse=True)


# --- handing over -----------------------------------------------------------


def hand_over(person, successor):
    """Make `successor` answer for what `person` does: the agreements they own, the parties they are
    contact for, the groups they chair and the open revisions they lead. Audited as each change; returns
    how many rows changed."""
    successor = Person.get_or_none(Person.id == getattr(successor, "id", successor)) if successor else None
    if successor is None:
        raise ValidationError({"successor": _("Välj vem som ska ta över. Personen finns inte i registret.")})
    if successor.id == person.id:
        raise ValidationError({"successor": _("Välj en annan person än den som ska lämna över.")})
    found = held(person)
    with db.atomic():
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


def _replacer(found, pseudonym):
    """text -> text with every name and address of the person replaced by the pseudonym: "Name <email>"
    as a whole first, then the addresses anywhere, then the names as whole words, in any case."""
    names = [text for text in _texts(found) if "@" not in text]
    pairs = [f"{name} <{email}>" for name in names for email in found.emails]
    alternatives = [re.escape(text) for text in (*pairs, *found.emails)]
    alternatives += [rf"(?<!\w){re.escape(name)}(?!\w)" for name in names]
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)
    return lambda text: pattern.sub(pseudonym, text) if isinstance(text, str) else text


def _walk(value, replace):
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [_walk(item, replace) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, replace) for key, item in value.items()}
    return value


def _audit_change(replace):
    def change(entry):
        before = (entry.actor, entry.summary, entry.changes)
        entry.actor = replace(entry.actor)
        entry.summary = replace(entry.summary)[:255]
        changes = audit.changes_of(entry)
        rewritten = _walk(changes, replace)
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


def _scrub(found, replace):
    """Replace the person's names and addresses in every text column of every table except the audit
    trail (rewritten by audit.rewrite) and what is kept as recorded (KEPT). {table: rows changed}."""
    changed = {}
    for model in MODELS:
        if model in (AuditEntry, AuditHead, Person, User):
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        condition = None
        for column in columns:
            for text in _texts(found):
                match = column.contains(text)
                condition = match if condition is None else condition | match
        rows = list(model.select().where(condition))
        for row in rows:
            for column in columns:
                setattr(row, column.name, replace(getattr(row, column.name)))
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


def remove(person):
    """Remove a person who has left, and their account; refused (ValidationError) while they still answer
    for something (refusal). Returns the pseudonym they are known by in what the register keeps."""
    found = held(person)
    message = refusal(found)
    if message:
        raise ValidationError({"__all__": message})
    pseudonym = pseudonym_for(person)
    replace = _replacer(found, pseudonym)
    user_ids = [user.id for user in found.accounts]
    with db.atomic():
        audit.lock()
        rewritten, first = audit.rewrite(_about(person, found), _audit_change(replace))
        Reminder.update(state="skipped", last_error="Mottagaren har tagits bort ur registret.").where(
            Reminder.recipient.in_(found.emails) & Reminder.state.in_(("pending", "failed"))
        ).execute()
        LoginFailure.delete().where(LoginFailure.email.in_(found.emails)).execute()
        scrubbed = _scrub(found, replace)
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
        audit.record("delete", "person", person.id, changes, summary=pseudonym)
    return pseudonym


def forget_old_login_failures(now):
    """Delete the failed logins older than LOGIN_FAILURES_KEPT_DAYS; returns how many."""
    cutoff = now - datetime.timedelta(days=LOGIN_FAILURES_KEPT_DAYS)
    return LoginFailure.delete().where(LoginFailure.at < cutoff).execute()
