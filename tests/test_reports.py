"""Auditor's reports on the demo register: pages, filters, CSV and XLSX exports, and who may see them."""

import csv
import datetime
import io
import re
from html import unescape

import openpyxl

from registry.models import Agreement, Group, Reminder
from tests.factories import agreement, client_for, group_id, make_agreement, make_user
from tests.html import text

LAKAR_TITLE = (
    "Läkaruppdrag och medicinsk samverkan mellan vårdcentraler och kommunal hälso- och sjukvård "
    "i ordinärt och särskilt boende"
)
BARN = "Strategigrupp Barn och unga"
TITLES = {
    "expiring": "Avtal som upphör",
    "overdue": "Försenade granskningar",
    "unowned": "Avtal utan ägare eller ansvarig grupp",
    "reminders": "Misslyckade och eskalerade påminnelser",
    "register": "Hela registret",
}
AGREEMENT_HEADER = [
    "Id",
    "Titel",
    "Kortnamn",
    "Typ",
    "Diarienummer",
    "Status",
    "Ansvarig grupp",
    "Ägare",
    "Giltig från",
    "Giltig till",
    "Nästa granskning",
    "Senaste granskning",
]
REMINDER_HEADER = [
    "Avtal-id",
    "Avtal",
    "Tidsfrist",
    "Datum",
    "Steg",
    "Mottagare",
    "Roll",
    "Skickas",
    "Status",
    "Försök",
    "Fel",
]


# --- helpers ----------------------------------------------------------------


