"""Reminder stages: send dates on working days, overdue repeats, catch-up, deciding meetings.

`due_stages` is the engine the reminder pass plans from; `every_stage` below is
a naive reference (one step per overdue repeat) that it must agree with.
"""

import random
from datetime import date, timedelta

import pytest

from registry.rules.cycles import next_review
from registry.rules.deadlines import EXPIRY, REVIEW, Deadline, deadlines
from registry.rules.policy import Policy
from registry.rules.stages import Stage, catch_up, due_stages
from registry.rules.workdays import is_working_day, next_working_day, previous_working_day

DEFAULT = Policy()
DAY = timedelta(days=1)

# Läkaruppdrag expires on nyårsafton 2026.
NEW_YEARS_EVE = date(2026, 12, 31)
NEW_YEARS_EVE_SENDS = {
    180: date(2026, 7, 3),  # nominal 2026-07-04 is a Saturday
    90: date(2026, 10, 2),
    30: date(2026, 12, 1),
    7: date(2026, 12, 23),  # nominal 2026-12-24 is julafton
}
MIDSOMMARAFTON = date(2026, 6, 19)


def stages(kind, due_on, policy, day):
    """What the engine says is due on `day`, as a list."""
    return list(due_stages(kind, due_on, policy, day))


def every_stage(kind, due_on, policy, until):
    """Reference: every stage with a send date on or before `until`, every overdue repeat included, in send order."""
    found = []
    for offset in policy.offsets(kind):
        send_on = previous_working_day(due_on - timedelta(days=offset))
        if send_on <= until:
            found.append(Stage(f"before:{offset}", send_on, False))
    days_after = 1
    while due_on + timedelta(days=days_after) <= until:
        send_on = next_working_day(due_on + timedelta(days=days_after))
        if send_on <= until:
            found.append(Stage(f"overdue:{days_after}", send_on, True))
        days_after += policy.overdue_every

    def order(stage):
        days = int(stage.code.partition(":")[2])
        return (stage.send_on, stage.overdue, days if stage.overdue else -days)

    return sorted(found, key=order)


def overdue_sent(due_on, policy, until, kind=EXPIRY):
    """The overdue notices a daily pass sends from the deadline to `until`: the latest due repeat, once each."""
    sent = []
    for day in _days(due_on, until):
        latest = [(s.code, s.send_on) for s in due_stages(kind, due_on, policy, day) if s.overdue]
        if latest and latest[-1] not in sent:
            sent.append(latest[-1])
    return sent


def codes(found):
    return [s.code for s in found]


def sends(found):
    return {s.code: s.send_on for s in found}


def before(offsets_to_dates):
    return {f"before:{offset}": day for offset, day in offsets_to_dates.items()}


def only_overdue(found):
    return [(s.code, s.send_on) for s in found if s.overdue]


# --- before:N ----------------------------------------------------------------


def test_all_before_stages_of_an_expiry_in_send_order():
    assert stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, NEW_YEARS_EVE) == [
        Stage(f"before:{offset}", day, False) for offset, day in NEW_YEARS_EVE_SENDS.items()
    ]


def test_nothing_due_the_day_before_the_first_stage():
    assert stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, date(2026, 7, 2)) == []


@pytest.mark.parametrize("until", [date(2026, 7, 3), date(2026, 7, 4), date(2026, 10, 1)], ids=str)
def test_only_the_first_stage_until_the_second_is_due(until):
    assert stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, until) == [Stage("before:180", date(2026, 7, 3), False)]


@pytest.mark.parametrize(("offset", "send_on"), NEW_YEARS_EVE_SENDS.items(), ids=str)
def test_each_stage_appears_on_its_send_day_and_not_the_day_before(offset, send_on):
    code = f"before:{offset}"
    assert code in codes(stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, send_on))
    assert code not in codes(stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, send_on - DAY))
    assert stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, send_on)[-1] == Stage(code, send_on, False)


