"""Delivering a reminder pass: record, claim, compose, send, mark.

Exactly-once, as far as SMTP allows: every reminder is first recorded under a
unique key (agreement, kind, deadline, stage, recipient); a digest claims its
rows with a conditional update (pending -> sending) before it is sent and marks
them sent after. Rows a killed pass left in 'sending' are sent again by the
next pass, which is the only way a duplicate can arise (the server accepted
the message, the kill came before it was recorded).

A reminder that cannot be composed (its deciding meeting cannot be computed,
its text cannot be rendered, the message cannot be built) fails alone: the
rest of its recipient's digest is sent. Such an error is permanent (sending
again cannot fix it until someone fixes the data), so it is retried at most
PERMANENT_ATTEMPTS times, a day apart, and then given up: it stays 'failed',
with its reason and no next attempt. Errors of the mail server or the network
are retried with a backoff for as long as the reminder applies.
"""

import datetime
import re
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import EXCLUDED

from registry.db import db
from registry.domain import acknowledgements, adoptions, revisions, schedule
from registry.domain.reminder_log import PERMANENT_ATTEMPTS, UNPLANNABLE, in_state
from registry.domain.validation import one_line
from registry.i18n import genitive
from registry.models import Agreement, Group, Person, Reminder, utcnow
from registry.rules.deadlines import EXPIRY, REVIEW
from registry.vocab import ACTIVE_STATUSES, REMINDER_KINDS

from . import mailer
from .shared import chunks, log, reason, rows

RECORD_BATCH = 500
# A party's decision on a draft, missing ahead of its start (scheduler/adoption_planning.py).
ADOPTION = "adoption"
# A revision's step not yet done, and its remiss while answers are missing (scheduler/revision_planning.py).
WORK = (revisions.STEP, revisions.CONSULTATION)
# A reminder that fails for a reason sending again cannot fix is tried PERMANENT_ATTEMPTS times, this far apart.
PERMANENT_RETRY = timedelta(days=1)
# What can go into RCPT TO: a local part, "@", a domain, no spaces or controls.
_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


class Names(NamedTuple):
    """What an email says of an agreement and its groups, each on one line (made safe once per agreement)."""

    title: str
    short_name: str
    group: str  # the responsible group's name
    deciding: str  # the deciding group's name ("" when there is none)


@dataclass
class Item:
    """One reminder in a digest, with what the email says about it."""

    reminder: Reminder
    agreement: Agreement
    days_left: int
    meeting: schedule.DecidingMeeting | None
    deciding: object = None  # the group whose meeting decides (its name is shown when no meeting is planned)
    names: Names | None = None
    parties: tuple = ()  # adoption: (organisation id, name) of the parties whose decision this recipient follows
    work: tuple = ()  # revision_step / consultation: the revisions.RevisionDeadline items due that day

    @property
    def overdue(self):
        return self.days_left < 0


def name_of(agreement):
    """An agreement's short name, else its title, on one line (for a subject or a list)."""
    return one_line(agreement.short_name) or one_line(agreement.title) or f"#{agreement.id}"


# Why a recipient gets a reminder, in the order a footer names the reasons.
ROLES = ("revision_lead", "owner", "mailbox", "chair", "secretary", "party_contact")


@dataclass
class Digest:
    recipient: str
    items: list = field(default_factory=list)

    def reasons(self):
        """[(role, [agreement names])]: why this recipient gets this email, only the reasons that apply."""
        found = {}
        for item in self.items:
            names = found.setdefault(item.reminder.role or "owner", [])
            name = name_of(item.agreement)
            if name not in names:
                names.append(name)
        return sorted(found.items(), key=lambda pair: ROLES.index(pair[0]) if pair[0] in ROLES else len(ROLES))

    @property
    def subject(self):
        """The subject, on one line whatever the stored titles hold."""
        if len(self.items) == 1:
            item = self.items[0]
            return one_line(
                _(
                    "Påminnelse: %(name)s – %(what)s %(date)s",
                    name=name_of(item.agreement),
                    what=what(item),
                    date=item.reminder.deadline_on.isoformat(),
                )
            )
        late = sum(1 for i in self.items if i.overdue)
        subject = ngettext(
            "Påminnelse: %(num)s tidsfrist i avtalsregistret",
            "Påminnelse: %(num)s tidsfrister i avtalsregistret",
            len(self.items),
        )
        if late:
            subject += " " + ngettext("(%(num)s försenad)", "(%(num)s försenade)", late)
        return one_line(subject)


