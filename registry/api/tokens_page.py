"""/account/tokens: the logged-in user's API tokens, made and revoked with CSRF-protected forms.

A new token is shown once, on the page that answers the form (never stored in
the session or a flash message, never shown again). Users see and revoke their
own tokens, an admin everyone's; deactivating an account stops all of its tokens.
"""

import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from ..domain import tokens
from ..domain.errors import ValidationError
from ..domain.queries import MAX_ID
from ..models import ApiToken

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        description=_l("Vad nyckeln används till, t.ex. ”Rapportskript” eller ”Intranätets avtalslista”."),
    )


class RevokeForm(FlaskForm):
    token_id = HiddenField()


def _page(form, status=200, new_token=None):
    response = make_response(
        render_template(
            "api/tokens.html",
            form=form,
            revoke_form=RevokeForm(formdata=None),
            rows=tokens.visible_tokens(current_user),
            new_token=new_token,
            api_base=request.url_root.rstrip("/") + "/api/v1",
        ),
        status,
    )
    # The page may show a secret: keep it out of every cache and the browser's history store.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens", methods=["GET", "POST"], endpoint="manage")
def manage():
    """The user's API tokens, and a form to make a new one."""
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    if form.validate_on_submit():
        try:
            _row, plain = tokens.create_token(current_user, form.name.data)
        except ValidationError as exc:
            form.name.errors = [*form.name.errors, *exc.errors.values()]
        else:
            flash(_("API-nyckeln har skapats. Kopiera den nu: den visas bara den här gången."), "success")
            return _page(TokenForm(formdata=None), 200, new_token=plain)
    return _page(form, 422)


@bp.post("/account/tokens/revoke", endpoint="revoke")
def revoke():
    """Revoke a token (the user's own, or anyone's for an admin); it stops working at once."""
    form = RevokeForm()
    raw = (form.token_id.data or "").strip()
    if not form.validate_on_submit() or not re.fullmatch(r"[0-9]{1,10}", raw) or not 0 < int(raw) <= MAX_ID:
        flash(_("Välj en API-nyckel att återkalla."), "error")
        return redirect(url_for("api_tokens.manage"))
    row = ApiToken.get_or_none(ApiToken.id == int(raw))
    if row is None or not tokens.may_manage(current_user, row):
        abort(404)
    if tokens.revoke_token(row):
        flash(_("API-nyckeln ”%(name)s” är återkallad och fungerar inte längre.", name=row.name), "success")
    else:
        flash(_("API-nyckeln var redan återkallad."), "info")
    return redirect(url_for("api_tokens.manage"))
