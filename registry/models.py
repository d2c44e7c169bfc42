"""The register's tables.

Organisations are the parties (huvudmän); groups are the collaboration bodies
(forums, ReKo, strategy and steering groups) that decide on, own and follow up
agreements; people own agreements and sit in groups. Nothing here is specific
to one region: the demo data for Jönköpings län lives in seed_data/.
"""

import datetime
import secrets
from collections import defaultdict

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from . import clock
from .db import db
from .vocab import ACTIVE_STATUSES, DEADLINE_COLUMNS, DEADLINE_STATUSES


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def new_session_key():
    """A fresh random key for an account's sessions (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Organisation(BaseModel):
    """A party to agreements: the region, a municipality, or another body."""

    name = CharField(unique=True)
    short_name = CharField(default="")
    kind = CharField(default="other")
    notes = TextField(default="")
    # Who hears that the party's decision on an agreement is missing: a person, a functional mailbox, or both.
    contact_person = DeferredForeignKey("Person", null=True, backref="contact_for", on_delete="SET NULL")
    contact_email = CharField(default="")

    class Meta:
        table_name = "organisation"

    def __str__(self):
        return self.name


class Person(BaseModel):
    """Someone who owns agreements, chairs a group or sits in one."""

    name = CharField()
    email = CharField(unique=True)
    title = CharField(default="")
    organisation = ForeignKeyField(Organisation, null=True, backref="people", on_delete="SET NULL")
    is_active = BooleanField(default=True)
    # The secretary of the leading group (ReKo's secretary): receives every escalation.
    is_secretary = BooleanField(default=False)
    reminder_delivery = CharField(default="digest")  # digest (one email per pass) | each (one per agreement)

    def __str__(self):
        return self.name


class Group(BaseModel):
    """A collaboration body: forum, leadership group, strategy or steering group."""

    name = CharField(unique=True)
    short_name = CharField(default="")
    kind = CharField(default="other")
    description = TextField(default="")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    chair = ForeignKeyField(Person, null=True, backref="chaired_groups", on_delete="SET NULL")
    mailbox = CharField(default="")
    # Material for a decision must be ready this many days before the meeting.
    lead_time_days = IntegerField(default=14)
    # The meeting plan (årshjul): an RFC 5545 rule such as "FREQ=MONTHLY;BYDAY=2FR" ("" = none), counted
    # from meeting_rule_start when it has INTERVAL or COUNT; single meetings and cancelled days are GroupMeeting rows.
    meeting_rule = CharField(default="")
    meeting_rule_start = DateField(null=True)
    # The body this group reports to (ReKo -> Kommunalt forum), beside its place in the structure (parent).
    reports_to = ForeignKeyField("self", null=True, backref="reported_to_by", on_delete="SET NULL")
    # Reminder policy for the group's agreements; empty = the product's defaults.
    expiry_offsets = CharField(default="")
    review_offsets = CharField(default="")
    overdue_every_days = IntegerField(null=True)

    class Meta:
        table_name = "collab_group"

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return self.short_name or self.name


class GroupMember(BaseModel):
    group = ForeignKeyField(Group, backref="memberships", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("group", "person"), True),)


class Agreement(BaseModel):
    """A written agreement (avtal, överenskommelse, tillämpningsanvisning, ...)."""

    title = CharField(max_length=500)
    short_name = CharField(default="")
    kind = CharField()
    case_number = CharField(null=True, unique=True)
    description = TextField(default="")
    target_group = TextField(default="")
    legal_basis = CharField(default="")  # lagrum, e.g. "5 kap. 9 a § SoL; 16 kap. 3 § HSL"
    responsible_group = ForeignKeyField(Group, backref="responsible_for", on_delete="RESTRICT")
    decision_body = ForeignKeyField(Group, null=True, backref="decided", on_delete="SET NULL")
    decision_date = DateField(null=True)
    decision_ref = CharField(default="")
    valid_from = DateField(null=True)
    expires_on = DateField(null=True, index=True)
    notice_period_months = IntegerField(null=True)  # uppsägningstid
    review_rule = CharField(default="")
    next_review_on = DateField(null=True, index=True)
    # While under revision: the date the new version must be decided by (default six months on).
    revision_due_on = DateField(null=True)
    status = CharField(default="in_force", index=True)
    replaced_by = ForeignKeyField("self", null=True, backref="replaces", on_delete="SET NULL")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    notes = TextField(default="")
    # Reminder policy for this agreement; empty = the responsible group's policy.
    expiry_offsets = CharField(default="")
    review_offsets = CharField(default="")
    overdue_every_days = IntegerField(null=True)
    # In the public register (/public)? vocab.PUBLICATION_CHOICES: "auto" (the default rule), "yes", "no".
    publication = CharField(default="auto")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.title

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    def due_on(self, kind):
        """The date of one kind of deadline ("expiry", "review", "revision"), None when it has none now."""
        if self.status not in DEADLINE_STATUSES[kind]:
            return None
        return getattr(self, DEADLINE_COLUMNS[kind])

    @classmethod
    def deadline_between(cls, kind, start, end):
        """SQL: agreements with a deadline of `kind` from `start` to `end` (both included)."""
        column = getattr(cls, DEADLINE_COLUMNS[kind])
        return cls.status.in_(DEADLINE_STATUSES[kind]) & column.between(start, end)

    def days_to_expiry(self, today=None):
        if self.expires_on is None:
            return None
        return (self.expires_on - (today or clock.today())).days


class AgreementGroup(BaseModel):
    """A group that contributes to an agreement besides the responsible one."""

    agreement = ForeignKeyField(Agreement, backref="contributor_links", on_delete="CASCADE")
    group = ForeignKeyField(Group, backref="contributes_to", on_delete="CASCADE")

    class Meta:
        indexes = ((("agreement", "group"), True),)


class AgreementOwner(BaseModel):
    agreement = ForeignKeyField(Agreement, backref="owner_links", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="owned", on_delete="CASCADE")

    class Meta:
        indexes = ((("agreement", "person"), True),)


class AgreementParty(BaseModel):
    agreement = ForeignKeyField(Agreement, backref="party_links", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="agreement_links", on_delete="RESTRICT")
    # Must this party decide on the agreement before it enters into force? (registry/domain/adoptions.py)
    must_adopt = BooleanField(default=True)

    class Meta:
        indexes = ((("agreement", "organisation"), True),)


class Document(BaseModel):
    """A link to the agreement's text or an appendix."""

    agreement = ForeignKeyField(Agreement, backref="documents", on_delete="CASCADE")
    title = CharField()
    url = CharField(max_length=1000)


