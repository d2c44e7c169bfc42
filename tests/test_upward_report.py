"""The yearly follow-up report upward (registry/domain/upward_report.py): what it covers, what it says
of each agreement, the page /groups/<id>/report and the Word document /groups/<id>/report.docx."""

import datetime
import io

import pytest
from docx import Document

from registry.domain import adoptions, upward_report
from registry.domain.agreements import record_review
from registry.models import Agreement, Group
from tests.conftest import TODAY
from tests.factories import client_as, make_agreement, make_group, make_organisation
from tests.html import text, words

D = datetime.date


@pytest.fixture
def chain(ctx):
    """Forum <- board <- team (reports_to), an outside group, and one agreement each; a fourth
    agreement the outside group is responsible for and the board decides on."""
    forum = make_group("Forumet", kind="forum")
    board = make_group("Ledningen", kind="leadership", reports_to=forum.id)
    team = make_group("Strategigrupp Äldre", kind="strategy", short_name="Äldre", reports_to=board.id)
    outside = make_group("Utanför", kind="working")
    return {
        "forum": forum,
        "board": board,
        "team": team,
        "outside": outside,
        "forum_own": make_agreement(title="Forumets avtal", responsible_group=forum),
        "board_own": make_agreement(title="Ledningens avtal", responsible_group=board),
        "team_own": make_agreement(title="Äldres avtal", responsible_group=team),
        "decided": make_agreement(title="Beslutas av ledningen", responsible_group=outside, decision_body=board),
        "unrelated": make_agreement(title="Helt annat avtal", responsible_group=outside),
    }


def titles(report):
    return [line.agreement.title for section in report.sections for line in section.lines]


def line_of(report, agreement):
    return next(line for s in report.sections for line in s.lines if line.agreement.id == agreement.id)


# --- the domain ------------------------------------------------------------------------------


def test_a_report_covers_its_group_and_the_groups_reporting_to_it(chain):
    team = upward_report.report(chain["team"], 2026, TODAY)
    assert team.to.id == chain["board"].id
    assert team.title == "Uppföljningsrapport 2026: Äldre till Ledningen"
    assert titles(team) == ["Äldres avtal"]

    board = upward_report.report(chain["board"], 2026, TODAY)
    assert [g.name for g in board.groups] == ["Ledningen", "Strategigrupp Äldre"]
    # The board's own section first; the agreement it decides on under its responsible group.
    assert [s.group.name for s in board.sections] == ["Ledningen", "Strategigrupp Äldre", "Utanför"]
    assert titles(board) == ["Ledningens avtal", "Äldres avtal", "Beslutas av ledningen"]
    assert board.count == 3

    forum = upward_report.report(chain["forum"], 2026, TODAY)
    assert forum.to is None and forum.title == "Uppföljningsrapport 2026: Forumet"
    assert set(titles(forum)) == {"Forumets avtal", "Ledningens avtal", "Äldres avtal", "Beslutas av ledningen"}
    assert "Helt annat avtal" not in titles(forum)


def test_a_loop_in_reports_to_is_followed_once(chain):
    # Saving refuses a loop (directory.save_group); an older version may have stored one.
    Group.update(reports_to=chain["team"].id).where(Group.id == chain["forum"].id).execute()
    forum = Group.get_by_id(chain["forum"].id)
    report = upward_report.report(forum, 2026, TODAY)
    assert [g.name for g in report.groups] == ["Forumet", "Ledningen", "Strategigrupp Äldre"]
    assert report.to.id == chain["team"].id
    assert sorted(titles(report)) == sorted(
        ["Forumets avtal", "Ledningens avtal", "Äldres avtal", "Beslutas av ledningen"]
    )


def test_statuses_drafts_and_agreements_that_ended_during_the_year(chain):
    team = chain["team"]
    make_agreement(title="Ett utkast", responsible_group=team, status="draft")
    make_agreement(title="Upphörde i år", responsible_group=team, status="expired", expires_on=D(2026, 6, 30))
    make_agreement(title="Upphörde i fjol", responsible_group=team, status="expired", expires_on=D(2025, 6, 30))
    make_agreement(
        title="Ersatt i år",
        responsible_group=team,
        status="replaced",
        replaced_by=chain["team_own"],
        expires_on=D(2026, 3, 31),
    )
    report = upward_report.report(team, 2026, TODAY)
    assert titles(report) == ["Ett utkast", "Äldres avtal"]
    assert [str(line.status_label) for line in report.sections[0].lines] == ["Utkast", "Gällande"]
    assert [line.agreement.title for line in report.ended] == ["Ersatt i år", "Upphörde i år"]
    last_year = upward_report.report(team, 2025, TODAY)
    assert [line.agreement.title for line in last_year.ended] == ["Upphörde i fjol"]


