"""Accounts: who may log in, with which role (admin only)."""

from contextlib import nullcontext

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..domain import audit, users
from ..domain.errors import ValidationError
from ..forms import UserForm
from ..models import User
from .helpers import apply_errors, get_or_404

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("", endpoint="index")
def index():
    """Every account with its role and last login."""
    return render_template("users/index.html", users=list(User.select().order_by(User.name)))


def _user_form(user):
    if request.method == "GET" and user is not None:
        form = UserForm(
            data={
                "name": user.name,
                "email": user.email,
                "role": user.role,
                "is_active": user.is_active,
                "groups": sorted(users.group_ids(user)),
                "is_secretary": bool(user.person_id and user.person.is_secretary),
            }
        )
    else:
        form = UserForm()
    form.fill_choices()
    if form.validate_on_submit():
        if user is None and not form.password.data:
            form.password.errors.append(_("Ange ett lösenord för det nya kontot."))
        else:
            once = audit.created_once(entity="user", key={"email": form.email.data}) if user is None else nullcontext()
            try:
                with once:
                    saved = users.save_user(form.data, user)
            except ValidationError as exc:
                for message in apply_errors(form, exc.errors):
                    flash(message, "error")
            except audit.Repeated as repeated:  # the same form sent twice: the first one made the account
                flash(_("Kontot var redan sparat; formuläret skickades två gånger."), "success")
                return redirect(url_for("users.edit", pk=repeated.entry.entity_id))
            else:
                if saved.id == current_user.id and saved.is_active:
                    login_user(saved)  # a new password ends the admin's other sessions, not this one
                flash(_("Kontot har sparats."), "success")
                return redirect(url_for("users.edit", pk=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("users/form.html", form=form, row=user), status


@bp.route("/new", methods=["GET", "POST"], endpoint="create")
def create():
    """Add an account."""
    return _user_form(None)


@bp.route("/<int:pk>/edit", methods=["GET", "POST"], endpoint="edit")
def edit(pk):
    """Change an account's role, groups, status or password."""
    return _user_form(get_or_404(User, pk))


@bp.post("/<int:pk>/end-sessions", endpoint="end_sessions")
def end_sessions(pk):
    """Log the account out everywhere: every session of it ends at once (audited)."""
    user = get_or_404(User, pk)
    users.end_sessions(user, users.EVERYWHERE)
    flash(_("%(name)s är utloggad överallt.", name=user.name), "success")
    return redirect(url_for("users.edit", pk=user.id))