class Review(BaseModel):
    """A recorded follow-up of an agreement and its outcome."""

    agreement = ForeignKeyField(Agreement, backref="reviews", on_delete="CASCADE")
    reviewed_on = DateField(index=True)
    reviewer = ForeignKeyField(Person, null=True, backref="reviews", on_delete="SET NULL")
    reviewer_name = CharField(default="")
    outcome = CharField()
    decision_ref = CharField(default="")
    new_expires_on = DateField(null=True)
    notes = TextField(default="")
    # Deviations in the collaboration (samverkansavvikelser) the follow-up noted.
    deviations = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def who(self):
        return self.reviewer.name if self.reviewer_id else self.reviewer_name


class GroupMeeting(BaseModel):
    """A day in a group's meeting plan besides its rule: a single extra meeting, or (cancelled) a day
    the rule plans on which the group does not meet. One row per group and day."""

    group = ForeignKeyField(Group, backref="meetings", on_delete="CASCADE")
    meets_on = DateField()
    note = CharField(default="")
    cancelled = BooleanField(default=False)

    class Meta:
        indexes = ((("group", "meets_on"), True),)

    @classmethod
    def rows_by_group(cls, group_ids):
        """{group id: [(day, note, cancelled)] in date order} for these groups, in one query."""
        found = defaultdict(list)
        if group_ids:
            rows = (
                cls.select(cls.group, cls.meets_on, cls.note, cls.cancelled)
                .where(cls.group.in_(sorted(group_ids)))
                .order_by(cls.meets_on)
                .tuples()
            )
            for group_id, meets_on, note, cancelled in rows:
                found[group_id].append((meets_on, note, bool(cancelled)))
        return found