def _cell(html):
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def page_table(response):
    """(header, rows) of a report page, cells as shown."""
    assert response.status_code == 200
    html = text(response)
    table = re.search(r'<table class="list report">(.*?)</table>', html, re.S).group(1)
    header = [_cell(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = [
        [_cell(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    if rows == [["Inget att visa."]]:
        rows = []
    count = re.search(r'class="result-count">\s*(\d+) rad(?:er)?\b', html)
    assert count and int(count.group(1)) == len(rows)
    return header, rows


def csv_export(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # BOM, for Excel
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def xlsx_export(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return sheet, [list(r) for r in sheet.iter_rows(values_only=True)]


def check_exports(client, key, query, auditor, described, expected_rows, subtests):
    """Both downloads: title, when, by whom, the filter, the header, then exactly the expected rows.

    `expected_rows` are the page's rows (strings as shown, "–" for empty).
    """
    header = REMINDER_HEADER if key == "reminders" else AGREEMENT_HEADER
    as_shown = [[c if c != "" else "–" for c in row] for row in expected_rows]
    with subtests.test("csv", key=key, **query):
        response = client.get(f"/reports/{key}/export.csv", query_string=query)
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="{key}-\d{{8}}-\d{{4}}\.csv"', disposition)
        lines = csv_export(response)
        assert lines[0] == [TITLES[key]]
        assert lines[1][0] == "Skapad" and datetime.datetime.fromisoformat(lines[1][1])
        assert lines[2] == ["Skapad av", auditor.email]
        assert lines[3] == ["Filter", described]
        assert lines[4] == []
        assert lines[5] == header
        assert [[c if c != "" else "–" for c in row] for row in lines[6:]] == as_shown
    with subtests.test("xlsx", key=key, **query):
        response = client.get(f"/reports/{key}/export.xlsx", query_string=query)
        assert response.headers["Content-Disposition"].endswith('.xlsx"')
        sheet, rows = xlsx_export(response)
        assert sheet.title == TITLES[key][:31]
        assert sheet["A1"].value == TITLES[key] and sheet["A1"].font.bold
        assert rows[1][0] == "Skapad" and datetime.datetime.fromisoformat(rows[1][1])
        assert rows[2][:2] == ["Skapad av", auditor.email]
        assert rows[3][:2] == ["Filter", described]
        assert rows[5] == header
        data = [["–" if v in (None, "") else str(v) for v in row] for row in rows[6:]]
        assert data == as_shown
        assert all(isinstance(row[0], int) for row in rows[6:])  # ids stay numbers


def titles(rows, column=1):
    return [row[column] for row in rows]


# --- the reports --------------------------------------------------------------


def test_reports_on_the_demo_register(seeded, subtests):
    app = seeded
    auditor, editor, viewer = make_user("auditor"), make_user("editor"), make_user("viewer")
    client = client_for(app, auditor)
    lakar = agreement("Läkaruppdrag")
    assert lakar.title == LAKAR_TITLE
    barn = Group.get(Group.name == BARN)
    barn_titles = sorted(a.title for a in Agreement.select().where(Agreement.responsible_group == barn))
    assert len(barn_titles) == 11

    with subtests.test("the list of reports"):
        page = text(client.get("/reports"))
        for key, title in TITLES.items():
            assert f'href="/reports/{key}"' in page and title in page

    for query, listed, described in [
        ({"from": "2026-11-23", "to": "2027-01-01"}, [LAKAR_TITLE], "from: 2026-11-23; to: 2027-01-01"),
        ({"days": "30"}, [], "from: 2026-11-23; to: 2026-12-23; days: 30"),
        ({"days": "38"}, [LAKAR_TITLE], "from: 2026-11-23; to: 2026-12-31; days: 38"),
        ({"days": "37"}, [], "from: 2026-11-23; to: 2026-12-30; days: 37"),
        ({"days": "60"}, [LAKAR_TITLE], "from: 2026-11-23; to: 2027-01-22; days: 60"),
        ({}, [LAKAR_TITLE], "from: 2026-11-23; to: 2027-05-22; days: 180"),
        ({"from": "2027-01-01"}, [], "from: 2027-01-01; to: 9999-12-31"),
        ({"to": "2026-12-31"}, [LAKAR_TITLE], "from: 2026-11-23; to: 2026-12-31"),
        ({"days": "abc"}, [LAKAR_TITLE], "from: 2026-11-23; to: 2027-05-22; days: 180"),
    ]:
        with subtests.test("expiring", **query):
            response = client.get("/reports/expiring", query_string=query)
            header, rows = page_table(response)
            assert header == AGREEMENT_HEADER
            assert titles(rows) == listed
            if listed:
                (row,) = rows
                assert row[0] == str(lakar.id)
                assert (row[6], row[9]) == ("ReKo", "2026-12-31")
                assert row[7] == "beredning.aldre@example.org, beredning.reko@example.org"
                assert f'href="/agreements/{lakar.id}"' in text(response)
        if query in ({"days": "60"}, {"from": "2026-11-23", "to": "2027-01-01"}):
            check_exports(client, "expiring", query, auditor, described, rows, subtests)
        else:
            with subtests.test("expiring filter in export", **query):
                assert csv_export(client.get("/reports/expiring/export.csv", query_string=query))[3] == [
                    "Filter",
                    described,
                ]

    with subtests.test("overdue"):
        header, overdue = page_table(client.get("/reports/overdue"))
        assert sorted(titles(overdue)) == barn_titles
        assert {row[6] for row in overdue} == {BARN}
        assert {row[10] for row in overdue} == {"2026-01-01"}  # yearly reviews, none recorded
    check_exports(client, "overdue", {}, auditor, "–", overdue, subtests)

    with subtests.test("register"):
        header, register = page_table(client.get("/reports/register"))
        assert len(register) == 28
        assert sorted(int(row[0]) for row in register) == sorted(a.id for a in Agreement.select())
        groups = [row[6] for row in register]
        assert groups == sorted(groups)  # by responsible group
        assert LAKAR_TITLE in titles(register)
    check_exports(client, "register", {}, auditor, "–", register, subtests)

    with subtests.test("nothing unowned or failed in the demo data"):
        assert page_table(client.get("/reports/unowned"))[1] == []
        assert page_table(client.get("/reports/reminders"))[1] == []

    with subtests.test("who may see and export"):
        for url in ("/reports", "/reports/expiring", "/reports/expiring/export.csv", "/reports/register/export.xlsx"):
            assert client_for(app, viewer).get(url).status_code == 403, url
        as_editor = client_for(app, editor)
        assert as_editor.get("/reports").status_code == 200
        page = as_editor.get("/reports/expiring", query_string={"days": "60"})
        assert titles(page_table(page)[1]) == [LAKAR_TITLE]
        assert "/export.csv" not in text(page) and "/export.xlsx" not in text(page)
        assert as_editor.get("/reports/expiring/export.csv").status_code == 403
        assert as_editor.get("/reports/register/export.xlsx").status_code == 403
        auditor_page = text(client.get("/reports/expiring", query_string={"days": "60"}))
        assert 'href="/reports/expiring/export.csv?days=60"' in auditor_page
        assert 'href="/reports/expiring/export.xlsx?days=60"' in auditor_page

    with subtests.test("unknown report or format"):
        for url in ("/reports/nope", "/reports/nope/export.csv", "/reports/expiring/export.pdf", "/reports/x/export.x"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Sidan finns inte" in text(response)

    # --- now change the register: an agreement without owners, reminders that failed or escalated
    unowned = make_agreement(title="Överenskommelse utan ägare", responsible_group=group_id("ReKo"))
    first_barn = Agreement.get(Agreement.title == barn_titles[0])
    reminder = {"kind": "review", "deadline_on": datetime.date(2026, 1, 1), "attempts": 1}
    Reminder.create(
        agreement=lakar,
        kind="expiry",
        deadline_on=datetime.date(2026, 12, 31),
        stage="before:60",
        recipient="beredning.reko@example.org",
        role="owner",
        send_on=datetime.date(2026, 11, 2),
        state="failed",
        attempts=3,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    Reminder.create(
        agreement=first_barn,
        stage="overdue:8",
        recipient="ordforande.barn@example.org",
        role="chair",
        send_on=datetime.date(2026, 1, 13),
        state="sent",
        **reminder,
    )
    Reminder.create(
        agreement=first_barn,
        stage="overdue:8",
        recipient="sekreterare.reko@example.org",
        role="secretary",
        send_on=datetime.date(2026, 1, 13),
        state="sent",
        **reminder,
    )
    Reminder.create(  # an ordinary reminder that went out: not in the report
        agreement=first_barn,
        stage="before:30",
        recipient="beredning.barn-och-unga@example.org",
        role="owner",
        send_on=datetime.date(2025, 12, 2),
        state="sent",
        **reminder,
    )

    with subtests.test("unowned"):
        header, rows = page_table(client.get("/reports/unowned"))
        assert [(row[0], row[1], row[7]) for row in rows] == [(str(unowned.id), "Överenskommelse utan ägare", "–")]
        check_exports(client, "unowned", {}, auditor, "–", rows, subtests)
        assert len(page_table(client.get("/reports/register"))[1]) == 29

    with subtests.test("reminders"):
        header, rows = page_table(client.get("/reports/reminders"))
        assert header == REMINDER_HEADER
        assert [(row[1], row[5], row[6], row[8]) for row in rows] == [
            (LAKAR_TITLE, "beredning.reko@example.org", "owner", "failed"),
            (first_barn.title, "sekreterare.reko@example.org", "secretary", "sent"),
            (first_barn.title, "ordforande.barn@example.org", "chair", "sent"),
        ]
        assert rows[0][:1] == [str(lakar.id)] and rows[0][7] == "2026-11-02" and rows[0][9] == "3"
        assert rows[0][10] == "SMTPServerDisconnected: Connection unexpectedly closed"
        check_exports(client, "reminders", {}, auditor, "–", rows, subtests)
        recent = {"from": "2026-11-01"}
        header, rows = page_table(client.get("/reports/reminders", query_string=recent))
        assert [row[5] for row in rows] == ["beredning.reko@example.org"]
        check_exports(client, "reminders", recent, auditor, "from: 2026-11-01", rows, subtests)
        header, rows = page_table(client.get("/reports/reminders", query_string={"to": "2026-10-31"}))
        assert [row[6] for row in rows] == ["secretary", "chair"]
