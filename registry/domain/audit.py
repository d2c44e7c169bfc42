"""The audit trail: who changed what, when, with the values before and after.

Entries are append-only and chained: each entry's hash covers its own content
and the previous entry's hash, so editing or deleting any entry breaks the
chain at that point, which `flask --app wsgi audit verify` reports. Appends are
serialised by first updating the single `audit_head` row inside the caller's
transaction (a row lock on PostgreSQL, the write lock on SQLite).
"""

import datetime
import hashlib
import json
from contextlib import contextmanager

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import ngettext

from ..db import db
from ..models import Agreement, AuditEntry, AuditHead, utcnow
from .errors import ValidationError

GENESIS = "0" * 64
EMPTY = (None, "", [])


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def diff(before, after):
    """{field: [old, new]} for the fields whose values differ (both dicts of plain values)."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(key)), _jsonable(after.get(key))
        if old != new and not (old in EMPTY and new in EMPTY):
            changes[key] = [old, new]
    return changes


def current_actor():
    """Who is acting: the logged-in user, else what the command or job set on `g`, else 'system'."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return actor_name(current_user)
    return g.get("audit_actor", "system") if g else "system"


def actor_name(user):
    """How the audit trail names an account acting: "Name <email>" (what removing a person pseudonymises)."""
    return f"{user.name} <{user.email}>"


def _digest(entry_id, fields, prev_hash):
    payload = json.dumps({"id": entry_id, **fields, "prev": prev_hash}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fields(entry):
    return {
        "at": _jsonable(entry.at.replace(microsecond=0)),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "agreement_id": entry.agreement_id,
        "summary": entry.summary,
        "changes": entry.changes,
    }


def lock():
    """Take the audit chain's lock now, inside the caller's transaction (the one `record` takes).

    A write that reads before it decides (an upsert by a unique key) calls this first: a twin of
    it sent at the same moment (a double click) waits here until this one has committed, then reads
    what this one wrote and changes nothing.
    """
    AuditHead.update(seq=AuditHead.seq).execute()


def record(action, entity, entity_id=None, changes=None, agreement_id=None, summary="", actor=None):
    """Append one entry to the chain; call inside the transaction that makes the change."""
    with db.atomic():
        AuditHead.update(seq=AuditHead.seq + 1).execute()  # takes the lock before reading the head
        head = AuditHead.get()
        entry = AuditEntry(
            at=utcnow().replace(microsecond=0),
            actor=actor or current_actor(),
            action=action,
            entity=entity,
            entity_id=entity_id,
            agreement_id=agreement_id,
            summary=summary[:255],
            changes=json.dumps(changes or {}, sort_keys=True, ensure_ascii=False),
            prev_hash=head.hash or GENESIS,
            hash=f"pending-{head.seq}",
        )
        entry.save()
        entry.hash = _digest(entry.id, _fields(entry), entry.prev_hash)
        entry.save()
        AuditHead.update(hash=entry.hash).execute()
    return entry


# A create repeated by the same person with the same facts within this many seconds is the same create
# sent twice (a double click, a reloaded post), stored once.
REPEAT_SECONDS = 60


class Repeated(Exception):
    """The create was already made: `entry` is the audit entry of the first one."""

    def __init__(self, entry):
        super().__init__(f"already created: {entry.entity} {entry.entity_id}")
        self.entry = entry


@contextmanager
def created_once(window=REPEAT_SECONDS, entity=None, key=None, agreement_id=None):
    """Run a create so that the same create sent twice is stored once, also when both arrive together.

    What is unique by a key (a group's name, a person's e-mail, a group's meeting date) is refused the
    second time by its own check before it is made; with `entity` and `key` ({field: value}), that
    refusal is recognised as the twin of the same person's create of those values within the window
    and raises Repeated as well, instead of telling them that what they just made already exists. So is
    a review whose second copy is refused because the first changed the agreement (an extension's new
    end date is no longer after the current one): `agreement_id` names the agreement it belongs to.

    One transaction: the audit chain's lock is taken first, so a concurrent twin waits here until this
    one has committed and then sees it. After the create, its first "create" entry is compared with the
    same person's creates of the last `window` seconds (entity, facts, and the agreement for what
    belongs to one); an identical one rolls everything back and raises Repeated with the earlier entry.
    """
    with db.atomic():
        lock()  # the lock audit.record takes, taken early
        newest = AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).scalar() or 0
        try:
            yield
        except ValidationError:
            twin = _twin(entity, key, window, agreement_id) if entity and key else None
            if twin is not None:
                raise Repeated(twin) from None
            raise
        made = (
            AuditEntry.select()
            .where(AuditEntry.id > newest, AuditEntry.action == "create")
            .order_by(AuditEntry.id)
            .first()
        )
        if made is None:
            return
        earlier = AuditEntry.select().where(
            AuditEntry.id <= newest,
            AuditEntry.action == "create",
            AuditEntry.entity == made.entity,
            AuditEntry.actor == made.actor,
            AuditEntry.at >= made.at - datetime.timedelta(seconds=window),
        )
        if made.entity != "agreement":  # a review or reminder belongs to its agreement
            earlier = earlier.where(AuditEntry.agreement_id == made.agreement_id)
        for entry in earlier.order_by(AuditEntry.id.desc()):
            if changes_of(entry) == changes_of(made):
                raise Repeated(entry)


