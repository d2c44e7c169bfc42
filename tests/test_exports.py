"""Spreadsheets auditors can work in: every XLSX download has its header on row 1 (frozen, auto-filtered),
its metadata on a second sheet, dates and times as real spreadsheet dates (times in Swedish time, the zone
named), sensible column widths and no stored code; CSV is served with one charset; no export, nor the page
of secret feed addresses, may be cached. LibreOffice, when installed, reads the dates as dates."""

import csv
import datetime
import io
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from flask_babel import refresh

from registry import clock
from registry.domain import exports
from registry.models import AuditEntry, Reminder
from tests.factories import client_as, make_agreement

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
EXPORTS = {
    "/agreements/export": "Avtal",
    "/reports/expiring/export": "Avtal som upphör",
    "/reports/overdue/export": "Försenade uppföljningar",
    "/reports/unowned/export": "Avtal utan ägare eller ansvarig grupp",
    "/reports/reminders/export": "Misslyckade och eskalerade påminnelser",
    "/reports/register/export": "Hela registret",
    "/audit/export": "Ändringslogg",
}
# A date or time written as text: what an export must not do (it would sort as text).
DATE_AS_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
# Stored codes that must not reach a file (stage, status, kind, outcome, role, action, entity, raw JSON).
CODES = re.compile(
    r"\b(before:\d+|overdue:\d+|in_force|under_revision|overenskommelse|to_be_revised|"
    r"secretary|chair|owner|failed|sent|update|create|agreement)\b|^\{\""
)
SENT_AT = datetime.datetime(2026, 7, 1, 10, 30)  # UTC; 12:30 in Stockholm (summer time)


@pytest.fixture
def register(small_register):
    """The small register, plus an overdue review and an escalated reminder that went out."""
    overdue = make_agreement(
        title="Överenskommelse med passerad granskning",
        responsible_group=small_register.team,
        owners=[small_register.owner],
        valid_from=datetime.date(2020, 1, 1),
        review_rule="FREQ=YEARLY;INTERVAL=1",
    )
    Reminder.create(
        agreement=overdue,
        kind="review",
        deadline_on=overdue.next_review_on,
        stage="overdue:8",
        recipient="cecilia@test.example.org",
        role="chair",
        send_on=datetime.date(2026, 7, 1),
        state="sent",
        attempts=1,
        updated_at=SENT_AT,
    )
    small_register.overdue = overdue
    return small_register


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == XLSX
    assert response.headers["Cache-Control"] == "no-store"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def table(sheet):
    """{header: [cells]} of a sheet whose header is on row 1."""
    header = [c.value for c in sheet[1]]
    columns = {h: [] for h in header}
    for row in sheet.iter_rows(min_row=2):
        for h, cell in zip(header, row, strict=True):
            columns[h].append(cell)
    return columns


def test_every_xlsx_has_header_on_row_1_real_dates_and_metadata_on_a_second_sheet(app, register, subtests):
    client = client_as(app, "auditor", email="revisor@test.example.org")
    for path, title in EXPORTS.items():
        with subtests.test(path):
            query = {"from": "2000-01-01", "to": "2100-12-31"} if "expiring" in path else {}
            book = workbook(client.get(f"{path}.xlsx", query_string=query))
            sheet, about = book.worksheets
            assert book.active == sheet  # it opens on the table
            assert sheet.title == exports.sheet_title(title)
            header = [c.value for c in sheet[1]]
            assert all(isinstance(h, str) and h for h in header) and all(c.font.bold for c in sheet[1])
            assert sheet.freeze_panes == "A2"
            assert sheet.auto_filter.ref == sheet.dimensions and sheet.auto_filter.ref.startswith("A1:")
            assert sheet.max_row >= 2, "each export has rows in this register"
            dates = 0
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    assert not (isinstance(cell.value, str) and DATE_AS_TEXT.match(cell.value)), cell.coordinate
                    assert not (isinstance(cell.value, str) and CODES.search(cell.value)), (cell.coordinate, cell.value)
                    if isinstance(cell.value, datetime.datetime):
                        assert cell.number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm"), cell.number_format
                        dates += 1
            assert dates, "every export here has a date or time column"
            for index in range(1, len(header) + 1):
                width = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
                assert 8 <= width <= 61, (header[index - 1], width)

            meta = {row[0]: row[1] for row in about.iter_rows(min_row=2, values_only=True)}
            assert about.title == "Om filen" and about["A1"].value == title
            assert isinstance(meta["Skapad"], datetime.datetime)
            now_here = datetime.datetime.now(STOCKHOLM).replace(tzinfo=None)
            assert abs(now_here - meta["Skapad"]) < datetime.timedelta(minutes=5)  # Swedish time, not UTC
            assert meta["Skapad av"] == "revisor@test.example.org"
            assert meta["Tidszon"] == "Tider i svensk tid (Europe/Stockholm)"
            assert meta["Rader"] == sheet.max_row - 1


