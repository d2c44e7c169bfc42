"""The secretary's edits of a meeting's agenda, and the decisions the meeting took on its items.

Every edit is an `AgendaEntry` row over the computed agenda (registry/domain/agendas.py):

- add: an agreement's deadline of a chosen kind (or "Övrigt ärende") on a meeting; an item already on
  another meeting moves here;
- remove: the item stays on the meeting's page as taken off ("Tas inte upp"), and can be put back;
- move: the item goes to another meeting of the same group;
- decide: at or after the meeting, one form records the decision per item (outcome and the minutes'
  paragraph). A follow-up outcome (Oförändrad, Ska revideras, Förlängd, Avslutad) is recorded on the
  agreement as a follow-up by the group on the meeting's day, with the paragraph as its decision, and
  the agreement moves on as that follow-up says; "Rekommenderas för antagande" is the group's word to
  the parties on a draft; "Noterat" takes note; "Bordlagt" puts the item on the group's next meeting.

Each is safe to send twice: a repeated add, removal, move or decision finds its work done and changes
nothing. Every change is in the audit trail.
"""

from datetime import timedelta

from flask_babel import gettext as _

from ..db import db
from ..models import AgendaEntry, Agreement, utcnow
from ..vocab import (
    ACTIVE_STATUSES,
    AGENDA_KINDS,
    AGENDA_OUTCOMES,
    DEADLINE_COLUMNS,
    DEADLINE_STATUSES,
    REVIEW_OUTCOMES,
)
from . import adoptions, agendas, audit, meeting_plan, validation
from .agreements import record_review, validate_review
from .errors import ValidationError

# Which decisions an item can get: a follow-up outcome only on an agreement in force (it is recorded
# as the agreement's follow-up), a recommendation only on a draft; any item can be noted or tabled.
ALWAYS = ("noted", "tabled")
DRAFT_OUTCOMES = ("recommended", *ALWAYS)
ACTIVE_OUTCOMES = (*REVIEW_OUTCOMES, *ALWAYS)


def outcomes_for(item):
    """The outcome codes a meeting can decide for an AgendaItem."""
    if item.kind == agendas.ADOPTION or item.agreement.status == "draft":
        return DRAFT_OUTCOMES
    if item.agreement.status in ACTIVE_STATUSES:
        return ACTIVE_OUTCOMES
    return ALWAYS


def _meeting(group, day, field="meets_on"):
    """The group's meeting on `day` (a date or text), or ValidationError."""
    day, problem = validation.check_date(day, required=True)
    if problem:
        raise ValidationError({field: problem})
    if not meeting_plan.meetings(group, day, day):
        raise ValidationError(
            {field: _("%(group)s har inget möte %(day)s. Välj ett möte i listan.", group=group.name, day=day)}
        )
    return day


def _item(group, token, meets_on):
    """The item `token` on the agenda of the group's meeting `meets_on`, or None."""
    key = agendas.parse_token(token)
    if key is None:
        return None
    for item in agendas.agenda(group, meets_on, removed=True):
        if item.key == key:
            return item
    return None


def _require_item(group, token, meets_on):
    item = _item(group, token, meets_on)
    if item is None:
        raise ValidationError({"item": _("Ärendet finns inte på mötets dagordning. Ladda om sidan och försök igen.")})
    return item


def _live_entry(group, key):
    """The undecided row of a deadline in this group (where the secretary last put it), or None."""
    agreement_id, kind, due_on = key
    return (
        AgendaEntry.select()
        .where(
            (AgendaEntry.group == group.id)
            & (AgendaEntry.agreement == agreement_id)
            & (AgendaEntry.kind == kind)
            & (AgendaEntry.due_on == due_on)
            & (AgendaEntry.outcome == "")
        )
        .order_by(AgendaEntry.id.desc())
        .first()
    )


def _facts(entry):
    return {
        "group": entry.group.name,
        "kind": entry.kind,
        "due_on": entry.due_on.isoformat(),
        "meets_on": entry.meets_on.isoformat(),
        "removed": entry.removed,
        "outcome": entry.outcome,
        "decision_ref": entry.decision_ref,
    }


