"""API tokens: bearer keys for the JSON API, one user each.

A token is shown once, when it is made; only its SHA-256 hash is stored, so a
copy of the database gives no working keys. A token acts as its user with the
user's current role: changing the role changes what the token may do, and a
deactivated account's tokens stop working. Revoking is final.
"""

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _

from ..db import db
from ..models import ApiToken, User, utcnow
from . import audit, ownership
from .errors import ValidationError

# Recognisable in logs and by secret scanners; the rest is 256 random bits.
PREFIX = "okr_"
MAX_NAME_LENGTH = 100
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours: refused before hashing
# last_used_at is written at most this often per token, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(plain):
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def clean_name(name):
    """The token's name, stripped; raise ValidationError({'name': ...}) when unusable."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError({"name": _("Ge nyckeln ett namn, t.ex. vilket skript som använder den.")})
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise ValidationError({"name": _("Namnet är för långt. Det får vara högst %(n)s tecken.", n=MAX_NAME_LENGTH)})
    return name


def create_token(user, name):
    """Make a token for `user`; return (row, plain token). The plain token is never stored."""
    name = clean_name(name)
    plain = PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        row = ApiToken.create(user=user, name=name, token_hash=hash_token(plain))
        audit.record(
            "create",
            "api_token",
            row.id,
            {"name": [None, name], "user": [None, user.email]},
            summary=_("API-nyckel: %(name)s", name=name),
        )
    return row, plain


def revoke_token(row):
    """Stop a token from working; False when it was already revoked."""
    return ownership.revoke(
        row, "api_token", {"name": row.name, "user": row.user.email}, _("API-nyckel: %(name)s", name=row.name)
    )


def visible_tokens(user):
    """The tokens that still work and `user` manages (see ownership), oldest first."""
    return ownership.managed_by(ApiToken, user)


may_manage = ownership.may_manage


def user_for_token(plain):
    """The active user a token belongs to, or None (unknown, revoked, or the account is deactivated).

    Notes when the token was last used (at most once a minute).
    """
    if not plain or len(plain) > MAX_TOKEN_LENGTH:
        return None
    row = (
        ApiToken.select(ApiToken, User)
        .join(User)
        .where((ApiToken.token_hash == hash_token(plain)) & ApiToken.revoked_at.is_null() & User.is_active)
        .first()
    )
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
    return row.user


def user_for_header(value):
    """The user of an `Authorization: Bearer <token>` header value, or None."""
    scheme, _sep, token = (value or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return user_for_token(token.strip())
