"""Rows as JSON-ready dicts, in the shapes of registry/api/schemas.py."""

from flask import url_for

from registry.rules import policy

from ..collation import organisation_key, sv_key
from ..domain import adoptions, fields, indicators, meeting_plan, revisions, schedule, stored_documents
from ..domain import status as derived
from ..models import Group, Review


def day(value):
    return value.isoformat() if value else None


def timestamp(value):
    """Stored timestamps are naive UTC: ISO 8601 with a Z, to the second."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def group_ref(group):
    if group is None:
        return None
    return {"id": group.id, "name": group.name, "short_name": group.short_name}


def person_ref(person):
    if person is None:
        return None
    return {"id": person.id, "name": person.name}


def agreement_ref(agreement):
    return {
        "id": agreement.id,
        "title": agreement.title,
        "short_name": agreement.short_name,
        "status": agreement.status,
        "responsible_group": group_ref(agreement.responsible_group),
    }


def offsets(text):
    try:
        return list(policy.parse_offsets(text) or ())
    except policy.PolicyError:  # stored by hand outside the domain: show nothing rather than fail
        return []


def plain(field, value):
    """A plain field's stored value as JSON: dates as ISO text, reminder days as a list, a missing cycle as ""."""
    if field.kind == fields.DATE:
        return day(value)
    if field.kind == fields.OFFSETS:
        return offsets(value)
    if field.kind == fields.CYCLE:
        return value or ""
    return value


def agreement_summary(agreement, today, window_days):
    return {
        "id": agreement.id,
        "title": agreement.title,
        "short_name": agreement.short_name,
        "kind": agreement.kind,
        "case_number": agreement.case_number,
        "status": agreement.status,
        "responsible_group": group_ref(agreement.responsible_group),
        "valid_from": day(agreement.valid_from),
        "expires_on": day(agreement.expires_on),
        "next_review_on": day(agreement.next_review_on),
        "review_rule": agreement.review_rule or "",
        "flags": [flag.code for flag in derived.flags(agreement, today, window_days)],
        "updated_at": timestamp(agreement.updated_at),
    }


def deadline(kind, due_on, today, meeting):
    """One deadline, with its decide-by meeting (a schedule.DecidingMeeting or None).

    `deciding_meeting` is the deciding group's last meeting on or before `decide_by` (the deadline
    less the adoption lead), the day material for it is due, and `late` when that meeting has been
    held; it is null when there is no such meeting, and `meeting_plan_problem` then says why when the
    group has a meeting plan (it does not reach the decide-by month, or has no meeting before it).
    """
    found, problem = None, None
    if meeting is not None and meeting.found:
        found = {
            "group": group_ref(meeting.group),
            "meets_on": day(meeting.meets_on),
            "material_due_on": day(meeting.material_due_on),
            "decide_by": day(meeting.decide_by),
            "late": meeting.late(today),
        }
    elif meeting is not None:
        problem = {
            "code": "plan_too_short" if not meeting.reaches else "no_meeting_before",
            "group": group_ref(meeting.group),
            "decide_by": day(meeting.decide_by),
            "message": plan_problem(meeting),
        }
    return {
        "kind": kind,
        "title": None,
        "due_on": day(due_on),
        "days_left": (due_on - today).days,
        "overdue": due_on < today,
        "deciding_meeting": found,
        "meeting_plan_problem": problem,
    }


def revision_deadline(found, today):
    """A deadline of a revision's work (a revisions.RevisionDeadline): no meeting decides it."""
    return {**deadline(found.kind, found.due_on, today, None), "title": found.title or None}


