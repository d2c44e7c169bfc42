"""Spreadsheet export and import: round trip, idempotency, all or nothing, every kind of problem, the command.

The register exported to XLSX (or CSV) and imported into an empty database that
has the same groups, parties and people gives the same agreements, field by
field; importing the same file again changes nothing; a file with one bad row
imports nothing and names the row and column.
"""

import csv
import datetime
import io
import re
from html import unescape

import openpyxl
import pytest

from registry.db import db, upgrade
from registry.domain import exports, importer, spreadsheet
from registry.domain.agreements import SCALAR_FIELDS
from registry.domain.errors import ValidationError
from registry.models import Agreement, AuditEntry, Document, Group, GroupMember, Organisation, Person
from tests.conftest import empty_database, kind_of, make_app
from tests.factories import agreement, client_as, client_for, group_id, make_user, update_agreement
from tests.html import text

HEADER = spreadsheet.HEADER
REKO = "ReKo"
ALDRE = "Strategigrupp Äldre"
BARN = "Strategigrupp Barn och unga"
LAKAR = "Läkaruppdrag och medicinsk samverkan"


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture(autouse=True)
def _uploads_in_tmp(request, tmp_path):
    """Keep uploads out of the real instance folder."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["IMPORT_DIR"] = str(tmp_path / "imports")


@pytest.fixture
def second_database(database_url, tmp_path):
    """Another empty database of the same kind as `database_url`."""
    with empty_database(kind_of(database_url), tmp_path, "second") as url:
        yield url


def register_facts():
    """Every agreement's facts, links by name, keyed by (title, responsible group): no ids."""
    facts = {}
    for a in Agreement.select():
        f = {key: getattr(a, key) for key in SCALAR_FIELDS}
        f.update(
            responsible_group=a.responsible_group.name,
            decision_body=a.decision_body.name if a.decision_body_id else None,
            parent=a.parent.title if a.parent_id else None,
            replaced_by=a.replaced_by.title if a.replaced_by_id else None,
            next_review_on=a.next_review_on,
            contributing_groups=sorted(link.group.name for link in a.contributor_links),
            owners=sorted(link.person.email for link in a.owner_links),
            parties=sorted(link.organisation.name for link in a.party_links),
            documents=[(d.title, d.url) for d in a.documents.order_by(Document.id)],
        )
        key = (a.title, a.responsible_group.name)
        assert key not in facts
        facts[key] = f
    return facts


def enrich_register():
    """Give the demo register every kind of value the file carries."""
    lakar = agreement(LAKAR)
    komhem = Agreement.get(Agreement.short_name == "KomHem-avtal")
    barn = Agreement.select().where(Agreement.responsible_group == group_id(BARN)).order_by(Agreement.id)
    first, second, third = list(barn)[:3]
    people = [p.id for p in Person.select().order_by(Person.id)[:3]]
    update_agreement(
        lakar,
        case_number="RJL 2025/3",
        review_rule="FREQ=MONTHLY;INTERVAL=6",
        expiry_offsets="120, 30",
        review_offsets="30",
        overdue_every_days=14,
        documents=[("Avtalstext", "https://example.org/avtal.pdf"), ("Bilaga 1", "https://example.org/bilaga1.pdf")],
        description="=SUMMA(A1)\nandra raden; med semikolon",
        notes="- punkt ett\n- punkt två",
        target_group="Barn; unga",
        decision_body=group_id("Kommunalt forum"),
        decision_date=datetime.date(2024, 11, 15),
        decision_ref="ReKo 2024-11-15 § 5",
        contributing_groups=[group_id(ALDRE), group_id(BARN)],
        owners=people,
        short_name="+Plus",
    )
    update_agreement(komhem, case_number="RJL 2020/17")
    update_agreement(
        first, status="replaced", replaced_by=second.id, kind="strategi", review_rule="FREQ=WEEKLY;INTERVAL=2"
    )
    update_agreement(
        second, parent=lakar.id, status="draft", valid_from=None, expires_on=None, review_rule="FREQ=YEARLY;INTERVAL=3"
    )
    update_agreement(
        third, title="=Ett avtal som ser ut som en formel", parties=[], owners=[], valid_from=datetime.date(2024, 2, 29)
    )


