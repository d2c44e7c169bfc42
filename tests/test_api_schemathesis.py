"""Schemathesis against /api/v1/openapi.json: no input gives a 5xx, and every answer matches the document.

The app is called through WSGI (no server), on the seeded demo register, with
an administrator's token, so every operation is allowed and its validation and
serialisation are what is exercised. Each operation gets the examples,
coverage (boundary values, missing and wrong parameters, undeclared methods)
and fuzzing phases, positive and negative, with a bounded number of examples
and a fixed seed, so a run is reproducible and takes well under a minute.

Besides "no 5xx", every default check is on: status codes, content types and
bodies conform to the document; invalid input is refused with a 4xx; valid
input is accepted; requests without or with a wrong token are refused
(ignored_auth); undeclared methods answer 405 with Allow. One allowance:
writes may answer 422 to schema-valid bodies, because some rules involve
several fields or the database (an unknown group id, an end date before the
start, a case number already used) and cannot be written in JSON Schema.
Reads have no such rules, so their valid queries must be accepted.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck

from registry import seed
from registry.db import db
from registry.domain import indicators, tokens
from registry.domain.agreements import record_review
from registry.models import Agreement, Document, User
from tests.conftest import TODAY
from tests.factories import docx_bytes, make_stored_document, pdf_bytes

EXAMPLES = 25
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: the explicit tests in test_api.py cover both databases."""
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def api_schema(app):
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        seed.load()
        admin = User.create(email="schemathesis@test.example.org", name="Schemathesis", role="admin")
        _row, token = tokens.create_token(admin, "schemathesis")
        # One agreement with everything a detail shows: parties, owners, a review, documents, deadlines,
        # indicators (one with a value and a target, one without either).
        rich = Agreement.get(Agreement.short_name == "E-hälsostrategin")
        Document.create(agreement=rich, title="Strategin", url="https://example.org/e-halsa.pdf")
        # Stored documents: two versions of one, so the detail lists a superseded version too.
        make_stored_document(rich, pdf_bytes("E-hälsostrategi 2023-2025"), "strategi.pdf", "Strategin", "signed")
        make_stored_document(rich, docx_bytes("E-hälsostrategi, reviderad"), "strategi.docx", "Strategin")
        sip = indicators.save(rich, {"name": "Andel i målgruppen med SIP", "unit": "%", "target": "50"})
        indicators.save(rich, {"name": "Inget mål", "direction": "lower_is_better"})
        review = {"reviewed_on": TODAY, "outcome": "unchanged", "reviewer_name": "ReKo", "deviations": "Sena SIP."}
        record_review(rich, {**review, "indicator_values": {sip.id: "41,5"}}, TODAY)
        target = Agreement.get(Agreement.short_name == "Läkaruppdrag")
        owner = target.owner_links[0].person_id
        party = target.party_links[0].organisation_id
        ids = {"rich": rich.id, "target": target.id, "owner": str(owner), "party": party}
        db.close()
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261123,
            "suppress-health-check": [HealthCheck.too_slow.name, HealthCheck.filter_too_much.name],
            "generation": {"max-examples": EXAMPLES, "database": "none", "deterministic": True},
            "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
            "operations": [
                # Writes may answer 422 to a schema-valid body (rules across fields and the database).
                {
                    "include-method": ["POST", "PATCH", "PUT"],
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
                },
                # Random ids would nearly always be unknown (404, tested in test_api.py): use real agreements.
                {"include-operation-id": "get_agreement", "parameters": {"agreement_id": ids["rich"]}},
                # Random person ids would nearly always be unknown (422 that says so, in test_owner_view.py).
                {"include-operation-id": "list_agreements", "parameters": {"owner": ids["owner"]}},
                {
                    "include-operation-id": ["update_agreement", "create_review", "upload_document"],
                    "parameters": {"agreement_id": ids["target"]},
                },
                # A party's decision: a real party of a real agreement (others are 404s, tested in test_adoptions.py).
                {
                    "include-operation-id": "put_adoption",
                    "parameters": {"agreement_id": ids["target"], "party_id": ids["party"]},
                },
                # PATCH takes the same fields as POST, whose boundary cases the coverage phase already sends.
                {"include-operation-id": "update_agreement", "phases": {"coverage": {"enabled": False}}},
            ],
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32.5 relabels the test through `node._nodeid`, which pytest 9 renamed: give it one."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case):
    case.call_and_validate()
