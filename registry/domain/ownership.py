"""Per-user secrets (API tokens, calendar addresses): who sees and revokes which.

Users manage their own; an administrator manages everyone's (a leaked secret,
someone who has left). Revoked rows are history, shown to nobody.
"""

from ..db import db
from ..models import User, utcnow
from . import audit


def managed_by(model, user):
    """The unrevoked rows of `model` that `user` manages, with their owners, oldest first."""
    query = model.select(model, User).join(User).where(model.revoked_at.is_null()).order_by(model.created_at, model.id)
    if user.role != "admin":
        query = query.where(model.user == user.id)
    return list(query)


def may_manage(user, row):
    return row.user_id == user.id or user.role == "admin"


def revoke(row, entity, facts, summary):
    """Stop a secret from working, audited with `facts` ({field: value}) as what went away;
    False when it was already revoked."""
    if row.revoked_at is not None:
        return False
    with db.atomic():
        row.revoked_at = utcnow()
        row.save()
        audit.record("delete", entity, row.id, {name: [value, None] for name, value in facts.items()}, summary=summary)
    return True