def capture_directory():
    """The groups, parties and people, with their links by name."""
    return {
        "organisations": [
            {k: o.__data__[k] for k in ("name", "short_name", "kind", "notes")} for o in Organisation.select()
        ],
        "people": [
            {k: p.__data__[k] for k in ("name", "email", "title", "is_active", "is_secretary")} for p in Person.select()
        ],
        "groups": [
            {
                **{k: g.__data__[k] for k in ("name", "short_name", "kind", "description", "mailbox")},
                "parent": g.parent.name if g.parent_id else None,
                "chair": g.chair.email if g.chair_id else None,
            }
            for g in Group.select()
        ],
        "members": [(m.group.name, m.person.email) for m in GroupMember.select()],
    }


def recreate_directory(directory):
    """The same directory in another database, created in reverse order so that every id differs."""
    for row in reversed(directory["organisations"]):
        Organisation.create(**row)
    for row in reversed(directory["people"]):
        Person.create(**row)
    for row in reversed(directory["groups"]):
        Group.create(**{k: v for k, v in row.items() if k not in ("parent", "chair")})
    for row in directory["groups"]:
        Group.update(
            parent=Group.get(Group.name == row["parent"]) if row["parent"] else None,
            chair=Person.get(Person.email == row["chair"]) if row["chair"] else None,
        ).where(Group.name == row["name"]).execute()
    for group, email in directory["members"]:
        GroupMember.create(group=Group.get(Group.name == group), person=Person.get(Person.email == email))


def row_values(**values):
    """A file row from {field: value}: header order, missing columns empty."""
    return [values.get(c.field, "") for c in spreadsheet.COLUMNS]


def new_row(n, **values):
    base = {
        "title": f"Importerat avtal {n:03d}",
        "kind": "Överenskommelse",
        "case_number": f"IMP 2026/{n}",
        "status": "Gällande",
        "responsible_group": ALDRE,
        "parties": "Region Jönköpings län; Eksjö kommun",
        "owners": "beredning.reko@example.org",
        "valid_from": "2026-01-01",
        "expires_on": "2028-12-31",
        "review_rule": "Årligen",
    }
    base.update(values)
    return row_values(**base)


def xlsx_file(rows, header=HEADER, meta=True):
    """An XLSX as the export writes it (metadata on a second sheet) or as a person might (one sheet)."""
    if meta:
        return exports.to_xlsx("Avtal", header, rows, "test", {}, datetime.datetime(2026, 11, 23, 8, 0))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows, header=HEADER, meta=True):
    if meta:
        return exports.to_csv("Avtal", header, rows, "test", {}, datetime.datetime(2026, 11, 23, 8, 0))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client, name, content):
    return client.post("/import", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def upload_token(response):
    found = re.search(r'name="upload" type="hidden" value="([0-9a-f]+)"', text(response))
    return found.group(1) if found else None


def problem_table(response):
    """[(row, column, message)] of the preview's problem table."""
    html = text(response)
    table = re.search(r'<table class="list problems">(.*?)</table>', html, re.S)
    if table is None:
        return []
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S).group(1), re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def counts():
    return Agreement.select().count(), AuditEntry.select().count()


