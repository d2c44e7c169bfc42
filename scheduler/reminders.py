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
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import fn

from registry.db import db
from registry.domain.vocab import ACTIVE_STATUSES
from registry.models import (
    Agreement,
    AgreementOwner,
    Group,
    GroupMeeting,
    Person,
    Reminder,
    SchedulerRun,
    utcnow,
)

from . import locks, mailer, policy, stages
from .deadlines import EXPIRY, REVIEW

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
    meeting: tuple | None

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


def _horizon_days():
    """How far ahead any policy in the register looks (defaults, groups, agreements)."""
    longest = max(policy.DEFAULT_EXPIRY_OFFSETS + policy.DEFAULT_REVIEW_OFFSETS)
    for model in (Group, Agreement):
        for expiry, review in model.select(model.expiry_offsets, model.review_offsets).distinct().tuples():
            for text in (expiry, review):
                try:
                    longest = max(longest, *(policy.parse_offsets(text) or (0,)))
                except policy.PolicyError:
                    continue
    return longest + SHIFT_MARGIN_DAYS


def _candidates(day):
    """Active agreements with a deadline inside the horizon or already passed."""
    horizon = day + timedelta(days=_horizon_days())
    return list(
        Agreement.select(Agreement, Group)
        .join(Group, on=Agreement.responsible_group == Group.id)
        .where(
            Agreement.status.in_(ACTIVE_STATUSES)
            & ((Agreement.expires_on <= horizon) | (Agreement.next_review_on <= horizon))
        )
    )


def _deadlines_of(agreement):
    found = []
    if agreement.expires_on is not None:
        found.append((EXPIRY, agreement.expires_on))
    if agreement.next_review_on is not None:
        found.append((REVIEW, agreement.next_review_on))
    return found


def _recipients(agreements):
    """{agreement id: ([(email, role)] before the deadline, [(email, role)] when overdue)}."""
    ids = [a.id for a in agreements]
    owners = defaultdict(list)
    if ids:
        rows = (
            AgreementOwner.select(AgreementOwner.agreement, Person.email)
            .join(Person)
            .where(AgreementOwner.agreement.in_(ids) & Person.is_active)
            .tuples()
        )
        for agreement_id, email in rows:
            owners[agreement_id].append(email)
    chairs = dict(Group.select(Group.id, Person.email).join(Person, on=Group.chair == Person.id).tuples())
    secretaries = [p.email for p in Person.select().where(Person.is_secretary & Person.is_active)]
    result = {}
    for agreement in agreements:
        ahead = [(e, "owner") for e in owners[agreement.id]]
        if agreement.responsible_group.mailbox:
            ahead.append((agreement.responsible_group.mailbox, "mailbox"))
        late = list(ahead)
        if agreement.responsible_group_id in chairs:
            late.append((chairs[agreement.responsible_group_id], "chair"))
        late.extend((e, "secretary") for e in secretaries)
        result[agreement.id] = (_unique(ahead), _unique(late))
    return result


def _unique(pairs):
    seen, out = set(), []
    for email, role in pairs:
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append((key, role))
    return out


def _recorded(agreements):
    """{(agreement, kind, deadline): {(recipient, stage)}} for the current deadlines."""
    recorded = defaultdict(set)
    ids = [a.id for a in agreements]
    if not ids:
        return recorded
    dates = {d for a in agreements for _k, d in _deadlines_of(a)}
    rows = (
        Reminder.select(Reminder.agreement, Reminder.kind, Reminder.deadline_on, Reminder.recipient, Reminder.stage)
        .where(Reminder.agreement.in_(ids) & Reminder.deadline_on.in_(list(dates)))
        .tuples()
    )
    for agreement_id, kind, deadline_on, recipient, stage in rows:
        recorded[(agreement_id, kind, deadline_on)].add((recipient, stage))
    return recorded


def plan(day):
    """Rows to record for `day`: (to send, to skip), each a list of Reminder field dicts."""
    agreements = _candidates(day)
    recipients = _recipients(agreements)
    recorded = _recorded(agreements)
    to_send, to_skip = [], []
    for agreement in agreements:
        rules = policy.resolve(agreement, agreement.responsible_group)
        ahead, late = recipients[agreement.id]
        for kind, due_on in _deadlines_of(agreement):
            due = stages.stages(kind, due_on, rules, day)
            if not due:
                continue
            done = recorded[(agreement.id, kind, due_on)]
            owners = {email for email, _role in ahead}
            for email, role in late if due[-1].overdue else ahead:
                mine = {stage for (recipient, stage) in done if recipient == email}
                # Escalation recipients hear only of overdue stages, never of advance ones.
                theirs = due if email in owners else [s for s in due if s.overdue]
                send, skip = stages.catch_up(theirs, mine)
                row = {"agreement": agreement.id, "kind": kind, "deadline_on": due_on, "recipient": email, "role": role}
                if send is not None:
                    to_send.append({**row, "stage": send.code, "send_on": send.send_on})
                to_skip.extend({**row, "stage": s.code, "send_on": s.send_on} for s in skip)
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


