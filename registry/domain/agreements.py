"""Writing agreements and reviews: every rule a change must satisfy, in one place.

Views, commands and (later) the API call these functions; they never write
agreements directly. Errors come back as {field: message} so a form can show
each message beside its field and nothing is saved.
"""

from flask_babel import gettext as _
from peewee import IntegrityError

from registry.rules import policy

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
from ..vocab import AGREEMENT_KINDS, AGREEMENT_STATUSES, REVIEW_OUTCOMES
from . import audit, schedule
from .errors import ValidationError

SCALAR_FIELDS = (
    "title",
    "short_name",
    "kind",
    "case_number",
    "description",
    "target_group",
    "decision_date",
    "decision_ref",
    "valid_from",
    "expires_on",
    "review_rule",
    "status",
    "notes",
    "expiry_offsets",
    "review_offsets",
    "overdue_every_days",
)


def _get(model, pk):
    if pk in (None, ""):
        return None
    return model.get_or_none(model.id == pk)


def _ids_exist(model, ids):
    ids = {int(i) for i in ids or ()}
    if not ids:
        return set(), set()
    found = {row.id for row in model.select(model.id).where(model.id.in_(list(ids)))}
    return found, ids - found


def _clean(data):
    """Strip text fields; empty optional text becomes None where the column allows it."""
    clean = dict(data)
    for key in ("title", "short_name", "description", "target_group", "decision_ref", "notes"):
        clean[key] = (clean.get(key) or "").strip()
    case_number = (clean.get("case_number") or "").strip()
    clean["case_number"] = case_number or None
    return clean


def validate(data, agreement=None):
    """Check an agreement's data; return {field: message} (empty when valid)."""
    errors = {}
    if not data["title"]:
        errors["title"] = _("Titel måste anges.")
    elif len(data["title"]) > 500:
        errors["title"] = _("Titeln får vara högst 500 tecken.")
    if data.get("kind") not in AGREEMENT_KINDS:
        errors["kind"] = _("Välj en typ i listan.")
    if data.get("status") not in AGREEMENT_STATUSES:
        errors["status"] = _("Välj en status i listan.")
    if _get(Group, data.get("responsible_group")) is None:
        errors["responsible_group"] = _("Okänd grupp: välj en ansvarig grupp i listan.")
    if data.get("decision_body") and _get(Group, data["decision_body"]) is None:
        errors["decision_body"] = _("Okänd grupp: välj beslutande organ i listan.")
    valid_from, expires_on = data.get("valid_from"), data.get("expires_on")
    if valid_from and expires_on and expires_on <= valid_from:
        errors["expires_on"] = _("Slutdatum måste vara efter giltig från-datum.")
    try:
        data["review_rule"] = cycles.normalise(data.get("review_rule"))
    except cycles.CycleError as exc:
        errors["review_rule"] = str(exc)
    for field, model, message in (
        ("contributing_groups", Group, _("Okänd grupp")),
        ("owners", Person, _("Okänd person")),
        ("parties", Organisation, _("Okänd part")),
    ):
        _found, missing = _ids_exist(model, data.get(field))
        if missing:
            errors[field] = f"{message}: {', '.join(map(str, sorted(missing)))}"
    for field in ("parent", "replaced_by"):
        pk = data.get(field)
        if not pk:
            continue
        if agreement is not None and int(pk) == agreement.id:
            errors[field] = _("Ett avtal kan inte hänvisa till sig självt.")
        elif _get(Agreement, pk) is None:
            errors[field] = _("Okänt avtal.")
    if data.get("status") == "replaced" and not data.get("replaced_by"):
        errors["replaced_by"] = _("Ange vilket avtal som ersätter detta.")
    reminder_policy, policy_errors = policy.clean(data)
    errors.update(policy_errors)
    data.update(reminder_policy)
    if data["case_number"]:
        clash = Agreement.select().where(Agreement.case_number == data["case_number"])
        if agreement is not None:
            clash = clash.where(Agreement.id != agreement.id)
        if clash.exists():
            errors["case_number"] = _("Diarienumret finns redan på ett annat avtal.")
    return errors


def _replace_links(agreement, model, field, ids):
    model.delete().where(model.agreement == agreement).execute()
    rows = [{"agreement": agreement.id, field: int(i)} for i in dict.fromkeys(ids or ())]
    if rows:
        model.insert_many(rows).execute()


def _replace_documents(agreement, documents):
    Document.delete().where(Document.agreement == agreement).execute()
    for title, url in documents or ():
        Document.create(agreement=agreement, title=title, url=url)


