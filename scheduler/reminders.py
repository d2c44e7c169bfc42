"""The reminder pass: plan what is due, record it, send digests, record the outcome.

Exactly-once, as far as SMTP allows: every reminder is first recorded under a
unique key (agreement, kind, deadline, stage, recipient); a digest claims its
rows with a conditional update (pending -> sending) before it is sent and marks
them sent after. Only one pass runs at a time (a database lock); rows a killed
pass left in 'sending' are sent again by the next pass, which is the only way
a duplicate can arise (the server accepted the message, the kill came before
it was recorded).
"""

import datetime
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import PostgresqlDatabase, fn

from registry.db import db, optimize
from registry.domain import schedule
from registry.models import (
    Agreement,
    AgreementOwner,
    Group,
    Person,
    Reminder,
    SchedulerRun,
    utcnow,
)
from registry.rules import policy, stages
from registry.rules.deadlines import EXPIRY, REVIEW
from registry.rules.workdays import next_working_day, previous_working_day
from registry.vocab import ACTIVE_STATUSES

from . import locks, mailer

log = logging.getLogger(__name__)
# A deadline can be moved this many days by weekends and holidays.
SHIFT_MARGIN_DAYS = 7
PASS_LOCK_WAIT_SECONDS = 600


@dataclass
class Item:
    """One reminder in a digest, with what the email says about it."""

    reminder: Reminder
    agreement: Agreement
    days_left: int
    meeting: schedule.DecidingMeeting | None
    deciding: object = None  # the group whose meeting decides (its name is shown when no meeting is planned)

    @property
    def overdue(self):
        return self.days_left < 0


@dataclass
class Digest:
    recipient: str
    items: list = field(default_factory=list)

    @property
    def subject(self):
        if len(self.items) == 1:
            item = self.items[0]
            name = item.agreement.short_name or item.agreement.title
            return _(
                "Påminnelse: %(name)s – %(what)s %(date)s",
                name=name,
                what=what(item),
                date=item.reminder.deadline_on.isoformat(),
            )
        late = sum(1 for i in self.items if i.overdue)
        subject = ngettext(
            "Påminnelse: %(num)s tidsfrist i avtalsregistret",
            "Påminnelse: %(num)s tidsfrister i avtalsregistret",
            len(self.items),
        )
        if late:
            subject += " " + ngettext("(%(num)s försenad)", "(%(num)s försenade)", late)
        return subject


@dataclass
class PassResult:
    day: object
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    stale: int = 0
    digests: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def summary(self):
        return (
            f"{self.day.isoformat()}: {self.sent} sent, {self.skipped} skipped, "
            f"{self.failed} failed, {len(self.digests)} digests"
        )


def what(item):
    kind = item.reminder.kind
    if item.overdue:
        return _("avtalet har löpt ut") if kind == EXPIRY else _("granskningen är försenad")
    return _("upphör") if kind == EXPIRY else _("ska granskas")


# --- planning ---------------------------------------------------------------
#
# Planning reads only what can be due: active agreements whose expiry or next
# review falls before the horizon (the date filter is in SQL, served by the
# indexes on expires_on and next_review_on), a chunk of them at a time so that
# memory stays flat however large the register is. Per chunk, one query each
# fetches the owners and the delivery-log rows of the current deadlines, so the
# cost is a few queries per chunk, never one per agreement.

# Agreements planned per chunk (and per round of queries).
PLAN_CHUNK = 5000
# Ids per UPDATE ... WHERE id IN (...), well below SQLite's limit on bound variables.
ID_CHUNK = 2000


class _Facts(NamedTuple):
    """What planning needs of an agreement (no model instances: a pass may look at many)."""

    id: int
    status: str
    expires_on: datetime.date | None
    next_review_on: datetime.date | None
    expiry_offsets: str
    review_offsets: str
    overdue_every_days: int | None
    responsible_group_id: int


_FACT_COLUMNS = (
    Agreement.id,
    Agreement.status,
    Agreement.expires_on,
    Agreement.next_review_on,
    Agreement.expiry_offsets,
    Agreement.review_offsets,
    Agreement.overdue_every_days,
    Agreement.responsible_group,
)


