"""Agendas the secretary edits and the decisions a meeting records (issue 13, item 3).

A group meets the second Friday of every month except July. Its agreements' deadlines are the
computed agenda (registry/domain/agendas.py); the secretary adds, removes and moves items and records
the meeting's decisions in one form (registry/domain/agenda_edits.py), which records the follow-ups
on the agreements; the agenda is a Word document and a page that prints.
"""

import io
from datetime import date

import docx
import pytest

from registry.domain import agenda_edits, agenda_words, agendas, meeting_plan, revisions
from registry.domain.errors import ValidationError
from registry.models import AgendaEntry, Agreement, AuditEntry, Review
from tests.factories import client_as, make_agreement, make_group, make_organisation, make_person
from tests.html import section, visible_text, words

RULE = "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"
TODAY = date(2026, 11, 30)
MARCH, MAY, APRIL = date(2027, 3, 12), date(2027, 5, 14), date(2027, 4, 9)
DECEMBER = date(2026, 12, 11)


class Board:
    """A deciding group and its agreements, with the meetings their deadlines belong to."""

    def __init__(self):
        self.group = make_group("Ledningsgruppen", kind="leadership", meeting_rule=RULE)
        self.other = make_group("Strategigrupp Äldre", kind="strategy")
        # Expires 2027-03-31, no party must adopt: decided at the last meeting before, 2027-03-12.
        self.expiring = make_agreement(
            title="Avtal om hemsjukvård", responsible_group=self.group, expires_on=date(2027, 3, 31)
        )
        # Followed up every year from 2026-03-20: the follow-up of 2027-03-20 is decided on 2027-03-12.
        self.yearly = make_agreement(
            title="Överenskommelse om samverkan kring äldre",
            responsible_group=self.other,
            decision_body=self.group,
            valid_from=date(2026, 3, 20),
            review_rule="FREQ=YEARLY",
        )
        # Expires 2027-05-31: on 2027-05-14.
        self.later = make_agreement(
            title="Avtal om läkemedel", responsible_group=self.group, expires_on=date(2027, 5, 31)
        )
        # Two parties adopt it, so its expiry 2026-12-20 needed the meeting 90 days before: 2026-09-11,
        # held without it; it is carried to the next meeting, 2026-12-11.
        parties = [make_organisation("Region Test", kind="region"), make_organisation("Testkommun A")]
        self.late = make_agreement(
            title="Läkaruppdrag och medicinsk samverkan",
            responsible_group=self.group,
            expires_on=date(2026, 12, 20),
            parties=parties,
        )
        # A draft whose parties have not adopted it, starting 2027-06-01: "Antagande" on 2027-02-12.
        self.draft = make_agreement(
            title="Utkast till överenskommelse om barn",
            responsible_group=self.group,
            status="draft",
            valid_from=date(2027, 6, 1),
            parties=parties,
        )


@pytest.fixture
def board(ctx):
    ctx.config["TODAY"] = TODAY
    return Board()


def on(group, day, **kwargs):
    return [
        (i.agreement.title, i.kind, i.due_on)
        for i in agendas.agenda(group, day, today=kwargs.pop("today", TODAY), **kwargs)
    ]


def token(agreement, kind, due_on):
    return agendas.token_of((agreement.id, kind, due_on))


# --- the computed agenda --------------------------------------------------------------------


def test_the_computed_agenda_places_each_open_deadline_at_its_decide_by_meeting(board):
    assert on(board.group, MARCH) == [
        ("Överenskommelse om samverkan kring äldre", "review", date(2027, 3, 20)),
        ("Avtal om hemsjukvård", "expiry", date(2027, 3, 31)),
    ]
    assert on(board.group, MAY) == [("Avtal om läkemedel", "expiry", date(2027, 5, 31))]
    # The draft's adoption by its two parties is needed by its start, 2027-06-01, less 90 days.
    assert on(board.group, date(2027, 2, 12)) == [("Utkast till överenskommelse om barn", "adoption", date(2027, 6, 1))]
    assert on(board.group, date(2027, 3, 11)) == []  # no meeting that day


def test_a_late_decision_stays_on_its_meeting_and_is_carried_to_the_next(board):
    carried = agendas.agenda(board.group, DECEMBER, today=TODAY)
    assert [(i.agreement.title, i.carried, i.computed_on) for i in carried] == [
        ("Läkaruppdrag och medicinsk samverkan", True, date(2026, 9, 11))
    ]
    assert on(board.group, date(2026, 9, 11)) == [
        ("Läkaruppdrag och medicinsk samverkan", "expiry", date(2026, 12, 20))
    ]


# --- editing it -----------------------------------------------------------------------------


