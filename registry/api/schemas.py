"""The JSON shapes of the API, as OpenAPI 3.0 schema objects.

Request schemas are enforced by registry/api/validation.py; response schemas
describe what registry/api/serialise.py writes (schemathesis checks every
response against them in the test suite). Field names are English, codes
(kind, status, outcome) are the stored ones, dates are ISO 8601.
"""

from ..domain import fields as F
from ..domain.indicators import MAX_INDICATORS, MAX_NUMBER
from ..domain.queries import DEADLINE_FILTERS, MAX_ID, SORTS
from ..domain.status import FLAG_DEADLINES
from ..domain.validation import EARLIEST as EARLIEST_DATE
from ..domain.validation import LATEST as LATEST_DATE
from ..domain.validation import MAX_LINKS, TEXT_MAX
from ..vocab import (
    ADOPTION_STATES,
    AGENDA_KINDS,
    AGENDA_OUTCOMES,
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    CONSULTATION_POSITIONS,
    DEADLINE_KINDS,
    DOCUMENT_KINDS,
    DOCUMENT_TEXT_STATES,
    GROUP_KINDS,
    INDICATOR_DIRECTIONS,
    ORGANISATION_KINDS,
    REVIEW_OUTCOMES,
    REVISION_DEADLINE_KINDS,
    REVISION_STATES,
    ROLES,
)

MAX_PER_PAGE = 200
MAX_TEXT = TEXT_MAX  # descriptions and notes
EARLIEST, LATEST = EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {**schema, "nullable": True}


def text(max_length, description=None, min_length=0):
    schema = {"type": "string", "maxLength": max_length}
    if min_length:
        schema["minLength"] = min_length
    if description:
        schema["description"] = description
    return schema


def enum(values, description=None):
    schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}
# Dates that are stored: bounded, so that review cycles and reminder stages stay computable.
STORED_DATE = {
    "type": "string",
    "format": "date",
    "description": f"YYYY-MM-DD, between {EARLIEST} and {LATEST}",
    "x-earliest": EARLIEST,
    "x-latest": LATEST,
}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601"}
IDS = {"type": "array", "items": ID, "maxItems": MAX_LINKS}
OFFSETS = {
    "type": "array",
    "items": {"type": "integer", "minimum": F.OFFSET_DAYS[0], "maximum": F.OFFSET_DAYS[1]},
    "maxItems": F.MAX_OFFSETS,
    "description": "Days before the deadline that reminders go out; empty = inherited from the group or the defaults",
}
FLAGS = list(FLAG_DEADLINES)
MEETING_SOURCES = ["rule", "extra"]


def _obj(properties, required=None, description=None, closed=False):
    schema = {"type": "object", "properties": properties}
    schema["required"] = list(required if required is not None else properties)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


# --- requests -----------------------------------------------------------------

DOCUMENT = _obj(
    {
        "title": text(F.MAX_DOCUMENT_TITLE),
        "url": text(F.MAX_URL, "http:// or https:// address", min_length=1),
    },
    required=["url"],
    closed=True,
)


def request_schema(field):
    """The schema a client writes one field of the field table in (the domain checks the same limits)."""
    kind = field.kind
    if kind in (F.LINE, F.TEXT):
        schema = text(field.max_length, field.api_description or None, min_length=1 if field.required else 0)
        return nullable(schema) if field.unique else schema
    if kind == F.CODE:
        return enum(field.vocabulary, field.api_description or None)
    if kind == F.DATE:
        return nullable(STORED_DATE)
    if kind == F.INT:
        schema = {"type": "integer", "minimum": field.low, "maximum": field.high}
        return nullable({**schema, "description": field.api_description} if field.api_description else schema)
    if kind in F.FOREIGN_KEY_KINDS:
        return ID if field.required else nullable(ID)
    if kind in F.LINK_KINDS:
        return {**IDS, "description": field.api_description} if field.api_description else IDS
    if kind == F.CYCLE:
        return nullable(text(100, field.api_description))
    if kind == F.OFFSETS:
        return OFFSETS
    if kind == F.DOCUMENTS:
        return {"type": "array", "maxItems": MAX_LINKS, "items": DOCUMENT, "description": field.api_description}
    raise ValueError(f"no API schema for kind {kind!r}")


