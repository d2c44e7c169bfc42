"""An owner's view (issue 12, items 1 and 2): a person named as an owner sees their agreements
first, filters the list by owner, and (with an editor account) acts on agreements they own
whichever group is responsible, on the web and through the API alike."""

import datetime

from registry.domain import tokens
from registry.models import Agreement, Review
from tests.factories import Api, api_client, make_user, update_agreement


def _owner_editor(register):
    """An editor account of the register's owner (Olle Ägare, in the team), who owns the
    board's expiring agreement without sitting on the board."""
    return make_user("editor", person=register.owner, groups=[register.team])


# --- item 2: owners act on their agreements -----------------------------------------


def test_an_owning_editor_updates_and_reviews_another_groups_agreement_through_the_api(app, small_register):
    reg = small_register
    owner = _owner_editor(reg)
    assert reg.expiring.responsible_group_id == reg.board.id
    _row, token = tokens.create_token(owner, "ägarens skript")
    api = Api(app, token, owner)
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"notes": "Följs upp av ägaren."})
    assert response.status_code == 200, response.get_json()
    stored = Agreement.get_by_id(reg.expiring.id)
    assert (stored.notes, stored.responsible_group_id) == ("Följs upp av ägaren.", reg.board.id)
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.board.id})
    assert response.status_code == 200  # keeping the board responsible
    before = Review.select().where(Review.agreement == reg.expiring.id).count()
    response = api.post(
        f"/api/v1/agreements/{reg.expiring.id}/reviews",
        {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Olle Ägare"},
    )
    assert response.status_code == 201, response.get_json()
    assert Review.select().where(Review.agreement == reg.expiring.id).count() == before + 1
    # Handing it to their own group is allowed; after that the board is a group they are not in.
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.team.id})
    assert response.status_code == 200
    response = api.patch(f"/api/v1/agreements/{reg.expiring.id}", {"responsible_group_id": reg.board.id})
    assert response.status_code == 422
    assert Agreement.get_by_id(reg.expiring.id).responsible_group_id == reg.team.id


def test_an_editor_who_is_not_an_owner_is_still_refused(app, small_register):
    reg = small_register
    update_agreement(reg.expiring, owners=[reg.chair])  # Olle no longer owns it
    Agreement.update(responsible_group=reg.board).where(Agreement.id == reg.expiring.id).execute()
    editor = api_client(app, "editor", groups=[reg.team])
    response = editor.patch(f"/api/v1/agreements/{reg.expiring.id}", {"notes": "Kapad"})
    assert response.status_code == 403
    assert "ägare" in response.get_json()["error"]["message"]
    response = editor.post(
        f"/api/v1/agreements/{reg.expiring.id}/reviews", {"reviewed_on": "2026-11-20", "outcome": "unchanged"}
    )
    assert response.status_code == 403
    assert Agreement.get_by_id(reg.expiring.id).notes != "Kapad"
    assert datetime.date(2026, 11, 20) not in [r.reviewed_on for r in Review.select()]
