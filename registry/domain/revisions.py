"""A revision as a piece of work (revidering): mandate, lead, steps, remiss, draft successor.

A revision opens when a follow-up records "Ska revideras" (the follow-up form and a meeting's
decisions alike: both go through agreements.record_review), or when someone starts one from the
agreement's page. It holds:

- the mandate: who gave it and when ("KCRD 2024-03-08 § 7"); from a follow-up, the deciding group,
  the follow-up's date and its paragraph;
- a lead person and the date the new version must be decided by (`due_on`, the same date as the
  agreement's revision_due_on, which this module keeps in step);
- steps with due dates (the sources' example: a draft, a child-impact assessment, links to other
  documents); a step not yet done with a due date is a deadline ("revision_step");
- a consultation round (remiss) to the agreement's parties with a due date and each party's answer;
  while answers are missing its due date is a deadline ("consultation");
- a draft successor: a new agreement (status draft) with the version's facts and parties, which the
  version in force names as `replaced_by`. It goes through the adoption flow
  (registry/domain/adoptions.py); when every party has adopted it, it enters into force, the old
  version becomes "replaced" and the revision is completed.

Abandoning a revision puts the agreement back in force (its revision date cleared, and a successor it
named no longer replacing it; the draft itself stays, as a draft). Every change is audited in the
same transaction. No Flask request is used here: pages, the API and seeds call these functions.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import IntegrityError

from ..collation import organisation_key
from ..db import db
from ..models import (
    Agreement,
    AgreementParty,
    Consultation,
    ConsultationAnswer,
    Group,
    Organisation,
    Person,
    Revision,
    RevisionStep,
)
from ..vocab import CONSULTATION_POSITIONS
from . import audit, schedule, validation
from .errors import ValidationError

OPEN, COMPLETED, ABANDONED = "open", "completed", "abandoned"
STEP, CONSULTATION = "revision_step", "consultation"
ID_CHUNK = 2000
MAX_STEPS = 50


def suggested_steps():
    """The sources' three example steps (Region Örebro, the family-centre agreement), offered by the
    start form: names only, no due dates."""
    return [
        _("Utkast till ny överenskommelse"),
        _("Barnkonsekvensanalys"),
        _("Koppling till andra styrdokument"),
    ]


# --- reading -------------------------------------------------------------------------------


def open_of(agreement):
    """The agreement's open revision, or None."""
    return (
        Revision.select()
        .where((Revision.agreement == agreement.id) & (Revision.state == OPEN))
        .order_by(Revision.id.desc())
        .first()
    )


def latest_of(agreement):
    """The agreement's open revision, else its latest one (completed or abandoned), else None."""
    return open_of(agreement) or (
        Revision.select().where(Revision.agreement == agreement.id).order_by(Revision.id.desc()).first()
    )


def producing(agreement):
    """The revision whose draft successor this agreement is, or None."""
    return Revision.select().where(Revision.successor == agreement.id).order_by(Revision.id.desc()).first()


def steps_of(revision):
    return list(revision.steps.order_by(RevisionStep.position, RevisionStep.id))


def consultation_of(revision):
    """The revision's remiss (the latest sent), or None."""
    return revision.consultations.order_by(Consultation.id.desc()).first()


@dataclass(frozen=True)
class PartyAnswer:
    organisation: Organisation
    answer: ConsultationAnswer | None


def answers_of(revision, consultation=None):
    """[PartyAnswer] for every party of the agreement (the remiss's recipients), regions first."""
    consultation = consultation or consultation_of(revision)
    parties = [
        link.organisation
        for link in AgreementParty.select(AgreementParty, Organisation)
        .join(Organisation)
        .where(AgreementParty.agreement == revision.agreement_id)
    ]
    given = {}
    if consultation is not None:
        given = {a.organisation_id: a for a in consultation.answers}
    parties.sort(key=organisation_key)
    return [PartyAnswer(o, given.get(o.id)) for o in parties]


@dataclass(frozen=True, order=True)
class RevisionDeadline:
    """A deadline of a revision's work: a step not yet done, or a remiss whose answers are missing."""

    due_on: date
    kind: str  # STEP or CONSULTATION
    agreement_id: int
    revision_id: int
    title: str  # the step's title ("" for the remiss)
    item_id: int  # the step's or the consultation's id
    missing: int = 0  # a remiss: answers still missing

    @property
    def name(self):
        """How pages, feeds and e-mails name it: "Barnkonsekvensanalys", "Remiss"."""
        return self.title or _("Remiss")


