"""Planning a reminder pass: which reminders are due, to whom, and which catch-up skips.

Planning reads only what can be due: active agreements whose expiry or next
review falls before the horizon (the date filter is in SQL, served by the
indexes on expires_on and next_review_on), a chunk of them at a time so that
memory stays flat however large the register is. Per chunk, one query each
fetches the owners, the delivery-log rows of the current deadlines and the
acknowledged ones, so the cost is a few queries per chunk, never one per
agreement.

An overdue deadline someone acknowledged ("Vi arbetar med det", see
registry/domain/acknowledgements.py) is not planned at all while its pause
lasts: no chair or secretary notices, no repeated overdue notices. When the
pause ends, the usual catch-up sends the latest due stage and skips the rest.

One agreement never stops a pass: a deadline that cannot be planned (a date
so near year 1 that its reminder dates fall outside the calendar, a policy
stored by an older version that does not parse, any bug) is left out with its
reason as an `Unplanned`, and everything else is planned.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from peewee import PostgresqlDatabase, fn

from registry.db import db
from registry.domain import acknowledgements, schedule, status
from registry.domain.validation import one_line
from registry.models import Agreement, AgreementOwner, Group, Person, Reminder
from registry.rules import policy, stages
from registry.vocab import ACTIVE_STATUSES, DEADLINE_COLUMNS, DEADLINE_STATUSES

from .shared import PLAN_CHUNK, as_date, chunks, log, reason, rows

# A deadline can be moved this many days by weekends and holidays.
SHIFT_MARGIN_DAYS = 7


@dataclass
class Unplanned:
    """A deadline of an agreement that could not be planned, and why."""

    agreement_id: int
    kind: str
    deadline_on: object  # a date, or the stored text when it is no date
    reason: str
    title: str = ""

    def describe(self):
        """One line for the command's output and the scheduler's log."""
        return f"agreement {self.agreement_id} ({self.title}): {self.kind} {self.deadline_on}: {self.reason}"


class _Facts(NamedTuple):
    """What planning needs of an agreement (no model instances: a pass may look at many)."""

    id: int
    status: str
    expires_on: datetime.date | None  # or the stored text, when it is no date
    next_review_on: datetime.date | None
    revision_due_on: datetime.date | None
    expiry_offsets: str
    review_offsets: str
    overdue_every_days: int | None
    responsible_group_id: int
    decision_body_id: int | None
    notice_period_months: int | None

    @property
    def deciding_group_id(self):
        return self.decision_body_id or self.responsible_group_id


_FACT_COLUMNS = (
    Agreement.id,
    Agreement.status,
    Agreement.expires_on,
    Agreement.next_review_on,
    Agreement.revision_due_on,
    Agreement.expiry_offsets,
    Agreement.review_offsets,
    Agreement.overdue_every_days,
    Agreement.responsible_group,
    Agreement.decision_body,
    Agreement.notice_period_months,
)


def horizon_days():
    """How far ahead any policy in the register looks (defaults, groups, agreements)."""
    longest = max(policy.DEFAULT_EXPIRY_OFFSETS + policy.DEFAULT_REVIEW_OFFSETS)
    for model in (Group, Agreement):
        found = (
            model.select(model.expiry_offsets, model.review_offsets)
            .where((model.expiry_offsets != "") | (model.review_offsets != ""))
            .distinct()
            .tuples()
        )
        for expiry, review in found:
            for text in (expiry, review):
                try:
                    longest = max(longest, *(policy.parse_offsets(text) or (0,)))
                except policy.PolicyError:
                    continue
    return longest + SHIFT_MARGIN_DAYS


def _in_window(until):
    """Active agreements with a deadline on or before `until`, or already passed (SQL)."""
    return Agreement.status.in_(ACTIVE_STATUSES) & status.due_by(Agreement, until)


def window_end(day, meetings):
    """The last deadline the pass for `day` must read: the horizon, or further for deadlines whose
    advance reminders count from the material day of a decide-by meeting months before them."""
    return meetings.furthest_deadline(day + timedelta(days=horizon_days()))


def _stored_date(value):
    """A date from the driver, or the stored text itself when it is no date (planning reports it)."""
    try:
        return as_date(value)
    except ValueError:
        return value


def _candidate_chunks(window):
    """Lists of _Facts of the agreements in the window, PLAN_CHUNK at a time, in id order."""
    last = 0
    while True:
        found = rows(
            Agreement.select(*_FACT_COLUMNS)
            .where(window & (Agreement.id > last))
            .order_by(Agreement.id)
            .limit(PLAN_CHUNK)
        )
        try:
            chunk = [_Facts(r[0], r[1], *map(as_date, r[2:5]), *r[5:]) for r in found]
        except ValueError:  # a date column holding text that is no date (SQLite): keep the text, report it
            chunk = [_Facts(r[0], r[1], *map(_stored_date, r[2:5]), *r[5:]) for r in found]
        if chunk:
            yield chunk
        if len(chunk) < PLAN_CHUNK:
            return
        last = chunk[-1].id


def _chunk_condition(window, chunk):
    return window & Agreement.id.between(chunk[0].id, chunk[-1].id)


def _deadlines_of(agreement):
    """(kind, date) of each deadline the agreement has in its status (its stored dates)."""
    found = []
    for kind, name in DEADLINE_COLUMNS.items():
        due_on = getattr(agreement, name)
        if due_on is not None and agreement.status in DEADLINE_STATUSES[kind]:
            found.append((kind, due_on))
    return found


def _owners(condition):
    """{agreement id: [owner e-mail]} for the agreements matching `condition`, in one query."""
    owners = defaultdict(list)
    found = rows(
        AgreementOwner.select(AgreementOwner.agreement, Person.email)
        .join(Person)
        .switch(AgreementOwner)
        .join(Agreement)
        .where(condition & Person.is_active)
        .order_by(AgreementOwner.id)
    )
    for agreement_id, email in found:
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


def recipients(agreement, group, owners, chairs, secretaries):
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
    """Addresses once each, lower case, on one line (an address with a line break must not reach a header)."""
    seen, out = set(), []
    for email, role in pairs:
        key = one_line(email).lower()
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
    for kind, name in DEADLINE_COLUMNS.items():
        deadline = getattr(Agreement, name)
        current = (Reminder.agreement == Agreement.id) & (Reminder.kind == kind) & (Reminder.deadline_on == deadline)
        found = rows(
            Agreement.select(Reminder.agreement, Reminder.recipient, stages_of)
            .join(Reminder, on=current)
            .where(condition)
            .group_by(Reminder.agreement, Reminder.recipient)
        )
        for agreement_id, recipient, codes in found:
            recorded[(agreement_id, kind)][recipient] = f",{codes},"
    return recorded


class _Due(NamedTuple):
    """The due stages of one deadline, with what the settled-check needs."""

    stages: tuple
    latest: str  # ",code," of the stage a recipient must have (as _recorded's text holds it)
    earlier: tuple  # ",code," of each earlier advance stage an owner must have (sent or skipped)


def _due(kind, due_on, rules, day, advance_from):
    if not isinstance(due_on, datetime.date):
        raise ValueError(f"not a date: {due_on!r}")
    found = stages.due_stages(kind, due_on, rules, day, advance_from)
    if not found:
        return None
    return _Due(found, f",{found[-1].code},", tuple(f",{s.code}," for s in found[:-1] if not s.overdue))


def plan_chunks(day):
    """(to send, to skip, unplanned) per chunk of candidate agreements; see `plan`."""
    groups = {g.id: g for g in Group.select()}  # a register has tens of groups, not thousands
    meetings = schedule.Meetings(groups=groups, group_ids=groups)
    window = _in_window(window_end(day, meetings))
    chairs, secretaries = _escalation()
    # Most agreements share their group's policy, many share a date and many the same people.
    rules_of, due_of, people_of, decided = {}, {}, {}, {}
    for chunk in _candidate_chunks(window):
        condition = _chunk_condition(window, chunk)
        parties = schedule.party_counts(where=condition)
        owners = _owners(condition)
        recorded = _recorded(condition)
        paused = acknowledgements.paused([a.id for a in chunk], day)
        to_send, to_skip, unplanned = [], [], []
        for agreement in chunk:
            group = groups.get(agreement.responsible_group_id)
            try:
                key = (agreement.responsible_group_id, *agreement[5:8])
                rules = rules_of.get(key)
                if rules is None:
                    rules = rules_of[key] = policy.resolve(agreement, group)
            except Exception as exc:  # a policy stored by an older version: none of its deadlines can be planned
                unplanned.extend(
                    Unplanned(agreement.id, kind, on, reason(exc)) for kind, on in _deadlines_of(agreement)
                )
                continue
            people = None
            for kind, due_on in _deadlines_of(agreement):
                try:
                    advance_from = _advance_from(meetings, decided, agreement, due_on, parties)
                    key = (kind, due_on, rules, advance_from)
                    if key not in due_of:
                        due_of[key] = _due(kind, due_on, rules, day, advance_from)
                    due = due_of[key]
                    if due is None:
                        continue
                    if due.stages[-1].overdue and (agreement.id, kind, due_on) in paused:
                        continue  # "Vi arbetar med det": no escalation and no overdue repeats until the pause ends
                    if people is None:
                        key = (agreement.responsible_group_id, tuple(owners.get(agreement.id, ())))
                        people = people_of.get(key)
                        if people is None:
                            ahead, late = recipients(agreement, group, owners, chairs, secretaries)
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
                except Exception as exc:  # this deadline only: the agreement's others, and everyone else's, go on
                    _forget(to_send, agreement.id, kind)
                    _forget(to_skip, agreement.id, kind)
                    unplanned.append(Unplanned(agreement.id, kind, due_on, reason(exc)))
        if unplanned:
            _name(unplanned)
        yield to_send, to_skip, unplanned
    # Parties' missing decisions on drafts: a deadline of their own, planned alongside.
    from . import adoption_planning  # (it imports this module)

    yield adoption_planning.plan(day)
    # A revision's steps and remiss (registry/domain/revisions.py): likewise.
    from . import revision_planning

    yield revision_planning.plan(day)


def _advance_from(meetings, decided, agreement, due_on, parties):
    """The material day of the deadline's decide-by meeting (advance reminders count from it), or None."""
    if not isinstance(due_on, datetime.date):
        return None  # _due reports it
    key = (agreement.deciding_group_id, due_on, parties.get(agreement.id, 0) > 1, agreement.notice_period_months)
    if key not in decided:
        try:
            found = meetings.decide(key[0], due_on, parties.get(agreement.id, 0), agreement.notice_period_months)
        except (OverflowError, ValueError):  # a meeting day an older version stored (year 1): count from the deadline
            found = None
        decided[key] = found.advance_from if found is not None else None
    return decided[key]


def _forget(planned, agreement_id, kind):
    """Drop the rows of one deadline from the end of `planned` (a deadline's rows are appended together)."""
    while planned and planned[-1]["agreement"] == agreement_id and planned[-1]["kind"] == kind:
        planned.pop()


def _name(unplanned):
    """Fill in the titles of the agreements that could not be planned (for the command's output), and log them."""
    titles = {}
    for chunk in chunks({u.agreement_id for u in unplanned}):
        titles.update(Agreement.select(Agreement.id, Agreement.title).where(Agreement.id.in_(chunk)).tuples())
    for u in unplanned:
        u.title = one_line(titles.get(u.agreement_id, ""))
        log.warning("could not plan the reminders of %s", u.describe())


def plan(day, unplanned=None):
    """Rows to record for `day`: (to send, to skip), each a list of Reminder field dicts.

    What cannot be planned is appended to `unplanned` (a list), when given.
    """
    to_send, to_skip = [], []
    for sending, skipping, problems in plan_chunks(day):
        to_send.extend(sending)
        to_skip.extend(skipping)
        if unplanned is not None:
            unplanned.extend(problems)
    return to_send, to_skip
