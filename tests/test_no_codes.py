"""No stored code where a person reads: every page a test visits shows codes by their labels.

The pages are read as text (tags and attributes removed, so links and form
values may carry codes) in Swedish and English, after a reminder pass, a review
and a few edits have filled the delivery log and the change history.
"""

import re

import pytest

from registry.domain import indicators
from registry.domain.agreements import editable_values, record_review, save_agreement
from registry.models import Agreement, Group, Organisation, Person, Revision
from registry.vocab import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    CONSULTATION_POSITIONS,
    INDICATOR_DIRECTIONS,
    REVIEW_OUTCOMES,
    REVISION_DEADLINE_KINDS,
    stage_label,
)
from scheduler import reminders
from tests.conftest import TODAY
from tests.html import visible_text
from tests.smtp import smtp, smtp_server  # noqa: F401

# Codes that are no word of either language: every one of them must be shown by its label.
CODES = (
    [code for code in AGREEMENT_STATUSES if "_" in code]
    + [code for code in REVIEW_OUTCOMES if "_" in code]
    + [code for code in AGREEMENT_KINDS if code in ("overenskommelse", "tillampningsanvisning", "ovrigt")]
    + list(INDICATOR_DIRECTIONS)
    + [code for code in CONSULTATION_POSITIONS if "_" in code]
    + list(REVISION_DEADLINE_KINDS)
)
PATTERNS = [re.compile(rf"\b{re.escape(code)}\b") for code in CODES] + [
    re.compile(r"\b(before|overdue):\d+"),
    re.compile(r"FREQ="),
    re.compile(r"\bunplannable\b"),
    re.compile(r"\b(cli|startup)\b"),
]


@pytest.fixture
def busy_register(seeded, request):
    """The demo register after a reminder pass, a review and edits of coded fields."""
    request.getfixturevalue("smtp")  # mail goes to a real SMTP server on loopback
    reminders.run_pass(TODAY)
    lakar = Agreement.get(Agreement.title.contains("Läkaruppdrag"))
    # Indicators: one changed (its direction in the change history), one retired with a value.
    contact = indicators.save(lakar, {"name": "Andel med fast vårdkontakt", "unit": "%", "target": "70"})
    prea = indicators.save(lakar, {"name": "Prea60", "direction": "lower_is_better"})
    record_review(
        lakar,
        {
            "reviewed_on": TODAY,
            "outcome": "to_be_revised",
            "reviewer_name": "ReKo",
            "decision_ref": "ReKo § 3",
            "indicator_values": {contact.id: "68", prea.id: "12,5"},
            "deviations": "Sen kallelse till SIP.",
        },
        TODAY,
    )
    indicators.save(lakar, {"name": "Prea60", "direction": "higher_is_better"}, prea)
    indicators.remove(lakar, prea)
    other = Agreement.select().where(Agreement.id != lakar.id).order_by(Agreement.id).first()
    save_agreement(
        {
            **editable_values(other),
            "kind": "tillampningsanvisning",
            "status": "under_revision",
            "review_rule": "FREQ=YEARLY;INTERVAL=2",
        },
        other,
    )
    return seeded


def pages():
    agreements = [a.id for a in Agreement.select(Agreement.id)]
    return [
        "/",
        "/agreements",
        "/agreements?status=under_revision",
        *[f"/agreements/{pk}" for pk in agreements],
        # The revision "Ska revideras" opened (registry/domain/revisions.py).
        *[f"/agreements/{r.agreement_id}/revision" for r in Revision.select()],
        "/reminders",
        "/audit",
        "/reports",
        "/users",
        *[f"/groups/{g.id}" for g in Group.select(Group.id)],
        "/organisations",
        *[f"/organisations/{o.id}" for o in Organisation.select(Organisation.id)[:3]],
        "/people",
        *[f"/people/{p.id}" for p in Person.select(Person.id)[:3]],
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_stored_code_on_any_page(busy_register, client, lang):
    found = {}
    for url in pages():
        response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert response.status_code == 200, url
        text = visible_text(response.get_data(as_text=True))
        hits = sorted({m.group(0) for pattern in PATTERNS for m in pattern.finditer(text)})
        if hits:
            found[url] = hits
    assert found == {}


def test_the_check_finds_a_code():
    assert any(p.search(visible_text("<td>in_force</td>")) for p in PATTERNS)
    assert not any(p.search(visible_text('<a href="?status=in_force">Gällande</a>')) for p in PATTERNS)


def test_stage_labels(plain_ctx):
    assert stage_label("before:90") == "90 dagar före"
    assert stage_label("overdue:1") == "1 dag efter"
    assert stage_label("unplannable") == "Kunde inte planeras"