@dataclass
class PassResult:
    day: object
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    stale: int = 0
    digests: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # "recipient: reason" of each send that failed
    unplanned: list = field(default_factory=list)  # planning.Unplanned: deadlines left out, with their reasons

    @property
    def unplanned_agreements(self):
        return len({u.agreement_id for u in self.unplanned})

    def summary(self):
        text = (
            f"{self.day.isoformat()}: {self.sent} sent, {self.skipped} skipped, "
            f"{self.failed} failed, {len(self.digests)} digests"
        )
        if self.unplanned:
            count = self.unplanned_agreements
            text += f", {count} agreement{'s' if count != 1 else ''} not planned"
        return text


def what(item):
    kind = item.reminder.kind
    if kind == revisions.STEP:
        return _("steget i revideringen är försenat") if item.overdue else _("steg i revideringen ska vara klart")
    if kind == revisions.CONSULTATION:
        return _("remissvar saknas fortfarande") if item.overdue else _("remissvaren ska ha kommit in")
    if kind == ADOPTION:
        return _("partens beslut saknas fortfarande") if item.overdue else _("partens beslut behövs senast")
    if item.overdue:
        if kind == EXPIRY:
            return _("avtalet har löpt ut")
        return _("uppföljningen är försenad") if kind == REVIEW else _("den nya versionen är försenad")
    if kind == EXPIRY:
        return _("upphör")
    return _("ska följas upp") if kind == REVIEW else _("ny version ska vara beslutad")


# --- recording ----------------------------------------------------------------


def record(rows_, state):
    """Insert rows, ignoring any another pass recorded first; return how many were new."""
    now = utcnow()
    created = 0
    for start in range(0, len(rows_), RECORD_BATCH):
        batch = [
            {**row, "state": state, "created_at": now, "updated_at": now} for row in rows_[start : start + RECORD_BATCH]
        ]
        created += Reminder.insert_many(batch).on_conflict_ignore().as_rowcount().execute()
    return created


def record_unplanned(unplanned, day):
    """Record the deadlines this pass could not plan as 'failed' rows of stage UNPLANNABLE, with their reasons.

    One row per deadline (no recipient), kept across passes: a deadline that
    still cannot be planned keeps its row (its reason and date of this pass),
    and the rows of deadlines every later pass plans, or that no longer exist,
    are marked 'skipped' ("resolved"). So the failed UNPLANNABLE rows are
    always those of the last pass, for /reminders and /healthz.
    """
    now = utcnow()
    found = {}
    for u in unplanned:
        deadline_on = u.deadline_on if isinstance(u.deadline_on, datetime.date) else datetime.date.min
        found[(u.agreement_id, u.kind, deadline_on)] = {
            "agreement": u.agreement_id,
            "kind": u.kind,
            "deadline_on": deadline_on,
            "stage": UNPLANNABLE,
            "recipient": "",
            "role": "",
            "send_on": day,
            "state": "failed",
            "attempts": 1,
            "last_error": u.reason,
            "next_attempt_at": None,
            "created_at": now,
            "updated_at": now,
        }
    earlier = rows(Reminder.select(Reminder.id).where(in_state("failed") & (Reminder.stage == UNPLANNABLE)))
    if not found and not earlier:
        return  # the usual case: nothing to record, nothing to resolve
    with db.atomic():
        batch = list(found.values())
        for start in range(0, len(batch), RECORD_BATCH):
            (
                Reminder.insert_many(batch[start : start + RECORD_BATCH])
                .on_conflict(
                    conflict_target=[
                        Reminder.agreement,
                        Reminder.kind,
                        Reminder.deadline_on,
                        Reminder.stage,
                        Reminder.recipient,
                    ],
                    update={
                        Reminder.state: "failed",
                        Reminder.last_error: EXCLUDED.last_error,
                        Reminder.send_on: EXCLUDED.send_on,
                        Reminder.next_attempt_at: None,
                        Reminder.updated_at: EXCLUDED.updated_at,
                    },
                )
                .execute()
            )
        (
            Reminder.update(state="skipped", last_error="resolved", updated_at=now)
            .where(in_state("failed") & (Reminder.stage == UNPLANNABLE) & (Reminder.updated_at < now))
            .execute()
        )


