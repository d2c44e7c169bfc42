"""Writing agreements and reviews: every rule a change must satisfy, in one place.

Every way in (web form, API, spreadsheet import, seed file, commands) calls
save_agreement and record_review; nothing writes agreements directly. Each
field is checked by its kind and limits from the field table
(registry/domain/fields.py) with the checks of registry/domain/validation.py,
then the rules across fields and rows. Errors come back as {field: message}
so a form can show each message beside its field, and nothing is saved.
"""

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import IntegrityError

from .. import clock
from ..db import db
from ..models import (
    Agreement,
    AgreementGroup,
    AgreementOwner,
    AgreementParty,
    Document,
    Group,
    Organisation,
    Person,
    Review,
    utcnow,
)
from ..rules import cycles
from ..vocab import REVIEW_OUTCOMES
from . import audit, indicators, schedule, validation
from . import fields as F
from .errors import ValidationError

# The link tables of the link kinds: (model, the link's column, the agreement's backref).
LINKS = {
    F.GROUPS: (AgreementGroup, "group", "contributor_links"),
    F.PEOPLE: (AgreementOwner, "person", "owner_links"),
    F.ORGANISATIONS: (AgreementParty, "organisation", "party_links"),
}
LINKED_MODELS = {F.GROUPS: Group, F.PEOPLE: Person, F.ORGANISATIONS: Organisation, F.GROUP: Group}
# Compatibility names: the scalar columns and the empty agreement, both from the field table.
SCALAR_FIELDS = tuple(f.name for f in F.SCALARS)
EMPTY_AGREEMENT = F.EMPTY


def _get(model, pk):
    pk = validation.valid_id(pk)
    return None if pk is None else model.get_or_none(model.id == pk)


def _missing(model, ids):
    """The ids among `ids` that name no row of `model`."""
    if not ids:
        return []
    found = {row.id for row in model.select(model.id).where(model.id.in_(list(ids)))}
    return sorted(set(ids) - found)


def _check_documents(value):
    """[(title, url)] -> (clean pairs, message)."""
    documents = []
    for item in value or ():
        title, url = item
        url, problem = validation.check_url(url, F.MAX_URL, required=True)
        title, title_problem = validation.check_line(title, F.MAX_DOCUMENT_TITLE)
        if problem or title_problem:
            return documents, f"«{str(url)[:80]}»: {problem or title_problem}"
        documents.append((title or url, url))
    if len(documents) > F.MAX_LINKS:
        return documents, _("Listan har för många värden. Den får ha högst %(n)s.", n=F.MAX_LINKS)
    return documents, None


def check_field(field, value):
    """One field's value, cleaned, and a message when it breaks the field's own limits (None when fine)."""
    kind = field.kind
    if kind in (F.LINE, F.TEXT):
        check = validation.check_line if kind == F.LINE else validation.check_text
        value, problem = check(value, field.max_length)
        if problem is None and field.required and not value:
            problem = _("%(field)s måste anges.", field=field.label)
        return (value or None) if field.unique else value, problem
    if kind == F.CODE:
        if value not in field.vocabulary:
            return value, _("Värdet finns inte i listan. Välj ett av listans värden.")
        return value, None
    if kind == F.DATE:
        return validation.check_date(value, field.required)
    if kind == F.INT:
        return validation.check_int(value, field.low, field.high, field.required)
    if kind in F.FOREIGN_KEY_KINDS:
        if value in (None, ""):
            return None, (_("%(field)s måste anges.", field=field.label) if field.required else None)
        pk = validation.valid_id(value)
        if pk is None:
            return None, _("Värdet finns inte i listan. Välj ett av listans värden.")
        return pk, None
    if kind in F.LINK_KINDS:
        return validation.check_ids(value, F.MAX_LINKS)
    if kind == F.CYCLE:
        try:
            return cycles.normalise(value), None
        except cycles.CycleError as exc:
            return value, str(exc)
    if kind == F.OFFSETS:
        return validation.check_offsets(value)
    if kind == F.DOCUMENTS:
        return _check_documents(value)
    raise ValueError(f"unknown field kind {kind!r}")


def _loops(agreement, name, target_id):
    """True when following `name` (parent or replaced_by) from target_id leads back to the agreement."""
    if agreement is None or agreement.id is None:
        return False
    column = getattr(Agreement, name)
    seen, current = set(), target_id
    while current is not None and current not in seen:
        if current == agreement.id:
            return True
        seen.add(current)
        row = Agreement.select(column).where(Agreement.id == current).tuples().first()
        current = row[0] if row else None
    return False


