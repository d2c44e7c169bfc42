"""Planning the reminders of parties' missing decisions on drafts (deadline kind "adoption").

A draft's adoption date (registry/domain/adoptions.py: the earlier of its planned start and the
expiry of the version it replaces) is a deadline like the others: reminders go out before it at
the agreement's "Påminn före slutdatum" days (its own, else its responsible group's, else 180, 90,
30 and 7), and after it every overdue_every days, with the same stage engine and catch-up
(registry/rules/stages.py), to the contacts of the parties whose decision is missing (role
"party_contact": the organisation's contact person and its functional mailbox). When a party's
decision is recorded, its contacts' reminders no longer apply; when the last one is, the draft
enters into force and none of them apply.

Drafts are few; their open adoption dates, the delivery log's rows of them and their policies are
read in a few queries per pass (ids in chunks).
"""

from registry.domain import adoptions
from registry.models import Agreement, Group, Reminder
from registry.rules import policy, stages

from .planning import Unplanned, _name
from .shared import chunks, reason

KIND = "adoption"
ROLE = "party_contact"


def _recorded(opened):
    """{(agreement id, recipient): {stage codes}} already in the log for the current adoption dates."""
    found = {}
    for chunk in chunks(sorted(opened)):
        query = Reminder.select(Reminder.agreement, Reminder.deadline_on, Reminder.recipient, Reminder.stage).where(
            (Reminder.kind == KIND) & Reminder.agreement.in_(chunk)
        )
        for agreement_id, deadline_on, recipient, stage in query.tuples():
            if deadline_on == opened[agreement_id].due_on:
                found.setdefault((agreement_id, recipient), set()).add(stage)
    return found


def _policies(ids):
    """{agreement id: Policy} of the drafts (their own reminder days, else their group's)."""
    groups = {g.id: g for g in Group.select()}  # tens of groups
    found = {}
    for chunk in chunks(ids):
        for agreement in Agreement.select(
            Agreement.id,
            Agreement.responsible_group,
            Agreement.expiry_offsets,
            Agreement.review_offsets,
            Agreement.overdue_every_days,
        ).where(Agreement.id.in_(chunk)):
            try:
                found[agreement.id] = policy.resolve(agreement, groups.get(agreement.responsible_group_id))
            except Exception as exc:  # a policy stored by an older version: reported as unplanned
                found[agreement.id] = exc
    return found


def plan(day):
    """(to send, to skip, unplanned) of the adoption dates of every draft with a missing decision."""
    opened = adoptions.open_adoptions()
    to_send, to_skip, unplanned = [], [], []
    if not opened:
        return to_send, to_skip, unplanned
    policies = _policies(sorted(opened))
    recorded = _recorded(opened)
    for agreement_id, found in sorted(opened.items()):
        try:
            rules = policies[agreement_id]
            if isinstance(rules, Exception):
                raise rules
            due = stages.due_stages(KIND, found.due_on, rules, day)
            if not due:
                continue
            planned_send, planned_skip = [], []
            for recipient in found.contacts:
                send, skip = stages.catch_up(due, recorded.get((agreement_id, recipient), set()))
                row = {
                    "agreement": agreement_id,
                    "kind": KIND,
                    "deadline_on": found.due_on,
                    "recipient": recipient,
                    "role": ROLE,
                }
                if send is not None:
                    planned_send.append({**row, "stage": send.code, "send_on": send.send_on})
                planned_skip.extend({**row, "stage": s.code, "send_on": s.send_on} for s in skip)
        except Exception as exc:  # this draft only: the others, and every other deadline, go on
            unplanned.append(Unplanned(agreement_id, KIND, found.due_on, reason(exc)))
            continue
        to_send.extend(planned_send)
        to_skip.extend(planned_skip)
    if unplanned:
        _name(unplanned)
    return to_send, to_skip, unplanned