def revision(row):
    """A revision with its steps, its remiss and every party's answer; None for none."""
    if row is None:
        return None
    consultation = revisions.consultation_of(row)
    found = None
    if consultation is not None:
        found = {
            "id": consultation.id,
            "sent_on": day(consultation.sent_on),
            "due_on": day(consultation.due_on),
            "note": consultation.note,
            "answers": [
                {
                    "party_id": p.organisation.id,
                    "party_name": p.organisation.name,
                    "answered": p.answer is not None,
                    "position": p.answer.position if p.answer else None,
                    "answered_on": day(p.answer.answered_on) if p.answer else None,
                    "comment": p.answer.comment if p.answer else None,
                    "document_url": p.answer.document_url if p.answer else None,
                }
                for p in revisions.answers_of(row, consultation)
            ],
        }
    return {
        "id": row.id,
        "state": row.state,
        "mandate_by": row.mandate_by,
        "mandate_on": day(row.mandate_on),
        "mandate_ref": row.mandate_ref,
        "lead": person_ref(row.lead) if row.lead_id else None,
        "due_on": day(row.due_on),
        "started_on": day(row.started_on),
        "closed_on": day(row.closed_on),
        "notes": row.notes,
        "steps": [
            {
                "id": s.id,
                "position": s.position,
                "title": s.title,
                "due_on": day(s.due_on),
                "done_on": day(s.done_on),
                "note": s.note,
            }
            for s in revisions.steps_of(row)
        ],
        "consultation": found,
        "successor_id": row.successor_id,
        "agreement_id": row.agreement_id,
    }


def plan_problem(meeting):
    """Why a deadline has no decide-by meeting, as a sentence ("ReKo:s mötesplan räcker inte till 2028-09.")."""
    return meeting.problem


def review(row, values=None):
    """A review; `values` ({indicator id: Decimal}) its indicator values, read when not given."""
    if values is None:
        values = indicators.values_of_reviews([row.id]).get(row.id, {})
    return {
        "id": row.id,
        "reviewed_on": day(row.reviewed_on),
        "outcome": row.outcome,
        "reviewer": person_ref(row.reviewer) if row.reviewer_id else None,
        "reviewer_name": row.reviewer_name,
        "decision_ref": row.decision_ref,
        "new_expires_on": day(row.new_expires_on),
        "notes": row.notes,
        "deviations": row.deviations,
        "indicator_values": {str(pk): indicators.as_float(v) for pk, v in sorted(values.items())},
        "created_at": timestamp(row.created_at),
    }


def indicator(found):
    """An indicator with its values (an indicators.Series)."""
    row = found.indicator
    return {
        "id": row.id,
        "name": row.name,
        "unit": row.unit,
        "target": indicators.as_float(row.target),
        "direction": row.direction,
        "description": row.description,
        "active": row.active,
        "values": [
            {
                "review_id": p.review_id,
                "reviewed_on": day(p.reviewed_on),
                "value": indicators.as_float(p.value),
                "meets_target": p.meets,
            }
            for p in found.points
        ],
    }


def agreement_detail(agreement, today, window_days):
    """Everything about one agreement: facts, links, reviews and open deadlines."""
    meetings = schedule.Meetings([agreement])
    reviews = list(
        Review.select().where(Review.agreement == agreement).order_by(Review.reviewed_on.desc(), Review.id.desc())
    )
    values = indicators.values_of_reviews([r.id for r in reviews])
    contributing = sorted((link.group for link in agreement.contributor_links), key=lambda g: sv_key(g.name))
    owners = sorted((link.person for link in agreement.owner_links), key=lambda p: sv_key(p.name))
    parties = sorted((link.organisation for link in agreement.party_links), key=organisation_key)
    return {
        **agreement_summary(agreement, today, window_days),
        **{f.api_name: plain(f, getattr(agreement, f.name)) for f in fields.SCALARS},
        "decision_body": group_ref(agreement.decision_body) if agreement.decision_body_id else None,
        "contributing_groups": [group_ref(g) for g in contributing],
        "owners": [{"id": p.id, "name": p.name, "email": p.email} for p in owners],
        "parties": [{"id": o.id, "name": o.name, "short_name": o.short_name, "kind": o.kind} for o in parties],
        "documents": [{"title": d.title, "url": d.url} for d in sorted(agreement.documents, key=lambda d: d.id)],
        "stored_documents": [stored_document(d) for d in stored_documents.of_agreement(agreement)],
        "parent_id": agreement.parent_id,
        "replaced_by_id": agreement.replaced_by_id,
        "reviews": [review(r, values.get(r.id, {})) for r in reviews],
        "deadlines": sorted(
            [
                deadline(d.kind, d.due_on, today, meetings.safe_deciding_meeting(agreement, d.due_on))
                for d in schedule.deadlines_of(agreement)
            ]
            + [revision_deadline(d, today) for d in revisions.deadlines_of(agreement)],
            key=lambda d: d["due_on"],
        ),
        "revision": revision(revisions.latest_of(agreement) or revisions.producing(agreement)),
        **adoption_standing(adoptions.standing(agreement)),
        "indicators": [indicator(found) for found in indicators.of_agreement(agreement)],
        "created_at": timestamp(agreement.created_at),
    }