def open_deadlines(agreement_ids=None):
    """{agreement id: [RevisionDeadline] soonest first} of the open revisions (all, or of these agreements)."""
    revisions = Revision.select(Revision.id, Revision.agreement).where(Revision.state == OPEN)
    if agreement_ids is not None:
        ids = sorted(set(agreement_ids))
        if not ids:
            return {}
        found = {}
        for start in range(0, len(ids), ID_CHUNK):
            found.update(_open_deadlines(revisions.where(Revision.agreement.in_(ids[start : start + ID_CHUNK]))))
        return found
    return _open_deadlines(revisions)


def _open_deadlines(revisions):
    owner = dict(revisions.tuples())  # {revision id: agreement id}
    if not owner:
        return {}
    found = {}
    steps = RevisionStep.select().where(
        RevisionStep.revision.in_(list(owner)) & RevisionStep.done_on.is_null() & RevisionStep.due_on.is_null(False)
    )
    for step in steps:
        agreement_id = owner[step.revision_id]
        found.setdefault(agreement_id, []).append(
            RevisionDeadline(step.due_on, STEP, agreement_id, step.revision_id, step.title, step.id)
        )
    latest = {}
    for consultation in Consultation.select().where(Consultation.revision.in_(list(owner))).order_by(Consultation.id):
        latest[consultation.revision_id] = consultation
    if latest:
        parties = {}
        for agreement_id, org_id in (
            AgreementParty.select(AgreementParty.agreement, AgreementParty.organisation)
            .where(AgreementParty.agreement.in_(sorted({owner[r] for r in latest})))
            .tuples()
        ):
            parties.setdefault(agreement_id, set()).add(org_id)
        answered = {}
        for consultation_id, org_id in (
            ConsultationAnswer.select(ConsultationAnswer.consultation, ConsultationAnswer.organisation)
            .where(ConsultationAnswer.consultation.in_([c.id for c in latest.values()]))
            .tuples()
        ):
            answered.setdefault(consultation_id, set()).add(org_id)
        for revision_id, consultation in latest.items():
            agreement_id = owner[revision_id]
            missing = len(parties.get(agreement_id, set()) - answered.get(consultation.id, set()))
            if missing > 0:
                found.setdefault(agreement_id, []).append(
                    RevisionDeadline(
                        consultation.due_on, CONSULTATION, agreement_id, revision_id, "", consultation.id, missing
                    )
                )
    return {k: sorted(v) for k, v in found.items()}


def deadlines_of(agreement):
    """[RevisionDeadline] of the agreement's open revision, soonest first."""
    return open_deadlines([agreement.id]).get(agreement.id, [])


# --- checking ---------------------------------------------------------------------------------


def _line(data, name, errors, required=False):
    value, problem = validation.check_line(data.get(name), required=required)
    if problem:
        errors[name] = problem
    return value or ""


def _date(data, name, errors, required=False):
    value, problem = validation.check_date(data.get(name), required)
    if problem:
        errors[name] = problem
    return value


def _person(data, errors):
    raw = data.get("lead")
    if raw in (None, ""):
        return None
    pk = validation.valid_id(raw)
    if pk is None or Person.get_or_none(Person.id == pk) is None:
        errors["lead"] = _("Personen finns inte i registret. Välj en person i listan.")
        return None
    return pk


def _check_revision(data, today, started_on=None):
    errors = {}
    clean = {
        "mandate_by": _line(data, "mandate_by", errors),
        "mandate_on": _date(data, "mandate_on", errors),
        "mandate_ref": _line(data, "mandate_ref", errors),
        "lead": _person(data, errors),
        "due_on": _date(data, "due_on", errors),
    }
    clean["notes"], problem = validation.check_text(data.get("notes"))
    if problem:
        errors["notes"] = problem
    if clean["mandate_on"] and clean["mandate_on"] > today:
        errors["mandate_on"] = _("Uppdragets datum kan inte ligga i framtiden. Ange dagen då uppdraget gavs.")
    start = started_on or today
    if clean["due_on"] and clean["due_on"] <= start and "due_on" not in errors:
        errors["due_on"] = _("Den nya versionen måste vara beslutad efter revideringens start, %(start)s.", start=start)
    return clean, errors


