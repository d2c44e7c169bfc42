"""Working days: Swedish public holidays plus midsommarafton, julafton and nyårsafton.

holidays >= 0.109 marks the three eves as de-facto holidays; `is_working_day`
also treats Saturdays and Sundays as non-working.
"""

from datetime import timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _calendar(country):
    return holidays.country_holidays(country, categories=(holidays.PUBLIC, holidays.DE_FACTO))


def is_working_day(day, country="SE"):
    return _calendar(country).is_working_day(day)


def previous_working_day(day, country="SE"):
    """The day itself if it is a working day, else the closest working day before it."""
    while not is_working_day(day, country):
        day -= timedelta(days=1)
    return day


def next_working_day(day, country="SE"):
    """The day itself if it is a working day, else the closest working day after it."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day
