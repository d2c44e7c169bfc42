"""Review cycles: rrule text, and next review dates that stay anchored."""

from datetime import date

import pytest

from registry.rules import cycles


@pytest.mark.parametrize(
    ("rule", "anchor", "expected"),
    [
        ("FREQ=YEARLY;INTERVAL=1", date(2025, 3, 14), date(2026, 3, 14)),
        ("FREQ=YEARLY", date(2025, 3, 14), date(2026, 3, 14)),
        ("FREQ=YEARLY;INTERVAL=3", date(2025, 1, 1), date(2028, 1, 1)),
        # 29 February: a yearly cycle falls back to 28 February, never skips a year.
        ("FREQ=YEARLY;INTERVAL=1", date(2024, 2, 29), date(2025, 2, 28)),
        ("FREQ=YEARLY;INTERVAL=4", date(2024, 2, 29), date(2028, 2, 29)),
        ("FREQ=YEARLY;INTERVAL=3", date(2024, 2, 29), date(2027, 2, 28)),
        # Month ends clamp to the last day of the shorter month.
        ("FREQ=MONTHLY;INTERVAL=1", date(2026, 1, 31), date(2026, 2, 28)),
        ("FREQ=MONTHLY;INTERVAL=6", date(2026, 8, 31), date(2027, 2, 28)),
        ("FREQ=WEEKLY;INTERVAL=2", date(2026, 12, 28), date(2027, 1, 11)),
        ("rrule:freq=yearly;interval=2", date(2026, 1, 1), date(2028, 1, 1)),
    ],
)
def test_next_review(rule, anchor, expected):
    assert cycles.next_review(rule, anchor) == expected


def test_no_cycle_or_no_anchor_gives_no_date():
    assert cycles.next_review("", date(2026, 1, 1)) is None
    assert cycles.next_review(None, date(2026, 1, 1)) is None
    assert cycles.next_review("FREQ=YEARLY", None) is None


def test_occurrences_stay_anchored_on_leap_day():
    dates = cycles.occurrences("FREQ=YEARLY;INTERVAL=1", date(2024, 2, 29), date(2028, 12, 31))
    assert dates == [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=1"),
        (" freq=monthly;interval=6 ", "FREQ=MONTHLY;INTERVAL=6"),
        ("RRULE:FREQ=YEARLY;INTERVAL=3", "FREQ=YEARLY;INTERVAL=3"),
        ("", ""),
    ],
)
def test_normalise(text, canonical):
    assert cycles.normalise(text) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "FREQ=HOURLY",
        "INTERVAL=2",
        "FREQ=YEARLY;INTERVAL=0",
        "FREQ=YEARLY;INTERVAL=x",
        "FREQ=YEARLY;COUNT=3",
        "FREQ=YEARLY;BYMONTH=11",
        "FREQ=YEARLY;",
        "nonsense",
    ],
)
def test_bad_rules_are_refused_with_a_message(plain_ctx, bad):
    with pytest.raises(cycles.CycleError) as info:
        cycles.normalise(bad)
    assert str(info.value)


def test_form_parts_round_trip():
    assert cycles.from_parts("years", 3) == "FREQ=YEARLY;INTERVAL=3"
    assert cycles.from_parts("none", 5) == ""
    assert cycles.to_parts("FREQ=YEARLY;INTERVAL=3") == ("years", 3)
    assert cycles.to_parts("FREQ=MONTHLY;INTERVAL=6") == ("months", 6)
    assert cycles.to_parts("") == ("none", 1)


def test_describe_in_swedish(plain_ctx):
    assert cycles.describe("FREQ=YEARLY;INTERVAL=1") == "Årligen"
    assert cycles.describe("FREQ=YEARLY;INTERVAL=3") == "Vart 3:e år"
    assert cycles.describe("FREQ=MONTHLY;INTERVAL=6") == "Var 6:e månad"
    assert cycles.describe("") == "Ingen fast uppföljningscykel"


def test_swedish_alphabetical_order():
    from registry.collation import sv_key

    names = ["Överenskommelse", "avtal", "Ändring", "Zon", "Åtgärd", "Bedömning"]
    assert sorted(names, key=sv_key) == ["avtal", "Bedömning", "Zon", "Åtgärd", "Ändring", "Överenskommelse"]
