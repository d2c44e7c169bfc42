"""Follow-up with indicators (registry/domain/indicators.py): an agreement's indicators, their values
recorded with each follow-up (form and API), the chart and table on the agreement page, retiring, the
deviations in the collaboration, the yearly report upward (page and Word), and who may change them."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from docx import Document
from flask_babel import force_locale

from registry.domain import indicators, upward_report
from registry.domain.agreements import record_review
from registry.domain.errors import ValidationError
from registry.models import AuditEntry, Indicator, IndicatorValue, Review
from tests.conftest import TODAY
from tests.factories import api_client, client_as, make_agreement, make_group
from tests.html import field_error, form_fields, section, text, words

D = datetime.date


def review(agreement, on, values=None, deviations="", outcome="unchanged"):
    data = {"reviewed_on": on, "outcome": outcome, "reviewer_name": "Strategigruppen", "deviations": deviations}
    return record_review(agreement, {**data, "indicator_values": values or {}}, TODAY)


@pytest.fixture
def followed(ctx):
    """An agreement of a strategy group with two indicators: a share with a target, and Prea60 (lower is
    better), and two yearly follow-ups."""
    team = make_group("Strategigrupp Äldre", kind="strategy", short_name="Äldre")
    agreement = make_agreement(title="Läkaruppdrag och medicinsk samverkan", responsible_group=team)
    contact = indicators.save(
        agreement, {"name": "Andel med fast vårdkontakt", "unit": "%", "target": "70", "direction": "higher_is_better"}
    )
    prea = indicators.save(agreement, {"name": "Prea60", "unit": "", "target": "12,5", "direction": "lower_is_better"})
    review(agreement, D(2025, 3, 3), {contact.id: "62", prea.id: "14"})
    review(agreement, D(2026, 3, 2), {contact.id: "71,5", prea.id: "11.25"}, deviations="Sena kallelser till SIP.")
    return {"team": team, "agreement": agreement, "contact": contact, "prea": prea}


# --- numbers and validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        (" 1 250 ", Decimal("1250")),
        ("1\u00a0250,75", Decimal("1250.75")),  # Babel's Swedish grouping (no-break space)
        ("\u22123,5", Decimal("-3.5")),  # Babel's Swedish minus sign
        ("-0", Decimal("0")),
        (",5", Decimal("0.5")),
        ("0,123456", Decimal("0.1235")),  # four decimals are kept
        (68, Decimal("68")),
        (68.5, Decimal("68.5")),
        ("", None),
        (None, None),
    ],
)
def test_numbers_in_swedish_or_english_notation(plain_ctx, typed, number):
    assert indicators.parse_number(typed) == (number, None)


@pytest.mark.parametrize("typed", ["tolv", "12,5,1", "1.250,5", "1,250.5", "12 %", "NaN", "inf", "1e3", True, "--1"])
def test_a_number_that_cannot_be_read_says_how_to_write_it(plain_ctx, typed):
    value, message = indicators.parse_number(typed)
    assert value is None
    assert message == (
        "Talet kunde inte läsas. Skriv det med siffror och högst ett decimaltecken, till exempel 12,5 eller 12.5."
    )


def test_a_number_too_large(plain_ctx):
    value, message = indicators.parse_number("1 000 000 001")
    assert value is None and message.startswith("Talet är för stort. Ange ett tal mellan")
    assert indicators.parse_number(float("inf"))[0] is None


def test_an_indicators_name_unit_target_and_direction_are_checked(followed):
    agreement = followed["agreement"]
    with pytest.raises(ValidationError) as caught:
        indicators.save(agreement, {"name": " ", "unit": "x" * 21, "target": "sjuttio", "direction": "sideways"})
    errors = caught.value.errors
    assert errors["name"] == "Ange indikatorns namn, till exempel Andel med fast vårdkontakt."
    assert errors["unit"].startswith("Texten är för lång")
    assert errors["target"].startswith("Talet kunde inte läsas.")
    assert errors["direction"] == "Välj en riktning i listan."
    with pytest.raises(ValidationError) as caught:
        indicators.save(agreement, {"name": "andel med fast VÅRDKONTAKT"})
    assert caught.value.errors["name"] == "Avtalet har redan en indikator med det namnet. Välj ett annat namn."
    # Without a target or a direction: no target, higher is better.
    plain = indicators.save(agreement, {"name": "Kontinuitetsindex", "unit": "index"})
    assert (plain.target, plain.direction, plain.active, plain.position) == (None, "higher_is_better", True, 3)


def test_target_met_by_direction(followed):
    contact, prea = followed["contact"], followed["prea"]
    assert indicators.meets_target(contact, Decimal("70")) is True
    assert indicators.meets_target(contact, Decimal("69.9")) is False
    assert indicators.meets_target(prea, Decimal("12.5")) is True
    assert indicators.meets_target(prea, Decimal("12.6")) is False
    assert indicators.meets_target(prea, None) is None
    no_target = indicators.save(followed["agreement"], {"name": "Antal SIP", "unit": "st"})
    assert indicators.meets_target(no_target, Decimal(5)) is None
    series = indicators.of_agreement(followed["agreement"])
    assert [(p.reviewed_on, p.value, p.meets) for p in series[0].points] == [
        (D(2025, 3, 3), Decimal("62"), False),
        (D(2026, 3, 2), Decimal("71.5"), True),
    ]
    assert [p.meets for p in series[1].points] == [False, True]
    assert series[0].summary == (
        "Andel med fast vårdkontakt: 2025-03-03 62 %, 2026-03-02 71,5 %; mål 70 % (högre är bättre)"
    )


# --- recording values with a follow-up -----------------------------------------------------------


def test_values_are_optional_and_a_plain_review_still_works(followed):
    """The agenda's decisions (agenda_edits.py) record reviews with a plain dict, without values."""
    agreement = followed["agreement"]
    plain = record_review(
        agreement, {"reviewed_on": D(2026, 6, 1), "outcome": "unchanged", "reviewer_name": "ReKo"}, TODAY
    )
    assert plain.deviations == "" and IndicatorValue.select().where(IndicatorValue.review == plain).count() == 0


