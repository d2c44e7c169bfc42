"""Writing agreements and reviews through the domain layer: rules and their errors."""

from datetime import date

import pytest

from registry.domain import schedule
from registry.domain.agreements import record_review, save_agreement
from registry.domain.errors import ValidationError
from registry.models import Agreement, AgreementParty, Review
from tests.conftest import TODAY
from tests.factories import make_group, make_organisation, make_person


@pytest.fixture
def basics(ctx):
    group = make_group("Strategigrupp Äldre", kind="strategy")
    other = make_group("ReKo", kind="leadership")
    region = make_organisation("Region Exempel", kind="region")
    town = make_organisation("Exempels kommun")
    owner = make_person("Ägare Exempel", "agare@example.org")
    return {"group": group, "other": other, "parties": [region.id, town.id], "owner": owner}


def valid(basics, **changes):
    data = {
        "title": "Överenskommelse om exempel",
        "kind": "overenskommelse",
        "status": "in_force",
        "responsible_group": basics["group"].id,
        "contributing_groups": [basics["other"].id],
        "owners": [basics["owner"].id],
        "parties": basics["parties"],
        "valid_from": date(2025, 3, 1),
        "expires_on": None,
        "review_rule": "FREQ=YEARLY;INTERVAL=1",
        "documents": [("Avtalstext", "https://example.org/avtal.pdf")],
    }
    data.update(changes)
    return data


def test_create_stores_links_and_next_review(basics):
    agreement = save_agreement(valid(basics))
    assert agreement.next_review_on == date(2026, 3, 1)
    assert [link.group.name for link in agreement.contributor_links] == ["ReKo"]
    assert AgreementParty.select().where(AgreementParty.agreement == agreement).count() == 2
    assert [d.url for d in agreement.documents] == ["https://example.org/avtal.pdf"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"kind": "kontrakt"}, "kind"),
        ({"status": "levande"}, "status"),
        ({"responsible_group": 99999}, "responsible_group"),
        ({"responsible_group": None}, "responsible_group"),
        ({"expires_on": date(2025, 2, 1)}, "expires_on"),
        ({"expires_on": date(2025, 3, 1)}, "expires_on"),
        ({"review_rule": "FREQ=SOMETIMES"}, "review_rule"),
        ({"parties": [99999]}, "parties"),
        ({"owners": [99999]}, "owners"),
        ({"contributing_groups": [99999]}, "contributing_groups"),
        ({"parent": 99999}, "parent"),
        ({"status": "replaced"}, "replaced_by"),
        ({"expiry_offsets": "180, snart"}, "expiry_offsets"),
        ({"review_offsets": "0"}, "review_offsets"),
        ({"overdue_every_days": 0}, "overdue_every_days"),
    ],
)
def test_invalid_data_is_refused_and_nothing_saved(basics, changes, field):
    with pytest.raises(ValidationError) as info:
        save_agreement(valid(basics, **changes))
    assert field in info.value.errors
    assert info.value.errors[field]
    assert Agreement.select().count() == 0


def test_case_number_must_be_unique(basics):
    save_agreement(valid(basics, case_number="RJL 2023/1235"))
    with pytest.raises(ValidationError) as info:
        save_agreement(valid(basics, title="Annat avtal", case_number=" RJL 2023/1235 "))
    assert "case_number" in info.value.errors
    assert Agreement.select().count() == 1


def test_blank_case_numbers_do_not_clash(basics):
    save_agreement(valid(basics, case_number=""))
    save_agreement(valid(basics, title="Annat", case_number="  "))
    assert Agreement.select().where(Agreement.case_number.is_null()).count() == 2


def test_update_refuses_self_reference_and_keeps_row(basics):
    agreement = save_agreement(valid(basics))
    with pytest.raises(ValidationError) as info:
        save_agreement(valid(basics, parent=agreement.id, title="Nytt namn"), agreement)
    assert "parent" in info.value.errors
    assert Agreement.get_by_id(agreement.id).title == "Överenskommelse om exempel"


def test_update_replaces_links(basics):
    agreement = save_agreement(valid(basics))
    save_agreement(valid(basics, parties=basics["parties"][:1], contributing_groups=[], documents=[]), agreement)
    assert agreement.party_links.count() == 1
    assert agreement.contributor_links.count() == 0
    assert agreement.documents.count() == 0