def response_schema(field):
    """The schema of one plain field (text, code, date, number, cycle) in the API's answers."""
    kind = field.kind
    if kind in (F.LINE, F.TEXT):
        return nullable({"type": "string"}) if field.unique else {"type": "string"}
    if kind == F.CODE:
        return enum(field.vocabulary)
    if kind == F.DATE:
        return nullable(DATE)
    if kind == F.INT:
        return nullable({"type": "integer"})
    if kind == F.CYCLE:
        return {"type": "string"}
    if kind == F.OFFSETS:
        return {"type": "array", "items": {"type": "integer"}}
    raise ValueError(f"no plain response schema for kind {kind!r}")


AGREEMENT_FIELDS = {f.api_name: request_schema(f) for f in F.FIELDS}
# The plain fields of an agreement's answer, named and shaped from the field table.
PLAIN_FIELDS = {f.api_name: response_schema(f) for f in F.SCALARS}

REVIEW_FIELDS = {
    "reviewed_on": STORED_DATE,
    "outcome": enum(REVIEW_OUTCOMES),
    "reviewer_id": nullable(ID),
    "reviewer_name": text(255),
    "decision_ref": text(255),
    "new_expires_on": nullable(STORED_DATE),
    # With the outcome to_be_revised: when the new version must be decided by (default REVISION_MONTHS on).
    "revision_due_on": nullable(STORED_DATE),
    "notes": text(MAX_TEXT),
    "deviations": text(MAX_TEXT, "Deviations in the collaboration (samverkansavvikelser) the review noted"),
    "indicator_values": {
        "type": "object",
        "additionalProperties": nullable({"type": "number", "minimum": -int(MAX_NUMBER), "maximum": int(MAX_NUMBER)}),
        "maxProperties": MAX_INDICATORS,
        "description": 'The values of the agreement\'s indicators, by indicator id: {"12": 68.5}; an indicator'
        " left out (or null) has no value this time. Only indicators that are followed up (active) take one;"
        " stored with at most four decimals",
    },
}

# One party's decision, as PUT /agreements/{id}/adoptions/{party_id} takes it (registry/domain/adoptions.py
# checks the same limits and the rules across fields).
ADOPTION_FIELDS = {
    "body": text(255, "The deciding body, e.g. Kommunstyrelsen, Aneby kommun"),
    "decided_on": nullable(
        {
            **STORED_DATE,
            "description": f"The decision's date (not in the future), between {EARLIEST} and {LATEST};"
            " null = no decision recorded (removes one)",
        }
    ),
    "decision_ref": text(255, "The paragraph of the minutes, e.g. § 12"),
    "case_number": text(100, "The party's own case number (diarienummer); may repeat across agreements"),
    "signed_on": nullable(STORED_DATE),
    "document_url": text(F.MAX_URL, "A link to the decision or the signed agreement: http:// or https://"),
    "must_adopt": {
        "type": "boolean",
        "description": "Must this party adopt the agreement before it enters into force? Left out: unchanged",
    },
}

# --- responses -------------------------------------------------------------------

GROUP_REF = _obj({"id": ID, "name": {"type": "string"}, "short_name": {"type": "string"}})
PERSON_REF = _obj({"id": ID, "name": {"type": "string"}})
AGREEMENT_REF = _obj(
    {
        "id": ID,
        "title": {"type": "string"},
        "short_name": {"type": "string"},
        "status": enum(AGREEMENT_STATUSES),
        "responsible_group": ref("GroupRef"),
    }
)