def test_a_bad_value_or_another_agreements_indicator_is_refused_and_nothing_is_stored(followed):
    agreement, contact = followed["agreement"], followed["contact"]
    other = make_agreement(title="Annat avtal", responsible_group=followed["team"])
    foreign = indicators.save(other, {"name": "Annat"})
    reviews = Review.select().count()
    with pytest.raises(ValidationError) as caught:
        review(agreement, D(2026, 6, 1), {contact.id: "sjuttio", foreign.id: "3"})
    errors = caught.value.errors
    assert errors[f"indicator_{contact.id}"].startswith("Talet kunde inte läsas.")
    assert errors[f"indicator_{foreign.id}"].startswith("Avtalet har ingen indikator som följs upp med id")
    assert Review.select().count() == reviews


def test_the_follow_up_form_records_values_and_deviations(app, followed):
    agreement, contact, prea = followed["agreement"], followed["contact"], followed["prea"]
    client = client_as(app, "editor", groups=[followed["team"]])
    url = f"/agreements/{agreement.id}/reviews/new"
    page = text(client.get(url))
    assert f'name="indicator_{contact.id}"' in page and 'inputmode="decimal"' in page
    assert "Andel med fast vårdkontakt (%)" in page
    assert "Mål 70 % (högre är bättre). Förra värdet: 71,5 % (2026-03-02)." in page
    assert 'name="deviations"' in page and "Samverkansavvikelser" in page
    fields = form_fields(client, url)
    fields.update(
        {
            "reviewed_on": "2026-11-20",
            "outcome": "unchanged",
            "reviewer_name": "Äldre",
            f"indicator_{contact.id}": "68,5",
            f"indicator_{prea.id}": "tolv",
            "deviations": "Två avvikelser om utskrivning.",
        }
    )
    refused = client.post(url, data=fields)
    assert refused.status_code == 422
    assert field_error(refused, f"indicator_{prea.id}").startswith("Talet kunde inte läsas.")
    fields[f"indicator_{prea.id}"] = ""  # no value this year
    response = client.post(url, data=fields)
    assert response.status_code == 302
    stored = Review.select().order_by(Review.id.desc()).first()
    assert stored.deviations == "Två avvikelser om utskrivning."
    assert {(v.indicator_id, v.value) for v in stored.indicator_values} == {(contact.id, Decimal("68.5"))}
    entry = AuditEntry.select().where(AuditEntry.entity == "review").order_by(AuditEntry.id.desc()).first()
    assert '"Andel med fast vårdkontakt: 68.5 %"' in entry.changes
    # The history shows labels, not field names.
    page = words(client.get(f"/agreements/{agreement.id}"))
    assert "Indikatorvärden" in page and "Samverkansavvikelser" in page