def _check_step(data, errors, prefix=""):
    title, problem = validation.check_line(data.get("title"), required=True)
    if problem:
        errors[f"{prefix}title"] = problem
    due_on, problem = validation.check_date(data.get("due_on"))
    if problem:
        errors[f"{prefix}due_on"] = problem
    note, problem = validation.check_text(data.get("note"))
    if problem:
        errors[f"{prefix}note"] = problem
    return {"title": title or "", "due_on": due_on, "note": note or ""}


def _facts(revision):
    """What the audit trail records of a revision."""
    return {
        "mandate_by": revision.mandate_by,
        "mandate_on": revision.mandate_on,
        "mandate_ref": revision.mandate_ref,
        "lead": revision.lead.name if revision.lead_id else None,
        "due_on": revision.due_on,
        "state": revision.state,
        "started_on": revision.started_on,
        "closed_on": revision.closed_on,
        "notes": revision.notes,
        "successor": revision.successor.title if revision.successor_id else None,
    }


facts = _facts  # what the audit trail records of a revision, for other modules (personal_data)


def _audit(action, entity, row_id, before, after, revision, summary=None):
    changes = audit.diff(before, after)
    if changes:
        agreement = revision.agreement
        audit.record(
            action,
            entity,
            row_id,
            changes,
            agreement_id=agreement.id,
            summary=summary or agreement.title,
        )
    return changes


def _set_agreement(agreement, status, revision_due_on=..., replaced_by=...):
    """Change the agreement's status (and revision date, replacement) through save_agreement: validated
    and audited like any change."""
    from .agreements import editable_values, save_agreement

    values = {**editable_values(agreement), "status": status}
    if revision_due_on is not ...:
        values["revision_due_on"] = revision_due_on
    if replaced_by is not ...:
        values["replaced_by"] = replaced_by
    return save_agreement(values, agreement)


# --- opening and changing -----------------------------------------------------------------------


def start(agreement, data, today):
    """Open a revision of an agreement in force (or under revision without one): mandate, lead, due date,
    notes and optional steps ([{title, due_on}]). The agreement becomes "under revision" with the
    revision's due date (default: six months on). ValidationError when it cannot."""
    if agreement.status not in ("in_force", "under_revision"):
        raise ValidationError({"__all__": _("Bara ett gällande avtal kan revideras.")})
    if open_of(agreement) is not None:
        raise ValidationError({"__all__": _("Avtalet har redan en pågående revidering.")})
    clean, errors = _check_revision(data, today)
    steps = []
    for index, step in enumerate(data.get("steps") or ()):
        if not (step.get("title") or "").strip() and not step.get("due_on"):
            continue  # an empty row of the form
        steps.append(_check_step(step, errors, prefix=f"steps-{index}-"))
    if len(steps) > MAX_STEPS:
        errors["steps"] = _("Listan har för många värden. Den får ha högst %(n)s.", n=MAX_STEPS)
    if errors:
        raise ValidationError(errors)
    due_on = (
        clean["due_on"]
        or (agreement.revision_due_on if agreement.status == "under_revision" else None)
        or schedule.revision_due(today)
    )
    with db.atomic():
        audit.lock()
        if open_of(agreement) is not None:  # opened by another request meanwhile
            raise ValidationError({"__all__": _("Avtalet har redan en pågående revidering.")})
        revision = Revision.create(
            agreement=agreement.id,
            mandate_by=clean["mandate_by"],
            mandate_on=clean["mandate_on"],
            mandate_ref=clean["mandate_ref"],
            lead=clean["lead"],
            due_on=due_on,
            started_on=today,
            notes=clean["notes"] or "",
        )
        _audit("create", "revision", revision.id, {}, _facts(revision), revision)
        for position, step in enumerate(steps, 1):
            _create_step(revision, step, position)
        if agreement.status != "under_revision" or agreement.revision_due_on != due_on:
            _set_agreement(agreement, "under_revision", due_on)
    return revision


def open_from_review(agreement, review, mandate_by=None):
    """A follow-up recorded "Ska revideras": open a revision with the follow-up's decision as its mandate
    (the deciding group, the follow-up's date, its paragraph), or, when one is open, move its due date
    to the agreement's new one. Called inside record_review's transaction."""
    found = open_of(agreement)
    if found is not None:
        if found.due_on != agreement.revision_due_on:
            before = _facts(found)
            found.due_on = agreement.revision_due_on
            found.save()
            _audit("update", "revision", found.id, before, _facts(found), found)
        return found
    if mandate_by is None:
        group = Group.get_or_none(Group.id == schedule.deciding_group_id(agreement))
        mandate_by = (group.short_name or group.name) if group is not None else ""
    revision = Revision.create(
        agreement=agreement.id,
        mandate_by=validation.one_line(mandate_by)[: validation.LINE_MAX],
        mandate_on=review.reviewed_on,
        mandate_ref=review.decision_ref,
        due_on=agreement.revision_due_on,
        started_on=review.reviewed_on,
    )
    _audit("create", "revision", revision.id, {}, _facts(revision), revision)
    return revision