def snapshot(agreement):
    """An agreement's recorded facts as plain values, links by name, for the audit trail."""
    if agreement is None or agreement.id is None:
        return {}
    facts = {key: getattr(agreement, key) for key in SCALAR_FIELDS}
    facts.update(
        responsible_group=agreement.responsible_group.name,
        decision_body=agreement.decision_body.name if agreement.decision_body_id else None,
        parent=agreement.parent_id,
        replaced_by=agreement.replaced_by_id,
        next_review_on=agreement.next_review_on,
        contributing_groups=sorted(link.group.name for link in agreement.contributor_links),
        owners=sorted(link.person.email for link in agreement.owner_links),
        parties=sorted(link.organisation.name for link in agreement.party_links),
        documents=sorted(f"{d.title} | {d.url}" for d in agreement.documents),
    )
    return facts


# Every field save_agreement takes, empty (documents as (title, url) pairs): the base that
# API bodies and spreadsheet rows are applied to when they create an agreement.
EMPTY_AGREEMENT = {
    "title": "",
    "short_name": "",
    "kind": "",
    "case_number": None,
    "status": "",
    "description": "",
    "target_group": "",
    "responsible_group": None,
    "contributing_groups": [],
    "owners": [],
    "parties": [],
    "decision_body": None,
    "decision_date": None,
    "decision_ref": "",
    "valid_from": None,
    "expires_on": None,
    "review_rule": "",
    "parent": None,
    "replaced_by": None,
    "notes": "",
    "expiry_offsets": "",
    "review_offsets": "",
    "overdue_every_days": None,
    "documents": [],
}


def editable_values(agreement):
    """An agreement's facts in the shape save_agreement takes (documents left as they are)."""
    # __data__ holds the stored values: ids, not rows, for the foreign keys.
    data = {key: agreement.__data__.get(key) for key in EMPTY_AGREEMENT if key in agreement._meta.fields}
    data.update(
        contributing_groups=[link.group_id for link in agreement.contributor_links],
        owners=[link.person_id for link in agreement.owner_links],
        parties=[link.organisation_id for link in agreement.party_links],
    )
    return data


def save_agreement(data, agreement=None):
    """Create (agreement=None) or update an agreement with its links; all or nothing."""
    data = _clean(data)
    errors = validate(data, agreement)
    if errors:
        raise ValidationError(errors)
    before = snapshot(agreement)
    try:
        with db.atomic():
            agreement = agreement or Agreement()
            for key in SCALAR_FIELDS:
                setattr(agreement, key, data.get(key))
            agreement.responsible_group = int(data["responsible_group"])
            agreement.decision_body = data.get("decision_body") or None
            agreement.parent = data.get("parent") or None
            agreement.replaced_by = data.get("replaced_by") or None
            agreement.updated_at = utcnow()
            agreement.save()
            _replace_links(agreement, AgreementGroup, "group", data.get("contributing_groups"))
            _replace_links(agreement, AgreementOwner, "person", data.get("owners"))
            _replace_links(agreement, AgreementParty, "organisation", data.get("parties"))
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
        raise ValidationError({"__all__": _("Kunde inte spara: %(error)s", error=exc)}) from exc
    return agreement


# What each review outcome does to the agreement's status.
_OUTCOME_STATUS = {
    "unchanged": "in_force",
    "extended": "in_force",
    "to_be_revised": "under_revision",
    "terminated": "terminated",
}


def validate_review(agreement, data, today):
    """Check a review; return {field: message}."""
    errors = {}
    reviewed_on = data.get("reviewed_on")
    if reviewed_on is None:
        errors["reviewed_on"] = _("Ange granskningsdatum.")
    elif reviewed_on > today:
        errors["reviewed_on"] = _("Granskningsdatum kan inte ligga i framtiden.")
    if data.get("outcome") not in REVIEW_OUTCOMES:
        errors["outcome"] = _("Välj ett utfall i listan.")
    if not data.get("reviewer") and not (data.get("reviewer_name") or "").strip():
        errors["reviewer_name"] = _("Ange vem som granskade (person eller namn).")
    if data.get("reviewer") and _get(Person, data["reviewer"]) is None:
        errors["reviewer"] = _("Okänd person.")
    new_expiry = data.get("new_expires_on")
    if data.get("outcome") == "extended":
        if new_expiry is None:
            errors["new_expires_on"] = _("Ange nytt slutdatum när avtalet förlängs.")
        elif agreement.expires_on and new_expiry <= agreement.expires_on:
            errors["new_expires_on"] = _("Nytt slutdatum måste vara efter nuvarande slutdatum.")
    elif new_expiry is not None:
        errors["new_expires_on"] = _("Nytt slutdatum anges bara när avtalet förlängs.")
    if new_expiry and reviewed_on and new_expiry <= reviewed_on:
        errors["new_expires_on"] = _("Nytt slutdatum måste vara efter granskningsdatum.")
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
        )
        if data["outcome"] == "extended":
            agreement.expires_on = data["new_expires_on"]
        agreement.status = _OUTCOME_STATUS[data["outcome"]]
        agreement.next_review_on = schedule.next_review_on(agreement)
        agreement.save()
        review_facts = {
            k: getattr(review, k) for k in ("reviewed_on", "outcome", "decision_ref", "new_expires_on", "notes")
        }
        review_facts["reviewer"] = review.who
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
    return review
