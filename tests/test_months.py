"""Calendar months as people count them: "6 månader" from the end of November ends at the end of May."""

from datetime import date

import pytest

from registry.rules.months import add_months
from tests.factories import make_agreement
from tests.html import words


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 23), 6, date(2027, 5, 23)),
        (date(2026, 11, 30), 6, date(2027, 5, 31)),  # the last day of November to the last of May
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # no 31 February
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year's February
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2027, 2, 28), 1, date(2027, 3, 31)),  # the end of February is the end of its month
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 5, 15), 0, date(2026, 5, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_six_months_from_the_30th_of_november_reach_the_31st_of_may(app, small_register, client):
    app.config["TODAY"] = date(2026, 11, 30)
    make_agreement(title="Upphör sista maj", responsible_group=small_register.board, expires_on="2027-05-31")
    page = words(client.get("/reports/expiring"))
    assert "2026-11-30 till 2027-05-31" in page
    assert "Upphör sista maj" in page
    # 180 days would have ended on 2027-05-29 and missed it.
    assert "Upphör sista maj" not in words(client.get("/reports/expiring", query_string={"days": "180"}))


def test_the_report_page_has_a_months_field_that_is_used(app, small_register, client):
    from tests.html import form_fields

    assert form_fields(client, "/reports/expiring")["months"] == "6"
    assert form_fields(client, "/reports/expiring?months=2")["months"] == "2"
    page = words(client.get("/reports/expiring", query_string={"months": "2"}))
    assert "2026-11-23 till 2027-01-23" in page