def update_ids(ids, **values):
    """One UPDATE per ID_CHUNK ids (in the caller's transaction); return the rows changed."""
    changed = 0
    for chunk in chunks(ids):
        changed += Reminder.update(**values).where(Reminder.id.in_(chunk)).execute()
    return changed


def requeue_sending():
    """Rows left 'sending' by a pass that died go back to 'pending': they are sent again."""
    Reminder.update(state="pending").where(Reminder.state == "sending").execute()


def latest_per_deadline(reminders, now):
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
            update_ids(superseded, state="skipped", last_error="superseded by a later stage", updated_at=now)
    return list(latest.values()), len(superseded)


# --- what to send -------------------------------------------------------------------


def still_applies(reminder, agreement, open_adoptions=None, open_work=None):
    """Is the reminder's deadline still the agreement's? For a party's decision: is the draft's adoption
    date still that day, and does the recipient still follow a party whose decision is missing?
    (`open_adoptions`: adoptions.open_adoptions of the agreements at hand, when already read.) For a
    revision's step or remiss: is a step of the open revision still not done on that day, or the remiss
    still unanswered by some party? (`open_work`: revisions.open_deadlines, when already read.)"""
    if reminder.kind in WORK:
        if open_work is None:
            open_work = revisions.open_deadlines([agreement.id])
        return any(
            d.kind == reminder.kind and d.due_on == reminder.deadline_on for d in open_work.get(agreement.id, ())
        )
    if reminder.kind == ADOPTION:
        if open_adoptions is None:
            open_adoptions = adoptions.open_adoptions([agreement.id])
        found = open_adoptions.get(agreement.id)
        return found is not None and found.due_on == reminder.deadline_on and reminder.recipient in found.contacts
    if agreement.status not in ACTIVE_STATUSES:
        return False
    return agreement.due_on(reminder.kind) == reminder.deadline_on


def sendable(now):
    """Pending rows, and failed rows whose next attempt is due by `now`, with their agreements.

    The ids come first from the log alone (its state index), then the rows by
    id: joined in one query, a planner that knows only that most of the log is
    'sent' or 'skipped' may walk every agreement instead (SQLite does). Failed
    rows without a next attempt (given up, or deadlines that could not be
    planned) are never sendable.
    """
    due = (Reminder.state == "pending") | ((Reminder.state == "failed") & (Reminder.next_attempt_at <= now))
    ids = []
    for state in ("pending", "failed"):  # each from the state index alone; the rows' query keeps the due ones
        ids.extend(row_id for (row_id,) in rows(Reminder.select(Reminder.id).where(Reminder.state == state)))
    found = []
    for chunk in chunks(ids):
        found.extend(Reminder.select(Reminder, Agreement).join(Agreement).where(Reminder.id.in_(chunk) & due))
    found.sort(key=lambda r: (r.recipient, r.deadline_on, r.id))
    return found


def drop_stale(now, retry_failed_now, result):
    """Sendable rows that still apply; the others, and given-up rows that no longer apply, are marked skipped."""
    sendable_, stale = [], []
    found = sendable(datetime.datetime.max if retry_failed_now else now)
    opened = adoptions.open_adoptions({r.agreement_id for r in found if r.kind == ADOPTION})
    work = revisions.open_deadlines({r.agreement_id for r in found if r.kind in WORK})
    for reminder in found:
        if still_applies(reminder, reminder.agreement, opened, work):
            sendable_.append(reminder)
        else:
            stale.append(reminder.id)
    # Given up: from the log alone first (its state index), as in `sendable`; there are seldom any.
    given_up = [
        row_id
        for (row_id,) in rows(
            Reminder.select(Reminder.id).where(
                in_state("failed") & Reminder.next_attempt_at.is_null() & (Reminder.stage != UNPLANNABLE)
            )
        )
    ]
    for chunk in chunks(given_up):
        found = Reminder.select(Reminder, Agreement).join(Agreement).where(Reminder.id.in_(chunk))
        stale.extend(r.id for r in found if not still_applies(r, r.agreement))
    if stale:
        with db.atomic():
            update_ids(stale, state="skipped", last_error="no longer applies", updated_at=now)
        result.stale += len(stale)
    return sendable_


