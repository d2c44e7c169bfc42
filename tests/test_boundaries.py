"""Input at the boundary: whatever a request, an upload or an older version's data holds, no 500.

Each test stands for a hole that answered 500 (or took data it should not) before
it was closed: NUL in any parameter on PostgreSQL, ids beyond 64 bits on SQLite,
line breaks in names, far dates in filters, an unsafe `next`, huge request bodies,
zip bombs, control characters in stored text reaching XLSX, and stored dates a
calendar cannot show. See docs/security.md, "Input limits".
"""

import datetime
import io
import json
import re
import struct
import subprocess
import sys
import textwrap
import zipfile
from html import unescape
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from peewee import SqliteDatabase

from registry.db import db
from registry.domain import audit, feeds, sheetfile, spreadsheet, users
from registry.models import Agreement, AuditEntry, FeedToken, Group, GroupMeeting, Organisation, Person, Review, User
from tests.conftest import login_as, make_app

ROOT = Path(__file__).resolve().parent.parent
HUGE = "99999999999999999999"  # beyond 2**63 - 1: SQLite raised OverflowError
PASSWORD = "Rätt-lösenord-2026"
ONE_LINE = "Texten får inte innehålla radbrytningar, tabbar eller andra styrtecken. Skriv den på en rad."
LONG_TEXT = "Texten får inte innehålla styrtecken (annat än radbrytningar och tabbar)."
UNKNOWN_GROUP = "Gruppen finns inte i registret. Välj en grupp i listan."
TOO_LARGE = "Det du skickade är för stort för registret."
MB = 1024 * 1024


def text(response):
    return unescape(response.get_data(as_text=True))