@pytest.mark.parametrize("kind", [EXPIRY, REVIEW])
@pytest.mark.parametrize("offset", [1, 7, 30, 90, 180])
def test_a_send_date_on_midsommarafton_moves_to_the_thursday_before(kind, offset):
    due = MIDSOMMARAFTON + timedelta(days=offset)
    policy = Policy(expiry=(offset,), review=(offset,))
    assert stages(kind, due, policy, due) == [Stage(f"before:{offset}", date(2026, 6, 18), False)]


@pytest.mark.parametrize(
    ("due", "offset", "send_on"),
    [
        (date(2027, 3, 31), 30, date(2027, 3, 1)),
        (date(2027, 3, 31), 31, date(2027, 2, 26)),  # 2027-02-28 is a Sunday
        (date(2026, 3, 31), 30, date(2026, 2, 27)),  # 2026-03-01 is a Sunday
        (date(2028, 3, 31), 30, date(2028, 3, 1)),  # leap year: 31 days back is 29 Feb
        (date(2028, 3, 30), 30, date(2028, 2, 29)),
        (date(2027, 5, 31), 30, date(2027, 4, 30)),  # 2027-05-01: 1 maj and a Saturday
        (date(2027, 1, 31), 31, date(2026, 12, 30)),  # nyårsafton
    ],
    ids=str,
)
def test_month_ends(due, offset, send_on):
    assert sends(stages(EXPIRY, due, Policy(expiry=(offset,)), due)) == {f"before:{offset}": send_on}


def test_leap_day_deadline():
    due = date(2028, 2, 29)
    assert sends(stages(EXPIRY, due, DEFAULT, due)) == before(
        {
            180: date(2027, 9, 2),
            90: date(2027, 12, 1),
            30: date(2028, 1, 28),  # nominal 2028-01-30 is a Sunday
            7: date(2028, 2, 22),
        }
    )


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        ("FREQ=YEARLY", date(2025, 2, 28), {60: date(2024, 12, 30), 14: date(2025, 2, 14)}),
        ("FREQ=MONTHLY;INTERVAL=12", date(2025, 2, 28), {60: date(2024, 12, 30), 14: date(2025, 2, 14)}),
        # nominal 2027-12-31 is nyårsafton
        ("FREQ=YEARLY;INTERVAL=4", date(2028, 2, 29), {60: date(2027, 12, 30), 14: date(2028, 2, 15)}),
    ],
)
def test_review_cycle_anchored_on_leap_day(rule, due, expected):
    review_on = next_review(rule, date(2024, 2, 29))
    assert review_on == due
    assert sends(stages(REVIEW, review_on, DEFAULT, review_on)) == before(expected)


def test_review_deadlines_use_the_review_offsets():
    due = date(2027, 6, 1)
    assert codes(stages(REVIEW, due, DEFAULT, due)) == ["before:60", "before:14"]
    custom = Policy(expiry=(100, 50), review=(45,))
    assert codes(stages(REVIEW, due, custom, due)) == ["before:45"]
    assert codes(stages(EXPIRY, due, custom, due)) == ["before:100", "before:50"]


def test_stage_order_does_not_depend_on_the_order_of_the_offsets():
    due = date(2027, 6, 1)
    assert stages(EXPIRY, due, Policy(expiry=(7, 180, 30, 90)), due) == stages(EXPIRY, due, DEFAULT, due)


def _days(start, end):
    day = start
    while day <= end:
        yield day
        day += DAY


@pytest.mark.parametrize("year", [2026, 2027])
def test_every_send_date_is_the_closest_working_day_on_the_right_side(year):
    """For deadlines on every day of a year: before-stages go out on the last working day on or
    before the nominal date, overdue stages on the first working day on or after it (every
    stage the engine names on some day of the three weeks after the deadline)."""
    policy = Policy(expiry=(180, 90, 30, 7, 3, 1), overdue_every=3)
    for due in _days(date(year, 1, 1), date(year, 12, 31)):
        named = {s for day in _days(due, due + timedelta(days=20)) for s in due_stages(EXPIRY, due, policy, day)}
        assert len([s for s in named if s.overdue]) >= 3, due  # some repeats fall on one working day
        for stage in sorted(named, key=lambda s: s.send_on):
            kind, _, days = stage.code.partition(":")
            assert is_working_day(stage.send_on), (due, stage)
            if kind == "before":
                nominal = due - timedelta(days=int(days))
                assert stage.send_on <= nominal
                gap = _days(stage.send_on + DAY, nominal)
            else:
                nominal = due + timedelta(days=int(days))
                assert nominal <= stage.send_on
                gap = _days(nominal, stage.send_on - DAY)
            assert not any(is_working_day(d) for d in gap), (due, stage)