def digests(reminders, day):
    """(one Digest per recipient, [(reminder, exception)] of the reminders that could not be made items).

    A deciding meeting that cannot be computed (a meeting date so near year 1
    that its material date falls outside the calendar) leaves the meeting out
    of the item: the reminder of the deadline itself still goes.
    """
    agreements = {r.agreement.id: r.agreement for r in reminders}
    groups = {g.id: g for g in Group.select()}  # a register has tens of groups, not thousands
    meetings = schedule.Meetings(agreements.values(), groups)
    for agreement in agreements.values():
        agreement.responsible_group = groups.get(agreement.responsible_group_id)
    by_recipient, broken, names_of = {}, [], {}
    opened = adoptions.open_adoptions({r.agreement.id for r in reminders if r.kind == ADOPTION})
    opened_work = revisions.open_deadlines({r.agreement.id for r in reminders if r.kind in WORK})
    for reminder in reminders:
        agreement = agreements[reminder.agreement.id]
        try:
            parties, work = (), ()
            if reminder.kind == ADOPTION:  # each party decides in its own body: no meeting of ours decides
                meeting = deciding = None
                found = opened.get(agreement.id)
                parties = tuple(found.contacts.get(reminder.recipient, ())) if found is not None else ()
            elif reminder.kind in WORK:  # the revision's own work: no meeting decides it
                meeting = deciding = None
                work = tuple(
                    d
                    for d in opened_work.get(agreement.id, ())
                    if d.kind == reminder.kind and d.due_on == reminder.deadline_on
                )
            else:
                deciding = meetings.deciding_group(agreement)
                try:
                    meeting = meetings.deciding_meeting(agreement, reminder.deadline_on)
                except Exception as exc:
                    log.warning("agreement %s: its deciding meeting cannot be computed (%s)", agreement.id, reason(exc))
                    meeting = deciding = None
            names = names_of.get((agreement.id, deciding is None))
            if names is None:
                names = names_of[(agreement.id, deciding is None)] = _names(agreement, deciding)
            item = Item(reminder, agreement, (reminder.deadline_on - day).days, meeting, deciding, names, parties, work)
        except Exception as exc:  # any other surprise costs this reminder, not the pass
            broken.append((reminder, exc))
            continue
        by_recipient.setdefault(reminder.recipient, Digest(reminder.recipient)).items.append(item)
    return _split_per_agreement(list(by_recipient.values())), broken


def _split_per_agreement(digests_):
    """One email per agreement for the people who chose so (Person.reminder_delivery), one digest for the rest."""
    wanted = set()
    for chunk in chunks([d.recipient for d in digests_]):
        wanted.update(
            email.lower()
            for (email,) in Person.select(Person.email)
            .where((Person.reminder_delivery == "each") & _email_in(chunk))
            .tuples()
        )
    if not wanted:
        return digests_
    out = []
    for digest in digests_:
        if digest.recipient.lower() not in wanted:
            out.append(digest)
            continue
        per_agreement = {}
        for item in digest.items:
            per_agreement.setdefault(item.agreement.id, Digest(digest.recipient)).items.append(item)
        out.extend(per_agreement.values())
    return out


def _email_in(emails):
    """Person.email among `emails` (stored addresses are lower case, as planning's recipients are)."""
    return Person.email.in_([e.lower() for e in emails])


def _names(agreement, deciding):
    group = agreement.responsible_group
    return Names(
        one_line(agreement.title),
        one_line(agreement.short_name),
        one_line(group.name) if group is not None else "",
        one_line(deciding.name) if deciding is not None else "",
    )