def test_the_columns_auditors_asked_for(app, register):
    client = client_as(app, "auditor")
    today = clock.today()

    columns = table(workbook(client.get("/agreements/export.xlsx")).worksheets[0])
    assert "Giltig till" in columns  # the import's Swedish file format, whatever the language
    ends = {c.value for c in columns["Giltig till"]}
    assert datetime.datetime(2026, 12, 31) in ends

    query = {"from": "2000-01-01", "to": "2100-12-31"}
    columns = table(workbook(client.get("/reports/expiring/export.xlsx", query_string=query)).worksheets[0])
    for end, left in zip(columns["Giltig till"], columns["Dagar kvar"], strict=True):
        assert left.value == (end.value.date() - today).days

    columns = table(workbook(client.get("/reports/overdue/export.xlsx")).worksheets[0])
    assert [c.value for c in columns["Titel"]] == ["Överenskommelse med passerad granskning"]
    (due,) = columns["Nästa uppföljning"]
    (late,) = columns["Dagar försenad"]
    assert late.value == (today - due.value.date()).days > 0

    columns = table(workbook(client.get("/reports/reminders/export.xlsx")).worksheets[0])
    assert [c.value for c in columns["Steg"]] == ["8 dagar efter"]
    assert [c.value for c in columns["Roll"]] == ["Ordförande"]
    assert [c.value for c in columns["Status"]] == ["Skickad"]
    assert [c.value for c in columns["Planerad"]] == [datetime.datetime(2026, 7, 1)]
    (sent,) = columns["Skickad (Europe/Stockholm)"]
    assert sent.value == datetime.datetime(2026, 7, 1, 12, 30) and sent.number_format == "yyyy-mm-dd hh:mm"

    columns = table(workbook(client.get("/audit/export.xlsx")).worksheets[0])
    stored = {e.id: e for e in AuditEntry.select()}
    for entry_id, at in zip(columns["Id"], columns["Tid (Europe/Stockholm)"], strict=True):
        expected = stored[entry_id.value].at.replace(tzinfo=datetime.UTC).astimezone(STOCKHOLM)
        assert at.value == expected.replace(tzinfo=None, microsecond=at.value.microsecond)
    assert {c.value for c in columns["Åtgärd"]} <= {"Skapade", "Ändrade", "Tog bort"}
    changes = [c.value for c in columns["Ändringar"] if c.value]
    assert any(line.startswith("Titel: – → ") for value in changes for line in value.split("\n"))
    assert any("Status: – → Gällande" in value for value in changes)
    lines = [line for value in changes for line in value.split("\n")]
    assert any(line.startswith("Organisation: – → ") for line in lines)  # a person's, by its label
    assert any(line.startswith("Ordförande: – → ") for line in lines)  # a group's chair
    assert [line for line in lines if re.match(r"^[a-z_]+:", line)] == []  # no field by its code


def test_headers_in_the_users_language_but_the_import_format_stays_swedish(app, register):
    client = client_as(app, "auditor")

    def english(url):
        refresh()  # the test's app context would keep the first request's language
        return workbook(client.get(url, query_string={"lang": "en"})).worksheets

    overdue, about = english("/reports/overdue/export.xlsx")
    assert [c.value for c in overdue[1]][:2] == ["Id", "Title"]
    assert [c.value for c in overdue[1]][-1] == "Days overdue"
    assert about.title == "About this file" and about["A1"].value == "Overdue reviews"
    audit = english("/audit/export.xlsx")[0]
    assert [c.value for c in audit[1]][:4] == ["Id", "Time (Europe/Stockholm)", "Who", "Action"]
    agreements = english("/agreements/export.xlsx")[0]
    assert [c.value for c in agreements[1]][:2] == ["Titel", "Kortnamn"]
    refresh()


def test_csv_has_one_charset_and_nothing_secret_is_cached(app, register):
    client = client_as(app, "auditor")
    for path in EXPORTS:
        response = client.get(f"{path}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", path
        assert response.headers["Cache-Control"] == "no-store", path
        lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        assert lines[1][0] == "Skapad" and lines[3][0] == "Filter"
    sent = next(
        row
        for row in csv.reader(
            io.StringIO(client.get("/reports/reminders/export.csv").data.decode("utf-8-sig")), delimiter=";"
        )
        if "8 dagar efter" in row
    )
    assert "2026-07-01 12:30" in sent  # the send time, in Swedish time
    admin = client_as(app, "admin")
    for response in (admin.get("/account/feeds"), client.get("/account/feeds")):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"  # comma, double quotes, UTF-8, from line 1


def convert(path, fmt, tmp_path):
    """The file converted by LibreOffice (headless, its own profile so parallel runs do not block)."""
    out = tmp_path / fmt
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            CSV_FILTER if fmt == "csv" else fmt,
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (out / path.with_suffix(f".{fmt}").name).read_text(encoding="utf-8")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make test` installs it")
def test_libreoffice_reads_dates_as_dates(app, register, tmp_path):
    client = client_as(app, "auditor")
    agreements = tmp_path / "avtal.xlsx"
    agreements.write_bytes(client.get("/agreements/export.xlsx").data)
    rows = list(csv.reader(io.StringIO(convert(agreements, "csv", tmp_path))))
    header = rows[0]  # the first sheet, header on the first line
    assert header[:2] == ["Titel", "Kortnamn"]
    ends = [row[header.index("Giltig till")] for row in rows[1:]]
    assert "2026-12-31" in ends  # shown as a date, not as a serial number
    # A date cell, not text that looks like one: it sorts and filters as a date.
    flat = convert(agreements, "fods", tmp_path)
    assert 'office:value-type="date" office:date-value="2026-12-31"' in flat

    reminders = tmp_path / "paminnelser.xlsx"
    reminders.write_bytes(client.get("/reports/reminders/export.xlsx").data)
    rows = list(csv.reader(io.StringIO(convert(reminders, "csv", tmp_path))))
    sent = rows[0].index("Skickad (Europe/Stockholm)")
    assert rows[1][sent] == "2026-07-01 12:30"
    assert 'office:date-value="2026-07-01T12:30:00"' in convert(reminders, "fods", tmp_path)
