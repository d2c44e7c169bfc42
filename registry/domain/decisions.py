"""Decisions on an agreement as people read them: body, date and the minutes' paragraph, once each."""

from dataclasses import dataclass
from datetime import date

from ..models import Group
from . import schedule


def decision_text(body, decided_on, ref):
    """ "ReKo 2026-11-27 § 7" from the body's name, the date and the recorded reference, leaving out
    what the reference already says (people type "§ 7" or the whole "ReKo 2026-11-27 § 7").
    None when there is no reference."""
    ref = " ".join((ref or "").split())
    if not ref:
        return None
    parts = []
    if body and body.casefold() not in ref.casefold():
        parts.append(body)
    if isinstance(decided_on, date) and decided_on.isoformat() not in ref:
        parts.append(decided_on.isoformat())
    return " ".join([*parts, ref])


@dataclass(frozen=True)
class LatestDecision:
    text: str
    review: object  # the review that recorded it


def latest_decision(agreement, reviews, groups=None):
    """The decision recorded with the latest review that has a reference (reviews newest first), or None.
    `groups` ({id: Group}), when given, names the deciding body without a query."""
    for review in reviews:
        if (review.decision_ref or "").strip():
            body_id = schedule.deciding_group_id(agreement)
            body = groups.get(body_id) if groups is not None else Group.get_or_none(Group.id == body_id)
            name = body.display_name if body is not None else ""
            return LatestDecision(decision_text(name, review.reviewed_on, review.decision_ref), review)
    return None
