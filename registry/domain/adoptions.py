"""Every party's decision on an agreement (antagande), and when a draft enters into force.

A joint agreement binds each of its parties (huvudmän) once that party has decided on it in its
own body (Regionstyrelsen, a municipality's kommunstyrelse or nämnd), under its own case number
and minutes' paragraph, and signed it. The register keeps one `Adoption` row per party that has
decided, and a flag per party link, `must_adopt` (default true), for a party that takes part
without deciding.

The rules, in one place for the page, the API, the forms and the reminder pass:

- a party's decision is *adopted* when one is recorded; else *not required* when the party need
  not adopt; else *missing* while the agreement is a draft (the party blocks it), and *unknown*
  in every other status: an agreement registered as in force without its parties' decisions
  stays in force, and nothing is invented for it;
- "Antagen av 11 av 14": the parties that must adopt and have a recorded decision, of all that
  must adopt;
- a draft enters into force when every party that must adopt it has (and at least one must):
  at once when its `valid_from` is empty or has come, else on `valid_from` (the reminder pass
  moves it that morning; until then it stays a draft and its page says from when it applies).
  The versions it replaces (their `replaced_by` names it) that are still in force become
  *ersatt* at the same moment;
- the decisions of a draft are needed by its *adoption date*: the earlier of its planned start
  (`valid_from`) and the expiry of a version it replaces that is still in force. Reminders go to
  the contacts of the parties whose decision is missing (scheduler/adoption_planning.py).
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError

from ..collation import organisation_key
from ..db import db
from ..models import Adoption, Agreement, AgreementParty, Organisation, Person, utcnow
from ..vocab import ACTIVE_STATUSES
from . import audit, schedule, validation
from .agreements import snapshot
from .errors import ValidationError

ADOPTED = "adopted"
MISSING = "missing"
UNKNOWN = "unknown"
NOT_REQUIRED = "not_required"

# Where a draft's adoption date comes from.
PLANNED_START = "start"
REPLACED_EXPIRY = "replaced_expiry"

CASE_NUMBER_MAX = 100  # as the agreement's own
ID_CHUNK = 2000  # ids per IN (...), well below SQLite's limit on bound variables
# The decision's facts as the form, the API and the audit trail name them.
DECISION_FIELDS = ("body", "decided_on", "decision_ref", "case_number", "signed_on", "document_url")


class NotAParty(LookupError):
    """The organisation is not a party to the agreement (or does not exist)."""


@dataclass(frozen=True)
class PartyDecision:
    """One party of an agreement and its decision (None when none is recorded)."""

    organisation: Organisation
    must_adopt: bool
    adoption: Adoption | None
    state: str  # ADOPTED, MISSING, UNKNOWN or NOT_REQUIRED

    @property
    def contacts(self):
        """The addresses that hear of this party's missing decision (the contact person's, the mailbox)."""
        return contact_addresses(self.organisation)


@dataclass(frozen=True)
class Standing:
    """Where an agreement stands with its parties' decisions."""

    status: str
    parties: tuple  # PartyDecision, regions first, then municipalities, then others
    adopted_count: int  # parties that must adopt and have decided
    party_count: int  # parties that must adopt
    due_on: date | None  # a draft's adoption date, None for the others or when it has none
    due_reason: str | None  # PLANNED_START or REPLACED_EXPIRY
    valid_from: date | None

    @property
    def complete(self):
        """Every party that must adopt has, and at least one must."""
        return self.party_count > 0 and self.adopted_count == self.party_count

    @property
    def blocking(self):
        """The parties whose missing decision keeps a draft from entering into force."""
        return [p.organisation for p in self.parties if p.state == MISSING]

    @property
    def unknown_count(self):
        return sum(1 for p in self.parties if p.state == UNKNOWN)

    @property
    def count_text(self):
        """The count as pages, reports and documents say it: "Antagen av 11 av 14"; for an agreement
        registered without some of its parties' decisions "Beslut registrerade för 3 av 14 parter",
        since nothing is known of the others."""
        if self.status == "draft" or self.complete or not self.unknown_count:
            return _("Antagen av %(adopted)s av %(total)s", adopted=self.adopted_count, total=self.party_count)
        return _(
            "Beslut registrerade för %(adopted)s av %(total)s parter",
            adopted=self.adopted_count,
            total=self.party_count,
        )

    def enters_on(self, today):
        """The date a completely adopted draft enters into force, when that is still to come (else None)."""
        if self.status == "draft" and self.complete and self.valid_from and self.valid_from > today:
            return self.valid_from
        return None