def _latest_per_deadline(reminders, now):
    """Keep one row per (agreement, deadline, recipient): the latest stage.

    A failed stage that a later stage has replaced is marked skipped, so a
    recipient never hears of one deadline twice in one email.
    """
    latest = {}
    for reminder in reminders:
        key = (reminder.agreement.id, reminder.kind, reminder.deadline_on, reminder.recipient)
        current = latest.get(key)
        if current is None or (reminder.send_on, reminder.id) > (current.send_on, current.id):
            latest[key] = reminder
    superseded = [r.id for r in reminders if latest[(r.agreement.id, r.kind, r.deadline_on, r.recipient)] is not r]
    if superseded:
        (
            Reminder.update(state="skipped", last_error="superseded by a later stage", updated_at=now)
            .where(Reminder.id.in_(superseded))
            .execute()
        )
    return list(latest.values()), len(superseded)


# --- sending ----------------------------------------------------------------


def _still_applies(reminder, agreement):
    if agreement.status not in ACTIVE_STATUSES:
        return False
    current = agreement.expires_on if reminder.kind == EXPIRY else agreement.next_review_on
    return current == reminder.deadline_on


def _sendable(now):
    """Pending rows, and failed rows whose next attempt is due by `now`."""
    return list(
        Reminder.select(Reminder, Agreement)
        .join(Agreement)
        .where((Reminder.state == "pending") | ((Reminder.state == "failed") & (Reminder.next_attempt_at <= now)))
        .order_by(Reminder.recipient, Reminder.deadline_on, Reminder.id)
    )


def _digests(reminders, day):
    agreements = {r.agreement.id: r.agreement for r in reminders}
    groups = {g.id: g for g in Group.select()}  # a register has tens of groups, not thousands
    meetings = GroupMeeting.dates_by_group({a.decision_body_id or a.responsible_group_id for a in agreements.values()})
    by_recipient = {}
    for reminder in reminders:
        agreement = agreements[reminder.agreement.id]
        agreement.responsible_group = groups.get(agreement.responsible_group_id)
        deciding_id = agreement.decision_body_id or agreement.responsible_group_id
        deciding = groups.get(deciding_id)
        meeting = stages.deciding_meeting(
            meetings[deciding_id], reminder.deadline_on, deciding.lead_time_days if deciding else 14
        )
        item = Item(reminder, agreement, (reminder.deadline_on - day).days, (deciding, *meeting) if meeting else None)
        by_recipient.setdefault(reminder.recipient, Digest(reminder.recipient)).items.append(item)
    return list(by_recipient.values())


def render(digest):
    context = {"digest": digest, "base_url": current_app.config["APP_BASE_URL"], "what": what}
    return render_template("email/reminders.txt", **context), render_template("email/reminders.html", **context)


def _claim(ids):
    """pending/failed -> sending, only for rows nobody else claimed; return the claimed ids."""
    now = utcnow()
    (
        Reminder.update(state="sending", updated_at=now)
        .where(Reminder.id.in_(ids) & Reminder.state.in_(("pending", "failed")))
        .execute()
    )
    return {
        r.id
        for r in Reminder.select(Reminder.id).where(
            Reminder.id.in_(ids) & (Reminder.state == "sending") & (Reminder.updated_at == now)
        )
    }


def _mark_sent(ids, msgid):
    (
        Reminder.update(
            state="sent",
            message_id=msgid,
            attempts=Reminder.attempts + 1,
            last_error="",
            next_attempt_at=None,
            updated_at=utcnow(),
        )
        .where(Reminder.id.in_(ids))
        .execute()
    )


def _mark_failed(ids, error, now):
    backoff = current_app.config["REMINDER_BACKOFF_MINUTES"]
    for reminder in Reminder.select().where(Reminder.id.in_(ids)):
        attempts = reminder.attempts + 1
        delay = min(backoff * 2 ** (attempts - 1), 24 * 60)
        (
            Reminder.update(
                state="failed",
                attempts=attempts,
                last_error=str(error)[:1000],
                next_attempt_at=now + timedelta(minutes=delay),
                updated_at=now,
            )
            .where(Reminder.id == reminder.id)
            .execute()
        )


def _send_all(digests, result):
    """Send each digest over one reused connection.

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
            to_send, to_skip = plan(day)
            with db.atomic():
                _record(to_send, "pending")
                result.skipped = _record(to_skip, "skipped")
            now = utcnow()
            sendable = []
            for reminder in _sendable(datetime.datetime.max if retry_failed_now else now):
                if _still_applies(reminder, reminder.agreement):
                    sendable.append(reminder)
                else:
                    (
                        Reminder.update(state="skipped", last_error="no longer applies", updated_at=now)
                        .where(Reminder.id == reminder.id)
                        .execute()
                    )
                    result.stale += 1
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
    return result


def dry_run(day):
    """What a pass for `day` would send and skip, recording nothing."""
    to_send, to_skip = plan(day)
    now = utcnow()
    pending = [r for r in _sendable(now) if _still_applies(r, r.agreement)]
    ids = [row["agreement"] for row in to_send]
    agreements = {a.id: a for a in Agreement.select().where(Agreement.id.in_(ids or [0]))}
    planned = [Reminder(**{**row, "agreement": agreements[row["agreement"]]}) for row in to_send]
    result = PassResult(day, skipped=len(to_skip))
    result.digests = _digests(pending + planned, day)
    result.sent = sum(len(d.items) for d in result.digests)
    return result


def last_run():
    return SchedulerRun.select().order_by(SchedulerRun.started_at.desc()).first()


def totals():
    """{state: count} over the whole delivery log."""
    return dict(Reminder.select(Reminder.state, fn.COUNT(Reminder.id)).group_by(Reminder.state).tuples())