def close_from_review(agreement, review):
    """A follow-up with another outcome than "Ska revideras" ends a revision left open (abandoned: the
    follow-up decided otherwise; its status is the follow-up's)."""
    found = open_of(agreement)
    if found is not None:
        before = _facts(found)
        found.state, found.closed_on = ABANDONED, review.reviewed_on
        found.save()
        _audit("update", "revision", found.id, before, _facts(found), found)


def update(revision, data, today):
    """Change a revision's mandate, lead, due date (the agreement's revision date with it) and notes."""
    if revision.state != OPEN:
        raise ValidationError({"__all__": _("Revideringen är avslutad och kan inte ändras.")})
    clean, errors = _check_revision(data, today, revision.started_on)
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        before = _facts(revision)
        for name in ("mandate_by", "mandate_on", "mandate_ref", "notes"):
            setattr(revision, name, clean[name] or ("" if name != "mandate_on" else None))
        revision.lead = clean["lead"]
        if clean["due_on"]:
            revision.due_on = clean["due_on"]
        revision.save()
        _audit("update", "revision", revision.id, before, _facts(revision), revision)
        agreement = revision.agreement
        if agreement.status == "under_revision" and revision.due_on and agreement.revision_due_on != revision.due_on:
            _set_agreement(agreement, "under_revision", revision.due_on)
    return revision


def abandon(revision, today, note=""):
    """Stop a revision: the agreement is in force again as it was (no revision date; a successor it named
    no longer replaces it, and stays a draft)."""
    if revision.state != OPEN:
        raise ValidationError({"__all__": _("Revideringen är redan avslutad.")})
    note, problem = validation.check_text(note)
    if problem:
        raise ValidationError({"notes": problem})
    with db.atomic():
        before = _facts(revision)
        revision.state, revision.closed_on = ABANDONED, today
        if note:
            revision.notes = "\n\n".join(filter(None, [revision.notes, note]))
        revision.save()
        _audit("update", "revision", revision.id, before, _facts(revision), revision)
        agreement = Agreement.get_by_id(revision.agreement_id)
        status = "in_force" if agreement.status == "under_revision" else agreement.status
        replaced_by = ...
        if revision.successor_id and agreement.replaced_by_id == revision.successor_id:
            replaced_by = None
        if status != agreement.status or replaced_by is None:
            _set_agreement(agreement, status, None, replaced_by)
    return revision


# --- steps --------------------------------------------------------------------------------------


def _step_facts(step):
    return {"step": step.title, "due_on": step.due_on, "done_on": step.done_on, "note": step.note}


def _create_step(revision, clean, position):
    step = RevisionStep.create(revision=revision.id, position=position, **clean)
    _audit("create", "revision_step", step.id, {}, _step_facts(step), revision)
    return step


def _open_only(revision):
    if revision.state != OPEN:
        raise ValidationError({"__all__": _("Revideringen är avslutad och kan inte ändras.")})


def add_step(revision, data):
    """Add a step ({title, due_on, note}) at the end."""
    _open_only(revision)
    errors = {}
    clean = _check_step(data, errors)
    if not errors and revision.steps.count() >= MAX_STEPS:
        errors["title"] = _("Listan har för många värden. Den får ha högst %(n)s.", n=MAX_STEPS)
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        last = revision.steps.order_by(RevisionStep.position.desc()).first()
        return _create_step(revision, clean, (last.position if last else 0) + 1)


def step_of(revision, step_id):
    """A step of this revision, or LookupError."""
    pk = validation.valid_id(step_id)
    step = RevisionStep.get_or_none((RevisionStep.id == pk) & (RevisionStep.revision == revision.id)) if pk else None
    if step is None:
        raise LookupError(step_id)
    return step


