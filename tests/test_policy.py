"""Reminder policy: defaults, offset parsing, and agreement > group > defaults."""

from types import SimpleNamespace

import pytest

from registry.rules.policy import (
    DEFAULT_EXPIRY_OFFSETS,
    DEFAULT_OVERDUE_EVERY_DAYS,
    DEFAULT_REVIEW_OFFSETS,
    MAX_OFFSET_DAYS,
    Policy,
    PolicyError,
    format_offsets,
    parse_offsets,
    resolve,
)


def source(expiry="", review="", every=None):
    """An agreement or a group as resolve() sees it."""
    return SimpleNamespace(expiry_offsets=expiry, review_offsets=review, overdue_every_days=every)


def test_defaults():
    assert DEFAULT_EXPIRY_OFFSETS == (180, 90, 30, 7)
    assert DEFAULT_REVIEW_OFFSETS == (60, 14)
    assert DEFAULT_OVERDUE_EVERY_DAYS == 7
    assert Policy() == Policy(expiry=(180, 90, 30, 7), review=(60, 14), overdue_every=7)


@pytest.mark.parametrize(("kind", "expected"), [("expiry", (180, 90, 30, 7)), ("review", (60, 14))])
def test_offsets_by_kind(kind, expected):
    assert Policy().offsets(kind) == expected


def test_offsets_by_kind_reads_the_policy_not_the_defaults():
    policy = Policy(expiry=(45,), review=(20, 5))
    assert policy.offsets("expiry") == (45,)
    assert policy.offsets("review") == (20, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("180, 90,30", (180, 90, 30)),
        ("180,90,30,7", (180, 90, 30, 7)),
        ("30;90;180", (180, 90, 30)),
        ("30; 90 , 180", (180, 90, 30)),
        ("7, 30, 7, 30", (30, 7)),
        ("14,14", (14,)),
        ("  60  ", (60,)),
        ("60,", (60,)),
        (",60,,14,", (60, 14)),
        ("1", (1,)),
        (str(MAX_OFFSET_DAYS), (MAX_OFFSET_DAYS,)),
        ("007", (7,)),
    ],
)
def test_parse_offsets_accepts_lists_dedupes_and_sorts_descending(text, expected):
    assert parse_offsets(text) == expected


@pytest.mark.parametrize("text", ["", "   ", None])
def test_parse_offsets_empty_means_inherit(text):
    assert parse_offsets(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "0",
        "-5",
        "4000",
        str(MAX_OFFSET_DAYS + 1),
        "90, x",
        "90, 0",
        "180, -5, 30",
        "1.5",
        "30 dagar",
        "9 0",
        ",",
        " ; ; ",
    ],
)
def test_parse_offsets_rejects(text):
    with pytest.raises(PolicyError):
        parse_offsets(text)


def test_policy_error_is_a_value_error():
    """Callers that catch ValueError (form validation) also catch bad offsets."""
    with pytest.raises(ValueError):
        parse_offsets("x")


@pytest.mark.parametrize(
    ("offsets", "text"),
    [((180, 90, 30, 7), "180, 90, 30, 7"), ((14,), "14"), ((), ""), (None, "")],
)
def test_format_offsets(offsets, text):
    assert format_offsets(offsets) == text


@pytest.mark.parametrize("offsets", [(180, 90, 30, 7), (60, 14), (1,), (MAX_OFFSET_DAYS, 1)])
def test_format_and_parse_round_trip(offsets):
    assert parse_offsets(format_offsets(offsets)) == offsets


GROUP = source("120, 60", "30", 10)

RESOLVE_CASES = {
    "no agreement, no group: defaults": (None, None, Policy()),
    "empty agreement, no group: defaults": (source(), None, Policy()),
    "empty group and agreement: defaults": (source(), source(), Policy()),
    "group overrides defaults": (None, GROUP, Policy((120, 60), (30,), 10)),
    "empty agreement inherits the group": (source(), GROUP, Policy((120, 60), (30,), 10)),
    "agreement overrides group": (
        source("45", "20, 5", 3),
        GROUP,
        Policy((45,), (20, 5), 3),
    ),
    "agreement with only review offsets keeps the group's expiry and interval": (
        source(review="21"),
        GROUP,
        Policy((120, 60), (21,), 10),
    ),
    "agreement with only expiry offsets keeps the group's review and interval": (
        source(expiry="200, 100"),
        GROUP,
        Policy((200, 100), (30,), 10),
    ),
    "agreement with only an interval keeps the group's offsets": (
        source(every=2),
        GROUP,
        Policy((120, 60), (30,), 2),
    ),
    "group with only an interval keeps default offsets": (
        None,
        source(every=14),
        Policy(overdue_every=14),
    ),
    "group with only review offsets, agreement with only expiry offsets": (
        source(expiry="10"),
        source(review="40"),
        Policy((10,), (40,), 7),
    ),
    "agreement without group overrides defaults per field": (
        source(review="30"),
        None,
        Policy((180, 90, 30, 7), (30,), 7),
    ),
    "blank text inherits": (source("   ", "  ", None), GROUP, Policy((120, 60), (30,), 10)),
    "stored text is normalised": (source("7;30, 7"), None, Policy((30, 7), (60, 14), 7)),
}


@pytest.mark.parametrize(("agreement", "group", "expected"), list(RESOLVE_CASES.values()), ids=list(RESOLVE_CASES))
def test_resolve(agreement, group, expected):
    assert resolve(agreement, group) == expected


def test_resolve_does_not_mutate_its_sources():
    agreement, group = source(review="21"), source("120, 60", "30", 10)
    resolve(agreement, group)
    assert vars(agreement) == vars(source(review="21"))
    assert vars(group) == vars(source("120, 60", "30", 10))


@pytest.mark.parametrize(
    ("agreement", "group"),
    [(source(expiry="x"), None), (None, source(review="0")), (source(review="-5"), GROUP)],
)
def test_resolve_rejects_invalid_stored_offsets(agreement, group):
    with pytest.raises(PolicyError):
        resolve(agreement, group)


def test_non_positive_overdue_interval_inherits():
    from types import SimpleNamespace

    from registry.rules.policy import DEFAULT_OVERDUE_EVERY_DAYS, resolve

    broken = SimpleNamespace(expiry_offsets="", review_offsets="", overdue_every_days=-3)
    assert resolve(broken, None).overdue_every == DEFAULT_OVERDUE_EVERY_DAYS