SUMMARY_FIELDS = {
    "id": ID,
    "title": {"type": "string"},
    "short_name": {"type": "string"},
    "kind": enum(AGREEMENT_KINDS),
    "case_number": nullable({"type": "string"}),
    "status": enum(AGREEMENT_STATUSES),
    "responsible_group": ref("GroupRef"),
    "valid_from": nullable(DATE),
    "expires_on": nullable(DATE),
    "next_review_on": nullable(DATE),
    "review_rule": {"type": "string"},
    "flags": {
        "type": "array",
        "items": enum(FLAGS),
        "description": "What needs attention today (the deadline window is DEADLINE_WINDOW_DAYS)",
    },
    "updated_at": TIMESTAMP,
}

DEADLINE_FIELDS = {
    "kind": enum(
        [*DEADLINE_KINDS, *REVISION_DEADLINE_KINDS],
        "expiry, review, revision (the new version of an agreement under revision), revision_step (a step of"
        " its revision not yet done) or consultation (a remiss whose answers are missing)",
    ),
    "title": nullable({"type": "string", "description": "A revision_step: the step's title (the other kinds: null)"}),
    "due_on": DATE,
    "days_left": {"type": "integer", "description": "Negative when overdue"},
    "overdue": {"type": "boolean"},
    "deciding_meeting": nullable(
        _obj(
            {
                "group": ref("GroupRef"),
                "meets_on": DATE,
                "material_due_on": DATE,
                "decide_by": {
                    **DATE,
                    "description": "The deadline less the adoption lead (90 days when more than one party must"
                    " adopt, or the notice period when longer): the meeting is the last on or before it",
                },
                "late": {"type": "boolean", "description": "The meeting has been held and the deadline is open"},
            },
            description="The decide-by meeting: the deciding group's last meeting on or before `decide_by`, and"
            " when material for it is due (advance reminders count from that day)",
        )
    ),
    "meeting_plan_problem": nullable(
        _obj(
            {
                "code": enum(["plan_too_short", "no_meeting_before"]),
                "group": ref("GroupRef"),
                "decide_by": DATE,
                "message": {"type": "string", "description": 'E.g. "ReKo:s mötesplan räcker inte till 2028-09."'},
            },
            description="Why there is no decide-by meeting although the deciding group has a meeting plan: it"
            " has no meeting on or after `decide_by` (plan_too_short) or none before it (no_meeting_before)",
        )
    ),
}

REVIEW = _obj(
    {
        "id": ID,
        "reviewed_on": DATE,
        "outcome": enum(REVIEW_OUTCOMES),
        "reviewer": nullable(ref("PersonRef")),
        "reviewer_name": {"type": "string"},
        "decision_ref": {"type": "string"},
        "new_expires_on": nullable(DATE),
        "notes": {"type": "string"},
        "deviations": {"type": "string", "description": "Deviations in the collaboration (samverkansavvikelser)"},
        "indicator_values": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "The indicator values the review recorded, by indicator id",
        },
        "created_at": TIMESTAMP,
    }
)

INDICATOR = _obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "unit": {"type": "string", "description": 'E.g. "%"'},
        "target": nullable({"type": "number", "description": "null = no target"}),
        "direction": enum(
            INDICATOR_DIRECTIONS,
            "higher_is_better: a value meets the target when it is at least the target; lower_is_better: at most",
        ),
        "description": {"type": "string"},
        "active": {"type": "boolean", "description": "Followed up: reviews record a value of it (false: retired)"},
        "values": {
            "type": "array",
            "items": _obj(
                {
                    "review_id": ID,
                    "reviewed_on": DATE,
                    "value": {"type": "number"},
                    "meets_target": nullable({"type": "boolean", "description": "null when there is no target"}),
                }
            ),
            "description": "The recorded values, oldest first",
        },
    }
)

