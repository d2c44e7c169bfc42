"""Single sign-on with OpenID Connect: the identity providers' settings, and what a verified ID token's
claims make of an account (which account, its role, its groups).

The settings come from OIDC_PROVIDERS and OIDC_<NAME>_<KEY> (config.oidc_providers reads them;
docs/configuration.md lists them) and are checked when the app starts: a mistake stops the start
with a message naming the variable. The protocol itself (authorization-code flow with PKCE, state,
nonce, the ID token's signature, issuer, audience and expiry) is Authlib's, in registry/views/sso.py;
this module gets the claims of a token that passed those checks.

An account is found by its link (issuer + subject, table sso_identity); on the first login by the
verified email address, linking an existing account (an administrator's only with
OIDC_<NAME>_LINK_ADMINS=on) or creating one. Role and groups follow the
provider's claims on every login when a ROLE_MAP / GROUP_MAP is set; every change goes through
users.save_user, so it is audited like any other change of an account.
"""

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import g
from flask_babel import gettext as _

from ..db import db
from ..models import Group, SsoIdentity, User, utcnow
from ..vocab import ROLES
from . import audit, users
from .errors import ValidationError

log = logging.getLogger(__name__)
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
DISCOVERY_PATH = "/.well-known/openid-configuration"
DEFAULT_SCOPES = "openid email profile"
# When several claim values map to roles, the account gets the one that may do the most.
ROLE_RANK = ("viewer", "auditor", "editor", "admin")
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class SettingsError(RuntimeError):
    """The single sign-on settings are wrong: the message names every variable at fault."""


class Refused(Exception):
    """A login through an identity provider that the register refuses; `message` is for the person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Provider:
    """One identity provider, as OIDC_<NAME>_* configure it."""

    name: str
    label: str
    issuer: str  # empty: the issuer the discovery document names
    metadata_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = DEFAULT_SCOPES
    email_claim: str = "email"
    trust_email: bool = False
    email_domains: tuple = ()  # empty: any domain; else the addresses this provider may vouch for
    link_admins: bool = False  # may a first login link an existing administrator's account by e-mail
    role_claim: str = "roles"
    role_map: tuple = ()  # ((claim value, role), ...)
    group_claim: str = "groups"
    group_map: tuple = ()  # ((claim value, group name), ...)
    default_role: str = "viewer"
    max_role: str = "admin"  # the highest role this provider's claims may give


def _switch(prefix, key, raw, problems):
    """An on/off setting (off when unset); a problem when it is neither."""
    value = raw.get(key, "off").lower()
    if value not in TRUE_WORDS + FALSE_WORDS:
        problems.append(f"{prefix}{key} must be on or off, got {raw[key]!r}")
    return value in TRUE_WORDS


def _url_problem(variable, url):
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None  # a provider on this machine (development, the test suite)
    return f"{variable} must be an https:// address, got {url!r}"


def _pairs(variable, text, allowed=None):
    """'value=target; value=target' as ((value, target), ...), and the problems found."""
    pairs, problems = [], []
    for item in filter(None, (part.strip() for part in re.split(r"[;\n]", text or ""))):
        value, sep, target = (part.strip() for part in item.partition("="))
        if not sep or not value or not target:
            problems.append(f"{variable}: {item!r} is not of the form claim-value=target")
        elif allowed is not None and target not in allowed:
            problems.append(f"{variable}: {target!r} is not a role; use one of {', '.join(ROLES)}")
        else:
            pairs.append((value, target))
    return tuple(pairs), problems


def _provider(name, raw):
    """A Provider from one provider's raw settings, and the problems found."""
    prefix = f"OIDC_{name.upper()}_"
    problems = []
    if not NAME_PATTERN.match(name):
        problems.append(
            f"OIDC_PROVIDERS: {name!r} is not a usable name (a letter, then letters a-z, digits or _, at most 31)"
        )
    # The issuer exactly as given: it is compared with the discovery document's and the ID token's
    # as is (Auth0's ends in "/"). Only the discovery address is built without the slash.
    issuer = raw.get("ISSUER", "").strip()
    metadata_url = raw.get("METADATA_URL", "") or (issuer.rstrip("/") + DISCOVERY_PATH if issuer else "")
    if not metadata_url:
        problems.append(f"{prefix}ISSUER (or {prefix}METADATA_URL) must be set")
    for key, url in (("ISSUER", issuer), ("METADATA_URL", metadata_url)):
        if url and (problem := _url_problem(prefix + key, url)):
            problems.append(problem)
    for key in ("CLIENT_ID", "CLIENT_SECRET"):
        if not raw.get(key):
            problems.append(f"{prefix}{key} must be set")
    scopes = " ".join(raw.get("SCOPES", DEFAULT_SCOPES).replace(",", " ").split())
    if "openid" not in scopes.split():
        problems.append(f"{prefix}SCOPES must include openid, got {scopes!r}")
    trust_email = _switch(prefix, "TRUST_EMAIL", raw, problems)
    email_domains = tuple(
        d.strip().lower().lstrip("@") for d in re.split(r"[,\s]+", raw.get("EMAIL_DOMAINS", "")) if d.strip()
    )
    if trust_email and not email_domains:
        # Trusted for any address, one organisation's directory could claim another's people.
        problems.append(
            f"{prefix}TRUST_EMAIL=on needs {prefix}EMAIL_DOMAINS (the mail domains this provider may vouch "
            "for): otherwise it could take over any account by its address"
        )
    link_admins = _switch(prefix, "LINK_ADMINS", raw, problems)
    max_role = raw.get("MAX_ROLE", "admin")
    if max_role not in ROLES:
        problems.append(f"{prefix}MAX_ROLE must be one of {', '.join(ROLES)}, got {max_role!r}")
        max_role = "admin"
    above = ROLE_RANK[ROLE_RANK.index(max_role) + 1 :]
    default_role = raw.get("DEFAULT_ROLE", "viewer")
    if default_role not in ROLES:
        problems.append(f"{prefix}DEFAULT_ROLE must be one of {', '.join(ROLES)}, got {default_role!r}")
    elif default_role in above:
        problems.append(f"{prefix}DEFAULT_ROLE {default_role!r} is above {prefix}MAX_ROLE {max_role!r}")
    role_map, found = _pairs(prefix + "ROLE_MAP", raw.get("ROLE_MAP"), allowed=ROLES)
    problems += found
    for value, role in role_map:
        if role in above:
            problems.append(f"{prefix}ROLE_MAP: {value}={role} is above {prefix}MAX_ROLE {max_role!r}")
    group_map, found = _pairs(prefix + "GROUP_MAP", raw.get("GROUP_MAP"))
    problems += found
    provider = Provider(
        name=name,
        label=raw.get("LABEL") or name,
        issuer=issuer,
        metadata_url=metadata_url,
        client_id=raw.get("CLIENT_ID", ""),
        client_secret=raw.get("CLIENT_SECRET", ""),
        scopes=scopes,
        email_claim=raw.get("EMAIL_CLAIM", "email"),
        trust_email=trust_email,
        email_domains=email_domains,
        link_admins=link_admins,
        role_claim=raw.get("ROLE_CLAIM", "roles"),
        role_map=role_map,
        group_claim=raw.get("GROUP_CLAIM", "groups"),
        group_map=group_map,
        default_role=default_role,
        max_role=max_role,
    )
    return provider, problems