def test_the_secretary_moves_removes_restores_and_adds_items(board):
    expiry = token(board.expiring, "expiry", date(2027, 3, 31))
    agenda_edits.move_item(board.group, expiry, MARCH, APRIL)
    assert [t for t, *_ in on(board.group, MARCH)] == ["Överenskommelse om samverkan kring äldre"]
    moved = agendas.agenda(board.group, APRIL, today=TODAY)
    assert [(i.agreement.title, i.computed_on) for i in moved] == [("Avtal om hemsjukvård", MARCH)]
    # Sent twice: the second move finds it done.
    agenda_edits.move_item(board.group, expiry, MARCH, APRIL)
    assert AgendaEntry.select().count() == 1

    agenda_edits.remove_item(board.group, expiry, APRIL)
    assert on(board.group, APRIL) == []
    assert [i.removed for i in agendas.agenda(board.group, APRIL, today=TODAY, removed=True)] == [True]
    agenda_edits.restore_item(board.group, expiry, APRIL)
    assert [t for t, *_ in on(board.group, APRIL)] == ["Avtal om hemsjukvård"]

    # Any agreement can be added as another matter; a second add of the same changes nothing.
    added = agenda_edits.add_item(board.group, board.later.id, "other", MARCH)
    agenda_edits.add_item(board.group, str(board.later.id), "other", MARCH)
    assert (added.kind, added.due_on) == ("other", MARCH)
    assert ("Avtal om läkemedel", "other", MARCH) in on(board.group, MARCH)
    # Adding a deadline that is on another meeting moves it here.
    agenda_edits.add_item(board.group, board.later.id, "expiry", MARCH)
    assert on(board.group, MAY) == []
    assert ("Avtal om läkemedel", "expiry", date(2027, 5, 31)) in on(board.group, MARCH)
    entities = {e.entity for e in AuditEntry.select()}
    assert "agenda_item" in entities


def test_edits_are_refused_with_a_sentence(board):
    expiry = token(board.expiring, "expiry", date(2027, 3, 31))
    with pytest.raises(ValidationError) as refused:
        agenda_edits.move_item(board.group, expiry, MARCH, date(2027, 3, 13))
    assert refused.value.errors["to"] == "Ledningsgruppen har inget möte 2027-03-13. Välj ett möte i listan."
    with pytest.raises(ValidationError) as refused:
        agenda_edits.move_item(board.group, expiry, MARCH, MARCH)
    assert "annat möte" in refused.value.errors["to"]
    with pytest.raises(ValidationError) as refused:
        agenda_edits.remove_item(board.group, expiry, MAY)
    assert "finns inte på mötets dagordning" in refused.value.errors["item"]
    with pytest.raises(ValidationError) as refused:
        agenda_edits.add_item(board.group, "999999", "nonsense", "2027-13-01")
    assert set(refused.value.errors) == {"agreement", "kind", "meets_on"}
    with pytest.raises(ValidationError):
        agenda_edits.remove_item(board.group, "not-a-token", MARCH)


def test_an_item_on_a_meeting_that_is_cancelled_goes_to_the_next_one(board):
    from registry.domain import directory

    agenda_edits.add_item(board.group, board.later.id, "other", APRIL)
    directory.cancel_meeting(board.group, APRIL)
    assert ("Avtal om läkemedel", "other", APRIL) in on(board.group, date(2027, 5, 14))


# --- decisions ------------------------------------------------------------------------------


