"""'Vi arbetar med det': acknowledging an overdue deadline pauses its escalation.

An overdue notice carries a signed link naming one deadline (agreement, kind,
date). Following it while logged in shows a confirmation page; confirming
records who acknowledged which deadline and pauses that deadline's escalation
(the chair's and secretaries' notices and the repeated overdue notices) for
ACKNOWLEDGE_PAUSE_DAYS days. The pause belongs to the deadline: a new deadline
(after a recorded review or an extension) escalates as usual.
"""

import datetime
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .. import clock
from ..db import db
from ..models import Acknowledgement, Agreement
from ..vocab import DEADLINE_KINDS
from . import audit

_SALT = "acknowledge-deadline"


class BadLink(Exception):
    """The link is not one the register made, or names no current deadline."""


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token(agreement_id, kind, deadline_on):
    """The signed part of an acknowledgement link for one deadline."""
    return _serializer().dumps([agreement_id, kind, deadline_on.isoformat()])


def read(value):
    """(agreement, kind, deadline date) of a token, or BadLink."""
    try:
        agreement_id, kind, deadline = _serializer().loads(value)
        deadline_on = datetime.date.fromisoformat(deadline)
    except (BadSignature, ValueError, TypeError):
        raise BadLink("not a link of this register") from None
    if kind not in DEADLINE_KINDS:
        raise BadLink("unknown kind of deadline")
    agreement = Agreement.get_or_none(Agreement.id == agreement_id)
    if agreement is None:
        raise BadLink("the agreement no longer exists")
    return agreement, kind, deadline_on


def is_current(agreement, kind, deadline_on):
    """Is this still the agreement's deadline of that kind?"""
    return agreement.due_on(kind) == deadline_on


def pause_days():
    return int(current_app.config.get("ACKNOWLEDGE_PAUSE_DAYS", 14))


def acknowledge(user, agreement, kind, deadline_on, day=None):
    """Record that `user` works on the deadline; its escalation pauses. Returns the Acknowledgement."""
    day = day or clock.today()
    actor = f"{user.name} <{user.email}>"
    with db.atomic():
        ack = Acknowledgement.create(
            agreement=agreement,
            kind=kind,
            deadline_on=deadline_on,
            user=user.id,
            actor=actor,
            paused_until=day + timedelta(days=pause_days()),
        )
        audit.record(
            "acknowledge",
            "acknowledgement",
            ack.id,
            changes={
                "deadline_on": [None, deadline_on.isoformat()],
                "paused_until": [None, ack.paused_until.isoformat()],
            },
            agreement_id=agreement.id,
            summary=agreement.title,
            actor=actor,
        )
    return ack


def paused(agreement_ids, day):
    """{(agreement id, kind, deadline date)} whose escalation is paused on `day`."""
    if not agreement_ids:
        return set()
    found = (
        Acknowledgement.select(Acknowledgement.agreement, Acknowledgement.kind, Acknowledgement.deadline_on)
        .where(Acknowledgement.agreement.in_(list(agreement_ids)) & (Acknowledgement.paused_until > day))
        .tuples()
    )
    return {(a, k, d if isinstance(d, datetime.date) else datetime.date.fromisoformat(str(d))) for a, k, d in found}


def current(agreement):
    """The latest acknowledgement of one of the agreement's current deadlines, or None (for its page)."""
    for ack in agreement.acknowledgements.order_by(Acknowledgement.acknowledged_at.desc(), Acknowledgement.id.desc()):
        if is_current(agreement, ack.kind, ack.deadline_on):
            return ack
    return None