def test_adoption_counts_are_the_agreement_pages_own(chain):
    region = make_organisation("Region Test", kind="region")
    towns = [make_organisation(f"Kommun {n}") for n in range(3)]
    parties = [region, *towns]
    in_force = make_agreement(title="Gällande med beslut", responsible_group=chain["team"], parties=parties)
    draft = make_agreement(title="Utkast med beslut", responsible_group=chain["team"], parties=parties, status="draft")
    for agreement in (in_force, draft):
        for party in parties[:2]:
            adoptions.record(agreement, party.id, {"decided_on": D(2026, 5, 4), "body": "KS"}, TODAY)
    report = upward_report.report(chain["team"], 2026, TODAY)
    assert line_of(report, draft).adoption_text == "Antagen av 2 av 4"
    # In force without two parties' decisions: nothing is invented for them.
    assert line_of(report, in_force).adoption_text == "Beslut registrerade för 2 av 4 parter"
    for party in parties[2:]:
        adoptions.record(in_force, party.id, {"decided_on": D(2026, 5, 4)}, TODAY)
    assert line_of(upward_report.report(chain["team"], 2026, TODAY), in_force).adoption_text == "Antagen av 4 av 4"
    assert line_of(report, chain["team_own"]).adoption_text is None  # no parties
    # The same words as the agreement page (adoptions.standing).
    assert line_of(report, draft).adoption_text == adoptions.standing(draft).count_text


def test_follow_ups_are_counted_per_year_and_the_last_one_up_to_the_years_end(chain):
    agreement = chain["team_own"]
    review = {"outcome": "unchanged", "reviewer_name": "Äldre"}
    record_review(agreement, {**review, "reviewed_on": D(2025, 3, 1), "decision_ref": "§ 3"}, TODAY)
    record_review(agreement, {**review, "reviewed_on": D(2026, 2, 5), "decision_ref": "§ 7"}, TODAY)
    record_review(agreement, {**review, "reviewed_on": D(2026, 10, 1), "outcome": "to_be_revised"}, TODAY)

    now = line_of(upward_report.report(chain["team"], 2026, TODAY), agreement)
    assert now.reviews_in_year == 2 and now.reviews_in_year_text == "2 uppföljningar under året"
    assert now.last_review.reviewed_on == D(2026, 10, 1) and str(now.outcome_label) == "Ska revideras"
    # The latest decision is the last review with a reference, named by the deciding body.
    assert now.decision.text == "Äldre 2026-02-05 § 7"
    assert upward_report.follow_up_text(now) == (
        "2026-10-01 Ska revideras. Äldre 2026-02-05 § 7. 2 uppföljningar under året"
    )

    before = line_of(upward_report.report(chain["team"], 2025, TODAY), agreement)
    assert before.reviews_in_year == 1 and before.reviews_in_year_text == "1 uppföljning under året"
    assert before.last_review.reviewed_on == D(2025, 3, 1)
    assert before.decision.text == "Äldre 2025-03-01 § 3"
    never = line_of(upward_report.report(chain["team"], 2024, TODAY), agreement)
    assert never.last_review is None and never.reviews_in_year == 0
    assert upward_report.follow_up_text(never) == "Ingen uppföljning registrerad. 0 uppföljningar under året"