def parse_providers(raw_providers, local_passwords=True):
    """The Provider of each {name: {KEY: value}} (config.oidc_providers), in order; SettingsError
    naming every problem when any setting is wrong."""
    providers, problems = [], []
    for name, raw in (raw_providers or {}).items():
        provider, found = _provider(name, raw)
        providers.append(provider)
        problems += found
    if not local_passwords and not providers:
        problems.append(
            "LOCAL_PASSWORDS=off needs at least one identity provider in OIDC_PROVIDERS: nobody could log in"
        )
    if problems:
        raise SettingsError("Single sign-on settings are wrong:\n  " + "\n  ".join(problems))
    return providers


def claim_values(claims, name):
    """A claim as a list of strings (a single value, a list, or nothing)."""
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def mapped_role(provider, claims):
    """The role the claims give (the highest of those mapped, else the default role); None when the
    provider maps no roles: the role is then kept in the register."""
    if not provider.role_map:
        return None
    values = set(claim_values(claims, provider.role_claim))
    roles = {role for value, role in provider.role_map if value in values}
    return max(roles, key=ROLE_RANK.index) if roles else provider.default_role


def mapped_groups(provider, claims):
    """(the register's groups the mapping manages, those of them the claims grant), as names."""
    values = set(claim_values(claims, provider.group_claim))
    managed = {name for _value, name in provider.group_map}
    granted = {name for value, name in provider.group_map if value in values}
    return managed, granted


def verified_email(provider, claims):
    """The claims' email address, lower case, when the provider vouches for it; Refused otherwise."""
    values = claim_values(claims, provider.email_claim)
    email = values[0].strip().lower() if values else ""
    if not email or "@" not in email:
        raise Refused(
            _(
                "Inloggningen från %(provider)s saknar e-postadress, så vi kan inte veta vem du är. "
                "Kontakta registrets administratör.",
                provider=provider.label,
            )
        )
    if provider.email_domains and email.rpartition("@")[2] not in provider.email_domains:
        raise Refused(
            _(
                "%(provider)s får inte logga in adressen %(email)s i registret. Logga in via din egen "
                "organisation eller kontakta registrets administratör.",
                provider=provider.label,
                email=email,
            )
        )
    verified = claims.get("email_verified")
    if isinstance(verified, str):
        verified = verified.lower() == "true"
    if verified is True or (verified is None and provider.trust_email):
        return email
    raise Refused(
        _(
            "%(provider)s har inte bekräftat din e-postadress %(email)s, så vi kan inte koppla den till "
            "ett konto. Bekräfta adressen hos din organisation eller kontakta registrets administratör.",
            provider=provider.label,
            email=email,
        )
    )