ADOPTION = _obj(
    {
        "party_id": ID,
        "party_name": {"type": "string"},
        "must_adopt": {"type": "boolean"},
        "state": enum(
            ADOPTION_STATES,
            "adopted: a decision is recorded; missing: a draft waits for it; unknown: not recorded for an agreement"
            " past its draft; not_required: the party need not adopt",
        ),
        "body": nullable({"type": "string"}),
        "decided_on": nullable(DATE),
        "decision_ref": nullable({"type": "string"}),
        "case_number": nullable({"type": "string", "description": "The party's own case number (diarienummer)"}),
        "signed_on": nullable(DATE),
        "document_url": nullable({"type": "string"}),
        "recorded_at": nullable(TIMESTAMP),
        "recorded_by": nullable({"type": "string"}),
    },
    description="One party's decision on an agreement; the decision's fields are null when none is recorded",
)

DOCUMENT_VERSION = _obj(
    {
        "number": {"type": "integer", "minimum": 1},
        "filename": {"type": "string"},
        "content_type": enum(
            [
                "application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.oasis.opendocument.text",
            ],
            "Read from the file's content when it was uploaded",
        ),
        "size": {"type": "integer", "minimum": 1, "description": "Bytes"},
        "sha256": {"type": "string", "description": "The SHA-256 of the file, 64 hexadecimal digits"},
        "text_status": enum(
            DOCUMENT_TEXT_STATES,
            "extracted: its text is searchable; truncated: the first million characters are; empty: the file"
            " has no text (a scanned page); unreadable: no text could be read (encrypted, broken)",
        ),
        "uploaded_at": TIMESTAMP,
        "uploaded_by": {"type": "string", "description": "Name <e-mail> of who uploaded it"},
        "superseded_at": nullable({**TIMESTAMP, "description": "When a newer version replaced it; null: the newest"}),
        "published": {
            "type": "boolean",
            "description": "Shown in the public register (/public) when the agreement is published; set on the "
            "agreement's page",
        },
        "download_url": {
            "type": "string",
            "description": "The web address of the file (a logged-in browser; every download is audited)",
        },
    }
)

STORED_DOCUMENT_FIELDS = {
    "id": ID,
    "title": {"type": "string"},
    "kind": enum(DOCUMENT_KINDS, "signed: the signed agreement; appendix; minutes: decision minutes; other"),
    "created_at": TIMESTAMP,
    "versions": {"type": "array", "items": ref("DocumentVersion"), "description": "Newest first"},
}

DOCUMENT_UPLOAD = _obj(
    {
        "file": {"type": "string", "format": "binary", "description": "A PDF, DOCX or ODT file"},
        "title": text(
            255, "The document's title; an existing document's title (case aside) makes this its next version"
        ),
        "kind": enum(DOCUMENT_KINDS, "For a new document (default other); a new version keeps its document's"),
    },
    required=["file"],
    description="multipart/form-data",
)

AGREEMENT = _obj(
    {
        **SUMMARY_FIELDS,
        **PLAIN_FIELDS,
        "decision_body": nullable(ref("GroupRef")),
        "contributing_groups": {"type": "array", "items": ref("GroupRef")},
        "owners": {
            "type": "array",
            "items": _obj({"id": ID, "name": {"type": "string"}, "email": {"type": "string"}}),
        },
        "parties": {
            "type": "array",
            "items": _obj(
                {
                    "id": ID,
                    "name": {"type": "string"},
                    "short_name": {"type": "string"},
                    "kind": {"type": "string"},
                }
            ),
        },
        "documents": {
            "type": "array",
            "items": _obj({"title": {"type": "string"}, "url": {"type": "string"}}),
            "description": "Links to documents elsewhere",
        },
        "stored_documents": {
            "type": "array",
            "items": ref("StoredDocument"),
            "description": "Files stored in the register (POST /agreements/{id}/documents), each with its versions",
        },
        "parent_id": nullable(ID),
        "replaced_by_id": nullable(ID),
        "reviews": {"type": "array", "items": ref("Review"), "description": "Newest first"},
        "deadlines": {
            "type": "array",
            "items": ref("Deadline"),
            "description": "Open deadlines, soonest first: deadlines[0] is the next one",
        },
        "adoptions": {"type": "array", "items": ref("Adoption"), "description": "One per party: its decision"},
        "indicators": {
            "type": "array",
            "items": ref("Indicator"),
            "description": "What the reviews measure, with the values recorded; followed-up ones first",
        },
        "adopted_count": {"type": "integer", "minimum": 0, "description": "Parties that must adopt and have"},
        "party_count": {"type": "integer", "minimum": 0, "description": "Parties that must adopt the agreement"},
        "blocking_party_ids": {
            "type": "array",
            "items": ID,
            "description": "A draft: the parties whose missing decision keeps it from entering into force",
        },
        "revision": nullable(ref("Revision")),
        "adoption_due_on": nullable(
            {
                **DATE,
                "description": "A draft: when the decisions are needed, its planned start or the expiry of the"
                " version it replaces, whichever is earlier",
            }
        ),
        "created_at": TIMESTAMP,
    }
)