def test_the_next_deadline_and_a_late_decide_by_meeting(ctx):
    region, town = make_organisation(kind="region"), make_organisation()
    # More than one party needs 90 days: a 2026-12-31 expiry is decided by 2026-10-02, at the 2026-09-10 meeting.
    board = make_group("Styrelsen", kind="leadership", meetings=[D(2026, 9, 10), D(2026, 12, 10)])
    agreement = make_agreement(
        title="Upphör vid årsskiftet",
        responsible_group=board,
        parties=[region, town],
        valid_from=D(2024, 1, 1),
        expires_on=D(2026, 12, 31),
    )
    line = line_of(upward_report.report(board, 2026, TODAY), agreement)
    assert (line.deadline.kind, line.deadline.due_on) == ("expiry", D(2026, 12, 31))
    assert not line.overdue(TODAY)
    assert line.meeting.meets_on == D(2026, 9, 10) and line.late(TODAY)
    assert line.meeting_text == "Styrelsens möte 2026-09-10, underlag 2026-08-27"
    assert upward_report.meeting_cell(line, TODAY) == "Sent beslut: Styrelsens möte 2026-09-10, underlag 2026-08-27"
    assert upward_report.deadline_text(line, TODAY) == "Upphör 2026-12-31"
    # Seen from before the meeting, it is not late.
    assert not line.late(D(2026, 9, 1))
    assert upward_report.meeting_cell(line, D(2026, 9, 1)) == line.meeting_text


def test_a_meeting_plan_that_does_not_reach_says_so(ctx):
    group = make_group(
        "ReKo", kind="leadership", meeting_rule="FREQ=MONTHLY;BYMONTHDAY=10;COUNT=3", meeting_rule_start=D(2026, 1, 1)
    )
    parties = [make_organisation(kind="region"), make_organisation()]
    agreement = make_agreement(responsible_group=group, parties=parties, expires_on=D(2028, 12, 31))
    line = line_of(upward_report.report(group, 2026, TODAY), agreement)
    assert not line.meeting.found and not line.late(TODAY)
    assert line.meeting_text == "ReKo:s mötesplan räcker inte till 2028-10."
    overdue = make_agreement(responsible_group=group, valid_from=D(2024, 1, 1), review_rule="FREQ=YEARLY;INTERVAL=1")
    line = line_of(upward_report.report(group, 2026, TODAY), overdue)
    assert line.overdue(TODAY)
    assert upward_report.deadline_text(line, TODAY) == "Uppföljning 2025-01-01 (har passerat)"


def test_a_drafts_next_deadline_is_its_parties_decisions(ctx):
    group = make_group()
    draft = make_agreement(
        responsible_group=group, status="draft", parties=[make_organisation()], valid_from=D(2027, 3, 1)
    )
    line = line_of(upward_report.report(group, 2026, TODAY), draft)
    assert (line.deadline.kind, line.deadline.due_on, line.meeting) == ("adoption", D(2027, 3, 1), None)
    assert upward_report.deadline_text(line, TODAY) == "Partens beslut 2027-03-01"


@pytest.mark.parametrize(
    ("given", "year", "problem"),
    [(None, 2026, False), ("", 2026, False), (" 2025 ", 2025, False), ("abc", 2026, True), ("99999", 2026, True)],
)
def test_the_year_from_the_address(plain_ctx, given, year, problem):
    found, message = upward_report.year_of(given, TODAY)
    assert found == year
    assert bool(message) is problem
    if problem:
        assert "Rapporten visar 2026" in message and given.strip() in message


# --- the page ------------------------------------------------------------------------------


def test_the_page(app, chain):
    client = client_as(app, "viewer")
    record_review(
        chain["team_own"],
        {"reviewed_on": D(2026, 4, 2), "outcome": "unchanged", "reviewer_name": "X", "decision_ref": "§ 12"},
        TODAY,
    )
    response = client.get(f"/groups/{chain['board'].id}/report?year=2026")
    assert response.status_code == 200
    page = words(response)
    assert "Uppföljningsrapport 2026: Ledningen till Forumet" in page
    assert "Ledningens avtal" in page and "Äldres avtal" in page and "Beslutas av ledningen" in page
    assert "Helt annat avtal" not in page
    assert "2026-04-02 Oförändrad Äldre 2026-04-02 § 12 1 uppföljning under året" in page
    assert "Upphörda under året 0 Inga avtal upphörde under året." in page
    html = text(response)
    assert f'href="/groups/{chain["board"].id}/report.docx?year=2026"' in html
    assert '<option value="2026" selected>' in html
    assert 'data-label="Beslutsmöte"' in html  # a card on a phone
    # The group page links to the report.
    assert f'href="/groups/{chain["board"].id}/report"' in text(client.get(f"/groups/{chain['board'].id}"))


