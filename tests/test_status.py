"""Derived status: the Python rule and the SQL rule agree, and the dashboard uses them."""

from datetime import date, timedelta

import pytest

from registry.domain import queries, status
from registry.models import Agreement
from tests.conftest import TODAY
from tests.factories import deadlines, group_id, status_counts

CODES = list(status.FLAG_DEADLINES)


class Facts:
    def __init__(self, state="in_force", expires_on=None, next_review_on=None, revision_due_on=None):
        self.status, self.expires_on, self.next_review_on = state, expires_on, next_review_on
        self.revision_due_on = revision_due_on


def codes(agreement, today=TODAY, window=90):
    return [f.code for f in status.flags(agreement, today, window)]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (Facts(expires_on=TODAY - timedelta(days=1)), [status.EXPIRED]),
        (Facts(expires_on=TODAY), [status.EXPIRES_SOON]),
        (Facts(expires_on=TODAY + timedelta(days=90)), [status.EXPIRES_SOON]),
        (Facts(expires_on=TODAY + timedelta(days=91)), []),
        (Facts(next_review_on=TODAY - timedelta(days=1)), [status.REVIEW_OVERDUE]),
        (Facts(next_review_on=TODAY + timedelta(days=10)), [status.REVIEW_DUE_SOON]),
        (Facts(state="terminated", expires_on=TODAY - timedelta(days=5)), []),
        (Facts(state="draft", next_review_on=TODAY - timedelta(days=5)), []),
        (Facts(state="under_revision", expires_on=TODAY + timedelta(days=3)), [status.EXPIRES_SOON]),
        (Facts(), []),
        # The new version's deadline counts only while the agreement is under revision.
        (Facts(state="under_revision", revision_due_on=TODAY - timedelta(days=1)), [status.REVISION_OVERDUE]),
        (Facts(state="under_revision", revision_due_on=TODAY + timedelta(days=90)), [status.REVISION_DUE_SOON]),
        (Facts(state="under_revision", revision_due_on=TODAY + timedelta(days=91)), []),
        (Facts(state="in_force", revision_due_on=TODAY - timedelta(days=1)), []),
    ],
)
def test_flags(facts, expected):
    assert codes(facts) == expected


def test_python_and_sql_rules_agree(seeded):
    extra = [
        ("Utgånget", "in_force", date(2026, 11, 1), None, None),
        ("Uppsagt", "terminated", date(2026, 11, 1), None, date(2026, 11, 1)),
        ("Granskas snart", "under_revision", None, date(2026, 12, 1), date(2027, 1, 10)),
        ("Revideras, försenad", "under_revision", None, None, date(2026, 11, 1)),
        ("Gällande med gammalt revideringsdatum", "in_force", None, None, date(2026, 11, 1)),
        ("I dag", "in_force", TODAY, TODAY, None),
    ]
    group = Agreement.select().first().responsible_group
    for title, state, expires_on, review_on, revision_on in extra:
        Agreement.create(
            title=title,
            kind="avtal",
            status=state,
            responsible_group=group,
            expires_on=expires_on,
            next_review_on=review_on,
            revision_due_on=revision_on,
        )
    for window in (0, 30, 90, 400):
        for code in CODES:
            in_sql = {a.id for a in Agreement.select().where(status.condition(Agreement, code, TODAY, window))}
            in_python = {a.id for a in Agreement.select() if code in codes(a, TODAY, window)}
            assert in_sql == in_python, (code, window)


def test_dashboard_queries_on_demo_data(seeded):
    upcoming = queries.upcoming(TODAY, 90)
    assert [(i.agreement.short_name, i.kind, i.due_on, i.days_left) for i in upcoming] == [
        ("Läkaruppdrag", "expiry", date(2026, 12, 31), 38)
    ]
    late = deadlines(last=TODAY - timedelta(days=1))
    overdue = queries.overdue(TODAY)
    assert sorted((i.agreement.id, i.kind, i.due_on, i.days_left) for i in overdue) == sorted(
        (row.id, kind, day, (day - TODAY).days) for row, kind, day in late
    )
    assert all(a.due_on <= b.due_on for a, b in zip(overdue, overdue[1:], strict=False))  # oldest first
    soon = deadlines(TODAY, TODAY + timedelta(days=90))
    overview = queries.overview(TODAY, 90)
    assert (overview.overdue, overview.upcoming) == (len(late), len(soon))
    assert overview.by_status == {code: status_counts().get(code, 0) for code in overview.by_status}
    by_group = {g.name: (g.total, g.attention) for g in overview.by_group}
    for name in ("Strategigrupp Barn och unga", "ReKo"):
        responsible = Agreement.select().where(Agreement.responsible_group == group_id(name))
        attention = {row.id for row, _, _ in late + soon} & {row.id for row in responsible}
        assert by_group[name] == (responsible.count(), len(attention))
        revising = responsible.where(Agreement.status == "under_revision").count()
        assert {g.name: g.by_status.get("under_revision", 0) for g in overview.by_group}[name] == revising