class Reminder(BaseModel):
    """The delivery log: one reminder of one deadline stage to one recipient.

    The unique key (agreement, kind, deadline, stage, recipient) makes a second
    send of the same reminder impossible, whatever runs at the same time.
    """

    agreement = ForeignKeyField(Agreement, backref="reminders", on_delete="CASCADE")
    kind = CharField()  # expiry | review
    deadline_on = DateField()
    stage = CharField()  # "before:180", "overdue:1", "overdue:8", ...
    recipient = CharField()
    role = CharField(default="owner")  # owner | mailbox | chair | secretary
    send_on = DateField(index=True)
    state = CharField(default="pending", index=True)  # pending | sending | sent | skipped | failed
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(null=True)
    message_id = CharField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("agreement", "kind", "deadline_on", "stage", "recipient"), True),)


class SchedulerRun(BaseModel):
    """One reminder pass: when, for which day, and what came of it."""

    started_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    run_for = DateField()
    trigger = CharField(default="cli")  # cli | startup | daily | retry
    sent = IntegerField(default=0)
    skipped = IntegerField(default=0)
    failed = IntegerField(default=0)
    error = TextField(default="")


class SchedulerLease(BaseModel):
    """Named locks for SQLite (PostgreSQL uses advisory locks), and the scheduler's heartbeat."""

    name = CharField(primary_key=True)
    holder = CharField(default="")
    host = CharField(default="")
    pid = IntegerField(null=True)
    heartbeat_at = DateTimeField(null=True)
    next_run_at = DateTimeField(null=True)


class User(BaseModel):
    """Someone who logs in. Linked to a Person for group membership (editors) and escalations."""

    email = CharField(unique=True)
    name = CharField()
    password_hash = CharField(default="")
    role = CharField(default="viewer")  # admin | editor | auditor | viewer
    person = ForeignKeyField(Person, null=True, backref="users", on_delete="SET NULL")
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    # The user's language ("sv", "en"); empty = the browser's, else Swedish.
    locale = CharField(default="")
    # Part of every session cookie's user id ("<id>:<key>", see get_id); a new key ends every session
    # of the account at once (registry/domain/users.py end_sessions).
    session_key = CharField(default=new_session_key)

    class Meta:
        table_name = "app_user"  # "user" is reserved in PostgreSQL

    # Flask-Login
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return f"{self.id}:{self.session_key}"

    def __str__(self):
        return self.name


class ApiToken(BaseModel):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(default="")
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class FeedToken(BaseModel):
    """A secret calendar-feed address: scope 'person' (the user's own), 'group' (scope_id) or 'all'."""

    user = ForeignKeyField(User, backref="feed_tokens", on_delete="CASCADE")
    token = CharField(unique=True)
    scope = CharField(default="person")
    scope_id = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """A failed login, for throttling per account and per address."""

    email = CharField(index=True)
    address = CharField(index=True)
    at = DateTimeField(default=utcnow, index=True)


class AuditEntry(BaseModel):
    """Append-only audit trail; each entry's hash covers its content and the previous hash."""

    at = DateTimeField(default=utcnow, index=True)
    actor = CharField(index=True)
    action = CharField()  # create | update | delete | login | ...
    entity = CharField()  # agreement | review | group | organisation | person | user | meeting
    entity_id = IntegerField(null=True)
    agreement_id = IntegerField(null=True, index=True)
    summary = CharField(default="")
    changes = TextField(default="{}")  # JSON {field: [before, after]}
    prev_hash = CharField()
    hash = CharField(unique=True)


class AuditHead(BaseModel):
    """One row: the newest audit hash. Updating it first serialises appends."""

    seq = IntegerField(default=0)
    hash = CharField(default="")


MODELS = [
    Organisation,
    Person,
    Group,
    GroupMember,
    Agreement,
    AgreementGroup,
    AgreementOwner,
    AgreementParty,
    Document,
    Review,
    GroupMeeting,
    Reminder,
    SchedulerRun,
    SchedulerLease,
    User,
    LoginFailure,
    AuditEntry,
    AuditHead,
    ApiToken,
    FeedToken,
]


class Acknowledgement(BaseModel):
    """An overdue deadline someone acknowledged ("Vi arbetar med det"): its escalation pauses until paused_until."""

    agreement = ForeignKeyField(Agreement, backref="acknowledgements", on_delete="CASCADE")
    kind = CharField()  # expiry | review
    deadline_on = DateField()
    user = ForeignKeyField(User, null=True, backref="acknowledgements", on_delete="SET NULL")
    actor = CharField()  # "Name <email>", kept when the account goes
    acknowledged_at = DateTimeField(default=utcnow)
    paused_until = DateField()  # escalation resumes on this day

    class Meta:
        indexes = ((("agreement", "kind", "deadline_on"), False),)