def review(**changes):
    data = {"reviewed_on": date(2026, 11, 20), "outcome": "unchanged", "reviewer_name": "ReKo"}
    data.update(changes)
    return data


def test_review_moves_next_review_a_year_from_the_review(basics):
    agreement = save_agreement(valid(basics))
    assert agreement.next_review_on == date(2026, 3, 1)
    record_review(agreement, review(), TODAY)
    assert Agreement.get_by_id(agreement.id).next_review_on == date(2027, 11, 20)


def test_latest_review_is_the_anchor_even_if_recorded_out_of_order(basics):
    agreement = save_agreement(valid(basics))
    record_review(agreement, review(reviewed_on=date(2026, 6, 1)), TODAY)
    record_review(agreement, review(reviewed_on=date(2026, 2, 1)), TODAY)
    assert Agreement.get_by_id(agreement.id).next_review_on == date(2027, 6, 1)


def test_review_outcomes_change_status_and_expiry(basics):
    agreement = save_agreement(valid(basics, expires_on=date(2026, 12, 31)))
    record_review(agreement, review(outcome="to_be_revised"), TODAY)
    assert agreement.status == "under_revision"
    record_review(agreement, review(outcome="extended", new_expires_on=date(2028, 12, 31)), TODAY)
    assert agreement.status == "in_force"
    assert Agreement.get_by_id(agreement.id).expires_on == date(2028, 12, 31)
    record_review(agreement, review(outcome="terminated"), TODAY)
    stored = Agreement.get_by_id(agreement.id)
    assert stored.status == "terminated"
    assert stored.next_review_on is None
    assert schedule.deadlines_of(stored) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reviewed_on": None}, "reviewed_on"),
        ({"reviewed_on": date(2026, 11, 24)}, "reviewed_on"),
        ({"outcome": "kanske"}, "outcome"),
        ({"reviewer_name": "  "}, "reviewer_name"),
        ({"reviewer": 99999}, "reviewer"),
        ({"outcome": "extended"}, "new_expires_on"),
        ({"outcome": "extended", "new_expires_on": date(2026, 6, 1)}, "new_expires_on"),
        ({"outcome": "unchanged", "new_expires_on": date(2030, 1, 1)}, "new_expires_on"),
    ],
)
def test_invalid_review_is_refused_and_nothing_changes(basics, changes, field):
    agreement = save_agreement(valid(basics, expires_on=date(2026, 12, 31)))
    with pytest.raises(ValidationError) as info:
        record_review(agreement, review(**changes), TODAY)
    assert field in info.value.errors
    assert Review.select().count() == 0
    stored = Agreement.get_by_id(agreement.id)
    assert (stored.status, stored.expires_on) == ("in_force", date(2026, 12, 31))


def test_reviewer_as_person(basics):
    agreement = save_agreement(valid(basics))
    done = record_review(agreement, review(reviewer=basics["owner"].id, reviewer_name=""), TODAY)
    assert done.who == "Ägare Exempel"


def test_reminder_policy_is_normalised(basics):
    agreement = save_agreement(valid(basics, expiry_offsets="30;90, 90", review_offsets="", overdue_every_days=14))
    stored = Agreement.get_by_id(agreement.id)
    assert (stored.expiry_offsets, stored.review_offsets, stored.overdue_every_days) == ("90, 30", "", 14)


def test_group_policy_and_lead_time(basics):
    from registry.domain.directory import add_meeting, save_group

    data = {"name": "ReKo", "kind": "leadership", "lead_time_days": 21, "expiry_offsets": "120,60"}
    group = save_group(data, basics["other"])
    assert (group.lead_time_days, group.expiry_offsets) == (21, "120, 60")
    with pytest.raises(ValidationError) as info:
        save_group({**data, "lead_time_days": 400, "review_offsets": "x"}, basics["other"])
    assert set(info.value.errors) == {"lead_time_days", "review_offsets"}
    add_meeting(group, date(2026, 11, 20), "Beslut om Läkaruppdrag")
    with pytest.raises(ValidationError) as info:
        add_meeting(group, date(2026, 11, 20))
    assert "meets_on" in info.value.errors