def validate(data, agreement=None):
    """Check an agreement's data in place (values cleaned); return {field: message} (empty when valid)."""
    errors = {}
    for field in F.FIELDS:
        if field.name not in data and field.kind == F.DOCUMENTS:
            continue  # documents left out are left as they are
        value, problem = check_field(field, data.get(field.name, field.empty))
        data[field.name] = value
        if problem:
            errors[field.name] = problem
    if "responsible_group" not in errors and _get(Group, data["responsible_group"]) is None:
        errors["responsible_group"] = _("Gruppen finns inte i registret. Välj en ansvarig grupp i listan.")
    if data["decision_body"] and "decision_body" not in errors and _get(Group, data["decision_body"]) is None:
        errors["decision_body"] = _("Gruppen finns inte i registret. Välj ett beslutande organ i listan.")
    valid_from, expires_on = data["valid_from"], data["expires_on"]
    if valid_from and expires_on and expires_on <= valid_from and "expires_on" not in errors:
        errors["expires_on"] = _("Slutdatumet måste ligga efter datumet i Giltig från.")
    for field in F.FIELDS:
        if field.kind in F.LINK_KINDS and field.name not in errors:
            missing = _missing(LINKED_MODELS[field.kind], data[field.name])
            if missing:
                n, ids = len(missing), ", ".join(map(str, missing))
                what = {
                    F.GROUPS: ngettext(
                        "Det finns ingen grupp med id %(ids)s i registret. Välj grupper i listan.",
                        "Det finns inga grupper med id %(ids)s i registret. Välj grupper i listan.",
                        n,
                        ids=ids,
                    ),
                    F.PEOPLE: ngettext(
                        "Det finns ingen person med id %(ids)s i registret. Välj personer i listan.",
                        "Det finns inga personer med id %(ids)s i registret. Välj personer i listan.",
                        n,
                        ids=ids,
                    ),
                    F.ORGANISATIONS: ngettext(
                        "Det finns ingen part med id %(ids)s i registret. Välj parter i listan.",
                        "Det finns inga parter med id %(ids)s i registret. Välj parter i listan.",
                        n,
                        ids=ids,
                    ),
                }
                errors[field.name] = what[field.kind]
        if field.kind == F.AGREEMENT and data[field.name] and field.name not in errors:
            pk = data[field.name]
            if agreement is not None and pk == agreement.id:
                errors[field.name] = _("Ett avtal kan inte hänvisa till sig självt. Välj ett annat avtal.")
            elif _get(Agreement, pk) is None:
                errors[field.name] = _("Avtalet finns inte i registret. Välj ett avtal i listan.")
            elif _loops(agreement, field.name, pk):
                errors[field.name] = _(
                    "Sambandet går runt i en cirkel: avtalet hänvisar via andra avtal till sig självt. "
                    "Välj ett annat avtal."
                )
    if data["status"] != "under_revision":
        data["revision_due_on"] = None  # the new version's deadline belongs to a revision only
    elif data["revision_due_on"] is None and "revision_due_on" not in errors:
        data["revision_due_on"] = schedule.revision_due(clock.today())
    if data["status"] == "replaced" and not data["replaced_by"] and "replaced_by" not in errors:
        errors["replaced_by"] = _(
            "Ange i Ersatt av vilket avtal som ersätter det här avtalet; det krävs när status är Ersatt."
        )
    if data["case_number"] and "case_number" not in errors:
        clash = Agreement.select().where(Agreement.case_number == data["case_number"])
        if agreement is not None:
            clash = clash.where(Agreement.id != agreement.id)
        if clash.exists():
            errors["case_number"] = _("Diarienumret finns redan på ett annat avtal. Ange avtalets eget diarienummer.")
    return errors


def _replace_links(agreement, model, field, ids):
    """Make the agreement's links of one kind exactly `ids`: a link that stays is kept as it is (a
    party's must_adopt with it), the others are removed and the new ones added."""
    wanted = [int(i) for i in dict.fromkeys(ids or ())]
    column = getattr(model, field)
    current = {pk for (pk,) in model.select(column).where(model.agreement == agreement).tuples()}
    gone = sorted(current - set(wanted))
    if gone:
        model.delete().where((model.agreement == agreement) & column.in_(gone)).execute()
    rows = [{"agreement": agreement.id, field: pk} for pk in wanted if pk not in current]
    if rows:
        model.insert_many(rows).execute()


