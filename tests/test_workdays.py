"""Working days: Swedish public holidays, the de-facto eves, and weekends."""

from datetime import date, timedelta

import pytest

from registry.rules.workdays import is_working_day, next_working_day, previous_working_day

HOLIDAYS = {
    "nyårsdagen 2026": date(2026, 1, 1),
    "trettondedag jul 2026": date(2026, 1, 6),
    "långfredagen 2026": date(2026, 4, 3),
    "annandag påsk 2026": date(2026, 4, 6),
    "1 maj 2026": date(2026, 5, 1),
    "Kristi himmelfärd 2026": date(2026, 5, 14),
    "nationaldagen 2026": date(2026, 6, 6),
    "midsommarafton 2026": date(2026, 6, 19),
    "midsommardagen 2026": date(2026, 6, 20),
    "julafton 2026": date(2026, 12, 24),
    "juldagen 2026": date(2026, 12, 25),
    "annandag jul 2026": date(2026, 12, 26),
    "nyårsafton 2026": date(2026, 12, 31),
    "nyårsdagen 2027": date(2027, 1, 1),
    "trettondedag jul 2027": date(2027, 1, 6),
    "långfredagen 2027": date(2027, 3, 26),
    "annandag påsk 2027": date(2027, 3, 29),
    "1 maj 2027": date(2027, 5, 1),
    "Kristi himmelfärd 2027": date(2027, 5, 6),
    "nationaldagen 2027": date(2027, 6, 6),
    "midsommarafton 2027": date(2027, 6, 25),
    "julafton 2027": date(2027, 12, 24),
    "juldagen 2027": date(2027, 12, 25),
    "annandag jul 2027": date(2027, 12, 26),
    "nyårsafton 2027": date(2027, 12, 31),
}

WEEKENDS = [
    date(2026, 1, 3),
    date(2026, 1, 4),
    date(2026, 7, 4),
    date(2026, 11, 14),
    date(2026, 11, 15),
    date(2026, 12, 27),
    date(2027, 2, 27),
    date(2027, 2, 28),
    date(2027, 7, 31),
    date(2027, 8, 1),
]

# Ordinary weekdays, many of them next to a holiday (klämdagar, skärtorsdagen,
# the day before midsommarafton, the days between the holidays at year end).
WORKING_DAYS = [
    date(2026, 1, 2),
    date(2026, 1, 5),
    date(2026, 1, 7),
    date(2026, 4, 2),
    date(2026, 4, 7),
    date(2026, 4, 30),
    date(2026, 5, 15),
    date(2026, 6, 5),
    date(2026, 6, 18),
    date(2026, 6, 22),
    date(2026, 7, 3),
    date(2026, 11, 23),
    date(2026, 12, 23),
    date(2026, 12, 28),
    date(2026, 12, 30),
    date(2027, 1, 4),
    date(2027, 1, 5),
    date(2027, 1, 7),
    date(2027, 3, 25),
    date(2027, 3, 30),
    date(2027, 5, 7),
    date(2027, 6, 24),
    date(2027, 12, 23),
    date(2027, 12, 27),
    date(2027, 12, 30),
]


@pytest.mark.parametrize("day", list(HOLIDAYS.values()), ids=list(HOLIDAYS))
def test_public_holidays_and_eves_are_not_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", WEEKENDS, ids=str)
def test_weekends_are_not_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", WORKING_DAYS, ids=str)
def test_ordinary_weekdays_are_working_days(day):
    assert is_working_day(day)


@pytest.mark.parametrize("move", [previous_working_day, next_working_day], ids=["previous", "next"])
@pytest.mark.parametrize("day", WORKING_DAYS, ids=str)
def test_a_working_day_maps_to_itself(move, day):
    assert move(day) == day


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        # Plain weekend.
        (date(2026, 11, 14), date(2026, 11, 13), date(2026, 11, 16)),
        (date(2026, 11, 15), date(2026, 11, 13), date(2026, 11, 16)),
        # Långfredagen to annandag påsk.
        (date(2026, 4, 3), date(2026, 4, 2), date(2026, 4, 7)),
        (date(2026, 4, 5), date(2026, 4, 2), date(2026, 4, 7)),
        (date(2026, 4, 6), date(2026, 4, 2), date(2026, 4, 7)),
        (date(2027, 3, 26), date(2027, 3, 25), date(2027, 3, 30)),
        (date(2027, 3, 29), date(2027, 3, 25), date(2027, 3, 30)),
        # Kristi himmelfärd: the Friday after is a working day.
        (date(2026, 5, 14), date(2026, 5, 13), date(2026, 5, 15)),
        (date(2027, 5, 6), date(2027, 5, 5), date(2027, 5, 7)),
        # Midsommar: Friday, Saturday, Sunday.
        (date(2026, 6, 19), date(2026, 6, 18), date(2026, 6, 22)),
        (date(2026, 6, 20), date(2026, 6, 18), date(2026, 6, 22)),
        (date(2026, 6, 21), date(2026, 6, 18), date(2026, 6, 22)),
        (date(2027, 6, 25), date(2027, 6, 24), date(2027, 6, 28)),
        # Julafton to annandag jul and the weekend after.
        (date(2026, 12, 24), date(2026, 12, 23), date(2026, 12, 28)),
        (date(2026, 12, 25), date(2026, 12, 23), date(2026, 12, 28)),
        (date(2026, 12, 26), date(2026, 12, 23), date(2026, 12, 28)),
        (date(2026, 12, 27), date(2026, 12, 23), date(2026, 12, 28)),
        (date(2027, 12, 24), date(2027, 12, 23), date(2027, 12, 27)),
        (date(2027, 12, 26), date(2027, 12, 23), date(2027, 12, 27)),
        # Nyårsafton and nyårsdagen, across the year boundary.
        (date(2026, 12, 31), date(2026, 12, 30), date(2027, 1, 4)),
        (date(2027, 1, 1), date(2026, 12, 30), date(2027, 1, 4)),
        (date(2027, 1, 3), date(2026, 12, 30), date(2027, 1, 4)),
        (date(2027, 12, 31), date(2027, 12, 30), date(2028, 1, 3)),
        # Trettondedag jul in the middle of a week.
        (date(2027, 1, 6), date(2027, 1, 5), date(2027, 1, 7)),
    ],
    ids=str,
)
def test_moving_over_runs_of_non_working_days(day, previous, following):
    assert previous_working_day(day) == previous
    assert next_working_day(day) == following


def _days(start, end):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", [2026, 2027])
def test_moves_land_on_the_closest_working_day_every_day_of_the_year(year):
    """For every day: the result is a working day and nothing between is one."""
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        before, after = previous_working_day(day), next_working_day(day)
        assert before <= day <= after
        assert is_working_day(before) and is_working_day(after)
        assert not any(is_working_day(d) for d in _days(before + timedelta(days=1), day))
        assert not any(is_working_day(d) for d in _days(day, after - timedelta(days=1)))
        assert (before == day) == (after == day) == is_working_day(day)


@pytest.mark.parametrize(("year", "expected"), [(2026, 251), (2027, 253)])
def test_number_of_working_days_in_a_year(year, expected):
    """365 days less weekends less weekday holidays and eves; counts a missing or extra holiday."""
    assert sum(is_working_day(d) for d in _days(date(year, 1, 1), date(year, 12, 31))) == expected