def field_error(response, name):
    found = re.search(rf'id="{name}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    return unescape(found.group(1)).strip() if found else None


def posted(client, url, **kwargs):
    """(status, page text) of a POST, its response and body closed: a large multipart body is a temporary
    file, which werkzeug's test client closes with the response only when it follows redirects."""
    with client.post(url, follow_redirects=True, **kwargs) as response:
        return response.status_code, text(response)


def on_sqlite():
    return isinstance(db.obj, SqliteDatabase)


def count(app, model, *conditions):
    with app.app_context():
        db.connect(reuse_if_open=True)
        query = model.select()
        for condition in conditions:
            query = query.where(condition)
        return query.count()


def account(app, email="anna@example.org", role="viewer"):
    with app.app_context():
        db.connect(reuse_if_open=True)
        return users.save_user({"email": email, "name": "Anna Andersson", "role": role, "password": PASSWORD})


# --- 1. NUL in any parameter ---------------------------------------------------------------


def test_nul_in_any_form_field_or_query_argument_is_harmless(app, client, anonymous, subtests):
    """PostgreSQL refuses NUL in text: every lookup of such a value answered 500, even /login."""
    account(app)

    with subtests.test("login, wrong password"):
        response = anonymous.post("/login", data={"email": "anna\x00@example.org", "password": "fel\x00"})
        assert response.status_code == 401
    with subtests.test("login: NUL means nothing, the account is found"):
        response = app.test_client().post(
            "/login?next=/agreements%00", data={"email": "anna@exa\x00mple.org", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/agreements"
    with subtests.test("reset password"):
        response = anonymous.post("/reset-password", data={"email": "anna\x00@example.org"})
        assert response.status_code == 302
        assert anonymous.post("/reset-password", data={"email": "okänd\x00@example.org"}).status_code == 302
    for url in (
        "/agreements?q=a%00b&group=1%00&kind=%00&sort=title%00",
        "/audit?actor=a%00b&agreement=1%00",
        "/audit/export.csv?actor=%00",
        "/reports/expiring?from=2026-01-01%00",
        "/people?x%00=y%00",
    ):
        with subtests.test(url=url):
            assert client.get(url).status_code == 200

    for url, data, model, expected in (
        ("/groups/new", {"name": "Grupp\x00 med NUL", "kind": "other"}, Group, "Grupp med NUL"),
        ("/organisations/new", {"name": "Part\x00 med NUL", "kind": "other"}, Organisation, "Part med NUL"),
        ("/people/new", {"name": "Per\x00 Persson", "email": "per@exam\x00ple.org"}, Person, "Per Persson"),
    ):
        with subtests.test(url=url):
            response = client.post(url, data=data)
            assert response.status_code == 302, text(response)[:300]
            assert count(app, model, model.name == expected) == 1


# --- 2. ids beyond 64 bits, unknown ids, control characters in names -------------------------


def test_ids_out_of_range_in_directory_and_user_forms_are_unknown(app, client, subtests):
    with app.app_context():
        db.connect(reuse_if_open=True)
        group = Group.create(name="Befintlig grupp", kind="other")
    group_form = {"name": "Ny grupp", "kind": "other", "lead_time_days": "14"}
    person_form = {"name": "Per Persson", "email": "per@example.org"}
    user_form = {"name": "Ulla", "email": "ulla@example.org", "role": "editor", "password": PASSWORD}
    for url, data, field, message in (
        ("/groups/new", {**group_form, "parent": HUGE}, "parent", UNKNOWN_GROUP),
        ("/groups/new", {**group_form, "parent": str(2**63)}, "parent", UNKNOWN_GROUP),
        ("/groups/new", {**group_form, "parent": "999999"}, "parent", UNKNOWN_GROUP),
        ("/groups/new", {**group_form, "parent": "-3"}, "parent", UNKNOWN_GROUP),
        (
            "/groups/new",
            {**group_form, "chair": HUGE},
            "chair",
            "Personen finns inte i registret. Välj en person i listan.",
        ),
        (
            "/groups/new",
            {**group_form, "chair": "abc"},
            "chair",
            "Personen finns inte i registret. Välj en person i listan.",
        ),
        (
            f"/groups/{group.id}/edit",
            {**group_form, "chair": HUGE},
            "chair",
            "Personen finns inte i registret. Välj en person i listan.",
        ),
        (
            "/people/new",
            {**person_form, "organisation": HUGE},
            "organisation",
            "Värdet finns inte i listan. Välj ett av listans värden.",
        ),
        ("/people/new", {**person_form, "groups": HUGE}, "groups", UNKNOWN_GROUP),
        ("/people/new", {**person_form, "groups": [str(group.id), "999999"]}, "groups", UNKNOWN_GROUP),
        ("/users/new", {**user_form, "groups": HUGE}, "groups", UNKNOWN_GROUP),
        (
            "/people/new",
            {**person_form, "groups": [str(n) for n in range(1, 40000)]},
            "groups",
            "Listan har för många värden. Den får ha högst 200.",
        ),
    ):
        with subtests.test(url=url, field=field, value=data[field]):
            response = client.post(url, data=data)
            assert response.status_code == 422, text(response)[:300]
            assert field_error(response, field) == message
    assert count(app, Group) == 1
    assert count(app, Person) == 0
    assert count(app, User, User.email == "ulla@example.org") == 0


def test_names_hold_one_line_and_long_text_no_control_characters(app, client, subtests):
    """A group's or person's name travels into e-mail subjects: a CR/LF there must never be stored."""
    group = {"name": "Grupp", "kind": "other"}
    for url, data, field, message in (
        ("/groups/new", {**group, "name": "Grupp\r\nBcc: alla@example.org"}, "name", ONE_LINE),
        ("/groups/new", {**group, "short_name": "a\tb"}, "short_name", ONE_LINE),
        ("/groups/new", {**group, "description": "ok\x01"}, "description", LONG_TEXT),
        (
            "/groups/new",
            {**group, "description": "x" * 20001},
            "description",
            "Texten är för lång: 20001 tecken. Den får vara högst 20000 tecken.",
        ),
        ("/organisations/new", {"name": "Org\nX", "kind": "other"}, "name", ONE_LINE),
        ("/organisations/new", {"name": "Org", "kind": "other", "notes": "\x1b[31m"}, "notes", LONG_TEXT),
        ("/people/new", {"name": "Per\r\nPersson", "email": "per@example.org"}, "name", ONE_LINE),
        ("/people/new", {"name": "Per", "email": "per@example.org", "title": "Chef\x85chef"}, "title", ONE_LINE),
        (
            "/users/new",
            {"name": "Anna\nAndersson", "email": "anna@example.org", "role": "viewer", "password": PASSWORD},
            "name",
            ONE_LINE,
        ),
    ):
        with subtests.test(url=url, field=field):
            response = client.post(url, data=data)
            assert response.status_code == 422, text(response)[:300]
            assert field_error(response, field) == message

    with subtests.test("line breaks in a description are kept, as LF"):
        response = client.post("/groups/new", data={**group, "description": "Rad ett\r\nRad två\n\tindrag"})
        assert response.status_code == 302
        with app.app_context():
            db.connect(reuse_if_open=True)
            assert Group.get(Group.name == "Grupp").description == "Rad ett\nRad två\n\tindrag"

    with subtests.test("meetings: a date far away, a note with a line break"):
        with app.app_context():
            db.connect(reuse_if_open=True)
            pk = Group.get(Group.name == "Grupp").id
        for data, message in (
            (
                {"meets_on": "0001-01-01"},
                "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
            ),
            (
                {"meets_on": "9999-12-31"},
                "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan 1900-01-01 och 2999-12-31.",
            ),
            ({"meets_on": "2026-12-01", "note": "a\r\nb"}, ONE_LINE),
        ):
            response = client.post(f"/groups/{pk}/meetings", data=data, follow_redirects=True)
            assert response.status_code == 200
            assert message in text(response)
        assert count(app, GroupMeeting) == 0


# --- 3. dates far away in filters ---------------------------------------------------------


def test_date_filters_far_away_never_fail(app, client, subtests):
    with app.app_context():
        db.connect(reuse_if_open=True)
        audit.record("update", "agreement", 7, {"notes": ["a", "b"]}, agreement_id=7, summary="Post sju")
    for url in (
        "/audit?to=9999-12-31",
        "/audit?from=0001-01-01&to=9999-12-31",
        "/audit/export.csv?to=9999-12-31",
        "/audit/export.xlsx?from=0001-01-01&to=9999-12-31",
        "/audit?agreement=%C2%B2",  # "²" is a digit to str.isdigit(), not to int()
        "/reports/expiring?from=0001-01-01&to=9999-12-31",
        "/reports/expiring?days=%C2%B2",
        "/reports/expiring/export.xlsx?to=9999-12-31",
        "/reports/reminders?from=0001-01-01&to=9999-12-31",
        "/reports/reminders/export.csv?to=9999-12-31",
    ):
        with subtests.test(url=url):
            response = client.get(url)
            assert response.status_code == 200
            if url.startswith("/audit?") and "agreement" not in url:
                assert "Post sju" in text(response)
    with subtests.test("the filter is read as the register's last date"):
        lines = client.get("/audit/export.csv?to=9999-12-31").get_data(as_text=True).splitlines()
        assert lines[3] == "Filter;Till: 2999-12-31"


# --- 4. an unsafe `next` --------------------------------------------------------------------


def test_an_unsafe_next_after_login_goes_to_the_dashboard(app, client, subtests):
    account(app)
    for target in (
        "/\r\nSet-Cookie: stulen=1",
        "/agreements\nX",
        "/\x7f",
        "/\\evil.example.org",
        "//evil.example.org",
        "https://evil.example.org/",
        "/" + "a" * 3000,
    ):
        with subtests.test(target=target):
            response = app.test_client().post(
                "/login", query_string={"next": target}, data={"email": "anna@example.org", "password": PASSWORD}
            )
            assert response.status_code == 302
            assert response.headers["Location"] == "/"
    with subtests.test("a local address is kept"):
        response = app.test_client().post(
            "/login", query_string={"next": "/agreements?q=å"}, data={"email": "anna@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response.headers["Location"] in ("/agreements?q=å", "/agreements?q=%C3%A5")
    with subtests.test("the language form's next"):
        response = client.post("/account/language", data={"locale": "sv", "next": "/\r\nX: y"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


# --- 5. request size ---------------------------------------------------------------------------


def test_a_too_large_request_is_refused_with_a_page(app, database_url, client, subtests):
    big = "x" * (10 * MB)
    with subtests.test("urlencoded form"):
        response = client.post("/groups/new", data={"name": "Stor", "kind": "other", "description": big})
        assert response.status_code == 413
        assert TOO_LARGE in text(response)
        assert "Traceback" not in text(response)
    with subtests.test("multipart form"):
        status, page = posted(
            client,
            "/groups/new",
            data={"name": "Stor", "kind": "other", "description": big},
            content_type="multipart/form-data",
        )
        assert status == 413
        assert TOO_LARGE in page
    with subtests.test("with CSRF protection, which reads the form first"):
        guarded = make_app(database_url, WTF_CSRF_ENABLED=True)
        guarded_client = guarded.test_client()
        login_as(guarded, guarded_client, "admin", email="admin2@test.example.org")
        response = guarded_client.post("/groups/new", data={"name": "Stor", "kind": "other", "description": big})
        assert response.status_code == 413
        assert TOO_LARGE in text(response)
    assert count(app, Group) == 0

    with subtests.test("the JSON API keeps its own limit and message"):
        api = app.test_client()
        with app.app_context():
            db.connect(reuse_if_open=True)
            from registry.domain import tokens

            owner = User.get(User.email == "admin@test.example.org")
            secret = tokens.create_token(owner, "test")[1]
        headers = {"Authorization": f"Bearer {secret}"}
        body = json.dumps({"notes": "y" * (900 * 1024)})
        response = api.post("/api/v1/agreements", data=body, content_type="application/json", headers=headers)
        assert response.status_code == 422  # read and checked: no title, no group
        body = json.dumps({"notes": "y" * (2 * MB)})
        response = api.post("/api/v1/agreements", data=body, content_type="application/json", headers=headers)
        assert response.status_code == 413
        assert response.is_json

    with subtests.test("the spreadsheet upload may send a 10 MB file"):
        rows = "Titel;Ansvarig grupp\n" + "".join(f"Avtal {n};Grupp\n" for n in range(6000))
        content = rows.encode() + b" " * (10 * MB - 1000 - len(rows))
        status, page = posted(
            client, "/import", data={"file": (io.BytesIO(content), "avtal.csv")}, content_type="multipart/form-data"
        )
        assert status == 422
        assert "Filen har fler än 5000" in page
    with subtests.test("a larger file is refused by the import, with its limit"):
        status, page = posted(
            client,
            "/import",
            data={"file": (io.BytesIO(b"Titel;Ansvarig grupp\n" + b" " * (10 * MB + 100)), "avtal.csv")},
            content_type="multipart/form-data",
        )
        assert status == 422
        assert "Filen är för stor. Den får vara högst 10 MB; dela upp den i flera filer." in page
    with subtests.test("a request beyond the upload's limit"):
        status, page = posted(
            client,
            "/import",
            data={"file": (io.BytesIO(b"x" * (12 * MB)), "avtal.csv")},
            content_type="multipart/form-data",
        )
        assert status == 413
        assert TOO_LARGE in page


# --- 6. spreadsheet files: zip bombs, lies, limits ------------------------------------------------

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _inline(*cells):
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


def _workbook(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _repack(content, replace, level=9):
    """The workbook with some entries' bytes replaced or added (packed at `level`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        entries = {info.filename: source.read(info) for info in source.infolist()} | replace
        for name, data in entries.items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return out.getvalue()


def zip_bomb(unpacked):
    """An XLSX with a header row, then identical rows until the sheet is `unpacked` bytes of XML."""
    head = f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>' + _inline("Titel", "Ansvarig grupp")
    row = _inline("Bomb", "Grupp", *["x" * 20] * 20)
    tail = "</sheetData></worksheet>"
    xml = head + row * ((unpacked - len(head) - len(tail)) // len(row)) + tail
    return _repack(_workbook([["x"]]), {"xl/worksheets/sheet1.xml": xml.encode()})


def _with_declared_size(content, name, size):
    """The zip with `name`'s unpacked size in the local header and the central directory changed to `size`."""
    data = bytearray(content)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            if data[at + name_at : at + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, at + size_at, size)
            start = at + 4
    return bytes(data)


def _read(name, content):
    return spreadsheet.read(name, content)


def test_xlsx_zip_bombs_and_lying_files_are_refused(plain_ctx, subtests):
    with subtests.test("unpacks beyond the limit"):
        bomb = zip_bomb(60 * MB)
        assert len(bomb) < 300 * 1024
        with pytest.raises(sheetfile.SpreadsheetError, match="för stor uppackad"):
            _read("bomb.xlsx", bomb)
    with subtests.test("packed far harder than any workbook"):
        bomb = zip_bomb(30 * MB)
        with pytest.raises(
            sheetfile.SpreadsheetError, match="komprimerad på ett sätt som en Excel-arbetsbok aldrig är"
        ):
            _read("bomb.xlsx", bomb)
    with subtests.test("declared size smaller than the real one"):
        honest = _repack(_workbook([["Titel", "Ansvarig grupp"], *[[f"Avtal {n}", "Grupp"] for n in range(200)]]), {})
        with zipfile.ZipFile(io.BytesIO(honest)) as archive:
            real = archive.getinfo("xl/worksheets/sheet1.xml").file_size
        lying = _with_declared_size(honest, "xl/worksheets/sheet1.xml", real // 10)
        with pytest.raises(sheetfile.SpreadsheetError, match="skadad"):
            _read("lying.xlsx", lying)
    with subtests.test("too many entries"):
        crowded = _repack(_workbook([["Titel", "Ansvarig grupp"]]), {f"extra/{n}.xml": b"<a/>" for n in range(1200)})
        with pytest.raises(sheetfile.SpreadsheetError, match="för många delar"):
            _read("crowded.xlsx", crowded)
    with subtests.test("more rows than an import takes"):
        many = _workbook([["Titel", "Ansvarig grupp"], *[[f"Avtal {n}", "Grupp"] for n in range(5100)]])
        with pytest.raises(sheetfile.SpreadsheetError, match="fler än 5000 rader"):
            _read("many.xlsx", many)
        csv_many = ("Titel;Ansvarig grupp\n" + "".join(f"Avtal {n};Grupp\n" for n in range(5100))).encode()
        with pytest.raises(sheetfile.SpreadsheetError, match="fler än 5000 rader"):
            _read("many.csv", csv_many)
        with pytest.raises(sheetfile.SpreadsheetError, match="fler än 5000 rader"):
            _read("blank.csv", b"Titel;Ansvarig grupp\n" + b"\n" * (sheetfile.MAX_LINES + 10))


def test_xlsx_with_a_wrong_dimension_is_read_whole(plain_ctx):
    """Read-only openpyxl trusts <dimension>: a file that states A1:B2 must still give every row and column."""
    rows = [["Titel", "Ansvarig grupp", "Anteckningar"], *[[f"Avtal {n}", "Grupp", f"not {n}"] for n in range(40)]]
    content = _workbook(rows)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:B2"/>', xml)
    assert 'ref="A1:B2"' in xml
    sheet = _read("dimension.xlsx", _repack(content, {"xl/worksheets/sheet1.xml": xml.encode()}))
    assert len(sheet.rows) == 40
    assert sheet.rows[-1] == (41, {"title": "Avtal 39", "responsible_group": "Grupp", "notes": "not 39"})


# Reads a file as the import does and prints what came of it and how much the process's peak
# resident memory rose while reading. Linux keeps ru_maxrss across exec (a child of a large pytest
# starts "large"), so the peak is /proc/self/status VmHWM, reset to the current size first.
READER = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[2])
    from tests.conftest import make_app
    from registry.domain import spreadsheet
    import openpyxl

    def kilobytes(name):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(name + ":"))

    app = make_app("sqlite:///:memory:")
    path = sys.argv[1]
    content = open(path, "rb").read()
    with app.test_request_context():
        spreadsheet.read("warm.csv", b"Titel;Ansvarig grupp\\nA;B\\n")
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # VmHWM := VmRSS
        except OSError:
            pass
        baseline = kilobytes("VmRSS")
        started = time.monotonic()
        try:
            sheet = spreadsheet.read(path, content)
            outcome = {"rows": len(sheet.rows), "problems": [str(p) for p in sheet.problems]}
        except spreadsheet.SpreadsheetError as exc:
            outcome = {"refused": str(exc)}
        outcome["seconds"] = time.monotonic() - started
        outcome["grew_mb"] = (kilobytes("VmHWM") - baseline) / 1024
    print(json.dumps(outcome))
    """
)

WRITER = textwrap.dedent(
    """
    import datetime, random, sys
    sys.path.insert(0, sys.argv[2])
    from tests.conftest import make_app
    from registry.domain import exports, spreadsheet
    random.seed(1)
    words = "avtal region kommun samverkan vård omsorg ansvar patient insats läkare rehabilitering".split()
    def text(n):
        return " ".join(random.choice(words) + str(random.randint(1, 999)) for _ in range(n // 10))[:n]
    app = make_app("sqlite:///:memory:")
    with app.test_request_context():
        header = list(spreadsheet.HEADER)
        rows = []
        for n in range(spreadsheet.MAX_ROWS):
            row = [text(40) for _ in header]
            row[0] = f"Avtal {n} " + text(60)
            row[header.index("Beskrivning")] = text(3000)
            rows.append(row)
        body = exports.to_xlsx("Avtal", header, rows, "test", {}, datetime.datetime(2026, 11, 23))
    open(sys.argv[1], "wb").write(body)
    """
)


def _run(script, *args):
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_reading_a_zip_bomb_or_the_largest_file_keeps_memory_bounded(tmp_path):
    """Peak memory of a process that reads the file, above what it had before reading.

    The 216 kB bomb that unpacks to 60 MB took 650 MB and 30 s before; the largest
    real file (5,000 agreements with 3,000-character descriptions) must still be read.
    """
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(zip_bomb(60 * MB))
    outcome = json.loads(_run(READER, bomb))
    assert "för stor uppackad" in outcome.get("refused", ""), outcome
    assert outcome["grew_mb"] < 40, outcome

    largest = tmp_path / "largest.xlsx"
    _run(WRITER, largest)
    with zipfile.ZipFile(largest) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert unpacked < sheetfile.MAX_UNPACKED_BYTES * 0.8, "the limit must leave room above the largest export"
    outcome = json.loads(_run(READER, largest))
    assert outcome.get("rows") == spreadsheet.MAX_ROWS, outcome
    assert outcome["grew_mb"] < 200, outcome


# --- 7. exports of text stored by older versions -------------------------------------------------


def test_exports_cope_with_control_characters_already_stored(seeded, subtests):
    agreement = Agreement.select().order_by(Agreement.id).first()
    old_title = agreement.title
    bad = "ctrl\x01char" + ("\x00nul" if on_sqlite() else "")  # PostgreSQL never stored NUL
    Agreement.update(title=bad, description="vertikal\x0btab", notes="=1+1\x02").where(
        Agreement.id == agreement.id
    ).execute()
    audit.record(
        "update", "agreement", agreement.id, {"title": [old_title, bad]}, agreement_id=agreement.id, summary=bad
    )
    client = seeded.test_client()
    login_as(seeded, client, "auditor")
    for url in (
        "/agreements/export.xlsx",
        "/agreements/export.csv",
        "/reports/register/export.xlsx",
        "/reports/register/export.csv",
        "/audit/export.xlsx",
        "/audit/export.csv",
        "/audit/export.xlsx?actor=%01",
    ):
        with subtests.test(url=url):
            response = client.get(url)
            assert response.status_code == 200
            if url.endswith(".csv"):
                assert "ctrl\ufffdchar" in response.get_data(as_text=True) or "actor" in url
                continue
            book = load_workbook(io.BytesIO(response.data))
            values = [str(cell) for row in book.active.iter_rows(values_only=True) for cell in row if cell]
            if "actor" not in url:
                assert any(value.startswith("ctrl\ufffdchar") for value in values), values[:40]
    assert AuditEntry.select().where(AuditEntry.summary == bad).count() == 1


# --- 8. calendar feeds with dates a calendar cannot show --------------------------------------------


def test_feeds_leave_out_dates_they_cannot_show(seeded, subtests):
    from icalendar import Calendar

    agreement = Agreement.select().where(Agreement.status == "in_force").order_by(Agreement.id).first()
    Agreement.update(expires_on=datetime.date(9999, 12, 31)).where(Agreement.id == agreement.id).execute()
    reviewed = (
        Agreement.select()
        .where((Agreement.status == "in_force") & Agreement.review_rule.is_null(False) & (Agreement.review_rule != ""))
        .where(Agreement.id != agreement.id)
        .order_by(Agreement.id)
        .first()
    )
    Review.create(agreement=reviewed, reviewed_on=datetime.date(9999, 12, 31), outcome="unchanged", reviewer_name="x")
    owner = login_as(seeded, seeded.test_client(), "admin")
    for scope, scope_id in (("all", None), ("group", agreement.responsible_group_id)):
        with subtests.test(scope=scope):
            feed = FeedToken.create(user=owner, token=feeds.new_token(), scope=scope, scope_id=scope_id)
            response = seeded.test_client().get(f"/feeds/{feed.token}.ics")
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            calendar = Calendar.from_ical(response.get_data())
            uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
            assert not any(uid.startswith(f"agreement-{agreement.id}-expiry") for uid in uids)
            if scope == "all":
                assert len(uids) > 5  # the rest of the register is there