def test_one_form_records_the_decisions_and_the_agreements_move(board):
    board.group.__class__.update(name="ReKo").where(board.group.__class__.id == board.group.id).execute()
    board.group = board.group.__class__.get_by_id(board.group.id)
    expiry = token(board.expiring, "expiry", date(2027, 3, 31))
    review = token(board.yearly, "review", date(2027, 3, 20))
    with pytest.raises(ValidationError) as refused:
        agenda_edits.record_decisions(board.group, MARCH, {expiry: {"outcome": "unchanged"}}, TODAY)
    assert "har inte hållits ännu" in refused.value.errors["__all__"]

    decisions = {
        expiry: {"outcome": "extended", "decision_ref": "§ 7", "new_expires_on": "2029-03-31"},
        review: {"outcome": "to_be_revised", "decision_ref": "§ 8"},
    }
    # All or nothing: one bad decision saves none, and says which and why.
    bad = {**decisions, expiry: {"outcome": "extended", "decision_ref": "§ 7", "new_expires_on": ""}}
    with pytest.raises(ValidationError) as refused:
        agenda_edits.record_decisions(board.group, MARCH, bad, MARCH)
    assert list(refused.value.errors) == [expiry]
    assert "nytt slutdatum" in refused.value.errors[expiry]["new_expires_on"]
    assert Review.select().count() == 0

    saved = agenda_edits.record_decisions(board.group, MARCH, decisions, MARCH)
    assert len(saved) == 2
    expiring, yearly = Agreement.get_by_id(board.expiring.id), Agreement.get_by_id(board.yearly.id)
    assert expiring.expires_on == date(2029, 3, 31)
    assert yearly.status == "under_revision" and yearly.revision_due_on is not None
    # "Ska revideras" opened a revision whose mandate is the meeting's decision (registry/domain/revisions.py).
    opened = revisions.open_of(yearly)
    assert (opened.mandate_by, opened.mandate_on, opened.mandate_ref) == ("ReKo", MARCH, "§ 8")
    assert opened.due_on == yearly.revision_due_on
    recorded = Review.get(Review.agreement == expiring.id)
    assert (recorded.reviewed_on, recorded.decision_ref, recorded.reviewer_name) == (MARCH, "§ 7", "ReKo")
    # The meeting keeps its decided items, although the deadlines have moved on.
    shown = agendas.agenda(board.group, MARCH, today=MARCH)
    assert sorted((i.agreement.title, i.outcome, i.decision_ref) for i in shown if i.decided) == [
        ("Avtal om hemsjukvård", "extended", "§ 7"),
        ("Överenskommelse om samverkan kring äldre", "to_be_revised", "§ 8"),
    ]
    # The new expiry goes to its own decide-by meeting.
    assert ("Avtal om hemsjukvård", "expiry", date(2029, 3, 31)) in on(board.group, date(2029, 3, 9), today=MARCH)
    # Sent twice: nothing more is recorded.
    assert agenda_edits.record_decisions(board.group, MARCH, decisions, MARCH) == []
    assert Review.select().count() == 2
    # A decided item can be neither moved nor removed.
    with pytest.raises(ValidationError):
        agenda_edits.remove_item(board.group, expiry, MARCH)


def test_tabling_puts_the_item_on_the_next_meeting_and_drafts_are_recommended(board):
    draft = token(board.draft, "adoption", date(2027, 6, 1))
    february = date(2027, 2, 12)
    with pytest.raises(ValidationError) as refused:
        agenda_edits.record_decisions(board.group, february, {draft: {"outcome": "unchanged"}}, february)
    assert refused.value.errors[draft]["outcome"] == "Välj ett beslut i listan."
    agenda_edits.record_decisions(
        board.group, february, {draft: {"outcome": "tabled", "decision_ref": "§ 3"}}, february
    )
    assert [
        (i.outcome, i.decision_ref)
        for i in agendas.agenda(board.group, february, today=february)
        if i.kind == "adoption"
    ] == [("tabled", "§ 3")]
    following = agendas.agenda(board.group, MARCH, today=february)
    assert [(i.agreement.title, i.outcome) for i in following if i.kind == "adoption"] == [
        ("Utkast till överenskommelse om barn", "")
    ]
    agenda_edits.record_decisions(board.group, MARCH, {draft: {"outcome": "recommended", "decision_ref": "§ 4"}}, MARCH)
    assert Agreement.get_by_id(board.draft.id).status == "draft"  # the parties adopt it, not the meeting
    assert Review.select().count() == 0


# --- the page, the Word document, the dashboard ---------------------------------------------


def meeting_url(group, day):
    return f"/groups/{group.id}/meetings/{day.isoformat()}"


def agenda_text(client, group, day):
    """The words of a meeting page's agenda (the add form lists every agreement)."""
    return " ".join(visible_text(section(client.get(meeting_url(group, day)), "agenda-heading")).split())


def secretary(app, board):
    person = make_person("Sara Sekreterare", groups=[board.group])
    return client_as(app, "editor", person=person, groups=[board.group])