def update_step(revision, step, data, today):
    """Change a step: its title, due date and note, and the day it was done (`done_on`, empty: not done;
    `done: true` without a date: today). `remove: true` removes it."""
    _open_only(revision)
    with db.atomic():
        before = _step_facts(step)
        if data.get("remove"):
            step.delete_instance()
            audit.record(
                "delete",
                "revision_step",
                step.id,
                audit.diff(before, {}),
                agreement_id=revision.agreement_id,
                summary=revision.agreement.title,
            )
            return None
        errors = {}
        merged = {"title": step.title, "due_on": step.due_on, "note": step.note}
        merged.update({k: data[k] for k in ("title", "due_on", "note") if k in data})
        clean = _check_step(merged, errors)
        done_on = step.done_on
        if "done_on" in data:
            done_on = _date(data, "done_on", errors)
        if data.get("done") and done_on is None and "done_on" not in errors:
            done_on = today
        if data.get("done") is False:
            done_on = None
        if done_on and done_on > today:
            errors["done_on"] = _("Datumet kan inte ligga i framtiden. Ange dagen då steget blev klart.")
        if errors:
            raise ValidationError(errors)
        for name, value in clean.items():
            setattr(step, name, value)
        step.done_on = done_on
        step.save()
        _audit("update", "revision_step", step.id, before, _step_facts(step), revision)
    return step


# --- the remiss -----------------------------------------------------------------------------------


def _consultation_facts(row):
    return {"sent_on": row.sent_on, "due_on": row.due_on, "note": row.note}


def send_consultation(revision, data, today):
    """Send the draft on remiss to the agreement's parties ({sent_on (default today), due_on, note}); a
    remiss already sent has its dates and note changed instead."""
    _open_only(revision)
    errors = {}
    sent_on = _date(data, "sent_on", errors) or today
    due_on = _date(data, "due_on", errors, required=True)
    if due_on is None and "due_on" not in errors:
        errors["due_on"] = _("Ange sista svarsdag som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.")
    note, problem = validation.check_text(data.get("note"))
    if problem:
        errors["note"] = problem
    if sent_on > today and "sent_on" not in errors:
        errors["sent_on"] = _("Remissen kan inte ha skickats i framtiden. Ange dagen då den skickades.")
    if due_on and due_on <= sent_on and "due_on" not in errors:
        errors["due_on"] = _("Sista svarsdag måste ligga efter dagen då remissen skickades.")
    if not errors and not AgreementParty.select().where(AgreementParty.agreement == revision.agreement_id).exists():
        errors["__all__"] = _("Avtalet har inga parter att skicka remissen till. Lägg till parterna först.")
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        row = consultation_of(revision)
        before = _consultation_facts(row) if row else {}
        row = row or Consultation(revision=revision.id)
        row.sent_on, row.due_on, row.note = sent_on, due_on, note or ""
        row.save()
        _audit("update" if before else "create", "consultation", row.id, before, _consultation_facts(row), revision)
    return row


def _answer_facts(organisation, answer):
    facts = {"party": organisation.name}
    for name in ("answered_on", "position", "comment", "document_url"):
        facts[name] = getattr(answer, name) if answer is not None else None
    return facts


def record_answers(revision, answers, today):
    """Record parties' answers to the remiss: {organisation id: {position, answered_on (default today),
    comment, document_url}}; a party whose position is empty has its answer removed. Only the
    agreement's parties answer. All or nothing: errors are keyed "<organisation id>-<field>"."""
    _open_only(revision)
    consultation = consultation_of(revision)
    if consultation is None:
        raise ValidationError({"__all__": _("Skicka remissen innan svaren registreras.")})
    parties = {p.organisation.id: p for p in answers_of(revision, consultation)}
    errors, clean = {}, {}
    for raw_id, data in answers.items():
        pk = validation.valid_id(raw_id)
        if pk not in parties:
            errors[f"{raw_id}-party"] = _("Organisationen är inte part i avtalet.")
            continue
        position = (data.get("position") or "").strip()
        if not position:
            clean[pk] = None
            continue
        if position not in CONSULTATION_POSITIONS:
            errors[f"{pk}-position"] = _("Välj ett ställningstagande i listan.")
        answered_on, problem = validation.check_date(data.get("answered_on"))
        if problem:
            errors[f"{pk}-answered_on"] = problem
        elif answered_on and answered_on > today:
            errors[f"{pk}-answered_on"] = _("Svarsdatumet kan inte ligga i framtiden.")
        comment, problem = validation.check_text(data.get("comment"))
        if problem:
            errors[f"{pk}-comment"] = problem
        url, problem = validation.check_url(data.get("document_url"))
        if problem:
            errors[f"{pk}-document_url"] = problem
        clean[pk] = {
            "position": position,
            "answered_on": answered_on or today,
            "comment": comment or "",
            "document_url": url or "",
        }
    if errors:
        raise ValidationError(errors)
    changed = 0
    try:
        with db.atomic():
            audit.lock()
            for pk, values in clean.items():
                organisation = parties[pk].organisation
                answer = ConsultationAnswer.get_or_none(
                    (ConsultationAnswer.consultation == consultation.id) & (ConsultationAnswer.organisation == pk)
                )
                before = _answer_facts(organisation, answer)
                if values is None:
                    if answer is None:
                        continue
                    answer.delete_instance()
                    answer, action = None, "delete"
                else:
                    action = "update" if answer is not None else "create"
                    answer = answer or ConsultationAnswer(consultation=consultation.id, organisation=pk)
                    for name, value in values.items():
                        setattr(answer, name, value)
                    answer.save()
                after = _answer_facts(organisation, answer)
                changes = audit.diff(before, after)
                if changes:
                    changes["party"] = [organisation.name, organisation.name]
                    audit.record(
                        action,
                        "consultation_answer",
                        answer.id if answer is not None else None,
                        changes,
                        agreement_id=revision.agreement_id,
                        summary=f"{revision.agreement.title}: {organisation.name}",
                    )
                    changed += 1
    except IntegrityError as exc:
        raise ValidationError(
            {"__all__": _("Svaren kunde inte sparas (%(error)s). Ladda om sidan och försök igen.", error=exc)}
        ) from exc
    return changed