def state_of(status, must_adopt, adoption):
    """A party's state from the agreement's status, its flag and its recorded decision (or None)."""
    if adoption is not None:
        return ADOPTED
    if not must_adopt:
        return NOT_REQUIRED
    return MISSING if status == "draft" else UNKNOWN


def due_date(valid_from, replaced_expiries):
    """(date, reason): when a draft's parties must have decided by: the earlier of its planned start
    and the expiry of a version it replaces; (None, None) when it has neither."""
    found = []
    if valid_from is not None:
        found.append((valid_from, PLANNED_START))
    found.extend((expiry, REPLACED_EXPIRY) for expiry in replaced_expiries if expiry is not None)
    return min(found, key=lambda pair: pair[0]) if found else (None, None)


def _replaced_expiries(agreement_ids):
    """{agreement id: [expiry dates of the versions it replaces that are still in force]}, for a list
    of ids or a query selecting them."""
    found = {}
    if not isinstance(agreement_ids, list) or agreement_ids:
        rows = (
            Agreement.select(Agreement.replaced_by, Agreement.expires_on)
            .where(
                Agreement.replaced_by.in_(agreement_ids)
                & Agreement.status.in_(ACTIVE_STATUSES)
                & Agreement.expires_on.is_null(False)
            )
            .tuples()
        )
        for agreement_id, expires_on in rows:
            found.setdefault(agreement_id, []).append(expires_on)
    return found


def standing(agreement):
    """The agreement's parties and their decisions, the count, and (for a draft) its adoption date."""
    return standings([agreement])[agreement.id]


def standings(agreements):
    """{agreement id: Standing} of many agreements, as `standing` gives one, in a few queries per
    ID_CHUNK agreements."""
    agreements = list(agreements)
    links, decided, expiries = {}, {}, {}
    for start in range(0, len(agreements), ID_CHUNK):
        chunk = agreements[start : start + ID_CHUNK]
        ids = [a.id for a in chunk]
        rows = (
            AgreementParty.select(AgreementParty, Organisation, Person)
            .join(Organisation)
            .join(Person, JOIN.LEFT_OUTER, on=Organisation.contact_person)
            .where(AgreementParty.agreement.in_(ids))
        )
        for link in rows:
            links.setdefault(link.agreement_id, []).append(link)
        for adoption in Adoption.select().where(Adoption.agreement.in_(ids)):
            decided[(adoption.agreement_id, adoption.organisation_id)] = adoption
        expiries.update(_replaced_expiries([a.id for a in chunk if a.status == "draft"]))
    return {a.id: _standing(a, links.get(a.id, ()), decided, expiries.get(a.id, ())) for a in agreements}


def _standing(agreement, links, decided, replaced_expiries):
    parties = []
    for link in links:
        adoption = decided.get((agreement.id, link.organisation_id))
        state = state_of(agreement.status, link.must_adopt, adoption)
        parties.append(PartyDecision(link.organisation, link.must_adopt, adoption, state))
    parties.sort(key=lambda p: organisation_key(p.organisation))
    due_on, reason = (None, None)
    if agreement.status == "draft":
        due_on, reason = due_date(agreement.valid_from, replaced_expiries)
    return Standing(
        status=agreement.status,
        parties=tuple(parties),
        adopted_count=sum(1 for p in parties if p.must_adopt and p.adoption is not None),
        party_count=sum(1 for p in parties if p.must_adopt),
        due_on=due_on,
        due_reason=reason,
        valid_from=agreement.valid_from,
    )


def party_of(agreement, organisation_id):
    """(the party link, the organisation) of one party of the agreement; NotAParty when it is none."""
    pk = validation.valid_id(organisation_id)
    link = None
    if pk is not None:
        link = (
            AgreementParty.select(AgreementParty, Organisation)
            .join(Organisation)
            .where((AgreementParty.agreement == agreement.id) & (AgreementParty.organisation == pk))
            .first()
        )
    if link is None:
        raise NotAParty(organisation_id)
    return link, link.organisation


# --- recording a decision ---------------------------------------------------------------