def test_the_meeting_page_edits_the_agenda_and_records_decisions(app, board):
    client = secretary(app, board)
    page = client.get(meeting_url(board.group, MARCH))
    assert page.status_code == 200
    text = words(page)
    assert "Ledningsgruppens möte 2027-03-12" in text
    assert "Avtal om hemsjukvård" in text and "Underlag senast" in text
    assert "Besluten registreras här från mötesdagen" in text
    expiry = token(board.expiring, "expiry", date(2027, 3, 31))
    moved = client.post(meeting_url(board.group, MARCH) + "/items/move", data={"item": expiry, "to": "2027-04-09"})
    assert moved.status_code == 302
    assert "Avtal om hemsjukvård" in agenda_text(client, board.group, APRIL)
    assert "Avtal om hemsjukvård" not in agenda_text(client, board.group, MARCH)

    app.config["TODAY"] = APRIL
    review_april = token(board.expiring, "expiry", date(2027, 3, 31))
    refused = client.post(
        meeting_url(board.group, APRIL) + "/decisions",
        data={
            "item": review_april,
            f"outcome-{review_april}": "extended",
            f"new_expires_on-{review_april}": "2026-01-01",
        },
    )
    assert refused.status_code == 422
    assert "Besluten innehåller fel och har inte sparats" in words(refused)
    assert 'value="2026-01-01"' in refused.get_data(as_text=True)  # what was typed is kept
    done = client.post(
        meeting_url(board.group, APRIL) + "/decisions",
        data={"item": review_april, f"outcome-{review_april}": "unchanged", f"decision_ref-{review_april}": "§ 12"},
        follow_redirects=True,
    )
    assert "1 beslut är registrerat och avtalet uppdaterat." in words(done)
    assert "§ 12 Oförändrad" in words(done)


def test_only_the_groups_editors_and_admins_change_its_agenda(app, board):
    outsider = client_as(app, "editor", groups=[board.other])
    expiry = token(board.expiring, "expiry", date(2027, 3, 31))
    assert outsider.get(meeting_url(board.group, MARCH)).status_code == 200
    assert outsider.post(meeting_url(board.group, MARCH) + "/items/remove", data={"item": expiry}).status_code == 403
    viewer = client_as(app, "viewer")
    assert viewer.post(meeting_url(board.group, MARCH) + "/items/remove", data={"item": expiry}).status_code == 403
    admin = client_as(app, "admin")
    assert admin.post(meeting_url(board.group, MARCH) + "/items/remove", data={"item": expiry}).status_code == 302
    assert admin.get(meeting_url(board.group, date(2027, 3, 13))).status_code == 404
    assert admin.get(f"/groups/{board.group.id}/meetings/not-a-day").status_code == 404


def test_the_agenda_as_a_word_document(app, board):
    client = secretary(app, board)
    response = client.get(meeting_url(board.group, MARCH) + "/agenda.docx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        "Ärendelista" in response.headers["Content-Disposition"]
        or "rendelista" in response.headers["Content-Disposition"]
    )
    document = docx.Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "Ärendelista Ledningsgruppen 2027-03-12"
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["Nr", "Avtal", "Status", "Gäller", "Datum", "Beslut"]
    assert [row[1] for row in rows[1:]] == ["Överenskommelse om samverkan kring äldre", "Avtal om hemsjukvård"]
    assert rows[2][3:5] == ["Upphör", "2027-03-31"]


def test_the_title_of_the_word_document(ctx):
    from registry.rules.meetings import Meeting

    group = make_group("ReKo", kind="leadership", meeting_rule=RULE)
    assert agenda_words.title_of(group, Meeting(date(2027, 2, 12), "rule")) == "Ärendelista ReKo 2027-02-12"


def test_the_dashboard_shows_the_next_meeting_of_the_users_groups(app, board):
    client = secretary(app, board)
    text = words(client.get("/"))
    assert "Ledningsgruppens nästa möte 2026-12-11" in text
    assert "Läkaruppdrag och medicinsk samverkan" in text
    assert meeting_plan.coming(board.group, TODAY)


def test_the_api_lists_each_meeting_with_its_edited_agenda_and_decisions(app, board):
    from tests.factories import api_client

    agenda_edits.move_item(board.group, token(board.expiring, "expiry", date(2027, 3, 31)), MARCH, APRIL)
    agenda_edits.add_item(board.group, board.later.id, "other", MARCH)
    app.config["TODAY"] = MARCH
    agenda_edits.record_decisions(
        board.group, MARCH, {token(board.later, "other", MARCH): {"outcome": "noted", "decision_ref": "§ 2"}}, MARCH
    )
    api = api_client(app, "viewer")
    found = api.get(f"/api/v1/meetings?group={board.group.id}&from=2027-03-01&to=2027-04-30").get_json()["items"]
    by_day = {m["meets_on"]: m["agenda"] for m in found}
    march = {(i["agreement"]["title"], i["kind"]): i for i in by_day["2027-03-12"]}
    assert march["Avtal om läkemedel", "other"]["outcome"] == "noted"
    assert march["Avtal om läkemedel", "other"]["decision_ref"] == "§ 2"
    assert march["Läkaruppdrag och medicinsk samverkan", "expiry"]["late"] is True
    assert ("Avtal om hemsjukvård", "expiry") not in march
    assert [(i["agreement"]["title"], i["kind"], i["outcome"]) for i in by_day["2027-04-09"]] == [
        ("Avtal om hemsjukvård", "expiry", "")
    ]