# --- the round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_into_an_empty_database_gives_the_same_register(seeded, second_database, tmp_path, fmt):
    enrich_register()
    before = register_facts()
    directory = capture_directory()
    client = client_as(seeded, "admin")
    response = client.get(f"/agreements/export.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="avtal-')
    body = response.data
    db.close()

    other = make_app(second_database, IMPORT_DIR=str(tmp_path / "imports2"))
    with other.test_request_context():
        db.connect(reuse_if_open=True)
        upgrade()
        recreate_directory(directory)
        assert Agreement.select().count() == 0
        admin = client_as(other, "admin")

        preview = upload(admin, f"avtal.{fmt}", body)
        assert preview.status_code == 200
        assert problem_table(preview) == []
        n = len(before)  # every agreement of the demo data, counted from it
        assert f"{n} rader: {n} nya, 0 ändrade, 0 oförändrade, 0 med problem." in text(preview)
        assert Agreement.select().count() == 0
        done = admin.post("/import/commit", data={"upload": upload_token(preview)})
        assert done.status_code == 302 and done.location.endswith("/agreements")

        after = register_facts()
        assert set(after) == set(before)
        for key, facts in before.items():
            assert after[key] == facts, key
        assert AuditEntry.select().where(AuditEntry.entity == "agreement").count() == n

        # The same file again changes nothing: no writes, no audit entries.
        audit_count = AuditEntry.select().count()
        stamps = dict(Agreement.select(Agreement.id, Agreement.updated_at).tuples())
        again = upload(admin, f"avtal.{fmt}", body)
        assert f"{n} rader: 0 nya, 0 ändrade, {n} oförändrade, 0 med problem." in text(again)
        assert upload_token(again) is None  # nothing to commit
        assert "Det finns inget att importera" in text(again)
        plan = importer.commit(f"avtal.{fmt}", body)
        assert plan.committed and plan.to_write == 0
        assert AuditEntry.select().count() == audit_count
        assert dict(Agreement.select(Agreement.id, Agreement.updated_at).tuples()) == stamps
        db.close()


def test_the_export_has_the_metadata_block_and_every_column(seeded):
    client = client_as(seeded, "auditor")
    response = client.get("/agreements/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet, about = book.worksheets  # the table first (header on row 1), the metadata on a second sheet
    meta = list(about.iter_rows(values_only=True))
    assert meta[0][0] == "Avtal"
    assert [r[0] for r in meta[1:4]] == ["Skapad", "Skapad av", "Filter"]
    assert meta[2][1] == "auditor@test.example.org"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 1 + Agreement.select().count()
    lakar = next(r for r in rows[1:] if r[0].startswith(LAKAR))
    cells = dict(zip(HEADER, lakar, strict=True))
    assert cells["Typ"] == "Avtal" and cells["Status"] == "Gällande" and cells["Ansvarig grupp"] == REKO
    assert cells["Parter"].startswith("Region Jönköpings län; Aneby kommun; ")
    assert cells["Giltig till"] == datetime.datetime(2026, 12, 31)  # a spreadsheet date
    assert cells["Uppföljningscykel"] is None  # no fixed cycle: an empty cell
    assert {r[HEADER.index("Uppföljningscykel")] for r in rows[1:]} == {None, "Årligen", "Vart 3:e år"}
    csv_text = client.get("/agreements/export.csv").data.decode("utf-8")
    assert csv_text.startswith("\ufeffAvtal")
    assert client.get("/agreements/export.pdf").status_code == 404
    # In English the file is still Swedish: it must read back the same anywhere.
    english = client.get("/agreements/export.csv?lang=en").data.decode("utf-8")
    assert ";Gällande;" in english and "Titel;Kortnamn;Typ" in english


def test_reimporting_the_export_into_the_same_register_changes_nothing(seeded, runner, tmp_path):
    enrich_register()
    header, rows = spreadsheet.export_rows()
    path = tmp_path / "avtal.xlsx"
    path.write_bytes(xlsx_file(rows, header))
    before = counts()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    n = Agreement.select().count()
    assert f"{n} rader: 0 nya, 0 ändrade, {n} oförändrade, 0 med problem. Inget att ändra." in result.output
    assert counts() == before


# --- all or nothing -------------------------------------------------------------------------


def test_one_bad_row_among_a_hundred_imports_nothing_and_is_named(seeded, client, runner, tmp_path):
    rows = [new_row(n) for n in range(1, 101)]
    rows[56] = new_row(57, expires_on="2028-13-01")  # the 57th agreement: header row 1 + 57 = 58 in the sheet
    content = xlsx_file(rows)
    before = counts()

    preview = upload(client, "hundra.xlsx", content)
    assert preview.status_code == 200
    assert problem_table(preview) == [
        (
            "58",
            "Giltig till",
            "«2028-13-01» är inget giltigt datum. Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
        )
    ]
    assert "Filen har 1 problem. Inget har sparats." in text(preview)
    assert upload_token(preview) is None
    assert counts() == before

    plan = importer.commit("hundra.xlsx", content)
    assert not plan.committed
    assert [(p.row, p.column) for p in plan.all_problems] == [(58, "Giltig till")]
    assert plan.counts == {"create": 99, "update": 0, "unchanged": 0, "problems": 1}
    assert counts() == before

    path = tmp_path / "hundra.xlsx"
    path.write_bytes(content)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "rad 58, Giltig till: «2028-13-01» är inget giltigt datum" in result.output
    assert "100 rader: 99 nya, 0 ändrade, 0 oförändrade, 1 med problem. Inget har importerats." in result.output
    assert counts() == before

    rows[56] = new_row(57)
    path.write_bytes(xlsx_file(rows))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "100 rader: 100 nya" in result.output
    assert Agreement.select().count() == before[0] + 100
    assert agreement("Importerat avtal 057").expires_on == datetime.date(2028, 12, 31)


def test_a_failure_while_writing_rolls_back_every_row(seeded, monkeypatch):
    """Even a row that passes the preview and then fails in save_agreement leaves the register untouched."""
    content = xlsx_file([new_row(n) for n in range(1, 51)])
    real_save, calls = importer.agreements.save_agreement, []

    def failing_save(data, existing=None):
        calls.append(data["title"])
        if len(calls) == 40:
            raise ValidationError({"case_number": "Diarienumret finns redan på ett annat avtal."})
        return real_save(data, existing)

    monkeypatch.setattr(importer.agreements, "save_agreement", failing_save)
    before = counts()
    plan = importer.commit("femtio.xlsx", content)
    assert not plan.committed
    assert [(p.row, p.column, p.message) for p in plan.all_problems] == [
        (1 + 40, "Diarienummer", "Diarienumret finns redan på ett annat avtal.")
    ]
    assert counts() == before


# --- problems ----------------------------------------------------------------------------------


def test_every_kind_of_problem_is_named_by_row_and_column(seeded, client):
    numbered = agreement("Avvikelsehantering i samverkan")
    update_agreement(numbered, case_number="RJL 2019/8")
    lakar = agreement(LAKAR)  # no case number: title and group point here
    rows = [
        new_row(1, valid_from="2026-02-30"),
        new_row(2, responsible_group="Ingen sådan grupp"),
        new_row(3, parties="Region Jönköpings län; Atlantis kommun"),
        new_row(4, owners="beredning.reko@example.org; ingen@example.org"),
        new_row(5, case_number="DUBBEL 1"),
        new_row(6, case_number="DUBBEL 1"),
        new_row(7, case_number="RJL 2019/8", title=lakar.title, responsible_group=REKO),
        new_row(8, title=""),
        new_row(9, valid_from="2026-06-01", expires_on="2026-01-01"),
        new_row(10, kind="Kontrakt"),
        new_row(11, status="Pågående"),
        new_row(12, review_rule="Ibland"),
        new_row(13, contributing_groups="Strategigrupp Rymden"),
        new_row(14, expiry_offsets="ett år"),
        new_row(15, parent="Finns inte 2020/1"),
        new_row(16, status="Ersatt"),
        new_row(17, review_rule="Var 200:e år"),
        new_row(18, documents="Avtalstext | ftp://example.org/a.pdf"),
        new_row(19, overdue_every_days="400"),
        new_row(20, replaced_by="IMP 2026/20"),
        new_row(21),  # a good row: still nothing is imported
    ]
    before = counts()
    preview = upload(client, "problem.xlsx", xlsx_file(rows, meta=False))
    assert preview.status_code == 200
    found = problem_table(preview)
    assert [(r, c) for r, c, _m in found] == [
        ("2", "Giltig från"),
        ("3", "Ansvarig grupp"),
        ("4", "Parter"),
        ("5", "Ägare"),
        ("7", "Diarienummer"),
        ("8", "Diarienummer"),
        ("9", "Titel"),
        ("10", "Giltig till"),
        ("11", "Typ"),
        ("12", "Status"),
        ("13", "Uppföljningscykel"),
        ("14", "Medverkande grupper"),
        ("15", "Påminn före slutdatum (dagar)"),
        ("16", "Hör till avtal"),
        ("17", "Ersatt av"),
        ("18", "Uppföljningscykel"),
        ("19", "Dokument"),
        ("20", "Upprepa försenad påminnelse (dagar)"),
        ("21", "Ersatt av"),
    ]
    messages = {(r, c): m for r, c, m in found}
    assert messages["2", "Giltig från"].startswith("«2026-02-30» är inget giltigt datum")
    assert (
        messages["3", "Ansvarig grupp"]
        == "Gruppen «Ingen sådan grupp» finns inte i registret. Skriv gruppens namn eller kortnamn som det står där."
    )
    assert "«Atlantis kommun»" in messages["4", "Parter"] and "Region" not in messages["4", "Parter"]
    assert "«ingen@example.org»" in messages["5", "Ägare"]
    assert (
        messages["7", "Diarienummer"]
        == "Diarienumret finns redan på rad 6 i filen. Varje avtal ska ha ett eget diarienummer."
    )
    assert messages["8", "Diarienummer"].startswith("Diarienumret används redan av ett annat avtal i registret")
    assert "Avvikelsehantering i samverkan" in messages["8", "Diarienummer"]
    assert messages["9", "Titel"] == "Titel måste anges."
    assert messages["10", "Giltig till"] == "Slutdatumet måste ligga efter datumet i Giltig från."
    assert messages["11", "Typ"].startswith("Värdet «Kontrakt» känns inte igen. Använd ett av: Avtal, Överenskommelse")
    assert messages["12", "Status"].startswith("Värdet «Pågående» känns inte igen. Använd ett av: Utkast, Gällande")
    assert messages["13", "Uppföljningscykel"].startswith("Uppföljningscykeln «Ibland» känns inte igen")
    assert messages["16", "Hör till avtal"].startswith(
        "Avtalet «Finns inte 2020/1» finns varken i filen eller i registret."
    )
    assert (
        messages["17", "Ersatt av"]
        == "Ange i Ersatt av vilket avtal som ersätter det här avtalet; det krävs när status är Ersatt."
    )
    assert "mellan 1 och 100" in messages["18", "Uppföljningscykel"]
    assert (
        messages["21", "Ersatt av"]
        == "Ett avtal kan inte hänvisa till sig självt. Ange ett annat avtals diarienummer eller titel."
    )
    assert "Filen har 19 problem. Inget har sparats." in text(preview)
    assert counts() == before
    assert Agreement.get_by_id(numbered.id).title == "Avvikelsehantering i samverkan"


def test_layout_problems(seeded, client):
    header = [*HEADER[:3], "Färg", *HEADER[3:]]
    rows = [[*new_row(1)[:3], "blå", *new_row(1)[3:]]]
    found = problem_table(upload(client, "extra.xlsx", xlsx_file(rows, header)))
    assert found == [
        (
            "1",
            "Färg",
            "Kolumnen finns inte i registrets export och kan inte importeras. Byt namn på den eller ta bort den.",
        )
    ]  # the export's header is row 1
    no_group = [h for h in HEADER if h != "Ansvarig grupp"]
    found = problem_table(upload(client, "utan.csv", csv_file([new_row(1)[:5]], no_group[:5])))
    assert found == [("6", "Ansvarig grupp", "Kolumnen saknas men måste finnas i filen.")]
    found = problem_table(upload(client, "tom.csv", csv_file([])))
    assert found == [("–", "–", "Filen innehåller inga avtal under rubrikraden.")]


def test_rows_that_name_the_same_agreement_twice(seeded, client):
    lakar = agreement(LAKAR)
    rows = [
        new_row(1, case_number="", title="Två rader utan nummer"),
        new_row(2, case_number="", title="Två rader utan nummer"),
        new_row(3, case_number="", title=lakar.title, responsible_group=REKO),
        new_row(4, case_number="", title=lakar.title.upper(), responsible_group=REKO),
    ]
    found = problem_table(upload(client, "dubbel.xlsx", xlsx_file(rows, meta=False)))
    assert found == [
        (
            "3",
            "Titel",
            "Samma titel och ansvariga grupp som rad 2, utan diarienummer: "
            "ange diarienummer för att skilja avtalen åt.",
        ),
        ("5", "Titel", "Raden avser samma avtal i registret som rad 4."),
    ]


def test_a_file_that_is_no_spreadsheet_gets_a_clear_error(client, tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    cases = [
        ("bild.png", png, "Filen måste vara ett kalkylark: .xlsx (Excel) eller .csv (semikolonseparerad)."),
        ("avtal.xlsx", png, "Filen är inte en XLSX-fil (Excel-arbetsbok). Välj en .xlsx- eller .csv-fil."),
        ("avtal.csv", png, "Filen är inte en CSV-fil (den innehåller binära data). Välj en .csv- eller .xlsx-fil."),
        ("gammal.xls", b"\xd0\xcf\x11\xe0" + bytes(100), "Filformatet stöds inte."),
        ("trasig.xlsx", b"PK\x03\x04" + bytes(100), "Filen kunde inte läsas som en Excel-arbetsbok"),
        ("brev.csv", "Hej!\nHär kommer listan.\n".encode(), "Filen har ingen rubrikrad."),
        ("tom.csv", b"", "Filen är tom."),
    ]
    for name, content, message in cases:
        response = upload(client, name, content)
        assert response.status_code == 422, name
        page = text(response)
        assert "Filen kunde inte läsas. Inget har sparats." in page, name
        assert message in unescape(page), (name, page[-3000:])
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    response = client.post("/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Välj en fil att importera." in text(response)


# --- matching, updates and references ------------------------------------------------------------


def test_preview_writes_nothing_and_commit_writes_through_save_agreement(seeded, client):
    lakar = agreement(LAKAR)
    header = ["Titel", "Typ", "Status", "Ansvarig grupp", "Diarienummer", "Giltig från", "Giltig till"]
    header += ["Granskningscykel", "Hör till avtal", "Ersatt av"]  # the cycle's header in earlier exports: still read
    rows = [
        ["Importerat avtal 001", "Avtal", "Gällande", ALDRE, "IMP 2026/1", "2026-01-01", "2028-12-31", "Årligen"],
        # Refers to a new row further down: that one is created first.
        ["Importerat avtal 002", "Avtal", "Ersatt", ALDRE, "", "2026-01-01", "", "", "", "Importerat avtal 003"],
        ["Importerat avtal 003", "Avtal", "Gällande", ALDRE, "", "2026-01-01", "", "", "IMP 2026/1", ""],
        # An agreement without case number, found on title and group, gets one and a new end date;
        # the columns the file does not have (parties, owners, notes, …) are kept.
        [
            lakar.title,
            "Avtal",
            "Gällande",
            "reko",
            "RJL 2026/99",
            lakar.valid_from.isoformat(),
            "2027-06-30",
            spreadsheet.describe_cycle(lakar.review_rule),
        ],
    ]
    content = xlsx_file(rows, header=header)
    before = counts()
    preview = upload(client, "nya.xlsx", content)
    page = text(preview)
    assert problem_table(preview) == []
    assert "4 rader: 3 nya, 1 ändrade, 0 oförändrade, 0 med problem." in page
    assert "Ändras: Diarienummer, Giltig till" in page
    assert "Importera: 3 nya, 1 ändrade</button>" in page
    assert "built-in method" not in page
    assert counts() == before

    token = upload_token(preview)
    assert token
    # Another admin cannot commit this upload; a made-up name is refused.
    other = client_for(seeded, make_user("admin", "admin2@test.example.org"))
    for who, name in ((other, token), (client, "../../etc/passwd"), (client, "0" * 32)):
        refused = who.post("/import/commit", data={"upload": name})
        assert refused.status_code == 302 and refused.location.endswith("/import")
    assert counts() == before

    done = client.post("/import/commit", data={"upload": token}, follow_redirects=True)
    assert "Importen är klar: 3 nya och 1 ändrade avtal (0 oförändrade)." in text(done)
    first, second, third = (agreement(f"Importerat avtal 00{n}") for n in (1, 2, 3))
    assert second.status == "replaced" and second.replaced_by_id == third.id
    assert third.parent_id == first.id
    assert first.review_rule == "FREQ=YEARLY;INTERVAL=1" and first.next_review_on == datetime.date(2027, 1, 1)
    lakar = Agreement.get_by_id(lakar.id)
    assert (lakar.case_number, lakar.expires_on) == ("RJL 2026/99", datetime.date(2027, 6, 30))
    assert lakar.kind == "avtal" and len(lakar.party_links) == 14  # columns not in the file are kept
    entries = AuditEntry.select().where(AuditEntry.entity == "agreement").order_by(AuditEntry.id.desc()).limit(4)
    assert {e.action for e in entries} == {"create", "update"}
    assert all(e.actor == "Test admin <admin@test.example.org>" for e in entries)
    # The stored upload is gone; committing again is refused.
    assert client.post("/import/commit", data={"upload": token}).status_code == 302
    assert counts()[0] == before[0] + 3


def test_references_that_go_round_in_a_circle(seeded, client):
    rows = [new_row(1, parent="IMP 2026/2"), new_row(2, parent="IMP 2026/1")]
    found = problem_table(upload(client, "cirkel.xlsx", xlsx_file(rows, meta=False)))
    assert [(r, c) for r, c, _m in found] == [("2", "Hör till avtal"), ("3", "Hör till avtal")]
    assert "går runt i en cirkel" in found[0][2]


def test_labels_codes_and_cycle_texts_are_read(seeded):
    rows = [
        new_row(1, kind="overenskommelse", status="in_force", review_rule="FREQ=MONTHLY;INTERVAL=6"),
        new_row(2, kind="TILLÄMPNINGSANVISNING", status="under revidering", review_rule="vartannat år"),
        new_row(3, kind="Strategi", status="Utkast", review_rule="Var 3:e månad", responsible_group="Äldre"),
        new_row(4, review_rule="", owners="Beredningsansvarig ReKo", expiry_offsets="30; 90"),
        new_row(5, review_rule="Vart 4:e år", owners="Sekreterare ReKo <sekreterare.reko@example.org>"),
    ]
    plan = importer.commit("koder.csv", csv_file(rows))
    assert plan.committed, [str(p) for p in plan.all_problems]
    got = {a.title[-3:]: a for a in Agreement.select().where(Agreement.title.startswith("Importerat avtal"))}
    assert (got["001"].kind, got["001"].status, got["001"].review_rule) == (
        "overenskommelse",
        "in_force",
        "FREQ=MONTHLY;INTERVAL=6",
    )
    assert (got["002"].kind, got["002"].status, got["002"].review_rule) == (
        "tillampningsanvisning",
        "under_revision",
        "FREQ=YEARLY;INTERVAL=2",
    )
    assert (got["003"].status, got["003"].review_rule) == ("draft", "FREQ=MONTHLY;INTERVAL=3")
    assert got["003"].responsible_group.name == ALDRE
    assert got["004"].review_rule == "" and got["004"].expiry_offsets == "90, 30"
    assert [link.person.email for link in got["004"].owner_links] == ["beredning.reko@example.org"]
    assert [link.person.email for link in got["005"].owner_links] == ["sekreterare.reko@example.org"]


def test_a_csv_from_excel_with_commas_and_windows_encoding(seeded):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",")
    writer.writerow(["Titel", "Typ", "Status", "Ansvarig grupp", "Giltig från"])
    writer.writerow(["Överenskommelse från Excel", "Överenskommelse", "Gällande", "Äldre", "2026-01-01"])
    plan = importer.commit("excel.csv", buffer.getvalue().encode("cp1252"))
    assert plan.committed, [str(p) for p in plan.all_problems]
    assert agreement("från Excel").responsible_group.name == ALDRE


def test_cycle_texts_read_back(plain_ctx):
    for rule in ("", "FREQ=YEARLY;INTERVAL=1", "FREQ=YEARLY;INTERVAL=3", "FREQ=MONTHLY;INTERVAL=1"):
        assert spreadsheet.parse_cycle(spreadsheet.describe_cycle(rule)) == rule
    for rule in (
        "FREQ=MONTHLY;INTERVAL=6",
        "FREQ=WEEKLY;INTERVAL=1",
        "FREQ=WEEKLY;INTERVAL=2",
        "FREQ=DAILY;INTERVAL=9",
    ):
        assert spreadsheet.parse_cycle(spreadsheet.describe_cycle(rule)) == rule
    assert spreadsheet.describe_cycle("FREQ=YEARLY;INTERVAL=3") == "Vart 3:e år"
    assert spreadsheet.describe_cycle("FREQ=MONTHLY;INTERVAL=6") == "Var 6:e månad"
    assert spreadsheet.parse_cycle("var 2:a år") == "FREQ=YEARLY;INTERVAL=2"
    assert spreadsheet.parse_cycle("Kvartalsvis") == "FREQ=MONTHLY;INTERVAL=3"
    assert spreadsheet.parse_cycle("Ingen fast granskningscykel") == ""  # as earlier exports wrote it
    assert spreadsheet.parse_cycle("Ingen fast uppföljningscykel") == ""
    with pytest.raises(ValueError, match="känns inte igen"):
        spreadsheet.parse_cycle("När det behövs")


# --- the command -------------------------------------------------------------------------------


def test_command_dry_run_and_import(seeded, runner, tmp_path):
    path = tmp_path / "avtal.csv"
    path.write_bytes(csv_file([new_row(n) for n in range(1, 4)]))
    before = counts()

    dry = runner.invoke(args=["import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip().endswith(
        "avtal.csv: 3 rader: 3 nya, 0 ändrade, 0 oförändrade, 0 med problem. "
        "Provkörning (--dry-run): inget har sparats."
    )
    assert counts() == before

    done = runner.invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    assert "3 rader: 3 nya, 0 ändrade, 0 oförändrade, 0 med problem. Importerat." in done.output
    assert Agreement.select().count() == before[0] + 3
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert entry.actor.startswith("command line (")

    path.write_bytes(csv_file([new_row(1, notes="Ny anteckning"), new_row(2), new_row(3, review_rule="Ibland")]))
    bad = runner.invoke(args=["import", str(path), "--dry-run"])
    assert bad.exit_code == 1
    assert "rad 9, Uppföljningscykel: Uppföljningscykeln «Ibland» känns inte igen" in bad.output
    assert "3 rader: 0 nya, 1 ändrade, 1 oförändrade, 1 med problem. Inget har importerats." in bad.output

    unreadable = tmp_path / "avtal.txt"
    unreadable.write_text("inte ett kalkylark")
    result = runner.invoke(args=["import", str(unreadable)])
    assert result.exit_code == 1
    assert "Filen måste vara ett kalkylark" in result.output


def test_links_on_the_agreement_list_follow_the_role(app):
    for role, export, upload_link in (
        ("viewer", False, False),
        ("editor", False, False),
        ("auditor", True, False),
        ("admin", True, True),
    ):
        page = text(client_as(app, role).get("/agreements"))
        assert ('href="/agreements/export.xlsx"' in page) == export, role
        assert ('href="/import"' in page) == upload_link, role


def test_a_name_shared_by_two_people_is_ambiguous(seeded, client):
    Person.create(name="Anna Andersson", email="anna.1@example.org")
    Person.create(name="Anna Andersson", email="anna.2@example.org")
    found = problem_table(upload(client, "anna.xlsx", xlsx_file([new_row(1, owners="Anna Andersson")], meta=False)))
    assert found == [
        (
            "2",
            "Ägare",
            "«Anna Andersson» är tvetydigt: flera i registret heter så. "
            "Skriv hela namnet (för en person: e-postadressen).",
        )
    ]
    plan = importer.plan("anna.csv", csv_file([new_row(1, owners="anna.2@example.org; ANNA.1@example.org")]))
    assert plan.ok and plan.rows[0].data["owners"] == sorted(
        Person.get(Person.email == e).id for e in ("anna.1@example.org", "anna.2@example.org")
    )