def _horizon_days():
    """How far ahead any policy in the register looks (defaults, groups, agreements)."""
    longest = max(policy.DEFAULT_EXPIRY_OFFSETS + policy.DEFAULT_REVIEW_OFFSETS)
    for model in (Group, Agreement):
        rows = (
            model.select(model.expiry_offsets, model.review_offsets)
            .where((model.expiry_offsets != "") | (model.review_offsets != ""))
            .distinct()
            .tuples()
        )
        for expiry, review in rows:
            for text in (expiry, review):
                try:
                    longest = max(longest, *(policy.parse_offsets(text) or (0,)))
                except policy.PolicyError:
                    continue
    return longest + SHIFT_MARGIN_DAYS


def _in_window(day, horizon_days):
    """Active agreements with a deadline inside the horizon or already passed (SQL)."""
    horizon = day + timedelta(days=horizon_days)
    return Agreement.status.in_(ACTIVE_STATUSES) & (
        (Agreement.expires_on <= horizon) | (Agreement.next_review_on <= horizon)
    )


def _candidate_chunks(window):
    """Lists of _Facts of the agreements in the window, PLAN_CHUNK at a time, in id order."""
    last = 0
    while True:
        rows = _rows(
            Agreement.select(*_FACT_COLUMNS)
            .where(window & (Agreement.id > last))
            .order_by(Agreement.id)
            .limit(PLAN_CHUNK)
        )
        chunk = [_Facts(r[0], r[1], _date(r[2]), _date(r[3]), *r[4:]) for r in rows]
        if chunk:
            yield chunk
        if len(chunk) < PLAN_CHUNK:
            return
        last = chunk[-1].id


def _rows(query):
    """The rows of a select as plain tuples straight from the driver (no per-row conversion)."""
    return db.execute_sql(*query.sql()).fetchall()