def _refuse_inactive(user):
    if not user.is_active:
        raise Refused(_("Ditt konto i registret är avstängt. Kontakta registrets administratör."))


def _refuse_admin_link(provider, user):
    """An administrator's account is linked by e-mail only where OIDC_<NAME>_LINK_ADMINS=on: whoever
    controls an address at the provider would otherwise control the register."""
    if user.role == "admin" and not provider.link_admins:
        log.warning(
            "single sign-on with %s: not linking the administrator account %s by e-mail (OIDC_%s_LINK_ADMINS is off)",
            provider.name,
            user.id,
            provider.name.upper(),
        )
        raise Refused(
            _(
                "Ditt konto i registret är ett administratörskonto och kopplas inte automatiskt till "
                "inloggning via %(provider)s. Kontakta registrets administratör.",
                provider=provider.label,
            )
        )


def _act_as(provider, user, email):
    """Who the audit trail names for what this login changes: the account as audit.current_actor
    names a logged-in person, and the provider."""
    who = audit.actor_name(user) if user is not None else email
    g.audit_actor = f"{who} ({provider.label})"


def _account_for(provider, issuer, claims):
    """(the linked identity or None, the account or None) for these claims."""
    identity = SsoIdentity.get_or_none((SsoIdentity.issuer == issuer) & (SsoIdentity.subject == claims["sub"]))
    if identity is not None:
        return identity, identity.user
    email = verified_email(provider, claims)
    return None, User.get_or_none(User.email == email)


def _group_ids(user, provider, claims):
    """The account's groups after the mapping: those it has that the mapping does not manage, and
    those the claims grant (names not in the register are left out)."""
    managed, granted = mapped_groups(provider, claims)
    kept = {g.id for g in Group.select(Group.id).where(Group.name.not_in(managed or {""}))} & (
        users.group_ids(user) if user.id else set()
    )
    found = {g.id: g.name for g in Group.select(Group.id, Group.name).where(Group.name.in_(granted or {""}))}
    for name in sorted(granted - set(found.values())):
        log.warning(
            "OIDC_%s_GROUP_MAP names %r, which is no group in the register: skipped", provider.name.upper(), name
        )
    return kept | set(found)


def _apply(user, provider, claims, email):
    """Create the account or bring its role and groups in line with the claims (audited by save_user)."""
    role = mapped_role(provider, claims)
    new = user is None
    if new:
        user = User()
        names = claim_values(claims, "name")
        name = (names[0].strip() if names else "") or email
        role = role or provider.default_role
    elif role is None and not provider.group_map:
        return user  # nothing mapped: role and groups are kept in the register
    data = {
        "email": email if new else user.email,
        "name": name if new else user.name,
        "role": role or user.role,
        "is_active": True,
        "is_secretary": bool(user.person_id and user.person.is_secretary),
        "groups": sorted(_group_ids(user, provider, claims)),
    }
    try:
        return users.save_user(data, None if new else user)
    except ValidationError as exc:
        raise Refused(
            _(
                "Inloggningen från %(provider)s kunde inte slutföras: %(problem)s Kontakta registrets administratör.",
                provider=provider.label,
                problem=" ".join(exc.errors.values()),
            )
        ) from exc


def sign_in(provider, issuer, claims):
    """The account these verified ID-token claims log in to: linked by issuer and subject, else by the
    verified email (linking it, or creating the account), with role and groups from the mapping.
    Refused (a Swedish message) for an unverified email, a deactivated account, or an administrator's
    account to be linked by e-mail without OIDC_<NAME>_LINK_ADMINS=on."""
    if not claims.get("sub"):
        raise Refused(_("Inloggningen från %(provider)s saknar användaridentitet.", provider=provider.label))
    with db.atomic():
        identity, user = _account_for(provider, issuer, claims)
        if user is not None:
            _refuse_inactive(user)
            if identity is None:
                _refuse_admin_link(provider, user)
        email = user.email if user is not None else verified_email(provider, claims)
        # The audit trail names the account as a logged-in person is named (its name and address, which
        # removing the person pseudonymises), never the token's own address or subject; a new account
        # by its verified address until it exists.
        _act_as(provider, user, email)
        user = _apply(user, provider, claims, email)
        _act_as(provider, user, email)
        if identity is None:
            identity = SsoIdentity.create(user=user, provider=provider.name, issuer=issuer, subject=claims["sub"])
            audit.record(
                "update",
                "user",
                user.id,
                {"sso": [None, f"{provider.label} ({issuer})"]},
                summary=user.email,
            )
        SsoIdentity.update(last_login_at=utcnow()).where(SsoIdentity.id == identity.id).execute()
        users.touch_login(user)
    return user