def test_the_api_records_values_and_shows_the_series(app, followed):
    agreement, contact, prea = followed["agreement"], followed["contact"], followed["prea"]
    client = api_client(app, "editor", groups=[followed["team"]])
    url = f"/api/v1/agreements/{agreement.id}/reviews"
    body = {"reviewed_on": "2026-11-20", "outcome": "unchanged", "reviewer_name": "Äldre"}
    bad = client.post(url, json={**body, "indicator_values": {str(contact.id): "68"}})
    assert bad.status_code == 422
    message = "Värdet är inget tal. Ange ett tal, till exempel 12.5."
    assert bad.get_json()["error"]["fields"] == {f"indicator_values.{contact.id}": message}
    unknown = client.post(url, json={**body, "indicator_values": {"999999": 3}})
    assert unknown.status_code == 422
    assert "indicator_values.999999" in unknown.get_json()["error"]["fields"]
    made = client.post(
        url, json={**body, "indicator_values": {str(contact.id): 69.25, str(prea.id): None}, "deviations": "En."}
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["indicator_values"] == {str(contact.id): 69.25}
    assert made.get_json()["deviations"] == "En."
    detail = client.get(f"/api/v1/agreements/{agreement.id}").get_json()
    first = detail["indicators"][0]
    assert {k: first[k] for k in ("id", "name", "unit", "target", "direction", "active")} == {
        "id": contact.id,
        "name": "Andel med fast vårdkontakt",
        "unit": "%",
        "target": 70.0,
        "direction": "higher_is_better",
        "active": True,
    }
    assert [(v["reviewed_on"], v["value"], v["meets_target"]) for v in first["values"]] == [
        ("2025-03-03", 62.0, False),
        ("2026-03-02", 71.5, True),
        ("2026-11-20", 69.25, False),
    ]
    assert detail["indicators"][1]["target"] == 12.5 and detail["indicators"][1]["direction"] == "lower_is_better"
    assert detail["reviews"][0]["indicator_values"] == {str(contact.id): 69.25}


# --- the agreement page -------------------------------------------------------------------------


def test_the_agreement_page_shows_a_chart_with_its_name_and_the_numbers_in_a_table(app, followed):
    agreement, contact = followed["agreement"], followed["contact"]
    response = client_as(app, "viewer").get(f"/agreements/{agreement.id}")
    html = section(response, "indicators-heading")
    svg = re.search(r"<svg class=\"indicator-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert f'aria-labelledby="indicator-{contact.id}-title indicator-{contact.id}-desc"' in svg
    assert f'<title id="indicator-{contact.id}-title">Andel med fast vårdkontakt</title>' in svg
    assert (
        f'<desc id="indicator-{contact.id}-desc">Andel med fast vårdkontakt: 2025-03-03 62 %, 2026-03-02 71,5 %; '
        "mål 70 % (högre är bättre)</desc>"
    ) in svg
    assert svg.count("<circle") == 2 and "<polyline" in svg and 'class="target"' in svg
    table = re.search(r'<table class="list indicator-values">.*?</table>', html, re.S).group(0)
    cells = re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', table, re.S)
    shown = [(label, re.sub(r"<[^>]+>", "", value).strip()) for label, value in cells]
    assert shown == [
        ("Uppföljning", "2026-03-02"),
        ("Värde", "71,5 %"),
        ("Målet nått", "Ja"),
        ("Uppföljning", "2025-03-03"),
        ("Värde", "62 %"),
        ("Målet nått", "Nej"),
    ]
    page = words(response)
    assert "Enhet: % · Mål: 70 % (högre är bättre)" in page
    assert "Mål: 12,5 (lägre är bättre)" in page
    assert "Sena kallelser till SIP." in page  # the review table's deviations column
    # A viewer changes nothing.
    assert "/indicators/new" not in text(response)


def test_numbers_in_english_notation_in_english(followed):
    # (A page in English is not asked for here: the `ctx` fixture's shared `g` keeps the first locale.)
    with force_locale("en"):
        assert indicators.number_text(Decimal("1250.5"), "%") == "1,250.5 %"
        assert indicators.target_text(followed["contact"]) == "70 % (higher is better)"
    assert indicators.number_text(Decimal("1250.5"), "%") == "1\u00a0250,5 %"


def test_an_indicator_without_values_has_no_chart(app, followed):
    empty = indicators.save(followed["agreement"], {"name": "Andel i målgruppen med SIP", "unit": "%"})
    html = section(client_as(app, "viewer").get(f"/agreements/{followed['agreement'].id}"), "indicators-heading")
    card = html[html.index(f'id="indicator-{empty.id}"') :]
    assert "Inga värden registrerade ännu." in card and "<svg" not in card


# --- editing, retiring, deleting -------------------------------------------------------------------


def test_editors_add_change_and_retire_indicators_through_the_forms(app, followed):
    agreement, prea = followed["agreement"], followed["prea"]
    client = client_as(app, "editor", groups=[followed["team"]])
    assert f'href="/agreements/{agreement.id}/indicators/new"' in text(client.get(f"/agreements/{agreement.id}"))
    refused = client.post(f"/agreements/{agreement.id}/indicators/new", data={"name": "", "target": "sju"})
    assert refused.status_code == 422
    assert field_error(refused, "name") == "Ange indikatorns namn, till exempel Andel med fast vårdkontakt."
    assert field_error(refused, "target").startswith("Talet kunde inte läsas.")
    made = client.post(
        f"/agreements/{agreement.id}/indicators/new",
        data={"name": "Kontinuitetsindex", "unit": "index", "target": "0,6", "direction": "higher_is_better"},
    )
    assert made.status_code == 302
    added = Indicator.get(Indicator.name == "Kontinuitetsindex")
    assert made.location.endswith(f"/agreements/{agreement.id}#indicator-{added.id}")
    assert (added.target, added.active) == (Decimal("0.6"), True)
    # Its change form shows the target in Swedish notation; a change is audited with labels.
    url = f"/agreements/{agreement.id}/indicators/{added.id}/edit"
    fields = form_fields(client, url)
    assert fields["target"] == "0,6" and fields["active"] == "y"
    fields["target"] = "0,65"
    assert client.post(url, data=fields).status_code == 302
    assert Indicator.get_by_id(added.id).target == Decimal("0.65")
    history = words(client.get(f"/agreements/{agreement.id}"))
    assert "Ändrade indikator Mål : 0,6 → 0,65" in history
    # Without values it is deleted; with values it is retired and keeps its series.
    assert client.post(f"/agreements/{agreement.id}/indicators/{added.id}/remove").status_code == 302
    assert Indicator.get_or_none(Indicator.id == added.id) is None
    assert client.post(f"/agreements/{agreement.id}/indicators/{prea.id}/remove").status_code == 302
    retired = Indicator.get_by_id(prea.id)
    assert retired.active is False
    page = client.get(f"/agreements/{agreement.id}")
    card = section(page, "indicators-heading")
    assert "Följs inte längre upp" in card and "11,25" in card and "14" in card
    # The follow-up form no longer asks for it; a value for it is refused.
    assert f'name="indicator_{prea.id}"' not in text(client.get(f"/agreements/{agreement.id}/reviews/new"))
    with pytest.raises(ValidationError):
        review(agreement, D(2026, 6, 1), {prea.id: "10"})
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.entity == "indicator").order_by(AuditEntry.id)]
    assert actions == ["create", "create", "create", "update", "delete", "update"]
    # Another agreement's indicator through this agreement's address: not found.
    other = make_agreement(title="Annat avtal", responsible_group=followed["team"])
    assert client.get(f"/agreements/{other.id}/indicators/{followed['contact'].id}/edit").status_code == 404