def _replace_documents(agreement, documents):
    Document.delete().where(Document.agreement == agreement).execute()
    for title, url in documents or ():
        Document.create(agreement=agreement, title=title, url=url)


def _audit_value(agreement, field):
    """A field's value as the audit trail records it: plain values, groups and parties by name, owners by e-mail."""
    kind = field.kind
    if kind == F.GROUP:
        group = getattr(agreement, field.name) if agreement.__data__.get(field.name) else None
        return group.name if group is not None else None
    if kind == F.AGREEMENT:
        return agreement.__data__.get(field.name)
    if kind in LINKS:
        _model, column, backref = LINKS[kind]
        linked = (getattr(link, column) for link in getattr(agreement, backref))
        return sorted(row.email if kind == F.PEOPLE else row.name for row in linked)
    if kind == F.DOCUMENTS:
        return sorted(f"{d.title} | {d.url}" for d in agreement.documents)
    return getattr(agreement, field.name)


def snapshot(agreement):
    """An agreement's recorded facts as plain values, links by name, for the audit trail."""
    if agreement is None or agreement.id is None:
        return {}
    facts = {f.name: _audit_value(agreement, f) for f in F.FIELDS if f.audited}
    facts["next_review_on"] = agreement.next_review_on
    return facts


def editable_values(agreement):
    """An agreement's facts in the shape save_agreement takes (documents left as they are)."""
    data = {}
    for field in F.FIELDS:
        if field.kind in LINKS:
            _model, column, backref = LINKS[field.kind]
            data[field.name] = [getattr(link, f"{column}_id") for link in getattr(agreement, backref)]
        elif field.kind != F.DOCUMENTS:
            data[field.name] = agreement.__data__.get(field.name)  # ids, not rows, for the foreign keys
    return data


def save_agreement(data, agreement=None):
    """Create (agreement=None) or update an agreement with its links; all or nothing."""
    # Fields left out are empty; documents left out are left as they are.
    data = {**{k: v for k, v in F.EMPTY.items() if k != "documents"}, **data}
    errors = validate(data, agreement)
    if errors:
        raise ValidationError(errors)
    before = snapshot(agreement)
    try:
        with db.atomic():
            agreement = agreement or Agreement()
            for field in F.FIELDS:
                if field.is_scalar or field.kind in F.FOREIGN_KEY_KINDS:
                    setattr(agreement, field.name, data[field.name])
            agreement.updated_at = utcnow()
            agreement.save()
            for field in F.FIELDS:
                if field.kind in LINKS:
                    model, column, _backref = LINKS[field.kind]
                    _replace_links(agreement, model, column, data[field.name])
            if "documents" in data:
                _replace_documents(agreement, data["documents"])
            agreement.next_review_on = schedule.next_review_on(agreement)
            agreement.save()
            changes = audit.diff(before, snapshot(agreement))
            if changes:
                audit.record(
                    "update" if before else "create",
                    "agreement",
                    agreement.id,
                    changes,
                    agreement_id=agreement.id,
                    summary=agreement.title,
                )
    except IntegrityError as exc:
        raise ValidationError(
            {"__all__": _("Avtalet kunde inte sparas (%(error)s). Kontrollera uppgifterna och försök igen.", error=exc)}
        ) from exc
    return agreement


# What each review outcome does to the agreement's status.
_OUTCOME_STATUS = {
    "unchanged": "in_force",
    "extended": "in_force",
    "to_be_revised": "under_revision",
    "terminated": "terminated",
}