def _twin(entity, key, window, agreement_id=None):
    """The current actor's latest create of `entity` (of that agreement) in the last `window` seconds
    that recorded `key`'s values."""
    since = utcnow().replace(microsecond=0) - datetime.timedelta(seconds=window)
    recent = AuditEntry.select().where(
        AuditEntry.action == "create",
        AuditEntry.entity == entity,
        AuditEntry.actor == current_actor(),
        AuditEntry.at >= since,
    )
    if agreement_id is not None:
        recent = recent.where(AuditEntry.agreement_id == agreement_id)
    for entry in recent.order_by(AuditEntry.id.desc()):
        facts = changes_of(entry)
        if all(_new_value(facts.get(name)) == _comparable(value) for name, value in key.items()):
            return entry
    return None


def _new_value(change):
    """The value a change set (changes are [old, new] pairs), in a comparable form."""
    return _comparable(change[1]) if isinstance(change, list) and len(change) == 2 else None


def _comparable(value):
    """A value as the trail compares it: dates as text, text trimmed and case-folded, and empty as None
    (the trail leaves out a field that was created empty)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    if isinstance(value, str):
        value = value.strip().casefold()
    return None if value in EMPTY else value


def verify():
    """(ok, count, message): walk the chain in order and name the first broken entry.

    The message is in the request's language (`audit verify` asks for English)."""
    previous = GENESIS
    count = 0
    for entry in AuditEntry.select().order_by(AuditEntry.id).iterator():
        count += 1
        if entry.prev_hash != previous:
            return (
                False,
                count,
                _(
                    "Loggpost %(id)s (%(at)s) följer inte på posten före den: en post har tagits bort eller flyttats.",
                    id=entry.id,
                    at=entry.at,
                ),
            )
        if _digest(entry.id, _fields(entry), entry.prev_hash) != entry.hash:
            return (
                False,
                count,
                _("Loggpost %(id)s (%(at)s) har ändrats efter att den skrevs.", id=entry.id, at=entry.at),
            )
        previous = entry.hash
    head = AuditHead.get_or_none()
    if head is not None and head.hash and head.hash != previous:
        return (
            False,
            count,
            _("De senaste loggposterna har tagits bort: kedjan slutar före den senast registrerade posten."),
        )
    return (
        True,
        count,
        ngettext(
            "%(num)s loggpost har kontrollerats och kedjan är obruten; den senaste kontrollsumman börjar med %(head)s.",
            "%(num)s loggposter har kontrollerats och kedjan är obruten; "
            "den senaste kontrollsumman börjar med %(head)s.",
            count,
            head=previous[:16],
        ),
    )


def changes_of(entry):
    return json.loads(entry.changes or "{}")


def agreements_titled(text):
    """Ids of the agreements whose title contains `text`, in any case (Swedish letters too, which
    SQLite's LIKE and LOWER do not fold): for filtering the trail by an agreement's title."""
    needle = text.casefold()
    return [pk for pk, title in Agreement.select(Agreement.id, Agreement.title).tuples() if needle in title.casefold()]


def rewrite(condition, change):
    """Rewrite the entries matching `condition` with `change` (entry -> True when it changed the entry's
    actor, summary or changes), then re-seal the chain from the first rewritten entry on, so that
    `verify` holds again. For pseudonymising a removed person (registry/domain/personal_data.py): the
    entries stay, in order, with every other value as written. Returns (rewritten, first id or None).
    Call inside the transaction that makes the removal, before recording it."""
    with db.atomic():
        lock()
        rewritten = [entry for entry in AuditEntry.select().where(condition).order_by(AuditEntry.id) if change(entry)]
        if not rewritten:
            return 0, None
        AuditEntry.bulk_update(rewritten, [AuditEntry.actor, AuditEntry.summary, AuditEntry.changes], batch_size=200)
        first = rewritten[0].id
        previous = (
            AuditEntry.select(AuditEntry.hash).where(AuditEntry.id < first).order_by(AuditEntry.id.desc()).scalar()
            or GENESIS
        )
        resealed = list(AuditEntry.select().where(AuditEntry.id >= first).order_by(AuditEntry.id))
        for entry in resealed:
            entry.prev_hash = previous
            entry.hash = previous = _digest(entry.id, _fields(entry), previous)
        AuditEntry.bulk_update(resealed, [AuditEntry.prev_hash, AuditEntry.hash], batch_size=200)
        AuditHead.update(hash=previous).execute()
    return len(rewritten), first