def _place(group, key, meets_on, removed=False):
    """Put the deadline `key` on the meeting `meets_on` (or take it off there): its undecided row moves,
    else a row is made. Audited; returns the row."""
    entry = _live_entry(group, key)
    before = _facts(entry) if entry is not None else {}
    if entry is None:
        agreement_id, kind, due_on = key
        entry = AgendaEntry(group=group, agreement=agreement_id, kind=kind, due_on=due_on)
    entry.meets_on, entry.removed = meets_on, removed
    entry.edited_by, entry.edited_at = audit.current_actor(), utcnow()
    entry.save()
    _audit(entry, before)
    return entry


def _audit(entry, before):
    changes = audit.diff(before, _facts(entry))
    if changes:
        audit.record(
            "update" if before else "create",
            "agenda_item",
            entry.id,
            changes,
            agreement_id=entry.agreement_id,
            summary=entry.agreement.title,
        )


def due_on_of(agreement, kind, meets_on):
    """The deadline an added item of `kind` is about: the agreement's date of that kind while it is open,
    a draft's adoption date, else (another matter, or no such deadline) the meeting's day."""
    if kind in DEADLINE_COLUMNS and agreement.status in DEADLINE_STATUSES[kind]:
        return getattr(agreement, DEADLINE_COLUMNS[kind]) or meets_on
    if kind == agendas.ADOPTION:
        opened = adoptions.open_adoptions([agreement.id]).get(agreement.id)
        return opened.due_on if opened is not None else meets_on
    return meets_on


def add_item(group, agreement_id, kind, meets_on):
    """Put an agreement on the meeting's agenda as an item of `kind`; returns the AgendaItem."""
    errors = {}
    agreement = None
    pk = validation.valid_id(agreement_id)
    if pk is not None:
        agreement = Agreement.get_or_none(Agreement.id == pk)
    if agreement is None:
        errors["agreement"] = _("Välj ett avtal i listan.")
    if kind not in AGENDA_KINDS:
        errors["kind"] = _("Välj vad ärendet gäller i listan.")
    try:
        meets_on = _meeting(group, meets_on)
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    key = (agreement.id, kind, due_on_of(agreement, kind, meets_on))
    with db.atomic():
        audit.lock()
        here = _item(group, agendas.token_of(key), meets_on)
        if here is not None and here.decided:
            raise ValidationError({"agreement": _("Mötet har redan beslutat i ärendet.")})
        if here is None or here.removed:
            _place(group, key, meets_on)
    return _item(group, agendas.token_of(key), meets_on)


def remove_item(group, token, meets_on):
    """Take an item off the meeting's agenda (it stays on the page as taken off)."""
    _mark_removed(group, token, meets_on, True)


def restore_item(group, token, meets_on):
    """Put an item taken off the meeting's agenda back on it."""
    _mark_removed(group, token, meets_on, False)


def _mark_removed(group, token, meets_on, removed):
    meets_on = _meeting(group, meets_on)
    with db.atomic():
        audit.lock()
        item = _require_item(group, token, meets_on)
        if removed and item.decided:
            raise ValidationError({"item": _("Mötet har redan beslutat i ärendet; det kan inte tas bort.")})
        if item.removed != removed:
            _place(group, item.key, meets_on, removed=removed)


def move_item(group, token, meets_on, to_day):
    """Move an item from the meeting `meets_on` to the group's meeting `to_day`. A move already made (sent
    twice) changes nothing."""
    meets_on = _meeting(group, meets_on)
    to_day = _meeting(group, to_day, field="to")
    with db.atomic():
        audit.lock()
        item = _item(group, token, meets_on)
        if item is None:
            moved = _item(group, token, to_day)
            if moved is not None and not moved.removed:
                return
            _require_item(group, token, meets_on)
        if item.decided:
            raise ValidationError({"item": _("Mötet har redan beslutat i ärendet; det kan inte flyttas.")})
        if to_day == meets_on:
            raise ValidationError({"to": _("Välj ett annat möte än det ärendet redan ligger på.")})
        _place(group, item.key, to_day)


# --- decisions --------------------------------------------------------------------------