def meeting_line(item):
    """What an item says of the decide-by meeting, as one sentence ("" for nothing to say).

    The meeting and the day its material is due; a late decision when that meeting has been held;
    that the deciding group's meeting plan does not reach the decide-by month; or, before the
    deadline, that no meeting is planned in time.
    """
    meeting, group = item.meeting, item.names.deciding
    if meeting is not None and meeting.found:
        today = item.reminder.deadline_on - timedelta(days=item.days_left)
        values = {
            "group": genitive(group),
            "date": meeting.meets_on.isoformat(),
            "ready": meeting.material_due_on.isoformat(),
        }
        if meeting.late(today):
            return _("Sent beslut: beslutet behövde fattas vid %(group)s möte %(date)s.", **values)
        return _("Beslutas senast vid %(group)s möte %(date)s; underlaget ska vara klart %(ready)s.", **values)
    if meeting is not None and not meeting.reaches:
        return _("%(group)s mötesplan räcker inte till %(month)s.", group=genitive(group), month=meeting.month)
    if not item.overdue and group:
        return _("Inget möte är inlagt före tidsfristen för %(group)s.", group=group)
    return ""


def work_line(item):
    """A revision's step or remiss named, with its date: "Steg i revideringen: Barnkonsekvensanalys, senast
    2027-03-01" ("" for the other kinds)."""
    if item.reminder.kind not in WORK:
        return ""
    label = str(REMINDER_KINDS[item.reminder.kind])
    date = item.reminder.deadline_on.isoformat()
    names = ", ".join(one_line(d.name) for d in item.work) or label
    if item.reminder.kind == revisions.CONSULTATION:
        return _("%(what)s, svar senast %(date)s", what=label, date=date)
    return _("%(what)s: %(names)s, senast %(date)s", what=label, names=names, date=date)


def todo(item):
    """What the recipient is asked to do about one item."""
    if item.reminder.kind == revisions.STEP:
        if item.overdue:
            return _(
                "Steget skulle ha varit klart. Gör det klart och markera det som klart på revideringens sida, "
                "eller ändra dess datum om arbetet tar längre tid."
            )
        return _("Se till att steget blir klart i tid och markera det som klart på revideringens sida.")
    if item.reminder.kind == revisions.CONSULTATION:
        missing = sum(d.missing for d in item.work)
        return ngettext(
            "%(num)s part har ännu inte svarat på remissen. Påminn parten och registrera svaret på revideringens sida.",
            "%(num)s parter har ännu inte svarat på remissen. Påminn parterna och registrera svaren på "
            "revideringens sida.",
            missing,
        )
    if item.reminder.kind == ADOPTION:
        parties = ", ".join(one_line(name) for _pk, name in item.parties) or _("parten")
        if item.overdue:
            return _(
                "Beslutet från %(parties)s saknas fortfarande, och avtalet kan inte börja gälla utan det. "
                "Registrera beslutet i registret så snart det är fattat.",
                parties=parties,
            )
        return _(
            "Avtalet börjar gälla när alla parter som ska anta det har gjort det. Se till att %(parties)s "
            "beslutar i tid, och registrera beslutet (beslutande organ, datum, paragraf och partens "
            "diarienummer) i registret.",
            parties=parties,
        )
    if item.reminder.kind == EXPIRY:
        if item.overdue:
            return _(
                "Avtalet har löpt ut. Registrera en uppföljning med beslutet (förlängt, ersatt eller avslutat) "
                "eller ändra avtalets status."
            )
        return _(
            "Besluta i tid om avtalet ska förlängas, ändras eller upphöra, och registrera beslutet som en uppföljning."
        )
    if item.reminder.kind != REVIEW:  # the new version of an agreement under revision
        if item.overdue:
            return _(
                "Den nya versionen skulle ha varit beslutad. Registrera beslutet, eller ändra datumet för "
                "den nya versionen på avtalet om revideringen tar längre tid."
            )
        return _(
            "Avtalet revideras. Se till att den nya versionen blir klar och beslutad i tid, och registrera "
            "beslutet i registret."
        )
    if item.overdue:
        return _("Gör uppföljningen så snart som möjligt och registrera den i registret.")
    return _("Gör uppföljningen av avtalet och registrera den i registret.")


def links(item, base_url):
    """(agreement page, the form to act on, acknowledgement page or None) of an item, as absolute
    addresses. The form is the review form, or for a party's decision that party's decision form
    (the agreement's list of decisions when the recipient follows several parties)."""
    agreement = f"{base_url}/agreements/{item.agreement.id}"
    if item.reminder.kind in WORK:
        return agreement, f"{agreement}/revision", None
    if item.reminder.kind == ADOPTION:
        if len(item.parties) == 1:
            return agreement, f"{agreement}/adoptions/{item.parties[0][0]}", None
        return agreement, f"{agreement}#adoptions", None
    acknowledge = None
    if item.overdue:
        token = acknowledgements.token(item.agreement.id, item.reminder.kind, item.reminder.deadline_on)
        acknowledge = f"{base_url}/acknowledge/{token}"
    return agreement, f"{agreement}/reviews/new", acknowledge


