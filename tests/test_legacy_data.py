"""Data an older version stored before the register checked it (written here by SQL) never breaks a page."""

import datetime

from registry.models import Agreement
from tests.html import field_error
from tests.test_pages import new_agreement


def test_dates_an_older_version_stored_never_break_a_page(seeded, client):
    """Rows written before these checks (here by SQL) are shown, listed, exported and fed, never a 500."""
    first, second = list(Agreement.select().order_by(Agreement.id).limit(2))
    Agreement.update(
        valid_from=datetime.date(1, 1, 1), expires_on=datetime.date(1, 1, 5), review_rule="FREQ=MONTHLY;INTERVAL=1"
    ).where(Agreement.id == first.id).execute()
    Agreement.update(
        valid_from=datetime.date(9999, 11, 1), expires_on=datetime.date(9999, 12, 31), review_rule="FREQ=YEARLY"
    ).where(Agreement.id == second.id).execute()
    for url in (
        "/",
        "/agreements",
        "/agreements?deadline=expired",
        f"/agreements/{first.id}",
        f"/agreements/{second.id}",
        f"/agreements/{first.id}/edit",
        "/agreements/export.xlsx",
        "/agreements/export.csv",
        "/reports",
        "/audit",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    # Saving the old row again is refused with the date's message, not a crash.
    response = client.post(
        f"/agreements/{first.id}/edit", data=new_agreement(title=first.title, expires_on="0001-01-05")
    )
    assert response.status_code == 422
    assert "1900-01-01" in field_error(response, "expires_on")
