"""Derived status: the Python rule and the SQL rule agree, and the dashboard uses them."""

from datetime import date, timedelta

import pytest

from registry.domain import queries, status
from registry.models import Agreement
from tests.conftest import TODAY

CODES = [status.EXPIRED, status.EXPIRES_SOON, status.REVIEW_OVERDUE, status.REVIEW_DUE_SOON]


class Facts:
    def __init__(self, state="in_force", expires_on=None, next_review_on=None):
        self.status, self.expires_on, self.next_review_on = state, expires_on, next_review_on


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
    ],
)
def test_flags(facts, expected):
    assert codes(facts) == expected


def test_python_and_sql_rules_agree(seeded):
    extra = [
        ("Utgånget", "in_force", date(2026, 11, 1), None),
        ("Uppsagt", "terminated", date(2026, 11, 1), None),
        ("Granskas snart", "under_revision", None, date(2026, 12, 1)),
        ("I dag", "in_force", TODAY, TODAY),
    ]
    group = Agreement.select().first().responsible_group
    for title, state, expires_on, review_on in extra:
        Agreement.create(
            title=title,
            kind="avtal",
            status=state,
            responsible_group=group,
            expires_on=expires_on,
            next_review_on=review_on,
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
    overdue = queries.overdue(TODAY)
    assert len(overdue) == 11
    assert {i.kind for i in overdue} == {"review"}
    assert all(i.days_left == -326 for i in overdue)
    by_status = queries.counts_by_status()
    assert by_status["in_force"] == 27 and by_status["under_revision"] == 1 and by_status["draft"] == 0
    by_group = {g.name: (g.total, g.attention) for g in queries.counts_by_group(TODAY, 90)}
    assert by_group["Strategigrupp Barn och unga"] == (11, 11)
    assert by_group["ReKo"] == (9, 1)


def test_query_args_round_trip():
    query = queries.AgreementQuery.from_args({"group": "3", "page": "2", "sort": "expires_on", "desc": "1"})
    assert query.args(page=1) == {"group": 3, "sort": "expires_on", "desc": 1}
    bad = queries.AgreementQuery.from_args({"group": "x", "page": "-4", "sort": "id; drop", "kind": "?"})
    assert (bad.group, bad.page, bad.sort, bad.kind) == (None, 1, "title", "")
