"""Planning the reminders of a revision's work (deadline kinds "revision_step" and "consultation").

An open revision's steps that are not done and have a due date, and its remiss while some party's
answer is missing (registry/domain/revisions.py), are deadlines like the others: reminders go out
before them at the agreement's "Påminn före uppföljning" days (its own, else its responsible group's,
else 60 and 14), and after them every overdue_every days, with the same stage engine and catch-up
(registry/rules/stages.py). Before the deadline they go to the revision's lead, the agreement's owners
and its group's mailbox; once it has passed, also to the responsible group's chair and the
secretaries (planning.recipients), who hear only of overdue stages.

The delivery log is unique on (agreement, kind, deadline, stage, recipient): two steps of one
revision due the same day share their reminders (the e-mail names every step due that day). When a
step is done, the remiss answered by every party or the revision closed, its reminders no longer
apply (delivery.still_applies). "Vi arbetar med det" does not pause these: they have no link to it.

Open revisions are few; their deadlines, owners, the log's rows and the policies are read in a few
queries per pass.
"""

from collections import defaultdict

from registry.domain import revisions
from registry.models import Agreement, AgreementOwner, Group, Person, Reminder, Revision
from registry.rules import stages

from .adoption_planning import _policies
from .planning import Unplanned, _escalation, _name, _unique, recipients
from .shared import chunks, reason

KINDS = (revisions.STEP, revisions.CONSULTATION)
LEAD = "revision_lead"


def _by_day(opened):
    """{(agreement id, kind, due_on): [RevisionDeadline]}: the deadlines that share reminders."""
    found = defaultdict(list)
    for items in opened.values():
        for item in items:
            found[(item.agreement_id, item.kind, item.due_on)].append(item)
    return found


def _recorded(ids):
    """{(agreement id, kind, deadline_on, recipient): {stage codes}} of these agreements' revision reminders."""
    found = defaultdict(set)
    for chunk in chunks(ids):
        query = Reminder.select(
            Reminder.agreement, Reminder.kind, Reminder.deadline_on, Reminder.recipient, Reminder.stage
        ).where(Reminder.kind.in_(KINDS) & Reminder.agreement.in_(chunk))
        for agreement_id, kind, deadline_on, recipient, stage in query.tuples():
            found[(agreement_id, kind, deadline_on, recipient)].add(stage)
    return found


def _leads(ids):
    """{agreement id: the open revision's lead's e-mail} (active people only)."""
    found = {}
    for chunk in chunks(ids):
        query = (
            Revision.select(Revision.agreement, Person.email)
            .join(Person, on=(Revision.lead == Person.id))
            .where((Revision.state == revisions.OPEN) & Revision.agreement.in_(chunk) & Person.is_active)
            .tuples()
        )
        found.update(query)
    return found


def _owners(ids):
    owners = defaultdict(list)
    for chunk in chunks(ids):
        for agreement_id, email in (
            AgreementOwner.select(AgreementOwner.agreement, Person.email)
            .join(Person)
            .where(AgreementOwner.agreement.in_(chunk) & Person.is_active)
            .order_by(AgreementOwner.id)
            .tuples()
        ):
            owners[agreement_id].append(email)
    return owners


def plan(day):
    """(to send, to skip, unplanned) of every open revision's steps and remiss."""
    opened = revisions.open_deadlines()
    to_send, to_skip, unplanned = [], [], []
    if not opened:
        return to_send, to_skip, unplanned
    ids = sorted(opened)
    policies = _policies(ids)
    recorded = _recorded(ids)
    leads, owners = _leads(ids), _owners(ids)
    chairs, secretaries = _escalation()
    groups = {g.id: g for g in Group.select()}
    agreements = {}
    for chunk in chunks(ids):
        query = Agreement.select(Agreement.id, Agreement.responsible_group).where(Agreement.id.in_(chunk))
        agreements.update((a.id, a) for a in query)
    for (agreement_id, kind, due_on), _items in sorted(_by_day(opened).items()):
        try:
            rules = policies[agreement_id]
            if isinstance(rules, Exception):
                raise rules
            due = stages.due_stages(kind, due_on, rules, day)
            if not due:
                continue
            agreement = agreements[agreement_id]
            ahead, late = recipients(agreement, groups.get(agreement.responsible_group_id), owners, chairs, secretaries)
            lead = _unique([(leads[agreement_id], LEAD)]) if agreement_id in leads else []
            ahead = _unique(lead + ahead)
            late = _unique(lead + late)
            ahead_emails = {email for email, _role in ahead}
            planned_send, planned_skip = [], []
            for email, role in late if due[-1].overdue else ahead:
                theirs = due if email in ahead_emails else tuple(s for s in due if s.overdue)
                send, skip = stages.catch_up(theirs, recorded.get((agreement_id, kind, due_on, email), set()))
                row = {"agreement": agreement_id, "kind": kind, "deadline_on": due_on, "recipient": email, "role": role}
                if send is not None:
                    planned_send.append({**row, "stage": send.code, "send_on": send.send_on})
                planned_skip.extend({**row, "stage": s.code, "send_on": s.send_on} for s in skip)
        except Exception as exc:  # this deadline only: the others go on
            unplanned.append(Unplanned(agreement_id, kind, due_on, reason(exc)))
            continue
        to_send.extend(planned_send)
        to_skip.extend(planned_skip)
    if unplanned:
        _name(unplanned)
    return to_send, to_skip, unplanned