MODELS.append(Acknowledgement)


class Adoption(BaseModel):
    """One party's decision on an agreement (antagande): the body that decided, when, under which
    paragraph of its minutes and which of its own case numbers, when it signed, and a link to the
    decision. A row is a recorded decision; a party without one has not decided, or its decision
    is unknown (registry/domain/adoptions.py)."""

    agreement = ForeignKeyField(Agreement, backref="adoptions", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="adoptions", on_delete="RESTRICT")
    body = CharField(default="")  # "Kommunstyrelsen, Aneby kommun"
    decided_on = DateField()
    decision_ref = CharField(default="")  # "§ 12"
    case_number = CharField(default="")  # the party's own diarienummer; may repeat across agreements
    signed_on = DateField(null=True)
    document_url = CharField(max_length=1000, default="")
    recorded_by = ForeignKeyField(User, null=True, backref="adoptions", on_delete="SET NULL")
    recorded_by_name = CharField(default="")  # "Name <email>", kept when the account goes
    recorded_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("agreement", "organisation"), True),)


MODELS.append(Adoption)


class AgendaEntry(BaseModel):
    """A stored item of a meeting's agenda, over the agenda the register computes
    (registry/domain/agendas.py).

    An item is about a deadline of an agreement, named by (agreement, kind, due_on), or about any other
    matter the secretary adds (kind "other", due_on the day it was added for). A row places the item on
    the group's meeting `meets_on` (added, or moved there), or takes it off (`removed`); once the meeting
    has decided on it, the row keeps the decision: the outcome, the minutes' paragraph, and the follow-up
    it recorded on the agreement. A deadline that has a row is never placed by the computation again.
    """

    group = ForeignKeyField(Group, backref="agenda_entries", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, backref="agenda_entries", on_delete="CASCADE")
    kind = CharField()  # expiry | review | revision | adoption | other
    due_on = DateField()
    meets_on = DateField()
    removed = BooleanField(default=False)
    outcome = CharField(default="")  # vocab.AGENDA_OUTCOMES; empty until decided
    decision_ref = CharField(default="")  # "§ 7"
    review = ForeignKeyField(Review, null=True, backref="agenda_entries", on_delete="SET NULL")
    edited_by = CharField(default="")  # "Name <email>"
    edited_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("group", "meets_on"), False),
            (("agreement", "kind", "due_on"), False),
        )


MODELS.append(AgendaEntry)


# Indicator values: at most 1 000 000 000 either way, four decimals (registry/domain/indicators.py).
NUMBER_DIGITS, NUMBER_DECIMALS = 14, 4


class Indicator(BaseModel):
    """A measure an agreement is followed up by ("Andel med fast vårdkontakt", %, target 70, higher is
    better). Each follow-up records its value (IndicatorValue); one with values is retired, not deleted."""

    agreement = ForeignKeyField(Agreement, backref="indicators", on_delete="CASCADE")
    name = CharField()
    unit = CharField(default="")  # "%", "antal", "index"
    target = DecimalField(max_digits=NUMBER_DIGITS, decimal_places=NUMBER_DECIMALS, null=True, auto_round=True)
    direction = CharField(default="higher_is_better")  # vocab.INDICATOR_DIRECTIONS
    description = TextField(default="")
    position = IntegerField(default=0)
    active = BooleanField(default=True)  # False: retired, its series kept
    created_at = DateTimeField(default=utcnow)


class IndicatorValue(BaseModel):
    """An indicator's value as one follow-up recorded it."""

    review = ForeignKeyField(Review, backref="indicator_values", on_delete="CASCADE")
    indicator = ForeignKeyField(Indicator, backref="values", on_delete="CASCADE")
    value = DecimalField(max_digits=NUMBER_DIGITS, decimal_places=NUMBER_DECIMALS, null=True, auto_round=True)
    note = CharField(default="")

    class Meta:
        indexes = ((("review", "indicator"), True),)


MODELS += [Indicator, IndicatorValue]


