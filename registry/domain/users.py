"""Users: accounts, roles, passwords, password-reset tokens and the end of sessions.

Every session cookie names its account as "<id>:<session key>" (User.get_id); the
login manager (registry/security.py) accepts it only while the account is active
and its key unchanged. `end_sessions` draws a new key, which ends every session
of the account at once: logging out, any password change, deactivation and an
admin's "Logga ut överallt" do. Deactivation (and reactivation) also revokes the
account's API tokens and calendar-feed addresses for good.
"""

import functools
import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db
from ..models import ApiToken, FeedToken, Group, GroupMember, Person, User, new_session_key, utcnow
from ..vocab import ROLES
from . import audit, feeds, tokens, validation
from .directory import references
from .errors import ValidationError

MIN_PASSWORD_LENGTH = 12
RESET_MAX_AGE_SECONDS = 3600


def password_problem(password):
    """Why a password is not acceptable, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("Lösenordet måste ha minst %(n)s tecken.", n=MIN_PASSWORD_LENGTH)
    if password.strip() != password or len(set(password)) < 5:
        return _("Välj ett lösenord med fler olika tecken och utan mellanslag i början eller slutet.")
    return None


PASSWORD_CHANGED = ["***", "*** (ändrat)"]
SESSIONS_ENDED = [None, "avslutade"]


def set_password(user, password):
    """A new password; every session of the account ends (the caller may log its own in again)."""
    problem = password_problem(password)
    if problem:
        raise ValidationError({"password": problem})
    with db.atomic():
        user.password_hash = generate_password_hash(password)  # scrypt
        user.session_key = new_session_key()
        user.save()
        audit.record(
            "update", "user", user.id, {"password": PASSWORD_CHANGED, "sessions": SESSIONS_ENDED}, summary=user.email
        )


def check_password(user, password):
    return bool(user.password_hash) and check_password_hash(user.password_hash, password or "")


@functools.cache
def _dummy_hash(method):
    """A hash of a random password, made once per hasher, to check against when no account matches."""
    return method(secrets.token_urlsafe(16))


def authenticate(email, password):
    """The active account with this email and password, or None.

    Costs one password-hash check whether or not an active account with a password matches (a dummy
    hash made by the same hasher otherwise), so the time of the answer does not tell which addresses
    have accounts.
    """
    user = User.get_or_none((User.email == email) & User.is_active)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(generate_password_hash), password or "")
        return None
    return user if check_password(user, password) else None


LOGGED_OUT = "utloggning"
EVERYWHERE = "logga ut överallt"


def end_sessions(user, why):
    """End every session of `user` at once (a new session key), audited with `why` (LOGGED_OUT, EVERYWHERE)."""
    with db.atomic():
        user.session_key = new_session_key()
        User.update(session_key=user.session_key).where(User.id == user.id).execute()
        audit.record("update", "user", user.id, {"sessions": [None, f"avslutade ({why})"]}, summary=user.email)


def revoke_secrets(user):
    """Revoke every API token and calendar-feed address of `user` (each audited); how many."""
    revoked = 0
    for row in ApiToken.select().where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null()):
        revoked += tokens.revoke_token(row)
    for feed in FeedToken.select().where((FeedToken.user == user.id) & FeedToken.revoked_at.is_null()):
        revoked += feeds.revoke_feed(feed)
    return revoked


def _facts(user):
    if user.id is None:
        return {}
    person_groups = []
    if user.person_id:
        person_groups = sorted(
            g.name for g in Group.select(Group.name).join(GroupMember).where(GroupMember.person == user.person_id)
        )
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "groups": person_groups,
        "is_secretary": bool(user.person_id and user.person.is_secretary),
    }


def save_user(data, user=None):
    """Create or update an account. Group membership and the secretary flag live on its Person."""
    user = user or User()
    errors = {}
    email, problem = validation.check_line(data.get("email"))
    email = email.lower()
    if problem:
        errors["email"] = problem
    elif not email or "@" not in email:
        errors["email"] = _("Ange en e-postadress, till exempel namn@exempel.se.")
    elif User.select().where((User.email == email) & (User.id != (user.id or 0))).exists():
        errors["email"] = _(
            "Det finns redan ett konto med den e-postadressen. Varje konto ska ha en egen e-postadress."
        )
    # The name travels into e-mail headers and files: one line, no control characters.
    name, problem = validation.check_line(data.get("name"))
    if problem:
        errors["name"] = problem
    elif not name:
        errors["name"] = _("Namn måste anges.")
    if data.get("role") not in ROLES:
        errors["role"] = _("Välj en roll i listan.")
    group_ids = references(
        Group, data.get("groups"), errors, "groups", _("Gruppen finns inte i registret. Välj en grupp i listan.")
    )
    if data.get("role") == "editor" and not group_ids and "groups" not in errors:
        errors["groups"] = _("En redaktör måste höra till minst en grupp. Välj en eller flera grupper.")
    if data.get("password"):
        problem = password_problem(data["password"])
        if problem:
            errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    before = _facts(user)
    with db.atomic():
        user.email, user.name, user.role = email, name, data["role"]
        user.is_active = bool(data.get("is_active", True))
        person = user.person if user.person_id else Person.get_or_none(Person.email == email)
        if person is None:
            person = Person.create(name=user.name, email=email)
        person.is_secretary = bool(data.get("is_secretary"))
        person.save()
        user.person = person
        # A new password, a deactivation or a reactivation ends the account's sessions: none made before
        # it lives on (reactivation starts clean, also for an account deactivated by an older version).
        ends_sessions = bool(data.get("password")) or (bool(before) and before["is_active"] != user.is_active)
        if data.get("password"):
            user.password_hash = generate_password_hash(data["password"])
        if ends_sessions:
            user.session_key = new_session_key()
        user.save()
        if "groups" in data:
            # A new account for a person already in the register adds to their groups: making an
            # account never takes away what the register knows about the person.
            if before:
                GroupMember.delete().where(GroupMember.person == person).execute()
            known = {m.group_id for m in GroupMember.select(GroupMember.group).where(GroupMember.person == person)}
            for group_id in group_ids:
                if group_id not in known:
                    GroupMember.create(person=person, group=group_id)
        changes = audit.diff(before, _facts(user))
        if data.get("password"):
            changes["password"] = PASSWORD_CHANGED
        if ends_sessions and before:
            changes["sessions"] = SESSIONS_ENDED
        if changes:
            audit.record("update" if before else "create", "user", user.id, changes, summary=email)
        if before and before["is_active"] != user.is_active:
            revoke_secrets(user)
    return user


def group_ids(user):
    """The groups a user belongs to (through their Person)."""
    if not user.person_id:
        return set()
    return {m.group_id for m in GroupMember.select(GroupMember.group).where(GroupMember.person == user.person_id)}


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


# Password-reset requests are counted with the login failures (registry/security.py), under
# "reset:<email>": the same limits per address asked for and per client address (registry/views/auth.py).
RESET_KEY_PREFIX = "reset:"


def login_failure_keys(emails):
    """The keys the login-failure table holds for these addresses: failed logins and reset requests."""
    return [*emails, *(f"{RESET_KEY_PREFIX}{email}" for email in emails)]


def _fingerprint(user):
    # Changes when the password does, so a used link stops working, and when the account's sessions
    # are ended (logout, "log out everywhere", deactivation), so a link mailed before that dies too.
    facts = f"{user.password_hash or 'none'}:{user.session_key or ''}"
    return hashlib.sha256(facts.encode()).hexdigest()[:16]


def reset_token(user):
    return _serializer().dumps({"id": user.id, "fp": _fingerprint(user)})


def user_for_token(token):
    """The user a reset link is for, or None if it is invalid, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    user = User.get_or_none((User.id == data.get("id")) & User.is_active)
    if user is None or _fingerprint(user) != data.get("fp"):
        return None
    return user


def touch_login(user):
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
