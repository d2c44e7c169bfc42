"""Every field of the field table, walked through every way in and out.

A value for each field (made from the field's kind, so a field added to the
table is walked without touching this file) goes in through the web form and
through the API, comes out of the agreement page, the API, the spreadsheet
export and the audit trail, and back in through the import.
"""

import datetime
import io

import openpyxl

from registry.api.schemas import COMPONENTS
from registry.domain import fields as F
from registry.domain import importer, spreadsheet
from registry.domain.agreements import editable_values, save_agreement
from registry.domain.audit import changes_of
from registry.models import Agreement, AuditEntry, Document, Group, Organisation, Person
from tests.factories import agreement_form, api_client
from tests.html import text


def samples():
    """{field name: a value of the field's kind, different from its empty value}, in save_agreement's shape."""
    groups = [g.id for g in Group.select().order_by(Group.id).limit(2)]
    agreements = list(Agreement.select().order_by(Agreement.id).limit(2))
    dates = iter(sorted(datetime.date(2025, 1, 1) + datetime.timedelta(days=90 * n) for n in range(20)))
    values = {}
    for field in F.FIELDS:
        kind = field.kind
        if kind == F.LINE:
            value = f"{field.header} T-{len(values)}"[: field.max_length]
        elif kind == F.TEXT:
            value = f"{field.header}: första raden\nandra raden"
        elif kind == F.CODE:
            value = sorted(field.vocabulary)[1]
        elif kind == F.DATE:
            value = next(dates)
        elif kind == F.INT:
            value = field.low + 2
        elif kind == F.GROUP:
            value = groups[0] if field.required else groups[1]
        elif kind == F.GROUPS:
            value = groups
        elif kind == F.PEOPLE:
            value = sorted(p.id for p in Person.select().order_by(Person.id).limit(2))
        elif kind == F.ORGANISATIONS:
            value = sorted(o.id for o in Organisation.select().order_by(Organisation.id).limit(2))
        elif kind == F.AGREEMENT:
            value = agreements[len([f for f in values if F.BY_NAME[f].kind == F.AGREEMENT])].id
        elif kind == F.CYCLE:
            value = "FREQ=YEARLY;INTERVAL=2"
        elif kind == F.OFFSETS:
            value = "120, 30"
        elif kind == F.DOCUMENTS:
            value = [("Avtalstext", "https://example.org/avtal.pdf")]
        else:
            raise AssertionError(f"a new kind of field, {kind!r}: give it a sample here")
        assert value != field.empty, field.name
        values[field.name] = value
    # replaced_by is set, but the sample need not be replaced; under revision, every field has a
    # meaning (the new version's date belongs to a revision).
    values["status"] = "under_revision"
    return values


def api_body(values):
    """The API's body for these values."""
    body = {}
    for field in F.FIELDS:
        value = values[field.name]
        if field.kind == F.DATE:
            value = value.isoformat()
        elif field.kind == F.OFFSETS:
            value = [int(v) for v in value.split(", ")]
        elif field.kind == F.DOCUMENTS:
            value = [{"title": title, "url": url} for title, url in value]
        body[field.api_name] = value
    return body


def from_api(field, answer):
    """One field's value read back from the API's answer, in save_agreement's shape."""
    if field.kind == F.GROUP:
        return answer[field.name]["id"] if answer[field.name] else None
    if field.kind in F.LINK_KINDS:
        return sorted(item["id"] for item in answer[field.name])
    if field.kind == F.DOCUMENTS:
        return [(d["title"], d["url"]) for d in answer["documents"]]
    value = answer[field.api_name]
    if field.kind == F.DATE:
        return datetime.date.fromisoformat(value) if value else None
    if field.kind == F.OFFSETS:
        return ", ".join(map(str, value))
    return value


def stored(agreement):
    """Every field's stored value, in save_agreement's shape."""
    values = editable_values(Agreement.get_by_id(agreement.id))
    values = {k: sorted(v) if isinstance(v, list) else v for k, v in values.items()}
    values["documents"] = [(d.title, d.url) for d in Document.select().where(Document.agreement == agreement.id)]
    return values


def test_every_field_goes_in_through_the_form_and_shows_on_the_page_and_in_the_history(small_register, client):
    values = samples()
    response = client.post("/agreements/new", data=agreement_form(**values))
    assert response.status_code == 302, text(response)
    agreement = Agreement.get(Agreement.title == values["title"])
    assert stored(agreement) == values

    page = text(client.get(f"/agreements/{agreement.id}"))
    for field in F.facts():
        assert f"<dt>{field.label}</dt>" in page, field.name
    assert values["legal_basis"] in page
    assert f"{values['notice_period_months']} månader" in page

    (created,) = AuditEntry.select().where((AuditEntry.entity == "agreement") & (AuditEntry.entity_id == agreement.id))
    recorded = changes_of(created)
    for field in F.FIELDS:
        if field.audited:
            assert field.name in recorded, field.name
            assert f"<strong>{field.label}</strong>" in page, field.name


def test_every_field_is_written_and_read_through_the_api(app, small_register):
    api = api_client(app, "admin")
    values = samples()

    schema = COMPONENTS["NewAgreement"]["properties"]
    assert set(schema) == {f.api_name for f in F.FIELDS}
    answer_schema = COMPONENTS["Agreement"]["properties"]
    for field in F.SCALARS:
        assert field.api_name in answer_schema, field.name

    response = api.post("/api/v1/agreements", api_body(values))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    for field in F.FIELDS:
        assert from_api(field, answer) == values[field.name], field.name
    agreement = Agreement.get_by_id(answer["id"])
    assert stored(agreement) == values

    # Each field changed on its own through PATCH, read back with GET.
    for field in (F.BY_NAME["legal_basis"], F.BY_NAME["notice_period_months"], F.BY_NAME["decision_ref"]):
        new = "Lag (2017:612)" if field.kind == F.LINE else 12
        patched = api.patch(f"/api/v1/agreements/{agreement.id}", {field.api_name: new})
        assert patched.status_code == 200, patched.get_json()
        got = api.get(f"/api/v1/agreements/{agreement.id}").get_json()
        assert got[field.api_name] == new


def test_every_field_is_exported_and_read_back_by_the_import(small_register, client):
    values = samples()
    agreement = save_agreement(dict(values))
    response = client.get("/agreements/export.xlsx")
    assert response.status_code == 200
    content = response.data
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "Titel")
    assert list(header) == [f.header for f in F.FIELDS]

    # Every field changed in the register; importing the export must bring each one back.
    others = dict(samples())
    others.update(
        title=values["title"],
        case_number=values["case_number"],
        short_name="Annat kortnamn",
        legal_basis="Annat lagrum",
        notice_period_months=values["notice_period_months"] + 1,
        description="Annan beskrivning",
        decision_date=values["decision_date"] - datetime.timedelta(days=1),
        documents=[],
        owners=[],
        review_rule="",
        expiry_offsets="",
    )
    save_agreement(others, agreement)
    plan = importer.plan("avtal.xlsx", content)
    (row,) = [r for r in plan.rows if r.agreement_id == agreement.id]
    assert row.action == importer.UPDATE and not row.problems
    changed = {c.field for c in spreadsheet.COLUMNS if c.header in row.changes}
    assert {"short_name", "legal_basis", "notice_period_months", "documents", "owners", "review_rule"} <= changed
    result = importer.commit("avtal.xlsx", content)
    assert result.committed, [str(p) for p in result.all_problems]
    assert stored(agreement) == values