@functools.lru_cache(maxsize=4096)
def _date(value):
    """A date from the driver: PostgreSQL gives dates, SQLite ISO text (a register has few distinct ones)."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _chunk_condition(window, chunk):
    return window & Agreement.id.between(chunk[0].id, chunk[-1].id)


def _deadlines_of(agreement):
    found = []
    if agreement.expires_on is not None:
        found.append((EXPIRY, agreement.expires_on))
    if agreement.next_review_on is not None:
        found.append((REVIEW, agreement.next_review_on))
    return found


def _owners(condition):
    """{agreement id: [owner e-mail]} for the agreements matching `condition`, in one query."""
    owners = defaultdict(list)
    rows = _rows(
        AgreementOwner.select(AgreementOwner.agreement, Person.email)
        .join(Person)
        .switch(AgreementOwner)
        .join(Agreement)
        .where(condition & Person.is_active)
        .order_by(AgreementOwner.id)
    )
    for agreement_id, email in rows:
        owners[agreement_id].append(email)
    return owners


def _escalation():
    """({group id: chair's e-mail}, [secretaries' e-mails]): who hears of every overdue deadline."""
    chairs = dict(Group.select(Group.id, Person.email).join(Person, on=Group.chair == Person.id).tuples())
    secretaries = [
        email
        for (email,) in Person.select(Person.email)
        .where(Person.is_secretary & Person.is_active)
        .order_by(Person.id)
        .tuples()
    ]
    return chairs, secretaries


def _recipients(agreement, group, owners, chairs, secretaries):
    """([(email, role)] before the deadline, [(email, role)] when overdue)."""
    ahead = [(e, "owner") for e in owners.get(agreement.id, ())]
    if group is not None and group.mailbox:
        ahead.append((group.mailbox, "mailbox"))
    late = list(ahead)
    if agreement.responsible_group_id in chairs:
        late.append((chairs[agreement.responsible_group_id], "chair"))
    late.extend((e, "secretary") for e in secretaries)
    return _unique(ahead), _unique(late)


def _unique(pairs):
    seen, out = set(), []
    for email, role in pairs:
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append((key, role))
    return out


def _recorded(condition):
    """{(agreement, kind): {recipient: ",stage,stage,"}} of the current deadlines of the matching agreements.

    One query per kind of deadline, each answered from the delivery log's
    unique index alone (agreement, kind, deadline, stage, recipient); the
    stages of one recipient come aggregated in one row, comma-separated
    (kept as text: most are only ever asked whether they hold a code).
    """
    if isinstance(db.obj, PostgresqlDatabase):
        stages_of = fn.string_agg(Reminder.stage, ",")
    else:
        stages_of = fn.group_concat(Reminder.stage, ",")
    recorded = defaultdict(dict)
    for kind, deadline in ((EXPIRY, Agreement.expires_on), (REVIEW, Agreement.next_review_on)):
        current = (Reminder.agreement == Agreement.id) & (Reminder.kind == kind) & (Reminder.deadline_on == deadline)
        rows = _rows(
            Agreement.select(Reminder.agreement, Reminder.recipient, stages_of)
            .join(Reminder, on=current)
            .where(condition)
            .group_by(Reminder.agreement, Reminder.recipient)
        )
        for agreement_id, recipient, codes in rows:
            recorded[(agreement_id, kind)][recipient] = f",{codes},"
    return recorded


def _due_stages(kind, due_on, rules, day):
    """The stages of one deadline that planning needs: what `stages.stages` returns, less the
    overdue repeats before the latest one (catch-up sends only the latest and never records
    missed repeats). A deadline overdue for years costs a few steps, not one per missed week.
    """
    found = []
    for offset in rules.offsets(kind):
        send_on = previous_working_day(due_on - timedelta(days=offset))
        if send_on <= day:
            found.append(stages.Stage(f"before:{offset}", send_on, False))
    found.sort(key=lambda s: (s.send_on, -int(s.code.partition(":")[2])))  # as stages.stages orders them
    every = rules.overdue_every
    repeat = ((day - due_on).days - 1) // every  # the last repeat whose nominal date is on or before `day`
    while repeat >= 0:
        days_after = 1 + repeat * every
        send_on = next_working_day(due_on + timedelta(days=days_after))
        if send_on <= day:  # moved forward past `day`: the one before it is the latest
            found.append(stages.Stage(f"overdue:{days_after}", send_on, True))
            break
        repeat -= 1
    return tuple(found)


class _Due(NamedTuple):
    """The due stages of one deadline, with what the settled-check needs."""

    stages: tuple
    latest: str  # ",code," of the stage a recipient must have (as _recorded's text holds it)
    earlier: tuple  # ",code," of each earlier advance stage an owner must have (sent or skipped)


def _due(kind, due_on, rules, day):
    found = _due_stages(kind, due_on, rules, day)
    if not found:
        return None
    return _Due(found, f",{found[-1].code},", tuple(f",{s.code}," for s in found[:-1] if not s.overdue))


def _plan_chunks(day):
    """(to send, to skip) per chunk of candidate agreements; see `plan`."""
    horizon = _horizon_days()
    window = _in_window(day, horizon)
    groups = {g.id: g for g in Group.select()}  # a register has tens of groups, not thousands
    chairs, secretaries = _escalation()
    # Most agreements share their group's policy, many share a date and many the same people.
    rules_of, due_of, people_of = {}, {}, {}
    for chunk in _candidate_chunks(window):
        condition = _chunk_condition(window, chunk)
        owners = _owners(condition)
        recorded = _recorded(condition)
        to_send, to_skip = [], []
        for agreement in chunk:
            group = groups.get(agreement.responsible_group_id)
            key = (agreement.responsible_group_id, *agreement[4:7])
            rules = rules_of.get(key)
            if rules is None:
                rules = rules_of[key] = policy.resolve(agreement, group)
            people = None
            for kind, due_on in _deadlines_of(agreement):
                key = (kind, due_on, rules)
                due = due_of[key] if key in due_of else due_of.setdefault(key, _due(kind, due_on, rules, day))
                if due is None:
                    continue
                if people is None:
                    key = (agreement.responsible_group_id, tuple(owners.get(agreement.id, ())))
                    people = people_of.get(key)
                    if people is None:
                        ahead, late = _recipients(agreement, group, owners, chairs, secretaries)
                        people = people_of[key] = (ahead, late, {email for email, _role in ahead})
                ahead, late, owner_emails = people
                done = recorded.get((agreement.id, kind), {})
                for email, role in late if due.stages[-1].overdue else ahead:
                    codes = done.get(email, "")
                    is_owner = email in owner_emails
                    if due.latest in codes and (not is_owner or all(code in codes for code in due.earlier)):
                        continue  # settled: what catch_up would send and skip is all recorded
                    mine = set(codes.strip(",").split(",")) if codes else set()
                    # Escalation recipients hear only of overdue stages, never of advance ones.
                    theirs = due.stages if is_owner else [s for s in due.stages if s.overdue]
                    send, skip = stages.catch_up(theirs, mine)
                    row = {
                        "agreement": agreement.id,
                        "kind": kind,
                        "deadline_on": due_on,
                        "recipient": email,
                        "role": role,
                    }
                    if send is not None:
                        to_send.append({**row, "stage": send.code, "send_on": send.send_on})
                    to_skip.extend({**row, "stage": s.code, "send_on": s.send_on} for s in skip)
        yield to_send, to_skip


def plan(day):
    """Rows to record for `day`: (to send, to skip), each a list of Reminder field dicts."""
    to_send, to_skip = [], []
    for sending, skipping in _plan_chunks(day):
        to_send.extend(sending)
        to_skip.extend(skipping)
    return to_send, to_skip


RECORD_BATCH = 500


def _record(rows, state):
    """Insert rows, ignoring any another pass recorded first; return how many were new."""
    now = utcnow()
    created = 0
    for start in range(0, len(rows), RECORD_BATCH):
        batch = [
            {**row, "state": state, "created_at": now, "updated_at": now} for row in rows[start : start + RECORD_BATCH]
        ]
        created += Reminder.insert_many(batch).on_conflict_ignore().as_rowcount().execute()
    return created


def _chunks(ids, size=ID_CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _update_ids(ids, **values):
    """One UPDATE per ID_CHUNK ids (in the caller's transaction); return the rows changed."""
    changed = 0
    for chunk in _chunks(ids):
        changed += Reminder.update(**values).where(Reminder.id.in_(chunk)).execute()
    return changed


def _latest_per_deadline(reminders, now):
    """Keep one row per (agreement, deadline, recipient): the latest stage.

    A failed stage that a later stage has replaced is marked skipped, so a
    recipient never hears of one deadline twice in one email.
    """
    latest = {}
    for reminder in reminders:
        key = (reminder.agreement_id, reminder.kind, reminder.deadline_on, reminder.recipient)
        current = latest.get(key)
        if current is None or (reminder.send_on, reminder.id) > (current.send_on, current.id):
            latest[key] = reminder
    superseded = [r.id for r in reminders if latest[(r.agreement_id, r.kind, r.deadline_on, r.recipient)] is not r]
    if superseded:
        with db.atomic():
            _update_ids(superseded, state="skipped", last_error="superseded by a later stage", updated_at=now)
    return list(latest.values()), len(superseded)


# --- sending ----------------------------------------------------------------


def _still_applies(reminder, agreement):
    if agreement.status not in ACTIVE_STATUSES:
        return False
    current = agreement.expires_on if reminder.kind == EXPIRY else agreement.next_review_on
    return current == reminder.deadline_on


def _sendable(now):
    """Pending rows, and failed rows whose next attempt is due by `now`, with their agreements.

    The ids come first from the log alone (its state index), then the rows by
    id: joined in one query, a planner that knows only that most of the log is
    'sent' or 'skipped' may walk every agreement instead (SQLite does).
    """
    due = (Reminder.state == "pending") | ((Reminder.state == "failed") & (Reminder.next_attempt_at <= now))
    ids = []
    for state in (Reminder.state == "pending", (Reminder.state == "failed") & (Reminder.next_attempt_at <= now)):
        ids.extend(row_id for (row_id,) in _rows(Reminder.select(Reminder.id).where(state)))  # one state each
    found = []
    for chunk in _chunks(ids):
        found.extend(Reminder.select(Reminder, Agreement).join(Agreement).where(Reminder.id.in_(chunk) & due))
    found.sort(key=lambda r: (r.recipient, r.deadline_on, r.id))
    return found


def _digests(reminders, day):
    agreements = {r.agreement.id: r.agreement for r in reminders}
    groups = {g.id: g for g in Group.select()}  # a register has tens of groups, not thousands
    meetings = schedule.Meetings(agreements.values(), groups)
    for agreement in agreements.values():
        agreement.responsible_group = groups.get(agreement.responsible_group_id)
    by_recipient = {}
    for reminder in reminders:
        agreement = agreements[reminder.agreement.id]
        meeting = meetings.deciding_meeting(agreement, reminder.deadline_on)
        item = Item(reminder, agreement, (reminder.deadline_on - day).days, meeting, meetings.deciding_group(agreement))
        by_recipient.setdefault(reminder.recipient, Digest(reminder.recipient)).items.append(item)
    return list(by_recipient.values())


def render(digest):
    context = {"digest": digest, "base_url": current_app.config["APP_BASE_URL"], "what": what}
    return render_template("email/reminders.txt", **context), render_template("email/reminders.html", **context)


def _claim(ids):
    """pending/failed -> sending, only for rows nobody else claimed; return the claimed ids.

    One conditional UPDATE (per ID_CHUNK ids) and one read-back, committed
    together before the digest is sent: a pass killed after this point leaves
    these rows, and only these, in 'sending'.
    """
    now = utcnow()
    claimed = set()
    with db.atomic():
        for chunk in _chunks(ids):
            (
                Reminder.update(state="sending", updated_at=now)
                .where(Reminder.id.in_(chunk) & Reminder.state.in_(("pending", "failed")))
                .execute()
            )
            claimed.update(
                rid
                for (rid,) in Reminder.select(Reminder.id)
                .where(Reminder.id.in_(chunk) & (Reminder.state == "sending") & (Reminder.updated_at == now))
                .tuples()
            )
    return claimed


def _mark_sent(ids, msgid):
    """sending -> sent for one digest's rows, committed at once after the server accepted it."""
    with db.atomic():
        _update_ids(
            ids,
            state="sent",
            message_id=msgid,
            attempts=Reminder.attempts + 1,
            last_error="",
            next_attempt_at=None,
            updated_at=utcnow(),
        )


def _mark_failed(ids, error, now):
    """-> failed, with the next attempt after a backoff that doubles with each attempt (up to a day)."""
    backoff = current_app.config["REMINDER_BACKOFF_MINUTES"]
    by_attempts = defaultdict(list)
    for chunk in _chunks(ids):
        for rid, attempts in Reminder.select(Reminder.id, Reminder.attempts).where(Reminder.id.in_(chunk)).tuples():
            by_attempts[attempts + 1].append(rid)
    with db.atomic():
        for attempts, same in by_attempts.items():
            delay = min(backoff * 2 ** (attempts - 1), 24 * 60)
            _update_ids(
                same,
                state="failed",
                attempts=attempts,
                last_error=str(error)[:1000],
                next_attempt_at=now + timedelta(minutes=delay),
                updated_at=now,
            )


def _send_all(digests, result):
    """Send each digest over one reused connection.

    Per digest: claim its rows (committed), send, mark them sent (committed).
    A refused message fails alone and the next digest reconnects; when the
    server cannot be reached at all, the remaining digests fail with the same
    error at once instead of each waiting for its own timeout.
    """
    connection = None
    unreachable = None
    try:
        for digest in digests:
            ids = [item.reminder.id for item in digest.items]
            claimed = _claim(ids)
            digest.items = [i for i in digest.items if i.reminder.id in claimed]
            if not digest.items:
                continue
            ids = [item.reminder.id for item in digest.items]
            if unreachable is not None:
                _fail(digest, ids, unreachable, result)
                continue
            msgid = mailer.message_id([f"{digest.recipient}:{i}" for i in ids])
            text, html = render(digest)
            message = mailer.build(digest.recipient, digest.subject, text, html, msgid)
            if connection is None:
                try:
                    connection = mailer.connect().__enter__()
                except Exception as exc:  # refused, timed out, TLS or login failure
                    unreachable = exc
                    _fail(digest, ids, exc, result)
                    continue
            try:
                connection.send(message)
            except Exception as exc:  # a refusal (4xx/5xx) or a dropped connection
                _fail(digest, ids, exc, result)
                connection = _drop(connection)
                continue
            _mark_sent(ids, msgid)
            result.sent += len(ids)
            result.digests.append(digest)
    finally:
        _drop(connection)


def _fail(digest, ids, exc, result):
    log.warning("sending to %s failed: %s", digest.recipient, exc)
    _mark_failed(ids, f"{exc.__class__.__name__}: {exc}", utcnow())
    result.failed += len(ids)
    result.errors.append(f"{digest.recipient}: {exc}")


def _drop(connection):
    if connection is not None:
        try:
            connection.__exit__(None, None, None)
        except Exception:  # the connection is already gone
            pass
    return None


def _drop_stale(now, retry_failed_now, result):
    """Sendable rows that still apply; the others are marked skipped (one UPDATE per ID_CHUNK)."""
    sendable, stale = [], []
    for reminder in _sendable(datetime.datetime.max if retry_failed_now else now):
        if _still_applies(reminder, reminder.agreement):
            sendable.append(reminder)
        else:
            stale.append(reminder.id)
    if stale:
        with db.atomic():
            _update_ids(stale, state="skipped", last_error="no longer applies", updated_at=now)
        result.stale += len(stale)
    return sendable


def run_pass(day, trigger="cli", retry_failed_now=False):
    """One reminder pass as if today were `day`. Returns a PassResult.

    Failed sends are retried once their backoff has passed; `retry_failed_now`
    (a person running the command after fixing the mail server) retries them
    all at once.
    """
    result = PassResult(day)
    with locks.held(locks.PASS_LOCK, wait_seconds=PASS_LOCK_WAIT_SECONDS):
        run = SchedulerRun.create(run_for=day, trigger=trigger)
        try:
            # Rows left 'sending' by a pass that died: send them again.
            Reminder.update(state="pending").where(Reminder.state == "sending").execute()
            # Record what is due, one transaction per chunk of the register.
            for to_send, to_skip in _plan_chunks(day):
                with db.atomic():
                    _record(to_send, "pending")
                    result.skipped += _record(to_skip, "skipped")
            now = utcnow()
            sendable = _drop_stale(now, retry_failed_now, result)
            sendable, superseded = _latest_per_deadline(sendable, now)
            result.stale += superseded
            _send_all(_digests(sendable, day), result)
        except Exception as exc:
            run.error = f"{exc.__class__.__name__}: {exc}"
            raise
        finally:
            run.sent, run.skipped, run.failed = result.sent, result.skipped + result.stale, result.failed
            run.finished_at = utcnow()
            run.save()
    # Once a day, after reading the whole horizon: keep the planner's statistics current.
    optimize()
    return result


def dry_run(day):
    """What a pass for `day` would send and skip, recording nothing."""
    to_send, to_skip = plan(day)
    now = utcnow()
    pending = [r for r in _sendable(now) if _still_applies(r, r.agreement)]
    agreements = {}
    for chunk in _chunks({row["agreement"] for row in to_send}):
        agreements.update((a.id, a) for a in Agreement.select().where(Agreement.id.in_(chunk)))
    planned = [Reminder(**{**row, "agreement": agreements[row["agreement"]]}) for row in to_send]
    result = PassResult(day, skipped=len(to_skip))
    result.digests = _digests(pending + planned, day)
    result.sent = sum(len(d.items) for d in result.digests)
    return result
