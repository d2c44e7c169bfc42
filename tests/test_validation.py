"""One validation for every way in: the web form, the API, the spreadsheet import and the seed file
refuse the same bad agreements with the same limits and messages, and save nothing."""

import datetime
import json

import pytest

from registry import seed
from registry.domain import importer, validation
from registry.domain.errors import ValidationError
from registry.models import Agreement, AuditEntry
from tests.factories import api_client, update_agreement
from tests.html import field_error, form_fields, text
from tests.test_import import csv_file, new_row, xlsx_file

LONG_CASE_NUMBER = "RJL " + "9" * 97  # 101 characters: one more than any way in accepts

# (domain field, bad value as the form, the API and the file write it, a part of the message)
BAD_VALUES = [
    (
        "expires_on",
        "0001-01-05",
        "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
    ),
    (
        "expires_on",
        "9999-12-31",
        "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
    ),
    (
        "valid_from",
        "9999-12-01",
        "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
    ),
    ("title", "ctrl\u0001char", "får inte innehålla radbrytningar"),
    ("title", "Rad ett\r\nRad två", "får inte innehålla radbrytningar"),
    ("short_name", "Kort\nnamn", "får inte innehålla radbrytningar"),
    ("case_number", LONG_CASE_NUMBER, "högst 100 tecken"),
    ("legal_basis", "5 kap.\t9 a § SoL", "får inte innehålla radbrytningar"),
    ("description", "Beskrivning\u0007med klocka", "får inte innehålla styrtecken"),
]
API_NAMES = {"expires_on": "expires_on", "valid_from": "valid_from"}


def counts():
    return Agreement.select().count(), AuditEntry.select().count()


def row(register, n, **values):
    """A valid spreadsheet row on the small register."""
    parties = "; ".join(o.name for o in register.organisations)
    return new_row(n, responsible_group=register.board.name, parties=parties, owners=register.owner.email, **values)


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_the_web_form_refuses_it_and_saves_nothing(small_register, client, name, value, message):
    before = counts()
    response = client.post("/agreements/new", data=small_register.agreement_form(**{name: value}))
    assert response.status_code == 422
    assert message in (field_error(response, name) or ""), text(response)[:2000]
    assert counts() == before


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_the_api_refuses_it_and_saves_nothing(app, small_register, name, value, message):
    api = api_client(app, "admin")
    body = {"title": "Från API:t", "kind": "avtal", "responsible_group_id": small_register.board.id, name: value}
    before = counts()
    response = api.post("/api/v1/agreements", body)
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["error"]["fields"][name]
    assert counts() == before


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_the_import_names_it_in_the_preview_and_its_commit_writes_nothing(small_register, name, value, message):
    # CSV: an XLSX cannot even carry control characters.
    reg = small_register
    content = csv_file([row(reg, 1), row(reg, 2, **{name: value}), row(reg, 3)], meta=False)
    plan = importer.plan("avtal.csv", content)
    problems = [p for p in plan.all_problems if p.row is not None]
    assert [p.row for p in problems] == [3], [str(p) for p in problems]
    assert message in problems[0].message
    before = counts()
    assert not importer.commit("avtal.csv", content).committed
    assert counts() == before


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_a_seed_file_with_it_is_refused_by_name_and_loads_nothing(ctx, tmp_path, name, value, message):
    facts = {"title": "Ett avtal", "kind": "avtal", "responsible_group": "Ledningsgruppen"}
    facts[name] = value
    # TOML: dates bare, text as JSON strings (the same escapes), so control characters survive.
    lines = [f"{key} = {v if key in ('expires_on', 'valid_from') else json.dumps(v)}" for key, v in facts.items()]
    path = tmp_path / "region.toml"
    path.write_text(
        '[[organisations]]\nname = "Region Test"\nkind = "region"\n[[groups]]\nname = "Ledningsgruppen"\n'
        "[[agreements]]\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(seed.SeedError) as raised:
        seed.load(path)
    assert message in str(raised.value)
    assert Agreement.select().count() == 0


def test_the_same_length_limits_everywhere_so_an_imported_agreement_can_be_saved_from_its_form(small_register, client):
    hundred = "RJL " + "9" * 96
    content = xlsx_file([row(small_register, 1, case_number=hundred, short_name="K" * 100)])
    assert importer.commit("avtal.xlsx", content).committed
    agreement = Agreement.get(Agreement.case_number == hundred)
    form = form_fields(client, f"/agreements/{agreement.id}/edit")
    assert (form["case_number"], form["short_name"]) == (hundred, "K" * 100)
    response = client.post(f"/agreements/{agreement.id}/edit", data=form)
    assert response.status_code == 302, text(response)[:2000]


def test_huge_ids_in_the_form_are_unknown_not_a_crash(small_register, client):
    before = counts()
    response = client.post(
        "/agreements/new", data=small_register.agreement_form(owners=[str(10**20)], parent=str(10**20))
    )
    assert response.status_code == 422
    assert field_error(response, "owners") and field_error(response, "parent")
    assert counts() == before


def test_belongs_to_and_replaced_by_links_cannot_form_a_cycle(small_register, client):
    first, second, third = small_register.agreements
    update_agreement(second, parent=first)
    update_agreement(third, parent=second)
    with pytest.raises(ValidationError) as raised:
        update_agreement(first, parent=third)
    assert "cirkel" in raised.value.errors["parent"]

    update_agreement(second, replaced_by=third)
    form = {**form_fields(client, f"/agreements/{first.id}/edit"), "replaced_by": str(second.id)}
    update_agreement(third, replaced_by=first)
    response = client.post(f"/agreements/{first.id}/edit", data=form)
    assert response.status_code == 422
    assert "cirkel" in field_error(response, "replaced_by")


def test_the_limits_are_the_validation_modules(plain_ctx):
    assert validation.check_date(datetime.date(1899, 12, 31))[1]
    assert validation.check_date(datetime.date(3000, 1, 1))[1]
    assert validation.check_date(datetime.date(1900, 1, 1)) == (datetime.date(1900, 1, 1), None)
    assert validation.check_text("rad ett\r\nrad två\tflik") == ("rad ett\nrad två\tflik", None)
    assert validation.check_line("ett\u2028två")[1]
    assert validation.valid_id(2**63 - 1) == 2**63 - 1 and validation.valid_id(2**63) is None
    assert validation.valid_id("00012") == 12 and validation.valid_id("1e3") is None
    assert validation.printable("a\x00b\x1fc\td") == "a\ufffdb\ufffdc\td"
    assert validation.one_line("Titel\r\nmed\x00rader") == "Titel med rader"
