"""Small helpers shared by the views."""

from flask import abort, current_app

from .. import clock
from ..domain.queries import MAX_ID


def get_or_404(model, pk):
    """The row with this primary key, or a 404 page."""
    row = model.get_or_none(model.id == pk) if 0 < pk <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def window_days():
    return current_app.config["DEADLINE_WINDOW_DAYS"]


def today():
    return clock.today()


# Domain fields shown in the form under another name.
FIELD_ALIASES = {"review_rule": "review_unit"}


def apply_errors(form, errors):
    """Attach domain errors ({field: message}) to a form; return what had no field."""
    unplaced = []
    for name, message in errors.items():
        field = form._fields.get(FIELD_ALIASES.get(name, name))
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            unplaced.append(message)
    return unplaced