# --- overdue:N ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "every", "until", "expected"),
    [
        # Deadline on a Friday: overdue:1 is the Saturday, sent on Monday.
        (
            date(2026, 11, 13),
            7,
            date(2026, 11, 30),
            [("overdue:1", date(2026, 11, 16)), ("overdue:8", date(2026, 11, 23)), ("overdue:15", date(2026, 11, 30))],
        ),
        # Deadline the day before nyårsafton: 12-31 and 01-01 are holidays, then a weekend.
        (
            date(2026, 12, 30),
            7,
            date(2027, 1, 20),
            [("overdue:1", date(2027, 1, 4)), ("overdue:8", date(2027, 1, 7)), ("overdue:15", date(2027, 1, 14))],
        ),
        # A custom interval: every 14 days, the fourth one on julafton moves past Christmas.
        (
            date(2026, 11, 11),
            14,
            date(2026, 12, 28),
            [
                ("overdue:1", date(2026, 11, 12)),
                ("overdue:15", date(2026, 11, 26)),
                ("overdue:29", date(2026, 12, 10)),
                ("overdue:43", date(2026, 12, 28)),
            ],
        ),
        # Daily reminders over a weekend: overdue:1, :2 and :3 all fall on the Monday; the latest is sent.
        (
            date(2026, 11, 13),
            1,
            date(2026, 11, 17),
            [("overdue:3", date(2026, 11, 16)), ("overdue:4", date(2026, 11, 17))],
        ),
        # After a leap day.
        (date(2028, 2, 29), 7, date(2028, 3, 7), [("overdue:1", date(2028, 3, 1))]),
    ],
    ids=["friday", "new-year", "every-14", "daily", "leap-day"],
)
def test_overdue_stages(due, every, until, expected):
    """`expected`: the overdue notices a pass run every day sends, each on its send date."""
    policy = Policy(overdue_every=every)
    assert overdue_sent(due, policy, until) == expected
    # On any day only the latest due repeat is named: the earlier ones are the same notice again.
    found = stages(EXPIRY, due, policy, until)
    assert only_overdue(found) == expected[-1:]
    assert all(s.overdue == s.code.startswith("overdue:") for s in found)
    # A pass that was down sends on its first day back what a daily pass would have sent last.
    for day in _days(due, until):
        latest = [x for x in expected if x[1] <= day][-1:]
        assert only_overdue(stages(EXPIRY, due, policy, day)) == latest, day


@pytest.mark.parametrize(
    "until", [date(2026, 11, 13), date(2026, 11, 14), date(2026, 11, 15)], ids=["deadline", "saturday", "sunday"]
)
def test_no_overdue_stage_before_the_next_working_day_after_the_deadline(until):
    assert only_overdue(stages(EXPIRY, date(2026, 11, 13), DEFAULT, until)) == []


def test_overdue_stages_do_not_count_from_the_moved_send_date():
    """overdue:8 is 8 days after the deadline, not 7 days after a postponed overdue:1."""
    sent = overdue_sent(date(2026, 12, 30), DEFAULT, date(2027, 1, 10))
    assert sent == [("overdue:1", date(2027, 1, 4)), ("overdue:8", date(2027, 1, 7))]