# --- the draft successor ---------------------------------------------------------------------------


def create_successor(revision, data, today):
    """Create the draft successor: a new agreement (status draft) with the version's title, kind, groups,
    owners, parties (and whether each must adopt it), deciding body, legal basis and reminder policy;
    `data` may give its title, short name, valid_from and expires_on. The version in force names it
    as replaced_by. Returns the successor."""
    from .agreements import editable_values, save_agreement

    _open_only(revision)
    if revision.successor_id:
        raise ValidationError({"__all__": _("Revideringen har redan en ny version.")})
    old = Agreement.get_by_id(revision.agreement_id)
    values = editable_values(old)
    for name in ("case_number", "decision_date", "valid_from", "expires_on", "replaced_by", "revision_due_on"):
        values[name] = None
    values["decision_ref"] = ""
    values["status"] = "draft"
    for name in ("title", "short_name", "valid_from", "expires_on"):
        if data.get(name) not in (None, ""):
            values[name] = data[name]
    must_adopt = {link.organisation_id: link.must_adopt for link in old.party_links}
    with db.atomic():
        successor = save_agreement(values, None)
        for org_id, flag in must_adopt.items():
            if not flag:
                AgreementParty.update(must_adopt=False).where(
                    (AgreementParty.agreement == successor.id) & (AgreementParty.organisation == org_id)
                ).execute()
        before = _facts(revision)
        revision.successor = successor.id
        revision.save()
        _audit("update", "revision", revision.id, before, _facts(revision), revision)
        _set_agreement(old, old.status, ..., successor.id)
    return successor


def successor_in_force(successor, today, actor=None):
    """Called when a draft enters into force: the open revisions it is the successor of are completed."""
    for revision in Revision.select().where((Revision.successor == successor.id) & (Revision.state == OPEN)):
        before = _facts(revision)
        revision.state, revision.closed_on = COMPLETED, today
        revision.save()
        changes = audit.diff(before, _facts(revision))
        audit.record(
            "update",
            "revision",
            revision.id,
            changes,
            agreement_id=revision.agreement_id,
            summary=revision.agreement.title,
            actor=actor,
        )


def versions(agreement):
    """The chain of versions the agreement belongs to, oldest first: [(Agreement)] following
    replaced_by back and forth (at most 50 each way)."""
    chain = [agreement]
    seen = {agreement.id}
    current = agreement
    for _i in range(50):
        earlier = Agreement.select().where(Agreement.replaced_by == current.id).order_by(Agreement.id.desc()).first()
        if earlier is None or earlier.id in seen:
            break
        chain.insert(0, earlier)
        seen.add(earlier.id)
        current = earlier
    current = agreement
    for _i in range(50):
        if not current.replaced_by_id or current.replaced_by_id in seen:
            break
        current = Agreement.get_or_none(Agreement.id == current.replaced_by_id)
        if current is None:
            break
        chain.append(current)
        seen.add(current.id)
    return chain