def test_who_may_change_indicators(app, followed):
    agreement, contact = followed["agreement"], followed["contact"]
    outsider = client_as(app, "editor", groups=[make_group("Annan grupp")])
    for role_client in (outsider, client_as(app, "viewer"), client_as(app, "auditor")):
        assert role_client.get(f"/agreements/{agreement.id}/indicators/new").status_code == 403
        assert role_client.post(f"/agreements/{agreement.id}/indicators/new", data={"name": "X"}).status_code == 403
        url = f"/agreements/{agreement.id}/indicators/{contact.id}"
        assert role_client.post(url + "/edit", data={"name": "X"}).status_code == 403
        assert role_client.post(url + "/remove").status_code == 403
    assert Indicator.get_by_id(contact.id).name == "Andel med fast vårdkontakt" and contact.active
    admin = client_as(app, "admin")
    assert admin.get(f"/agreements/{agreement.id}/indicators/new").status_code == 200


# --- the yearly report upward ----------------------------------------------------------------------


def test_the_report_has_the_years_values_against_their_targets_and_the_deviations(app, followed):
    team, agreement = followed["team"], followed["agreement"]
    indicators.save(agreement, {"name": "Andel i målgruppen med SIP", "unit": "%"})  # no value yet
    found = upward_report.report(team, 2026, TODAY)
    rows = [upward_report.indicator_cells(row) for row in found.indicator_rows]
    assert rows == [
        [agreement.title, "Andel med fast vårdkontakt (%)", D(2026, 3, 2), "71,5 %", "70 % (högre är bättre)", "Ja"],
        [agreement.title, "Prea60", D(2026, 3, 2), "11,25", "12,5 (lägre är bättre)", "Ja"],
        [agreement.title, "Andel i målgruppen med SIP (%)", "–", "Inget värde registrerat under året", "Inget mål"]
        + ["–"],
    ]
    assert [(r.review.reviewed_on, r.review.deviations) for r in found.deviation_rows] == [
        (D(2026, 3, 2), "Sena kallelser till SIP.")
    ]
    last_year = upward_report.report(team, 2025, TODAY)
    assert [upward_report.indicator_cells(r)[2:4] for r in last_year.indicator_rows][:2] == [
        [D(2025, 3, 3), "62 %"],
        [D(2025, 3, 3), "14"],
    ]
    assert last_year.deviation_rows == []

    client = client_as(app, "viewer")
    page = client.get(f"/groups/{team.id}/report?year=2026")
    assert page.status_code == 200
    shown = words(page)
    assert "Indikatorer under året" in shown
    assert "Andel med fast vårdkontakt (%) 2026-03-02 71,5 % 70 % (högre är bättre) Ja" in shown
    assert "Samverkansavvikelser under året" in shown
    assert "2026-03-02 Sena kallelser till SIP." in shown
    assert 'data-label="Målet nått"' in text(page)

    response = client.get(f"/groups/{team.id}/report.docx?year=2026")
    doc = Document(io.BytesIO(response.data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[-2:] == ["Indikatorer under året", "Samverkansavvikelser under året"]
    values, deviations = doc.tables[-2], doc.tables[-1]
    assert [c.text for c in values.rows[0].cells] == ["Avtal", "Indikator", "Uppföljning", "Värde", "Mål", "Målet nått"]
    assert [c.text for c in values.rows[1].cells] == [
        agreement.title,
        "Andel med fast vårdkontakt (%)",
        "2026-03-02",
        "71,5 %",
        "70 % (högre är bättre)",
        "Ja",
    ]
    assert [c.text for c in deviations.rows[1].cells] == [agreement.title, "2026-03-02", "Sena kallelser till SIP."]


def test_a_retired_indicator_keeps_its_series_in_the_report(followed):
    indicators.remove(followed["agreement"], followed["prea"])
    found = upward_report.report(followed["team"], 2026, TODAY)
    assert [row.indicator.name for row in found.indicator_rows] == ["Andel med fast vårdkontakt", "Prea60"]
    assert upward_report.report(followed["team"], 2024, TODAY).indicator_rows[-1].indicator.name == (
        "Andel med fast vårdkontakt"  # retired and without a value that year: left out
    )