class StoredDocument(BaseModel):
    """A file kept in the register for an agreement (the signed agreement, an appendix, decision
    minutes), under a title; its content is in its versions (registry/domain/stored_documents.py).
    Nothing is deleted: a new upload under the same title supersedes the newest version."""

    agreement = ForeignKeyField(Agreement, backref="stored_documents", on_delete="RESTRICT")
    title = CharField()
    title_key = CharField()  # the title folded (case, spaces): an upload with the same key is a new version
    kind = CharField(default="other")  # vocab.DOCUMENT_KINDS
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "stored_document"
        indexes = ((("agreement", "title_key"), True),)


class DocumentVersion(BaseModel):
    """One uploaded file of a stored document: its bytes, checksum, who uploaded it and when, and the
    text read from it for the register's search. The newest version has no `superseded_at`."""

    document = ForeignKeyField(StoredDocument, backref="versions", on_delete="RESTRICT")
    number = IntegerField()  # 1, 2, ... per document
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField(max_length=64)
    content = BlobField()
    text = TextField(default="")  # extracted for search; empty when none could be read
    text_status = CharField(default="")  # vocab.DOCUMENT_TEXT_STATES
    uploaded_by = ForeignKeyField(User, null=True, backref="document_versions", on_delete="SET NULL")
    uploaded_by_name = CharField(default="")  # "Name <email>", kept when the account goes
    uploaded_at = DateTimeField(default=utcnow)
    superseded_at = DateTimeField(null=True)
    # Shown and downloadable in the public register (/public) when its agreement is published.
    published = BooleanField(default=False)

    class Meta:
        table_name = "document_version"
        indexes = ((("document", "number"), True),)


MODELS += [StoredDocument, DocumentVersion]


class Revision(BaseModel):
    """A revision of an agreement as a piece of work (registry/domain/revisions.py): who gave the mandate
    and when ("KCRD 2024-03-08 § 7"), who leads it, its steps with due dates, a consultation round (remiss)
    to the parties, and the draft successor that replaces the version in force once every party has
    adopted it. `agreement` is the version being revised; `due_on` mirrors its revision_due_on."""

    agreement = ForeignKeyField(Agreement, backref="revisions", on_delete="CASCADE")
    successor = ForeignKeyField(Agreement, null=True, backref="revision_of", on_delete="SET NULL")
    mandate_by = CharField(default="")  # "KCRD"
    mandate_on = DateField(null=True)
    mandate_ref = CharField(default="")  # "§ 7"
    lead = ForeignKeyField(Person, null=True, backref="revisions_led", on_delete="SET NULL")
    due_on = DateField(null=True)
    state = CharField(default="open", index=True)  # vocab.REVISION_STATES: open | completed | abandoned
    started_on = DateField()
    closed_on = DateField(null=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)


class RevisionStep(BaseModel):
    """A step of a revision ("Utkast", "Barnkonsekvensanalys"), with its due date and the day it was done."""

    revision = ForeignKeyField(Revision, backref="steps", on_delete="CASCADE")
    position = IntegerField(default=0)
    title = CharField()
    due_on = DateField(null=True)
    done_on = DateField(null=True)
    note = TextField(default="")


class Consultation(BaseModel):
    """A consultation round (remiss) of a revision: sent to the agreement's parties on `sent_on`, answers
    due `due_on`."""

    revision = ForeignKeyField(Revision, backref="consultations", on_delete="CASCADE")
    sent_on = DateField()
    due_on = DateField()
    note = TextField(default="")


class ConsultationAnswer(BaseModel):
    """One party's answer to a remiss (vocab.CONSULTATION_POSITIONS)."""

    consultation = ForeignKeyField(Consultation, backref="answers", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="consultation_answers", on_delete="RESTRICT")
    answered_on = DateField()
    position = CharField()
    comment = TextField(default="")
    document_url = CharField(max_length=1000, default="")

    class Meta:
        indexes = ((("consultation", "organisation"), True),)


MODELS += [Revision, RevisionStep, Consultation, ConsultationAnswer]


class SsoIdentity(BaseModel):
    """An account's identity at an OpenID Connect provider: the provider's issuer and its subject
    (`sub`, stable per person and issuer) lead to the account on every later login."""

    user = ForeignKeyField(User, backref="sso_identities", on_delete="CASCADE")
    provider = CharField()  # the name in OIDC_PROVIDERS, for the audit trail and the logout offer
    issuer = CharField(max_length=500)
    subject = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        table_name = "sso_identity"
        indexes = ((("issuer", "subject"), True),)


MODELS.append(SsoIdentity)