def check(data, today):
    """A party's decision from a form or an API body, cleaned: ({field: value}, {field: message}).

    Every field empty means no decision (one recorded is removed); a decision needs its date.
    """
    errors, clean = {}, {}
    for name, max_length in (
        ("body", validation.LINE_MAX),
        ("decision_ref", validation.LINE_MAX),
        ("case_number", CASE_NUMBER_MAX),
    ):
        clean[name], problem = validation.check_line(data.get(name), max_length)
        if problem:
            errors[name] = problem
    clean["document_url"], problem = validation.check_url(data.get("document_url"))
    if problem:
        errors["document_url"] = problem
    for name in ("decided_on", "signed_on"):
        clean[name], problem = validation.check_date(data.get(name))
        if problem:
            errors[name] = problem
        elif clean[name] is not None and clean[name] > today:
            errors[name] = (
                _("Beslutsdatumet kan inte ligga i framtiden. Ange dagen då beslutet fattades.")
                if name == "decided_on"
                else _("Datumet för underskriften kan inte ligga i framtiden. Ange dagen då avtalet undertecknades.")
            )
    given = [name for name in DECISION_FIELDS if name != "decided_on" and clean.get(name)]
    if given and clean["decided_on"] is None and "decided_on" not in errors:
        errors["decided_on"] = _(
            "Ange beslutsdatum som ÅÅÅÅ-MM-DD, till exempel 2026-11-20: ett beslut registreras med sitt datum. "
            "Töm alla fält om inget beslut ska vara registrerat."
        )
    must_adopt = data.get("must_adopt")
    if must_adopt is not None and not isinstance(must_adopt, bool):
        errors["must_adopt"] = _("Värdet måste vara true eller false.")
    clean["must_adopt"] = must_adopt
    return clean, errors


def _facts(organisation, must_adopt, adoption):
    """What the audit trail records of one party's decision."""
    facts = {"party": organisation.name, "must_adopt": must_adopt}
    for name in DECISION_FIELDS:
        facts[name] = getattr(adoption, name) if adoption is not None else None
    return facts


def record(agreement, organisation_id, data, today, user=None):
    """Record, change or remove one party's decision on an agreement, and whether it must adopt it
    (`must_adopt` absent or None: unchanged); a draft that every party has now adopted enters into
    force. Returns the party's PartyDecision after the change.

    NotAParty when the organisation is not a party; ValidationError with {field: message} for bad
    values. The same values sent again change nothing (and record nothing).
    """
    link, organisation = party_of(agreement, organisation_id)
    clean, errors = check(data, today)
    if errors:
        raise ValidationError(errors)
    try:
        with db.atomic():
            audit.lock()  # the same decision sent twice at once: the second waits, then changes nothing
            link = AgreementParty.get_by_id(link.id)  # as it is now, inside the transaction
            adoption = Adoption.get_or_none(
                (Adoption.agreement == agreement.id) & (Adoption.organisation == organisation.id)
            )
            before = _facts(organisation, link.must_adopt, adoption)
            if clean["must_adopt"] is not None and clean["must_adopt"] != link.must_adopt:
                link.must_adopt = clean["must_adopt"]
                link.save()
            if clean["decided_on"] is None:
                if adoption is not None:
                    adoption.delete_instance()
                    adoption = None
            else:
                changed = adoption is None or any(getattr(adoption, n) != clean[n] for n in DECISION_FIELDS)
                if changed:
                    adoption = adoption or Adoption(agreement=agreement.id, organisation=organisation.id)
                    for name in DECISION_FIELDS:
                        setattr(adoption, name, clean[name])
                    adoption.recorded_by = user.id if user is not None else None
                    adoption.recorded_by_name = audit.current_actor()
                    adoption.recorded_at = utcnow()
                    adoption.save()
            after = _facts(organisation, link.must_adopt, adoption)
            changes = audit.diff(before, after)
            if changes:
                had, has = before["decided_on"] is not None, after["decided_on"] is not None
                action = "create" if has and not had else "delete" if had and not has else "update"
                changes["party"] = [organisation.name, organisation.name]  # whose decision it is, in every entry
                audit.record(
                    action,
                    "adoption",
                    adoption.id if adoption is not None else None,
                    changes,
                    agreement_id=agreement.id,
                    summary=f"{agreement.title}: {organisation.name}",
                )
                enter_into_force(agreement, today)
    except IntegrityError as exc:  # the same party's decision recorded by another request at the same moment
        raise ValidationError(
            {"__all__": _("Beslutet kunde inte sparas (%(error)s). Ladda om sidan och försök igen.", error=exc)}
        ) from exc
    return PartyDecision(organisation, link.must_adopt, adoption, state_of(agreement.status, link.must_adopt, adoption))


# --- entering into force ------------------------------------------------------------------


