"""The backup and restore of docs/deploy.md, carried out: pg_dump, pg_restore, init-db, audit verify.

A PostgreSQL database holding the demo data, audit entries and a delivery log
is dumped in the custom format and restored into a new, empty database with
the commands the deployment guide gives. The restored register must be the
same row for row, its audit chain intact with the same head, its stored
documents' versions byte for byte the files uploaded (they are in the
database), and the first reminder pass after the restore must send nothing
already sent.
"""

import datetime
import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from registry import seed
from registry.db import db, upgrade
from registry.domain import agreements as agreements_domain
from registry.domain import stored_documents
from registry.models import Agreement, DocumentVersion
from scheduler import reminders
from tests.conftest import PG_URL, TODAY, _pg_admin, make_app
from tests.factories import docx_bytes, pdf_bytes
from tests.smtp import point_app_at, smtp_server  # noqa: F401

# ruff: noqa: F811  (smtp_server is a fixture)

ROOT = Path(__file__).resolve().parent.parent
TABLES_SQL = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
ROWS_SQL = """SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "{table}" t"""


def _url_for(database):
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{database}", query=""))


@pytest.fixture
def two_databases():
    """Two new, empty PostgreSQL databases (source and restore target), dropped afterwards."""
    names = [f"restore_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    admin = _pg_admin()
    with admin.cursor() as cur:
        for name in names:
            cur.execute(f"CREATE DATABASE {name}")
    try:
        yield names
    finally:
        if not db.is_closed():
            db.close()
        with admin.cursor() as cur:
            for name in names:
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _flask(url, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["DATABASE_URL"] = url
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _pg(tool, *args):
    parts = urlsplit(PG_URL)
    host, port, user = parts.hostname or "127.0.0.1", str(parts.port or 5432), parts.username or "postgres"
    connection = ["-h", host, "-p", port, "-U", user]
    done = subprocess.run([tool, *connection, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{tool} failed:\n{done.stderr}"


# Two versions of a stored document (a PDF, then a DOCX) and an appendix, as uploaded.
UPLOADS = [
    (pdf_bytes("Läkaruppdrag och medicinsk samverkan", "Undertecknat 2024"), "Läkaruppdrag.pdf", "Avtalet"),
    (docx_bytes("Läkaruppdrag, reviderat 2026"), "Läkaruppdrag 2026.docx", "Avtalet"),
    (pdf_bytes("Bilaga 1: kontaktvägar"), "bilaga-1.pdf", "Bilaga 1"),
]


def _upload_documents(agreement):
    for content, filename, title in UPLOADS:
        assert stored_documents.upload(agreement, content, filename, title).created


def _stored_files():
    """{(title, version): (sha256 of the bytes read back, recorded sha256)} of every stored version."""
    return {
        (v.document.title, v.number): (hashlib.sha256(stored_documents.content_bytes(v)).hexdigest(), v.sha256)
        for v in DocumentVersion.select()
    }


EXPECTED_FILES = {
    ("Avtalet", 1): (hashlib.sha256(UPLOADS[0][0]).hexdigest(),) * 2,
    ("Avtalet", 2): (hashlib.sha256(UPLOADS[1][0]).hexdigest(),) * 2,
    ("Bilaga 1", 1): (hashlib.sha256(UPLOADS[2][0]).hexdigest(),) * 2,
}


def _contents(database):
    """{table: (row count, md5 of every row in primary-key order)} of one database."""
    conn = psycopg2.connect(_url_for(database))
    try:
        with conn.cursor() as cur:
            cur.execute(TABLES_SQL)
            tables = [row[0] for row in cur.fetchall()]
            result = {}
            for table in tables:
                cur.execute(ROWS_SQL.format(table=table))
                result[table] = cur.fetchone()
            return result
    finally:
        conn.close()


def test_backup_and_restore_as_the_deploy_guide_says(two_databases, smtp_server, tmp_path):
    source, target = two_databases
    app = make_app(_url_for(source))
    point_app_at(app, smtp_server)
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        upgrade()
        seed.load()
        lakar = Agreement.get(Agreement.short_name == "Läkaruppdrag")
        agreements_domain.record_review(
            lakar,
            {
                "reviewed_on": TODAY,
                "outcome": "extended",
                "new_expires_on": datetime.date(2027, 12, 31),
                "reviewer_name": "ReKo",
                "decision_ref": "ReKo 2026-11-20 § 4",
            },
            TODAY,
        )
        _upload_documents(lakar)
        sent = reminders.run_pass(TODAY).sent
        db.close()
    assert sent > 0, "the source database should have a delivery log"
    saved_head = _flask(_url_for(source), "audit", "verify")
    assert "chain intact" in saved_head

    dump = tmp_path / "registret.dump"
    _pg("pg_dump", "--format=custom", "--file", str(dump), source)
    _pg("pg_restore", "--dbname", target, "--no-owner", str(dump))
    _flask(_url_for(target), "init-db")
    assert _flask(_url_for(target), "audit", "verify") == saved_head

    restored = _contents(target)
    assert restored == _contents(source)
    assert restored["agreement"][0] >= 28 and restored["review"][0] >= 1 and restored["reminder"][0] >= sent
    assert restored["document_version"][0] == 3

    smtp_server.clear()
    again = make_app(_url_for(target))
    point_app_at(again, smtp_server)
    with again.app_context():
        db.connect(reuse_if_open=True)
        assert _stored_files() == EXPECTED_FILES  # byte for byte the uploaded files
        assert reminders.run_pass(TODAY).sent == 0
        db.close()
    assert smtp_server.messages == []


def test_sqlite_online_backup_restores_the_same_register(tmp_path):
    """Small installations on SQLite: the backup command of docs/deploy.md, then the copy in use."""
    live = tmp_path / "registry.db"
    app = make_app(f"sqlite:///{live}")
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        seed.load()
        titles = sorted(a.title for a in Agreement.select())
        with app.test_request_context():
            _upload_documents(Agreement.get(Agreement.short_name == "Läkaruppdrag"))
        db.close()
    backup = tmp_path / "backup.db"
    command = f"import sqlite3; sqlite3.connect('{live}').backup(sqlite3.connect('{backup}'))"
    subprocess.run([sys.executable, "-c", command], check=True, timeout=60)
    live.unlink()
    restored = make_app(f"sqlite:///{backup}")
    with restored.app_context():
        db.connect(reuse_if_open=True)
        assert sorted(a.title for a in Agreement.select()) == titles
        assert _stored_files() == EXPECTED_FILES
        db.close()
    assert "chain intact" in _flask(f"sqlite:///{backup}", "audit", "verify")