REVISION = _obj(
    {
        "id": ID,
        "state": enum(REVISION_STATES),
        "mandate_by": {"type": "string", "description": "Who gave the mandate, e.g. KCRD"},
        "mandate_on": nullable(DATE),
        "mandate_ref": {"type": "string", "description": "The paragraph of the mandate's minutes, e.g. § 7"},
        "lead": nullable(ref("PersonRef")),
        "due_on": nullable({**DATE, "description": "The new version must be decided by then"}),
        "started_on": DATE,
        "closed_on": nullable(DATE),
        "notes": {"type": "string"},
        "steps": {
            "type": "array",
            "items": _obj(
                {
                    "id": ID,
                    "position": {"type": "integer"},
                    "title": {"type": "string"},
                    "due_on": nullable(DATE),
                    "done_on": nullable(DATE),
                    "note": {"type": "string"},
                }
            ),
        },
        "consultation": nullable(
            _obj(
                {
                    "id": ID,
                    "sent_on": DATE,
                    "due_on": DATE,
                    "note": {"type": "string"},
                    "answers": {
                        "type": "array",
                        "items": _obj(
                            {
                                "party_id": ID,
                                "party_name": {"type": "string"},
                                "answered": {"type": "boolean"},
                                "position": nullable(enum(CONSULTATION_POSITIONS)),
                                "answered_on": nullable(DATE),
                                "comment": nullable({"type": "string"}),
                                "document_url": nullable({"type": "string"}),
                            }
                        ),
                        "description": "One per party of the agreement (the remiss's recipients)",
                    },
                },
                description="The consultation round (remiss) to the parties",
            )
        ),
        "successor_id": nullable({**ID, "description": "The draft successor (a new agreement), once created"}),
        "agreement_id": {**ID, "description": "The version being revised"},
    },
    description="The agreement's open revision, else its latest one, else (on a successor) the revision that"
    " produced it",
)

GROUP = _obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "short_name": {"type": "string"},
        "kind": enum(GROUP_KINDS),
        "description": {"type": "string"},
        "parent_id": nullable(ID),
        "reports_to_id": nullable({**ID, "description": "The group it reports to (ReKo: Kommunalt forum)"}),
        "chair": nullable(ref("PersonRef")),
        "mailbox": {"type": "string"},
        "lead_time_days": {"type": "integer"},
        "meeting_rule": {"type": "string", "description": 'RFC 5545 rule, e.g. FREQ=MONTHLY;BYDAY=2FR; "" = none'},
        "meeting_rule_start": nullable(DATE),
        "meeting_rule_text": {"type": "string", "description": "The rule in words"},
        "meetings": {
            "type": "array",
            "items": _obj({"meets_on": DATE, "note": {"type": "string"}, "planned_by": enum(MEETING_SOURCES)}),
            "description": "Meetings from today through the next 365 days: the rule's (cancelled days left out)"
            " and single ones",
        },
    }
)

