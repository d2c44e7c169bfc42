"""Auditor's reports on the demo register: pages, filters, CSV and XLSX exports, and who may see them."""

import csv
import datetime
import io
import re
from html import unescape

import openpyxl

from registry.models import Agreement, Reminder
from tests.conftest import TODAY
from tests.factories import agreement, client_for, deadlines, group_id, make_agreement, make_user
from tests.html import text

LAKAR_TITLE = (
    "Läkaruppdrag och medicinsk samverkan mellan vårdcentraler och kommunal hälso- och sjukvård "
    "i ordinärt och särskilt boende"
)
BARN = "Strategigrupp Barn och unga"
TITLES = {
    "expiring": "Avtal som upphör",
    "overdue": "Försenade uppföljningar",
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
    "Nästa uppföljning",
    "Senaste uppföljning",
]
EXPIRING_HEADER = [*AGREEMENT_HEADER, "Dagar kvar"]
OVERDUE_HEADER = [*AGREEMENT_HEADER, "Dagar försenad"]
REMINDER_HEADER = [
    "Avtals-id",
    "Avtal",
    "Tidsfrist",
    "Datum",
    "Steg",
    "Mottagare",
    "Roll",
    "Planerad",
    "Skickad (Europe/Stockholm)",
    "Status",
    "Försök",
    "Fel",
]
HEADERS = {"expiring": EXPIRING_HEADER, "overdue": OVERDUE_HEADER, "reminders": REMINDER_HEADER}


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
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith("\ufeff".encode())  # BOM, for Excel
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def xlsx_export(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    return sheet, [list(r) for r in sheet.iter_rows(values_only=True)]


def shown(cell):
    """An XLSX cell as the report page shows it: dates YYYY-MM-DD, times to the minute, empty as "–"."""
    value = cell.value
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d" if cell.number_format == "yyyy-mm-dd" else "%Y-%m-%d %H:%M")
    return "–" if value in (None, "") else str(value)


def check_exports(client, key, query, auditor, described, expected_rows, subtests):
    """Both downloads: title, when, by whom, the filter, the header, then exactly the expected rows.

    `expected_rows` are the page's rows (strings as shown, "–" for empty).
    """
    header = HEADERS.get(key, AGREEMENT_HEADER)
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
        assert rows[0] == header and sheet["A1"].font.bold
        about = sheet.parent.worksheets[1]
        assert about.title == "Om filen"
        meta = [list(r) for r in about.iter_rows(values_only=True)]
        assert meta[0][0] == TITLES[key]
        assert meta[1][0] == "Skapad" and isinstance(meta[1][1], datetime.datetime)
        assert meta[2] == ["Skapad av", auditor.email]
        assert meta[3] == ["Filter", described]
        assert meta[4] == ["Tidszon", "Tider i svensk tid (Europe/Stockholm)"]
        assert meta[5] == ["Rader", len(expected_rows)]
        data = [[shown(c) for c in row] for row in sheet.iter_rows(min_row=2)]
        assert data == as_shown
        assert all(isinstance(row[0], int) for row in rows[1:])  # ids stay numbers


def titles(rows, column=1):
    return [row[column] for row in rows]


# --- the reports --------------------------------------------------------------


def test_reports_on_the_demo_register(seeded, subtests):
    app = seeded
    auditor, editor, viewer = make_user("auditor"), make_user("editor"), make_user("viewer")
    client = client_for(app, auditor)
    lakar = agreement("Läkaruppdrag")
    assert lakar.title == LAKAR_TITLE
    late_reviews = [
        (row, day) for row, kind, day in deadlines(last=TODAY - datetime.timedelta(days=1)) if kind == "review"
    ]
    # the yearly Barn och unga reviews and the e-health strategy's, none recorded
    assert {row.responsible_group.name for row, _ in late_reviews} == {BARN, "Styrgrupp för E-hälsorådet"}

    with subtests.test("the list of reports"):
        page = text(client.get("/reports"))
        for key, title in TITLES.items():
            assert f'href="/reports/{key}"' in page and title in page

    # the dated strategies and plans that end after 2026
    later = [row.title for row, kind, _ in deadlines(first=datetime.date(2027, 1, 1)) if kind == "expiry"]
    assert later
    for query, listed, described in [
        ({"from": "2026-11-23", "to": "2027-01-01"}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2027-01-01"),
        ({"days": "30"}, [], "Från: 2026-11-23; Till: 2026-12-23; Inom antal dagar: 30"),
        ({"days": "38"}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2026-12-31; Inom antal dagar: 38"),
        ({"days": "37"}, [], "Från: 2026-11-23; Till: 2026-12-30; Inom antal dagar: 37"),
        ({"days": "60"}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2027-01-22; Inom antal dagar: 60"),
        ({}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2027-05-23; Inom antal månader: 6"),  # 6 calendar months
        ({"from": "2027-01-01"}, later, "Från: 2027-01-01"),  # an open end is not a filter
        ({"to": "2026-12-31"}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2026-12-31"),
        ({"days": "abc"}, [LAKAR_TITLE], "Från: 2026-11-23; Till: 2027-05-23; Inom antal månader: 6"),
    ]:
        with subtests.test("expiring", **query):
            response = client.get("/reports/expiring", query_string=query)
            header, rows = page_table(response)
            assert header == EXPIRING_HEADER
            assert sorted(titles(rows)) == sorted(listed)
            if listed == [LAKAR_TITLE]:
                (row,) = rows
                assert row[0] == str(lakar.id)
                assert (row[6], row[9], row[12]) == ("ReKo", "2026-12-31", "38")  # 38 days left
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
        assert sorted(titles(overdue)) == sorted(row.title for row, _ in late_reviews)
        assert {row[6] for row in overdue} == {row.responsible_group.name for row, _ in late_reviews}
        assert header == OVERDUE_HEADER
        assert sorted((int(row[0]), row[10], row[12]) for row in overdue) == sorted(
            (row.id, str(day), str((TODAY - day).days)) for row, day in late_reviews
        )  # 326 days since 2026-01-01, on 2026-11-23
    check_exports(client, "overdue", {}, auditor, "–", overdue, subtests)

    with subtests.test("register"):
        header, register = page_table(client.get("/reports/register"))
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
    # the first, by title, of the Barn och unga agreements with a review overdue since 2026-01-01
    first_barn = min((row for row, _ in late_reviews if row.responsible_group.name == BARN), key=lambda row: row.title)
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
        updated_at=datetime.datetime(2026, 1, 13, 7, 5),  # UTC: 08:05 in Stockholm
        **reminder,
    )
    Reminder.create(
        agreement=first_barn,
        stage="overdue:8",
        recipient="sekreterare.reko@example.org",
        role="secretary",
        send_on=datetime.date(2026, 1, 13),
        state="sent",
        updated_at=datetime.datetime(2026, 1, 13, 7, 5),  # UTC: 08:05 in Stockholm
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
        assert len(page_table(client.get("/reports/register"))[1]) == Agreement.select().count()

    with subtests.test("reminders"):
        header, rows = page_table(client.get("/reports/reminders"))
        assert header == REMINDER_HEADER
        assert [(row[1], row[5], row[6], row[9]) for row in rows] == [
            (LAKAR_TITLE, "beredning.reko@example.org", "Ägare", "Misslyckades"),
            (first_barn.title, "sekreterare.reko@example.org", "Sekreterare", "Skickad"),
            (first_barn.title, "ordforande.barn@example.org", "Ordförande", "Skickad"),
        ]
        assert rows[0][:1] == [str(lakar.id)] and rows[0][10] == "3"
        assert rows[0][2:5] == ["Upphör", "2026-12-31", "60 dagar före"]
        assert rows[0][7:9] == ["2026-11-02", "–"]  # planned, never sent
        assert rows[1][2:5] == ["Uppföljning", "2026-01-01", "8 dagar efter"]
        assert rows[1][7:9] == ["2026-01-13", "2026-01-13 08:05"]  # planned, and sent in Swedish time
        assert rows[0][11] == "SMTPServerDisconnected: Connection unexpectedly closed"
        check_exports(client, "reminders", {}, auditor, "–", rows, subtests)
        recent = {"from": "2026-11-01"}
        header, rows = page_table(client.get("/reports/reminders", query_string=recent))
        assert [row[5] for row in rows] == ["beredning.reko@example.org"]
        check_exports(client, "reminders", recent, auditor, "Från: 2026-11-01", rows, subtests)
        header, rows = page_table(client.get("/reports/reminders", query_string={"to": "2026-10-31"}))
        assert [row[6] for row in rows] == ["Sekreterare", "Ordförande"]