def _decision_errors(group, meets_on, item, data, today):
    """{field: message} of one item's decision (values cleaned in place)."""
    errors = {}
    data["decision_ref"], problem = validation.check_line(data.get("decision_ref"))
    if problem:
        errors["decision_ref"] = problem
    outcome = data.get("outcome")
    if outcome not in outcomes_for(item):
        return {**errors, "outcome": _("Välj ett beslut i listan.")}
    if outcome in REVIEW_OUTCOMES:
        review = _review_data(group, meets_on, data)
        errors.update(validate_review(item.agreement, review, today))
        data.update(review)
    elif data.get("new_expires_on"):
        errors["new_expires_on"] = _(
            "Ange bara ett nytt slutdatum när utfallet är Förlängd. Töm fältet eller välj Förlängd."
        )
    if outcome == "tabled" and meeting_plan.plan_of(group).first_on_or_after(meets_on + timedelta(days=1)) is None:
        errors["outcome"] = _("%(group)s har inget senare möte att bordlägga ärendet till.", group=group.name)
    return errors


def _review_data(group, meets_on, data):
    return {
        "reviewed_on": meets_on,
        "reviewer_name": group.name,
        "outcome": data.get("outcome"),
        "decision_ref": data.get("decision_ref"),
        "new_expires_on": data.get("new_expires_on"),
        "notes": data.get("notes"),
    }


def record_decisions(group, meets_on, decisions, today):
    """Record the meeting's decisions: `decisions` is {item token: {outcome, decision_ref,
    new_expires_on, notes}}; items without an outcome are left undecided. All or nothing: errors are
    raised as ValidationError({token: {field: message}}) and nothing is saved. Returns the rows saved.
    """
    meets_on = _meeting(group, meets_on)
    if meets_on > today:
        raise ValidationError(
            {
                "__all__": _(
                    "Mötet %(day)s har inte hållits ännu. Besluten registreras på mötesdagen eller senare.",
                    day=meets_on,
                )
            }
        )
    chosen = {token: dict(values) for token, values in decisions.items() if (values.get("outcome") or "").strip()}
    saved = []
    with db.atomic():
        audit.lock()
        items = {item.token: item for item in agendas.agenda(group, meets_on, today=today)}
        errors = {}
        for token, data in chosen.items():
            item = items.get(token)
            if item is None:
                errors[token] = {"item": _("Ärendet finns inte på mötets dagordning. Ladda om sidan och försök igen.")}
            elif item.decided:
                if item.outcome != data["outcome"]:
                    errors[token] = {"outcome": _("Mötet har redan beslutat i ärendet.")}
            else:
                problems = _decision_errors(group, meets_on, item, data, today)
                if problems:
                    errors[token] = problems
        if errors:
            raise ValidationError(errors)
        for token, data in chosen.items():
            item = items[token]
            if not item.decided:
                saved.append(_decide(group, meets_on, item, data, today))
    return saved


def _decide(group, meets_on, item, data, today):
    entry = _live_entry(group, item.key)
    if entry is None or entry.meets_on != meets_on:
        entry = AgendaEntry(group=group, agreement=item.agreement.id, kind=item.kind, due_on=item.due_on)
        before = {}
    else:
        before = _facts(entry)
    if data["outcome"] in REVIEW_OUTCOMES:
        # "Ska revideras" opens a revision whose mandate is this meeting's decision (registry/domain/revisions.py).
        data = {**data, "mandate_by": group.short_name or group.name}
        entry.review = record_review(item.agreement, data, today)
    entry.meets_on, entry.removed = meets_on, False
    entry.outcome, entry.decision_ref = data["outcome"], data["decision_ref"]
    entry.edited_by, entry.edited_at = audit.current_actor(), utcnow()
    entry.save()
    _audit(entry, before)
    if entry.outcome == "tabled":
        _place(group, item.key, meeting_plan.plan_of(group).first_on_or_after(meets_on + timedelta(days=1)))
    return entry


def outcome_choices(item):
    """[(code, label)] of the decisions an AgendaItem can get, for the form."""
    return [(code, AGENDA_OUTCOMES[code]) for code in outcomes_for(item)]