GROUP_CHANGES = _obj(
    {
        "meeting_rule": nullable(
            text(
                500,
                "The meeting plan's rule (RFC 5545 RRULE without DTSTART): FREQ (YEARLY, MONTHLY, WEEKLY), INTERVAL,"
                " BYDAY, BYMONTH, BYMONTHDAY, BYSETPOS, WKST, COUNT, UNTIL; e.g."
                ' FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12. null or "" = no rule',
            )
        ),
        "meeting_rule_start": nullable(
            {**STORED_DATE, "description": "When the plan starts; needed with INTERVAL or COUNT. null = none"}
        ),
        "lead_time_days": {
            "type": "integer",
            "minimum": 0,
            "maximum": 365,
            "description": "Days before a meeting that material for it is due",
        },
        "reports_to_id": nullable(ID),
    },
    required=[],
    closed=True,
    description="The group's meeting plan and reporting line; the fields left out keep their values",
)

AGENDA_ITEM = _obj(
    {
        "agreement": ref("AgreementRef"),
        "kind": enum(list(AGENDA_KINDS), "A deadline's kind, a draft's adoption, or another matter added by hand"),
        "due_on": DATE,
        "late": {
            "type": "boolean",
            "description": "Its decide-by meeting was held without a decision: carried to the next meeting",
        },
        "outcome": {
            "type": "string",
            "enum": ["", *AGENDA_OUTCOMES],
            "description": "The meeting's decision; empty until recorded",
        },
        "decision_ref": {"type": "string", "description": 'The minutes\' paragraph of the decision, e.g. "§ 7"'},
    }
)

MEETING = _obj(
    {
        "meets_on": DATE,
        "group": ref("GroupRef"),
        "planned_by": enum(MEETING_SOURCES, "rule: by the meeting rule; extra: a single meeting"),
        "note": {"type": "string"},
        "material_due_on": DATE,
        "agenda": {
            "type": "array",
            "items": AGENDA_ITEM,
            "description": (
                "The open deadlines whose decide-by meeting this is, and the items the secretary added or moved "
                "here, soonest first; items taken off are left out"
            ),
        },
    }
)

ORGANISATION = _obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "short_name": {"type": "string"},
        "kind": enum(ORGANISATION_KINDS),
        "contact_person_id": nullable(
            {**ID, "description": "The person reminded when the party's decision on a draft is missing"}
        ),
        "contact_email": {"type": "string", "description": "The party's functional mailbox for decisions, or empty"},
    }
)

PERSON = _obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "email": {"type": "string"},
        "title": {"type": "string"},
        "organisation_id": nullable(ID),
        "is_active": {"type": "boolean"},
    }
)

ME = _obj(
    {
        "id": ID,
        "email": {"type": "string"},
        "name": {"type": "string"},
        "role": enum(ROLES),
        "group_ids": {"type": "array", "items": ID, "description": "Groups whose agreements an editor may change"},
    }
)


def page_of(item):
    return _obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        }
    )


def list_of(item):
    return _obj({"items": {"type": "array", "items": ref(item)}, "total": {"type": "integer", "minimum": 0}})


ERROR = _obj(
    {
        "error": _obj(
            {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "For 422: a message per field that is wrong",
                },
            },
            required=["status", "message"],
        )
    }
)