def test_the_small_register_has_one_deadline_soon_and_none_overdue(small_register):
    """The fixture register of tests/factories.py is what it says it is."""
    reg = small_register
    upcoming = queries.upcoming(TODAY, 90)
    assert [(i.agreement.id, i.kind, i.due_on, i.days_left) for i in upcoming] == [
        (reg.expiring.id, "expiry", date(2026, 12, 31), 38)
    ]
    assert queries.overdue(TODAY) == []
    assert Agreement.get_by_id(reg.yearly.id).next_review_on == date(2027, 4, 1)
    assert (reg.open_ended.expires_on, reg.open_ended.next_review_on) == (None, None)
    assert [m.meets_on for m in reg.board.meetings] == [date(2026, 12, 10)]
    assert {len(reg.organisations), len(reg.groups), len(reg.people), len(reg.agreements)} == {2, 3}


def test_overview_and_cut_lists_agree_with_the_full_lists(ctx):
    """A register with ties, empty dates and every status: the one-pass counts equal the
    full lists' lengths and the Python rule, and a list cut at `limit` is the full list's head."""
    from collections import Counter

    from registry.models import Group
    from registry.vocab import AGREEMENT_STATUSES

    groups = [Group.create(name=name) for name in ("Äldre", "Barn och unga", "ReKo")]
    states = list(AGREEMENT_STATUSES)
    made = []
    for n in range(120):
        expires_on = None if n % 4 == 0 else TODAY + timedelta(days=(n * 37) % 300 - 150)
        review_on = None if n % 3 == 0 else TODAY + timedelta(days=(n * 11) % 40 - 20)  # many ties
        revision_on = None if n % 5 == 0 else TODAY + timedelta(days=(n * 13) % 60 - 30)
        made.append(
            Agreement.create(
                title=f"Avtal {n:03}",
                kind="avtal",
                status=states[n % len(states)],
                responsible_group=groups[n % len(groups)],
                expires_on=expires_on,
                next_review_on=review_on,
                revision_due_on=revision_on,
            )
        )
    for window in (0, 30, 90):
        full_upcoming, full_overdue = queries.upcoming(TODAY, window), queries.overdue(TODAY)
        overview = queries.overview(TODAY, window)
        assert (overview.overdue, overview.upcoming) == (len(full_overdue), len(full_upcoming))
        assert overview.by_status == {code: Counter(a.status for a in made)[code] for code in states}
        flagged = Counter(a.responsible_group.name for a in made if codes(a, TODAY, window))
        assert {g.name: g.attention for g in overview.by_group} == {g.name: flagged[g.name] for g in groups}
        for limit in (1, 5, 13, 50, 500):
            head = [(i.agreement.id, i.kind) for i in queries.upcoming(TODAY, window, limit=limit)]
            assert head == [(i.agreement.id, i.kind) for i in full_upcoming[:limit]]
            head = [(i.agreement.id, i.kind) for i in queries.overdue(TODAY, limit=limit)]
            assert head == [(i.agreement.id, i.kind) for i in full_overdue[:limit]]


def test_query_args_round_trip():
    query = queries.AgreementQuery.from_args({"group": "3", "page": "2", "sort": "expires_on", "desc": "1"})
    assert query.args(page=1) == {"group": 3, "sort": "expires_on", "desc": 1}
    bad = queries.AgreementQuery.from_args({"group": "x", "page": "-4", "sort": "id; drop", "kind": "?"})
    assert (bad.group, bad.page, bad.sort, bad.kind) == (None, 1, "title", "")