def validate_review(agreement, data, today):
    """Check a review in place (values cleaned); return {field: message}.

    Besides its outcome, a review may carry `deviations` (text) and `indicator_values` ({indicator id:
    number}, registry/domain/indicators.py), both optional; an indicator's error is keyed
    indicators.field_name(id)."""
    errors = {}
    for name, check in (
        ("reviewer_name", validation.check_line),
        ("decision_ref", validation.check_line),
        ("notes", validation.check_text),
        ("deviations", validation.check_text),
    ):
        data[name], problem = check(data.get(name))
        if problem:
            errors[name] = problem
    data["indicator_values"], problems = indicators.check_values(agreement, data.get("indicator_values"))
    errors.update(problems)
    for name in ("reviewed_on", "new_expires_on", "revision_due_on"):
        data[name], problem = validation.check_date(data.get(name))
        if problem:
            errors[name] = problem
    reviewed_on = data.get("reviewed_on")
    if reviewed_on is None:
        errors.setdefault("reviewed_on", _("Ange uppföljningsdatum som ÅÅÅÅ-MM-DD, till exempel 2027-03-31."))
    elif reviewed_on > today:
        errors["reviewed_on"] = _(
            "Uppföljningsdatumet kan inte ligga i framtiden. Ange dagens datum eller ett tidigare."
        )
    if data.get("outcome") not in REVIEW_OUTCOMES:
        errors["outcome"] = _("Välj ett utfall i listan.")
    if not data.get("reviewer") and not (data.get("reviewer_name") or "").strip():
        errors["reviewer_name"] = _("Ange vem som följde upp avtalet: välj en person eller skriv ett namn.")
    if data.get("reviewer") not in (None, "") and _get(Person, data["reviewer"]) is None:
        errors["reviewer"] = _("Personen finns inte i registret. Välj en person i listan.")
    revision_due_on = data.get("revision_due_on")
    if revision_due_on is not None and "revision_due_on" not in errors:
        if data.get("outcome") != "to_be_revised":
            errors["revision_due_on"] = _("Datum för ny version anges bara när avtalet ska revideras.")
        elif reviewed_on and revision_due_on <= reviewed_on:
            errors["revision_due_on"] = _("Den nya versionen måste vara beslutad efter uppföljningens datum.")
    new_expiry = data.get("new_expires_on")
    if "new_expires_on" in errors:
        return errors
    if data.get("outcome") == "extended":
        if new_expiry is None:
            errors["new_expires_on"] = _("Ange ett nytt slutdatum som ÅÅÅÅ-MM-DD när avtalet förlängs.")
        elif agreement.expires_on and new_expiry <= agreement.expires_on:
            errors["new_expires_on"] = _(
                "Det nya slutdatumet måste ligga efter det nuvarande, %(current)s.",
                current=agreement.expires_on.isoformat(),
            )
    elif new_expiry is not None:
        errors["new_expires_on"] = _(
            "Ange bara ett nytt slutdatum när utfallet är Förlängd. Töm fältet eller välj Förlängd."
        )
    if new_expiry and reviewed_on and new_expiry <= reviewed_on:
        errors["new_expires_on"] = _("Det nya slutdatumet måste ligga efter uppföljningsdatumet.")
    return errors


def record_review(agreement, data, today):
    """Record a review, apply its outcome and recompute the next review date."""
    errors = validate_review(agreement, data, today)
    if errors:
        raise ValidationError(errors)
    before = snapshot(agreement)
    with db.atomic():
        review = Review.create(
            agreement=agreement,
            reviewed_on=data["reviewed_on"],
            reviewer=data.get("reviewer") or None,
            reviewer_name=(data.get("reviewer_name") or "").strip(),
            outcome=data["outcome"],
            decision_ref=(data.get("decision_ref") or "").strip(),
            new_expires_on=data.get("new_expires_on"),
            notes=(data.get("notes") or "").strip(),
            deviations=data.get("deviations") or "",
        )
        recorded = indicators.store_values(review, data.get("indicator_values"))
        if data["outcome"] == "extended":
            agreement.expires_on = data["new_expires_on"]
        agreement.status = _OUTCOME_STATUS[data["outcome"]]
        if data["outcome"] == "to_be_revised":
            agreement.revision_due_on = data.get("revision_due_on") or schedule.revision_due(data["reviewed_on"])
        elif agreement.status != "under_revision":
            agreement.revision_due_on = None
        agreement.next_review_on = schedule.next_review_on(agreement)
        agreement.save()
        review_facts = {
            k: getattr(review, k)
            for k in ("reviewed_on", "outcome", "decision_ref", "new_expires_on", "notes", "deviations")
        }
        review_facts["reviewer"] = review.who
        review_facts["indicator_values"] = recorded
        audit.record(
            "create",
            "review",
            review.id,
            audit.diff({}, review_facts),
            agreement_id=agreement.id,
            summary=agreement.title,
        )
        changes = audit.diff(before, snapshot(agreement))
        if changes:
            audit.record(
                "update", "agreement", agreement.id, changes, agreement_id=agreement.id, summary=agreement.title
            )
        # "Ska revideras" opens a revision (registry/domain/revisions.py) with this decision as its mandate;
        # another outcome closes one left open.
        from . import revisions

        if data["outcome"] == "to_be_revised":
            revisions.open_from_review(agreement, review, data.get("mandate_by"))
        else:
            revisions.close_from_review(agreement, review)
    return review