COMPONENTS = {
    "Error": ERROR,
    "GroupRef": GROUP_REF,
    "PersonRef": PERSON_REF,
    "AgreementRef": AGREEMENT_REF,
    "AgreementSummary": _obj(SUMMARY_FIELDS),
    "Agreement": AGREEMENT,
    "AgreementPage": page_of("AgreementSummary"),
    "NewAgreement": _obj(
        AGREEMENT_FIELDS,
        required=["title", "kind", "responsible_group_id"],
        closed=True,
        description="A new agreement; left-out fields are empty (status: in_force)",
    ),
    "AgreementChanges": _obj(
        AGREEMENT_FIELDS, required=[], closed=True, description="The fields to change; the others keep their values"
    ),
    "Review": REVIEW,
    "Indicator": INDICATOR,
    "DocumentVersion": DOCUMENT_VERSION,
    "StoredDocument": _obj(STORED_DOCUMENT_FIELDS),
    "StoredDocumentUpload": _obj(
        {
            **STORED_DOCUMENT_FIELDS,
            "uploaded_version": {"type": "integer", "minimum": 1, "description": "The version this upload is"},
            "created": {"type": "boolean", "description": "false: the same bytes were the newest version already"},
        }
    ),
    "DocumentUpload": DOCUMENT_UPLOAD,
    "Adoption": ADOPTION,
    "Revision": REVISION,
    "AdoptionRecord": _obj(
        ADOPTION_FIELDS,
        required=["decided_on"],
        closed=True,
        description="One party's decision; it replaces the one recorded (fields left out are empty)",
    ),
    "NewReview": _obj(REVIEW_FIELDS, required=["reviewed_on", "outcome"], closed=True),
    "Deadline": _obj(DEADLINE_FIELDS),
    "DeadlineItem": _obj({**DEADLINE_FIELDS, "agreement": ref("AgreementRef")}),
    "DeadlinePage": page_of("DeadlineItem"),
    "Group": GROUP,
    "GroupList": list_of("Group"),
    "GroupChanges": GROUP_CHANGES,
    "Meeting": MEETING,
    "MeetingPage": page_of("Meeting"),
    "Organisation": ORGANISATION,
    "OrganisationList": list_of("Organisation"),
    "Person": PERSON,
    "PersonList": list_of("Person"),
    "Me": ME,
}

# --- query parameters --------------------------------------------------------------


def query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGING = [
    query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1}, "Page number, from 1"),
    query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
        f"Items per page (at most {MAX_PER_PAGE})",
    ),
]

AGREEMENT_FILTERS = [
    query(
        "q",
        text(200),
        "Words in the title, short name, case number or description, or in the text of a stored document's newest"
        " version (case-insensitive)",
    ),
    query("group", ID, "Responsible or contributing group"),
    query("party", ID, "An organisation that is a party"),
    query("kind", enum(AGREEMENT_KINDS), "Kind of agreement"),
    query("status", enum(AGREEMENT_STATUSES), "Stored status"),
    query("deadline", enum(DEADLINE_FILTERS), "Derived status, as the web list's deadline filter"),
    query(
        "owner",
        {"type": "string", "pattern": "^(me|[1-9][0-9]{0,9})$", "maxLength": 10},
        "Agreements on which this person is named as an owner: a person's id, or `me` for the token's own"
        " person (an unknown id, or `me` for an account without a person, is a 422 that says so)",
    ),
    query("expires_before", DATE, "Expires on or before this date"),
    query("expires_after", DATE, "Expires on or after this date"),
    query("review_due_before", DATE, "Next review on or before this date"),
    query("sort", enum(SORTS), "Sort order (default title)"),
    query("desc", {"type": "boolean", "default": False}, "Reverse the sort order"),
    *PAGING,
]

MEETING_PARAMETERS = [
    query("group", ID, "One group's meetings (default: every group's)"),
    query("from", DATE, "First day (default today)"),
    query("to", DATE, "Last day (default `from` + 365 days)"),
    *PAGING,
]

DEADLINE_PARAMETERS = [
    query("from", DATE, "First day of the window (default today)"),
    query("to", DATE, "Last day of the window (default `from` + DEADLINE_WINDOW_DAYS, 90)"),
    query("group", ID, "Agreements this group is responsible for or contributes to"),
    query(
        "kind",
        enum([*DEADLINE_KINDS, *REVISION_DEADLINE_KINDS]),
        "Only one kind: expiries, reviews, new versions (under revision), revision steps or remiss due dates",
    ),
    *PAGING,
]
