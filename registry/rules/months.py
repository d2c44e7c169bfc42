"""Calendar months, as people count them."""

from dateutil.relativedelta import relativedelta


def add_months(day, months):
    """`day` moved on by whole calendar months: the same day of the month, or the month's last day
    when `day` is the last of its month or the target month is shorter.

    2026-11-23 + 6 -> 2027-05-23; 2026-11-30 + 6 -> 2027-05-31 (the end of November to the end of
    May); 2026-08-31 + 6 -> 2027-02-28.
    """
    moved = day + relativedelta(months=months)
    if (day + relativedelta(days=1)).month != day.month:  # the last day of its month
        moved += relativedelta(day=31)  # relativedelta clamps day=31 to the month's last day
    return moved