def action(item):
    """The label of the link to the form an item asks the recipient to fill in."""
    if item.reminder.kind in WORK:
        return _("Öppna revideringen")
    return _("Registrera beslutet") if item.reminder.kind == ADOPTION else _("Registrera uppföljningen")


def reason_text(role):
    """Why a recipient in `role` gets a reminder, as a sentence."""
    texts = {
        "owner": _("Du får det här meddelandet för att du står som ägare av avtalet."),
        "mailbox": _("Du får det här meddelandet för att adressen är funktionsbrevlåda för avtalets ansvariga grupp."),
        "chair": _(
            "Du får det här meddelandet för att du är ordförande i avtalets ansvariga grupp "
            "och tidsfristen har passerat."
        ),
        "secretary": _(
            "Du får det här meddelandet för att du är sekreterare och underrättas om alla tidsfrister som har passerat."
        ),
        "party_contact": _(
            "Du får det här meddelandet för att du är kontakt för en part i avtalet vars beslut om avtalet "
            "ännu inte är registrerat."
        ),
        "revision_lead": _("Du får det här meddelandet för att du är ansvarig för revideringen av avtalet."),
    }
    return texts.get(role, texts["owner"])


def render(digest):
    context = {
        "digest": digest,
        "base_url": current_app.config["APP_BASE_URL"],
        "what": what,
        "todo": todo,
        "meeting_line": meeting_line,
        "work_line": work_line,
        "links": links,
        "action": action,
        "reason_text": reason_text,
        "pause_days": acknowledgements.pause_days(),
    }
    return render_template("email/reminders.txt", **context), render_template("email/reminders.html", **context)


# --- sending ------------------------------------------------------------------------


def claim(ids):
    """pending/failed -> sending, only for rows nobody else claimed; return the claimed ids.

    One conditional UPDATE (per ID_CHUNK ids) and one read-back, committed
    together before the digest is sent: a pass killed after this point leaves
    these rows, and only these, in 'sending'.
    """
    now = utcnow()
    claimed = set()
    with db.atomic():
        for chunk in chunks(ids):
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


def mark_sent(ids, msgid):
    """sending -> sent for one digest's rows, committed at once after the server accepted it."""
    with db.atomic():
        update_ids(
            ids,
            state="sent",
            message_id=msgid,
            attempts=Reminder.attempts + 1,
            last_error="",
            next_attempt_at=None,
            updated_at=utcnow(),
        )


def mark_failed(ids, error, now, permanent=False):
    """-> failed, with the next attempt.

    A temporary error (the mail server, the network) is retried after a
    backoff that doubles with each attempt (up to a day), for as long as the
    reminder applies. A permanent one a day later, and after PERMANENT_ATTEMPTS
    attempts not again (no next attempt).
    """
    backoff = current_app.config["REMINDER_BACKOFF_MINUTES"]
    by_attempts = defaultdict(list)
    for chunk in chunks(ids):
        for rid, attempts in Reminder.select(Reminder.id, Reminder.attempts).where(Reminder.id.in_(chunk)).tuples():
            by_attempts[attempts + 1].append(rid)
    with db.atomic():
        for attempts, same in by_attempts.items():
            if not permanent:
                next_attempt = now + timedelta(minutes=min(backoff * 2 ** (attempts - 1), 24 * 60))
            elif attempts < PERMANENT_ATTEMPTS:
                next_attempt = now + PERMANENT_RETRY
            else:
                next_attempt = None
            update_ids(
                same,
                state="failed",
                attempts=attempts,
                last_error=str(error)[:1000],
                next_attempt_at=next_attempt,
                updated_at=now,
            )