def test_review_deadlines_repeat_when_overdue_too():
    due = date(2026, 11, 11)
    policy = Policy(review=(30,), overdue_every=10)
    assert codes(stages(REVIEW, due, policy, date(2026, 12, 1))) == ["before:30", "overdue:11"]
    assert [code for code, _day in overdue_sent(due, policy, date(2026, 12, 1), REVIEW)] == ["overdue:1", "overdue:11"]


def test_overdue_stages_come_after_all_before_stages():
    found = stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, date(2027, 2, 1))
    assert codes(found) == [f"before:{o}" for o in NEW_YEARS_EVE_SENDS] + ["overdue:29"]
    assert [s.send_on for s in found] == sorted(s.send_on for s in found)
    assert found[-1] == Stage("overdue:29", date(2027, 1, 29), True)


def test_the_engine_agrees_with_the_reference_on_random_deadlines():
    """Every advance stage and only the latest overdue repeat of the reference, and the same catch-up."""
    rng = random.Random(20261123)
    for _ in range(3000):
        day = date(2026, 11, 23) + timedelta(days=rng.randint(-400, 400))
        due_on = day + timedelta(days=rng.randint(-900, 400))
        policy = Policy(
            expiry=tuple(sorted(rng.sample(range(1, 200), rng.randint(1, 4)), reverse=True)),
            overdue_every=rng.choice([1, 2, 3, 7, 14, 30, 365]),
        )
        kind = rng.choice([EXPIRY, REVIEW])
        full = every_stage(kind, due_on, policy, day)
        fast = stages(kind, due_on, policy, day)
        assert fast == [s for s in full if not s.overdue] + [s for s in full if s.overdue][-1:]
        recorded = {s.code for s in full if rng.random() < 0.5}
        assert catch_up(full, recorded) == catch_up(fast, recorded)


@pytest.mark.parametrize(
    ("due_on", "day"),
    [(date(1, 1, 5), date(2026, 11, 23)), (date(1, 3, 1), date(2026, 11, 23))],
    ids=["year-1-before", "year-1-overdue"],
)
def test_a_deadline_near_year_1_overflows_and_says_so(due_on, day):
    """The pass reports such a deadline (tests/test_reminder_failures.py); the engine only raises."""
    with pytest.raises(OverflowError):
        due_stages(EXPIRY, due_on, DEFAULT, day)


def test_a_deadline_near_year_9999_is_not_due_and_does_not_overflow():
    assert stages(EXPIRY, date(9999, 12, 31), DEFAULT, date(2026, 11, 23)) == []
    assert stages(REVIEW, date(9999, 12, 31), Policy(review=(3650,)), date(9990, 1, 1)) == []


# --- catch_up ----------------------------------------------------------------

# What due_stages() gives for the nyårsafton expiry on 2026-12-01 (see the tests above).
S180, S90, S30 = (Stage(f"before:{o}", NEW_YEARS_EVE_SENDS[o], False) for o in (180, 90, 30))
DUE_ON_DECEMBER_1 = [S180, S90, S30]


@pytest.mark.parametrize(
    ("due", "recorded", "send", "skip"),
    [
        ([], set(), None, []),
        ([], {"before:30"}, None, []),
        ([S180], set(), S180, []),
        ([S180], {"before:180"}, None, []),
        (DUE_ON_DECEMBER_1, set(), S30, [S180, S90]),
        (DUE_ON_DECEMBER_1, {"before:30"}, None, [S180, S90]),
        (DUE_ON_DECEMBER_1, {"before:180"}, S30, [S90]),
        (DUE_ON_DECEMBER_1, {"before:180", "before:90"}, S30, []),
        (DUE_ON_DECEMBER_1, {"before:180", "before:30"}, None, [S90]),
        (DUE_ON_DECEMBER_1, {"before:180", "before:90", "before:30"}, None, []),
        (DUE_ON_DECEMBER_1, {"overdue:1", "before:7"}, S30, [S180, S90]),
    ],
    ids=[
        "nothing-due",
        "nothing-due-something-recorded",
        "one-due",
        "one-due-recorded",
        "several-due-none-recorded",
        "latest-recorded",
        "oldest-recorded",
        "all-older-recorded",
        "latest-and-oldest-recorded",
        "all-recorded",
        "other-codes-recorded",
    ],
)
def test_catch_up(due, recorded, send, skip):
    assert catch_up(due, recorded) == (send, skip)


