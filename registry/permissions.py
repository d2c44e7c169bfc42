"""Who may do what: one rule per route and method, enforced before every request.

A route without a rule is refused (and the permission-matrix test fails), so a
new page cannot be added without deciding who may use it. Rules:

- public: anyone, logged in or not (login, password reset, the accessibility statement, static files);
- login: any logged-in user (log out, change own password);
- read: every role (dashboard, agreements, groups, parties, people);
- read_all: editor, auditor, admin (reports);
- audit: auditor, admin (audit trail, delivery log, exports);
- edit: editor, admin (create agreements; edit and review them, for editors
  only those their groups are responsible for or they are named owners of:
  see can_edit_agreement);
- admin: admin only (groups, parties, people, meeting plans, users, mail sink).

A meeting's agenda is edited, and its decisions recorded, by an editor who sits in the group or an
admin (can_prepare_meeting).
"""

from flask import abort, redirect, request, url_for
from flask_login import current_user

from .api import is_api_path

ROLE_LEVELS = {
    "public": None,
    "login": {"admin", "editor", "auditor", "viewer"},
    "read": {"admin", "editor", "auditor", "viewer"},
    "read_all": {"admin", "editor", "auditor"},
    "audit": {"admin", "auditor"},
    "edit": {"admin", "editor"},
    "admin": {"admin"},
}

GET, POST = ("GET", "HEAD"), ("POST",)

RULES = {
    "static": {"public": GET},
    "main.favicon": {"public": GET},
    # The accessibility statement: public, linked from every page's footer.
    "accessibility.statement": {"public": GET},
    "auth.login": {"public": GET + POST},
    "auth.logout": {"login": POST},
    "auth.password": {"login": GET + POST},
    "auth.reset_request": {"public": GET + POST},
    "auth.reset": {"public": GET + POST},
    # Single sign-on (registry/views/sso.py): start at the provider, its answer, and its logout.
    "sso.start": {"public": GET},
    "sso.callback": {"public": GET},
    "sso.provider_logout": {"public": GET},
    "main.dashboard": {"read": GET},
    "agreements.index": {"read": GET},
    "agreements.show": {"read": GET},
    "agreements.create": {"edit": GET + POST},
    "agreements.edit": {"edit": GET + POST},
    "agreements.new_review": {"edit": GET + POST},
    "agreements.record_adoption": {"edit": GET + POST},
    # An agreement's indicators: added, changed and retired by those who may edit the agreement.
    "agreements.new_indicator": {"edit": GET + POST},
    "agreements.edit_indicator": {"edit": GET + POST},
    "agreements.remove_indicator": {"edit": POST},
    # Stored documents: uploaded by those who may edit the agreement (can_edit_agreement); every download
    # needs a login and is audited (publication is for later).
    "agreements.upload_document": {"edit": POST},
    "agreements.download_document": {"read": GET},
    # A stored version's publication mark (shown in the public register): set by those who may edit.
    "agreements.publish_version": {"edit": POST},
    # An agreement's revision (registry/domain/revisions.py): read like the agreement, changed by those
    # who may edit it (can_edit_agreement).
    "revisions.show": {"read": GET},
    "revisions.start": {"edit": GET + POST},
    "revisions.edit": {"edit": GET + POST},
    "revisions.abandon": {"edit": POST},
    "revisions.add_step": {"edit": POST},
    "revisions.update_step": {"edit": POST},
    "revisions.send_consultation": {"edit": POST},
    "revisions.record_answers": {"edit": POST},
    "revisions.create_successor": {"edit": POST},
    "groups.index": {"read": GET},
    "groups.show": {"read": GET},
    # The yearly follow-up report upward, as a page and a Word document: read like the group page.
    "groups.report": {"read": GET},
    "groups.report_docx": {"read": GET},
    "groups.create": {"admin": GET + POST},
    "groups.edit": {"admin": GET + POST},
    "groups.add_meeting": {"admin": POST},
    "groups.cancel_meeting": {"admin": POST},
    "groups.delete_meeting": {"admin": POST},
    # A meeting's page and its agenda as Word; its secretary (an editor in the group) or an admin edits
    # the agenda and records the decisions (can_prepare_meeting).
    "meetings.show": {"read": GET},
    "meetings.agenda_docx": {"read": GET},
    "meetings.add_item": {"edit": POST},
    "meetings.remove_item": {"edit": POST},
    "meetings.restore_item": {"edit": POST},
    "meetings.move_item": {"edit": POST},
    "meetings.decisions": {"edit": POST},
    "organisations.index": {"read": GET},
    "organisations.show": {"read": GET},
    "organisations.create": {"admin": GET + POST},
    "organisations.edit": {"admin": GET + POST},
    "people.index": {"read": GET},
    "people.show": {"read": GET},
    "people.create": {"admin": GET + POST},
    "people.edit": {"admin": GET + POST},
    # Removing a person who has left, after handing what they answer for to someone else (docs/privacy.md).
    "people.remove": {"admin": GET + POST},
    "people.hand_over": {"admin": POST},
    "users.index": {"admin": GET},
    "users.create": {"admin": GET + POST},
    "users.edit": {"admin": GET + POST},
    "users.end_sessions": {"admin": POST},
    "reminders.status": {"audit": GET},
    "audit.index": {"audit": GET},
    "audit.export": {"audit": GET},
    "reports.index": {"read_all": GET},
    "reports.show": {"read_all": GET},
    "reports.export": {"audit": GET},
    "mailbox.index": {"admin": GET},
    "mailbox.show": {"admin": GET},
    "mailbox.html": {"admin": GET},
    # --- api (issue: JSON API) ---
    # Bearer tokens only (never the session); editors write only their groups' agreements and those
    # they own (can_edit_agreement).
    "api.openapi": {"public": GET},
    "api.me": {"read": GET},
    "api.list_agreements": {"read": GET},
    "api.create_agreement": {"edit": POST},
    "api.get_agreement": {"read": GET},
    "api.update_agreement": {"edit": ("PATCH",)},
    "api.create_review": {"edit": POST},
    "api.put_adoption": {"edit": ("PUT",)},
    "api.upload_document": {"edit": POST},
    "api.list_deadlines": {"read": GET},
    "api.list_groups": {"read": GET},
    # Meeting plans are the groups' own: admins change them, as on the group page.
    "api.update_group": {"admin": ("PATCH",)},
    "api.list_meetings": {"read": GET},
    "api.list_organisations": {"read": GET},
    "api.list_people": {"read": GET},
    # The logged-in user's own API tokens (a web page, with the session and CSRF).
    "api_tokens.manage": {"login": GET + POST},
    "api_tokens.revoke": {"login": POST},
    # --- feeds (issue: calendar feeds) ---
    # The secret address is the key: calendar clients subscribe without a session.
    "feeds.feed": {"public": GET},
    "feeds.manage": {"login": GET + POST},
    "feeds.revoke": {"login": POST},
    # --- spreadsheets (issue: import and export) ---
    # The whole register as CSV / XLSX (also the import's template); import: upload + preview, then commit.
    "spreadsheets.export": {"audit": GET},
    "spreadsheets.upload": {"admin": GET + POST},
    "spreadsheets.commit": {"admin": POST},
    # --- language ---
    "account.language": {"login": POST},
    # --- operations: database and scheduler health, no secrets (monitoring, load balancers) ---
    "health.healthz": {"public": GET},
    # --- the public register (registry/views/public.py): published agreements only, no login, rate-limited ---
    "public.index": {"public": GET},
    "public.show": {"public": GET},
    "public.print_list": {"public": GET},
    "public.download": {"public": GET},
    "public.agreements_csv": {"public": GET},
    "public.agreements_json": {"public": GET},
    "public.embed": {"public": GET},
    # --- "Vi arbetar med det" from an overdue notice: a signed link, confirmed by the logged-in person ---
    "acknowledge.confirm": {"login": GET},
    "acknowledge.record": {"login": POST},
}