def enter_into_force(agreement, today, actor=None):
    """Put a draft every party has adopted into force when its start has come (or it has none);
    the versions it replaces that are still in force become replaced. True when it did."""
    if agreement.status != "draft":
        return False
    found = standing(agreement)
    if not found.complete or found.enters_on(today) is not None:
        return False
    with db.atomic():
        for row, status in ((agreement, "in_force"), *((old, "replaced") for old in _replaced_in_force(agreement))):
            before = snapshot(row)
            row.status = status
            row.revision_due_on = None  # a revision's deadline belongs to an agreement under revision only
            row.next_review_on = schedule.next_review_on(row)
            row.updated_at = utcnow()
            row.save()
            audit.record(
                "update",
                "agreement",
                row.id,
                audit.diff(before, snapshot(row)),
                agreement_id=row.id,
                summary=row.title,
                actor=actor,
            )
        from . import revisions  # (it imports this module's neighbours)

        revisions.successor_in_force(agreement, today, actor=actor)
    return True


def _replaced_in_force(agreement):
    return list(
        Agreement.select()
        .where((Agreement.replaced_by == agreement.id) & Agreement.status.in_(ACTIVE_STATUSES))
        .order_by(Agreement.id)
    )


def enter_into_force_due(day, actor=None):
    """The reminder pass's step: drafts adopted by every party whose start (valid_from) has come enter
    into force. Returns their ids."""
    drafts = Agreement.select().where(
        (Agreement.status == "draft") & Agreement.valid_from.is_null(False) & (Agreement.valid_from <= day)
    )
    return [a.id for a in drafts.order_by(Agreement.id) if enter_into_force(a, day, actor=actor)]


# --- contacts and reminders -------------------------------------------------------------


def contact_addresses(organisation):
    """The addresses that hear of a party's missing decision: its contact person's (when active) and
    its functional mailbox, lower case, each once."""
    found = []
    person = organisation.contact_person if organisation.contact_person_id else None
    if person is not None and person.is_active and person.email:
        found.append(person.email)
    if organisation.contact_email:
        found.append(organisation.contact_email)
    return _addresses(found)


def _addresses(emails):
    out = []
    for email in emails:
        key = validation.one_line(email).lower()
        if key and key not in out:
            out.append(key)
    return out


@dataclass(frozen=True)
class OpenAdoption:
    """A draft's adoption date and, by contact address, the parties whose decision is still missing."""

    agreement_id: int
    due_on: date
    contacts: dict  # {address: [(organisation id, name)]}
    missing: tuple  # (organisation id, name) of every party that must adopt and has not, contact or not


def _adoption_of_link():
    """The join condition of a party link and its party's decision on that agreement."""
    return (Adoption.agreement == AgreementParty.agreement) & (Adoption.organisation == AgreementParty.organisation)


def open_adoptions(agreement_ids=None):
    """{agreement id: OpenAdoption} of the drafts (all, or those among `agreement_ids`) that have an
    adoption date and a party that must adopt them and has not. A few queries per ID_CHUNK drafts."""
    drafts = Agreement.status == "draft"
    if agreement_ids is None:
        return _open_adoptions(drafts)
    ids, found = sorted(set(agreement_ids)), {}
    for start in range(0, len(ids), ID_CHUNK):
        found.update(_open_adoptions(drafts & Agreement.id.in_(ids[start : start + ID_CHUNK])))
    return found


def _open_adoptions(condition):
    starts = dict(Agreement.select(Agreement.id, Agreement.valid_from).where(condition).tuples())
    if not starts:
        return {}
    drafts = Agreement.select(Agreement.id).where(condition)
    expiries = _replaced_expiries(drafts)
    missing = (
        AgreementParty.select(
            AgreementParty.agreement, Organisation.id, Organisation.name, Organisation.contact_email, Person.email
        )
        .join(Organisation)
        .join(Person, JOIN.LEFT_OUTER, on=(Organisation.contact_person == Person.id) & Person.is_active)
        .switch(AgreementParty)
        .join(Adoption, JOIN.LEFT_OUTER, on=_adoption_of_link())
        .where(AgreementParty.agreement.in_(drafts) & AgreementParty.must_adopt & Adoption.id.is_null())
        .order_by(AgreementParty.agreement, Organisation.id)
        .tuples()
    )
    by_agreement = {}
    for agreement_id, org_id, name, mailbox, person_email in missing:
        by_agreement.setdefault(agreement_id, []).append((org_id, name, _addresses([person_email or "", mailbox])))
    found = {}
    for agreement_id, parties in by_agreement.items():
        due_on, _reason = due_date(starts[agreement_id], expiries.get(agreement_id, ()))
        if due_on is None:
            continue
        contacts = {}
        for org_id, name, addresses in parties:
            for address in addresses:
                contacts.setdefault(address, []).append((org_id, name))
        found[agreement_id] = OpenAdoption(
            agreement_id, due_on, contacts, tuple((org_id, name) for org_id, name, _a in parties)
        )
    return found