def test_a_bad_year_is_said_on_the_page(app, chain):
    client = client_as(app, "viewer")
    response = client.get(f"/groups/{chain['team'].id}/report?year=tjugo")
    assert response.status_code == 200
    page = words(response)
    assert "Året ”tjugo” kunde inte läsas" in page
    assert "Uppföljningsrapport 2026: Äldre till Ledningen" in page
    last_year = words(client.get(f"/groups/{chain['team'].id}/report?year=2025"))
    assert "Uppföljningsrapport 2025" in last_year and "kunde inte läsas" not in last_year


def test_who_may_read_the_report(app, chain):
    url = f"/groups/{chain['team'].id}/report"
    for role in ("viewer", "editor", "auditor", "admin"):
        assert client_as(app, role).get(url).status_code == 200, role
        assert client_as(app, role).get(url + ".docx").status_code == 200, role
    anonymous = client_as(app, "anonymous")
    for address in (url, url + ".docx"):
        response = anonymous.get(address)
        assert response.status_code == 302 and "/login?next=" in response.location
    assert client_as(app, "viewer").get("/groups/999999/report").status_code == 404


# --- the Word document -------------------------------------------------------------------


def test_the_word_document(app, chain):
    record_review(
        chain["team_own"], {"reviewed_on": D(2026, 4, 2), "outcome": "unchanged", "reviewer_name": "X"}, TODAY
    )
    response = client_as(app, "auditor").get(f"/groups/{chain['board'].id}/report.docx?year=2026")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "Uppf%C3%B6ljningsrapport%20Ledningen%202026.docx" in response.headers["Content-Disposition"]
    doc = Document(io.BytesIO(response.data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "Uppföljningsrapport 2026: Ledningen till Forumet",
        "Ledningen",
        "Strategigrupp Äldre",
        "Utanför",
        "Upphörda under året",
        "Indikatorer under året",
        "Samverkansavvikelser under året",
    ]
    assert len(doc.tables) == 3  # one per responsible group; none ended
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == ["Avtal", "Status", "Antagande", "Senaste uppföljning", "Nästa tidsfrist", "Beslutsmöte"]
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows[1:]]
    assert [row[0] for row in cells] == ["Ledningens avtal", "Äldres avtal", "Beslutas av ledningen"]
    assert cells[1][1:4] == ["Gällande", "–", "2026-04-02 Oförändrad. 1 uppföljning under året"]
    paragraphs = [p.text for p in doc.paragraphs]
    assert "Inga avtal upphörde under året." in paragraphs
    assert "Inga indikatorer för avtalen i rapporten." in paragraphs  # tests/test_indicators.py has some
    assert "Inga samverkansavvikelser registrerade under året." in paragraphs


def test_the_demo_reports_of_reko_and_a_strategy_group(seeded):
    """ReKo's report to Kommunalt forum covers the strategy groups'; Läkaruppdrag's decision was due
    at ReKo's meeting on 2026-09-11 and is late."""
    reko = Group.get(Group.name == "ReKo")
    report = upward_report.report(reko, 2026, TODAY)
    assert report.title == "Uppföljningsrapport 2026: ReKo till Kommunalt forum"
    assert [s.group.name for s in report.sections][:2] == ["ReKo", "Strategigrupp Barn och unga"]
    lakar = next(line for line in report.sections[0].lines if line.agreement.title.startswith("Läkaruppdrag"))
    assert upward_report.meeting_cell(lakar, TODAY) == "Sent beslut: ReKo:s möte 2026-09-11, underlag 2026-08-28"
    assert lakar.adoption_text == "Beslut registrerade för 0 av 14 parter"
    barn = upward_report.report(Group.get(Group.name == "Strategigrupp Barn och unga"), 2026, TODAY)
    assert barn.title == "Uppföljningsrapport 2026: Barn och unga till ReKo"
    # its yearly agreements and its draft: every agreement it answers for, none ended in 2026
    barn_group = Group.get(Group.name == "Strategigrupp Barn och unga")
    barn_rows = Agreement.select().where(
        (Agreement.responsible_group == barn_group) | (Agreement.decision_body == barn_group)
    )
    assert all(row.status in ("in_force", "under_revision", "draft") for row in barn_rows)
    assert barn.count == barn_rows.count() and [s.group.name for s in barn.sections] == ["Strategigrupp Barn och unga"]
    assert upward_report.filename(barn) == "Uppföljningsrapport Barn och unga 2026"