def _message(digest):
    """The message of a digest (rendered and built), or an exception saying why it cannot be."""
    if not _ADDRESS.fullmatch(digest.recipient):
        raise ValueError(f"not an e-mail address: {digest.recipient!r}")
    ids = [item.reminder.id for item in digest.items]
    msgid = mailer.message_id([f"{digest.recipient}:{i}" for i in ids])
    text, html = render(digest)
    message = mailer.build(digest.recipient, digest.subject, text, html, msgid)
    if message.has_bad_headers():  # raised by Flask-Mail at sending; known now, it fails only this recipient
        raise ValueError(f"a header would hold a line break (recipient {digest.recipient!r})")
    return message, msgid


def compose(digest):
    """(message, Message-ID, [(item, exception)]): the digest less the items that cannot be composed.

    Only when the whole digest cannot be rendered is each item tried alone,
    so that one odd agreement costs its recipient that one item, not the
    email. The message is None when no item is left.
    """
    try:
        return (*_message(digest), [])
    except Exception as exc:  # find the culprits below
        whole = exc
    broken = []
    for item in digest.items:
        try:
            _message(Digest(digest.recipient, [item]))
        except Exception as exc:
            broken.append((item, exc))
    if not broken:  # the items fail only together: none can be told apart
        broken = [(item, whole) for item in digest.items]
    bad = {id(item) for item, _exc in broken}
    digest.items = [item for item in digest.items if id(item) not in bad]
    if digest.items:
        try:
            return (*_message(digest), broken)
        except Exception as exc:
            broken.extend((item, exc) for item in digest.items)
            digest.items = []
    return None, None, broken


def _permanent(exc):
    """True for an error sending the same message again cannot fix: not the mail server's, nor the network's."""
    return not isinstance(exc, (smtplib.SMTPException, OSError))


def send_all(digests_, result):
    """Send each digest over one reused connection.

    Per digest: claim its rows (committed), compose, send, mark them sent
    (committed). A refused message fails alone and the next digest reconnects;
    when the server cannot be reached at all, the remaining digests fail with
    the same error at once instead of each waiting for its own timeout.
    """
    connection = None
    unreachable = None
    try:
        for digest in digests_:
            claimed = claim([item.reminder.id for item in digest.items])
            digest.items = [i for i in digest.items if i.reminder.id in claimed]
            if not digest.items:
                continue
            if unreachable is not None:
                fail(digest.recipient, [i.reminder.id for i in digest.items], reason(unreachable), result)
                continue
            message, msgid, broken = compose(digest)
            _fail_permanently([(item.reminder, exc) for item, exc in broken], result)
            if message is None:
                continue
            ids = [item.reminder.id for item in digest.items]
            if connection is None:
                try:
                    connection = mailer.connect().__enter__()
                except Exception as exc:  # refused, timed out, TLS or login failure
                    unreachable = exc
                    fail(digest.recipient, ids, reason(exc), result)
                    continue
            try:
                connection.send(message)
            except Exception as exc:  # a refusal (4xx/5xx), a dropped connection, or a message Flask-Mail refuses
                permanent = _permanent(exc)
                fail(digest.recipient, ids, reason(exc), result, permanent=permanent)
                if not permanent:  # nothing reached the server when the message itself was refused
                    connection = drop(connection)
                continue
            mark_sent(ids, msgid)
            result.sent += len(ids)
            result.digests.append(digest)
    finally:
        drop(connection)


def fail(recipient, ids, why, result, permanent=False):
    """Mark one recipient's rows failed with the reason `why` (text), and count them."""
    log.warning("sending to %s failed%s: %s", recipient, " (permanent)" if permanent else "", why)
    mark_failed(ids, why, utcnow(), permanent=permanent)
    result.failed += len(ids)
    result.errors.append(f"{recipient}: {why}")


def _fail_permanently(broken, result):
    """Mark [(reminder, exception)] permanently failed, one update per recipient and reason."""
    by_error = defaultdict(list)
    for reminder, exc in broken:
        by_error[(reminder.recipient, reason(exc))].append(reminder.id)
    for (recipient, why), ids in by_error.items():
        fail(recipient, ids, why, result, permanent=True)


def fail_broken(broken, result):
    """Claim and mark permanently failed the reminders that could not be made digest items."""
    claimed = claim([reminder.id for reminder, _exc in broken]) if broken else set()
    _fail_permanently([(r, exc) for r, exc in broken if r.id in claimed], result)


def drop(connection):
    if connection is not None:
        try:
            connection.__exit__(None, None, None)
        except Exception:  # the connection is already gone
            pass
    return None
