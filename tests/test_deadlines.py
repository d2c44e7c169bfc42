"""The deadline engine: expiry and next review of one agreement."""

from datetime import date

import pytest

from registry.rules.deadlines import EXPIRY, REVIEW, Deadline, deadlines


def test_expiry_and_yearly_review_in_date_order():
    found = deadlines("in_force", date(2030, 1, 1), "FREQ=YEARLY", date(2026, 5, 1))
    assert found == [Deadline(date(2027, 5, 1), REVIEW), Deadline(date(2030, 1, 1), EXPIRY)]


def test_tills_vidare_has_only_reviews():
    assert deadlines("in_force", None, "FREQ=YEARLY;INTERVAL=3", date(2025, 1, 1)) == [
        Deadline(date(2028, 1, 1), REVIEW)
    ]


def test_review_after_expiry_is_dropped():
    assert deadlines("in_force", date(2026, 12, 31), "FREQ=YEARLY", date(2026, 3, 1)) == [
        Deadline(date(2026, 12, 31), EXPIRY)
    ]


@pytest.mark.parametrize("status", ["draft", "terminated", "replaced", "expired"])
def test_agreements_not_in_force_have_no_deadlines(status):
    assert deadlines(status, date(2027, 1, 1), "FREQ=YEARLY", date(2026, 1, 1)) == []


def test_under_revision_still_has_deadlines():
    assert deadlines("under_revision", date(2027, 1, 1), "", None) == [Deadline(date(2027, 1, 1), EXPIRY)]


def test_no_cycle_no_expiry_no_deadlines():
    assert deadlines("in_force", None, "", date(2026, 1, 1)) == []