def level_for(endpoint, method):
    """The rule name for a route and method, or None when there is none (refused)."""
    for level, methods in RULES.get(endpoint, {}).items():
        if method in methods:
            return level
    return None


def allowed(user, level):
    if level == "public":
        return True
    roles = ROLE_LEVELS[level]
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def can(level):
    """For templates: may the current user do what `level` protects?"""
    return allowed(current_user, level)


def enforce():
    """before_request: refuse what the rules do not allow; send anonymous users to the login page."""
    if request.endpoint is None:  # 404 and 405 are handled by Flask
        return None
    level = level_for(request.endpoint, request.method)
    if level is None:
        abort(403)
    if level == "public" or allowed(current_user, level):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET" and not is_api_path(request.path):  # the API answers a JSON 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    abort(403)


def can_edit_agreement(user, agreement):
    """Admins edit every agreement; editors those their groups are responsible for, and those
    they are named owners of (through their Person) whichever group is responsible: an owner
    who gets an agreement's reminders can act on them (edit it, record its review)."""
    if not allowed(user, "edit"):
        return False
    if user.role == "admin":
        return True
    from .domain.users import group_ids

    if agreement.responsible_group_id in group_ids(user):
        return True
    return is_owner(user, agreement)


def can_prepare_meeting(user, group):
    """May `user` edit the agenda of `group`'s meetings and record their decisions? Admins, and editors
    who sit in the group (its secretary): a meeting's decisions are the group's, whichever group is
    responsible for the agreements on its agenda."""
    if not allowed(user, "edit"):
        return False
    if user.role == "admin":
        return True
    from .domain.users import group_ids

    return group.id in group_ids(user)


def is_owner(user, agreement):
    """Is `user`'s Person named as an owner of `agreement`?"""
    if not getattr(user, "person_id", None) or agreement.id is None:
        return False
    from .models import AgreementOwner

    owned = AgreementOwner.select().where(
        (AgreementOwner.agreement == agreement.id) & (AgreementOwner.person == user.person_id)
    )
    return owned.exists()


def may_make_responsible(user, group_id, agreement=None):
    """May `user` make `group_id` responsible for `agreement` (None: a new one)? Admins any group;
    editors their own groups, or keep the group already responsible for an agreement they may edit
    (an owner outside that group edits it without handing it to another group)."""
    if user.role == "admin":
        return True
    from .domain.users import group_ids

    if group_id in group_ids(user):
        return True
    return agreement is not None and group_id == agreement.responsible_group_id and can_edit_agreement(user, agreement)


def may_see_personal_data(user, person):
    """May `user` see all the register holds about `person` (their account, reminders, audit entries)?
    Admins and auditors, and the person themself; others see the person page without it."""
    if not (user and user.is_authenticated):
        return False
    if user.role in ("admin", "auditor"):
        return True
    return user.person_id == person.id or user.email == person.email