def stored_document(document):
    """A stored document with its `listed_versions` (stored_documents.of_agreement), newest first."""
    return {
        "id": document.id,
        "title": document.title,
        "kind": document.kind,
        "created_at": timestamp(document.created_at),
        "versions": [
            {
                "number": v.number,
                "filename": v.filename,
                "content_type": v.content_type,
                "size": v.size,
                "sha256": v.sha256,
                "text_status": v.text_status,
                "uploaded_at": timestamp(v.uploaded_at),
                "uploaded_by": v.uploaded_by_name,
                "superseded_at": timestamp(v.superseded_at),
                "published": bool(v.published),
                "download_url": url_for(
                    "agreements.download_document",
                    agreement_id=document.agreement_id,
                    document_id=document.id,
                    number=v.number,
                ),
            }
            for v in document.listed_versions
        ],
    }


def adoption(decision):
    """One party's decision (an adoptions.PartyDecision): its fields null when none is recorded."""
    row = decision.adoption
    facts = {name: getattr(row, name) if row is not None else None for name in adoptions.DECISION_FIELDS}
    return {
        "party_id": decision.organisation.id,
        "party_name": decision.organisation.name,
        "must_adopt": decision.must_adopt,
        "state": decision.state,
        **{name: day(value) if name in ("decided_on", "signed_on") else value for name, value in facts.items()},
        "recorded_at": timestamp(row.recorded_at) if row is not None else None,
        "recorded_by": row.recorded_by_name if row is not None else None,
    }


def adoption_standing(found):
    """An agreement's parties' decisions and counts (an adoptions.Standing)."""
    return {
        "adoptions": [adoption(p) for p in found.parties],
        "adopted_count": found.adopted_count,
        "party_count": found.party_count,
        "blocking_party_ids": [o.id for o in found.blocking],
        "adoption_due_on": day(found.due_on),
    }


def group(row, meetings):
    """A group with its meeting plan and its coming meetings (rules.Meeting, from today on)."""
    return {
        "id": row.id,
        "name": row.name,
        "short_name": row.short_name,
        "kind": row.kind,
        "description": row.description,
        "parent_id": row.parent_id,
        "reports_to_id": row.reports_to_id,
        "chair": person_ref(row.chair) if row.chair_id else None,
        "mailbox": row.mailbox,
        "lead_time_days": row.lead_time_days,
        "meeting_rule": row.meeting_rule or "",
        "meeting_rule_start": day(row.meeting_rule_start),
        "meeting_rule_text": meeting_plan.describe(row),
        "meetings": [{"meets_on": day(m.meets_on), "note": m.note, "planned_by": m.source} for m in meetings],
    }


def meeting(group_row, found, items):
    """One meeting (a rules.Meeting of `group_row`) with its agenda ([agendas.AgendaItem])."""
    return {
        "meets_on": day(found.meets_on),
        "group": group_ref(group_row),
        "planned_by": found.source,
        "note": found.note,
        "material_due_on": day(schedule.material_due_on(group_row, found.meets_on)),
        "agenda": [
            {
                "agreement": agreement_ref(item.agreement),
                "kind": item.kind,
                "due_on": day(item.due_on),
                "late": item.carried,
                "outcome": item.outcome,
                "decision_ref": item.decision_ref,
            }
            for item in items
            if not item.removed
        ],
    }


def organisation(row):
    return {
        "id": row.id,
        "name": row.name,
        "short_name": row.short_name,
        "kind": row.kind,
        "contact_person_id": row.contact_person_id,
        "contact_email": row.contact_email,
    }


def person(row):
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "title": row.title,
        "organisation_id": row.organisation_id,
        "is_active": row.is_active,
    }


def groups_by_id():
    return {g.id: g for g in Group.select()}  # a register has tens of groups