def test_catch_up_on_the_stages_of_a_real_deadline():
    due = stages(EXPIRY, NEW_YEARS_EVE, DEFAULT, date(2026, 12, 1))
    assert catch_up(due, set()) == (S30, [S180, S90])
    assert catch_up(due, {"before:30"}) == (None, [S180, S90])


@pytest.mark.parametrize("offsets", [(7, 6), (6, 7)], ids=["descending", "ascending"])
def test_same_send_day_sends_the_stage_with_fewer_days_left(offsets):
    # Both nominal dates (julafton, juldagen) move back to 2026-12-23.
    due = stages(EXPIRY, NEW_YEARS_EVE, Policy(expiry=offsets), date(2026, 12, 23))
    assert due == [Stage("before:7", date(2026, 12, 23), False), Stage("before:6", date(2026, 12, 23), False)]
    assert catch_up(due, set()) == (due[1], [due[0]])


def test_same_send_day_before_a_weekend_deadline():
    # Tuesday deadline: 3 days before is Saturday, 2 is Sunday; both go out on the Friday.
    due = stages(EXPIRY, date(2026, 11, 17), Policy(expiry=(3, 2)), date(2026, 11, 13))
    send, skip = catch_up(due, set())
    assert send == Stage("before:2", date(2026, 11, 13), False)
    assert skip == [Stage("before:3", date(2026, 11, 13), False)]


def test_same_send_day_overdue_sends_the_most_overdue():
    due = stages(EXPIRY, date(2026, 11, 13), Policy(expiry=(30,), overdue_every=1), date(2026, 11, 16))
    send, skip = catch_up(due, set())
    assert send == Stage("overdue:3", date(2026, 11, 16), True)
    # Missed repeats of the overdue notice are not recorded; the advance stage is.
    assert codes(skip) == ["before:30"]


# --- deadlines(): cases not in test_deadlines.py ------------------------------


@pytest.mark.parametrize(
    ("expires_on", "expected"),
    [
        # A review on the expiry day is not a separate deadline: the expiry decides.
        (date(2027, 5, 1), [Deadline(date(2027, 5, 1), EXPIRY)]),
        (date(2027, 5, 2), [Deadline(date(2027, 5, 1), REVIEW), Deadline(date(2027, 5, 2), EXPIRY)]),
    ],
    ids=["review-on-expiry-day", "review-day-before-expiry"],
)
def test_review_on_or_just_before_the_expiry(expires_on, expected):
    assert deadlines("in_force", expires_on, "FREQ=YEARLY", date(2026, 5, 1)) == expected


@pytest.mark.parametrize("status", ["in_force", "under_revision"])
def test_review_from_a_leap_day_anchor(status):
    assert deadlines(status, None, "FREQ=YEARLY", date(2024, 2, 29)) == [Deadline(date(2025, 2, 28), REVIEW)]


def test_cycle_without_an_anchor_gives_only_the_expiry():
    assert deadlines("in_force", date(2027, 1, 1), "FREQ=YEARLY", None) == [Deadline(date(2027, 1, 1), EXPIRY)]


def test_only_the_next_review_is_a_deadline():
    found = deadlines("in_force", None, "FREQ=MONTHLY", date(2026, 1, 31))
    assert found == [Deadline(date(2026, 2, 28), REVIEW)]


def test_deadline_kinds_select_the_matching_offsets():
    """deadlines() and due_stages() agree on the kind names: a review gets review reminders."""
    policy = Policy(expiry=(100,), review=(20,))
    found = deadlines("in_force", date(2030, 1, 1), "FREQ=YEARLY", date(2026, 5, 1))
    assert {d.kind: codes(stages(d.kind, d.due_on, policy, d.due_on)) for d in found} == {
        REVIEW: ["before:20"],
        EXPIRY: ["before:100"],
    }
