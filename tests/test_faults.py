"""Fault tests: real processes, a real SMTP server (aiosmtpd), SQLite and PostgreSQL.

- kill -9 of `flask --app wsgi reminders run` at random moments while it sends
  1,000 reminders, twenty times: nothing is lost, and a reminder arrives twice
  only when the server had accepted its digest before the killed pass could
  record it (at most one digest per kill). The figure is written to
  test-output/faults/kill9-<database>.json;
- kill -9 of the active scheduler in the middle of its pass: the standby takes
  over and sends the rest;
- an SMTP server that refuses (4xx at MAIL, RCPT or DATA), refuses some
  recipients, or is down: everything arrives once it accepts, nothing twice;
- two schedulers started together: one is active, every reminder arrives once;
- PostgreSQL ends the active scheduler's connection (and with it its advisory
  lock): the standby takes over and the old one stands by; schedulers of
  registries in two schemas of one database do not wait for each other;
- the database unreachable: the web app answers 503 (a Swedish page, JSON at
  /healthz), the scheduler and `reminders run` exit non-zero with a clear
  message, and a scheduler started once the database is there sends everything.

Counting is done on the server side, by Message-ID and by reminder (recipient
and agreement, from the links in each digest). Every wait polls with a
timeout; every process started here is killed in a `finally` block.
"""

import contextlib
import datetime
import json
import random
import signal
import statistics
import time
import uuid
from collections import Counter
from urllib.parse import quote
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from registry.db import db, upgrade
from scheduler import locks, service
from tests.conftest import PG_URL, make_app
from tests.processes import (
    ROOT,
    Proc,
    add_due_agreements,
    empty_db,  # noqa: F401
    env_for,
    fault_smtp,  # noqa: F401
    forget_deliveries,
    recorded_message_ids,
    states,
    wait_until,
)

# empty_db and fault_smtp are pytest fixtures: test arguments of those names are not redefinitions.
# ruff: noqa: F811

SEED = 20261123
KILLS = 20
DAY = datetime.date(2026, 11, 23)
RUN = ["reminders", "run", "--today", DAY.isoformat()]
# A pass over 1,000 reminders on a slow, shared machine: generous bounds, never expected to be reached.
PASS_TIMEOUT = 180
TAKEOVER_SECONDS = service.STANDBY_POLL_SECONDS + 20
OUTPUT = ROOT / "test-output" / "faults"


def _kind(database_url):
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


def _today_for_scheduler():
    """The day a scheduler started now works for, with REMINDER_SEND_TIME=00:00."""
    return datetime.datetime.now(ZoneInfo("Europe/Stockholm")).date()


@pytest.fixture
def thousand_due(empty_db):
    """1,000 reminders due on DAY (300 digests); returns (app, {(recipient, agreement id)})."""
    return empty_db, add_due_agreements(empty_db, DAY)


def _unrecorded(app, messages):
    """The messages the server accepted whose reminders the database has not marked sent."""
    recorded = recorded_message_ids(app)
    return [m for m in messages if m.message_id not in recorded]


def _assert_each_once_except(server, expected, unrecorded):
    """Every expected reminder arrived; each extra copy is explained by one accepted-but-unrecorded digest."""
    counts = server.reminder_counts()
    assert set(counts) == expected, (len(set(counts)), len(expected))
    explained = Counter(pair for m in unrecorded for pair in server.reminder_counts([m]))
    extra = {pair: n - 1 for pair, n in counts.items() if n > 1}
    assert extra == dict(explained), (extra, explained)
    by_id = server.message_id_counts()
    explained_ids = Counter(m.message_id for m in unrecorded)
    assert {mid: n - 1 for mid, n in by_id.items() if n > 1} == dict(explained_ids)
    return sum(explained.values()), sum(explained_ids.values())


# --- 1. kill -9 while sending ---------------------------------------------------------------


def _kill_after(proc, server, before, early, delay, cap):
    """kill -9 `proc` `delay` seconds after it started (early) or after its first message reached `server`.

    A pass that sends faster than during calibration is killed anyway once it
    has sent `cap` messages, so that there is something left for the next
    kill. Returns when and how it was killed, or None if it ended by itself.
    """
    if not early:
        assert wait_until(lambda: len(server.messages) > before or not proc.running, PASS_TIMEOUT), proc.output()
    start = proc.started_at if early else time.monotonic()
    wait_until(lambda: not proc.running or len(server.messages) - before >= cap, delay)
    if not proc.running:
        return None
    after = time.monotonic() - start
    capped = len(server.messages) - before >= cap
    proc.kill()
    return {"after_seconds": round(after, 3), "capped": capped}


def test_kill_9_during_a_pass_twenty_times_loses_nothing_and_doubles_at_most_one_digest_per_kill(
    thousand_due, database_url, fault_smtp, tmp_path
):
    app, expected = thousand_due
    assert len(expected) == 1000
    env = env_for(database_url, fault_smtp)

    # Calibration: one uninterrupted pass on the same data, then forget it.
    proc = Proc(RUN, env, tmp_path / "calibration.log")
    try:
        assert wait_until(lambda: fault_smtp.messages or not proc.running, PASS_TIMEOUT), proc.output()
        first_message = time.monotonic()
        code = proc.wait(timeout=PASS_TIMEOUT)
        finished = time.monotonic()
    finally:
        proc.kill()
    assert code == 0, proc.output()
    assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))
    assert len(fault_smtp.messages) == 300
    startup, sending = first_message - proc.started_at, finished - first_message
    forget_deliveries(app)
    fault_smtp.clear()

    rng = random.Random(SEED)
    per_digest = sending / 300
    observed = []  # seconds per digest in the killed passes
    kills, unrecorded, runs = [], [], 0
    while len(kills) < KILLS:
        runs += 1
        assert runs <= 2 * KILLS, kills
        before = len(fault_smtp.messages)
        remaining = 300 - len(fault_smtp.message_id_counts())  # a digest's Message-ID is the same when re-sent
        assert remaining > 1, f"everything was sent after {len(kills)} kills: the kill delays are too long"
        # One kill in four lands during start-up, planning and recording; the others while digests go out,
        # after a random part of this kill's fair share of the remaining sending time (on average half of
        # it, so that twenty kills spread over the whole pass and leave some for the final run).
        if observed:
            per_digest = min(sending / 300, statistics.median(observed))
        fair = remaining / (KILLS - len(kills) + 1)
        early = rng.random() < 0.25
        delay = rng.uniform(0, startup) if early else rng.uniform(0, per_digest * fair)
        # Should this pass send much faster than estimated, it is killed anyway after twice its fair share.
        cap = max(1, min(round(2 * fair), remaining // 2))
        proc = Proc(RUN, env, tmp_path / f"run{runs:02d}.log")
        try:
            kill = _kill_after(proc, fault_smtp, before, early, delay, cap)
        finally:
            proc.kill()
        assert fault_smtp.wait_idle(), "the killed pass's SMTP connection was not closed"
        if kill is None:
            # The pass ended before its kill: fine if it sent everything it found, but no kill to count.
            assert proc.popen.returncode == 0, proc.output()
            continue
        if not early and len(fault_smtp.messages) > before and not kill["capped"]:
            observed.append(kill["after_seconds"] / (len(fault_smtp.messages) - before))
        accepted = fault_smtp.messages[before:]
        lost_records = _unrecorded(app, accepted)
        assert len(lost_records) <= 1, [m.message_id for m in lost_records]
        now_states = states(app)
        if lost_records:
            assert now_states["sending"] > 0, now_states  # claimed, sent, not yet marked
        unrecorded.extend(lost_records)
        kills.append(
            {
                "run": runs,
                "phase": "start-up" if early else "sending",
                **kill,
                "messages_accepted": len(accepted),
                "accepted_not_recorded": [m.message_id for m in lost_records],
            }
        )

    # Restart: the pass runs to the end and sends what is left, including the accepted-but-unrecorded digests.
    proc = Proc(RUN, env, tmp_path / "finish.log")
    try:
        assert proc.wait(timeout=PASS_TIMEOUT) == 0, proc.output()
    finally:
        proc.kill()
    duplicated_reminders, duplicated_messages = _assert_each_once_except(fault_smtp, expected, unrecorded)
    assert duplicated_messages <= KILLS
    assert states(app) == Counter({"sent": 1000, "skipped": 2000})

    # A last, uninterrupted pass finds nothing to send.
    delivered = len(fault_smtp.messages)
    proc = Proc(RUN, env, tmp_path / "again.log")
    try:
        assert proc.wait(timeout=PASS_TIMEOUT) == 0, proc.output()
    finally:
        proc.kill()
    assert proc.output().strip().splitlines()[-1] == f"{DAY.isoformat()}: 0 sent, 0 skipped, 0 failed, 0 digests"
    assert len(fault_smtp.messages) == delivered
    assert states(app) == Counter({"sent": 1000, "skipped": 2000})

    figure = {
        "database": _kind(database_url),
        "seed": SEED,
        "reminders": len(expected),
        "digests": 300,
        "kills": len(kills),
        "kills_while_sending": sum(1 for k in kills if k["phase"] == "sending"),
        "runs": runs,
        "duplicated_messages": duplicated_messages,
        "duplicated_reminders": duplicated_reminders,
        "calibration_seconds": {"start_up": round(startup, 2), "sending": round(sending, 2)},
        "kill_log": kills,
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"kill9-{_kind(database_url)}.json").write_text(json.dumps(figure, indent=2) + "\n")
    print(
        f"\nkill -9 x{len(kills)} ({_kind(database_url)}): {duplicated_messages} digests "
        f"({duplicated_reminders} reminders) delivered twice out of 300 digests / 1,000 reminders"
    )


# --- 2. the SMTP server refuses or is down ------------------------------------------------------


def test_refusing_or_absent_smtp_server_delays_but_never_loses_or_doubles(empty_db, database_url, fault_smtp, tmp_path):
    app = empty_db
    expected = add_due_agreements(app, DAY, agreements=20, owners=10, mailboxes=5)  # 40 reminders, 15 digests
    env = env_for(database_url, fault_smtp)
    some_owners = {"agare.a000@example.org", "agare.a001@example.org", "agare.a002@example.org"}

    def run(name):
        proc = Proc(RUN, env, tmp_path / f"{name}.log")
        try:
            code = proc.wait(timeout=PASS_TIMEOUT)
        finally:
            proc.kill()
        return code, proc.output()

    failures = [
        ("mail", lambda: fault_smtp.refuse_with("451 4.3.0 MAIL FROM: try again later", at="MAIL"), "451"),
        ("rcpt", lambda: fault_smtp.refuse_with("450 4.2.0 RCPT TO: mailbox busy", at="RCPT"), "450"),
        ("data", lambda: fault_smtp.refuse_with("452 4.3.1 DATA: insufficient storage", at="DATA"), "452"),
        ("down", fault_smtp.stop, "Connection refused"),
    ]
    for n, (name, fault, error) in enumerate(failures):
        fault()
        code, output = run(name)
        assert code == 1, output
        skipped = 0 if n else 80  # the first pass records the catch-up skips (before:180, before:90)
        assert output.strip().splitlines()[-1] == f"{DAY.isoformat()}: 0 sent, {skipped} skipped, 40 failed, 0 digests"
        assert error in output and "Traceback" not in output, output
        assert fault_smtp.messages == []
        assert states(app) == Counter({"failed": 40, "skipped": 80})
        fault_smtp.refuse_with(None)
        fault_smtp.start()

    # Three owners' mailboxes are still busy: everyone else gets theirs now, they get theirs next time.
    fault_smtp.handler.refuse_recipients = set(some_owners)
    code, output = run("partial")
    assert code == 1, output
    assert output.strip().splitlines()[-1] == f"{DAY.isoformat()}: 34 sent, 0 skipped, 6 failed, 12 digests"
    assert {r for r, _a in fault_smtp.reminder_counts()} == {r for r, _a in expected} - some_owners

    fault_smtp.handler.refuse_recipients = set()
    code, output = run("accepting")
    assert code == 0, output
    assert output.strip().splitlines()[-1] == f"{DAY.isoformat()}: 6 sent, 0 skipped, 0 failed, 3 digests"
    assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))
    assert len(fault_smtp.messages) == 15 and len(fault_smtp.message_id_counts()) == 15

    code, output = run("again")
    assert code == 0 and output.strip().splitlines()[-1].endswith(": 0 sent, 0 skipped, 0 failed, 0 digests"), output
    assert len(fault_smtp.messages) == 15
    assert states(app) == Counter({"sent": 40, "skipped": 80})


# --- 3. two schedulers ------------------------------------------------------------------------


def _scheduler_env(database_url, server):
    return env_for(database_url, server, REMINDER_SEND_TIME="00:00")


def _active_and_standby(procs, timeout=30):
    marker = "this process is the active scheduler"
    assert wait_until(lambda: any(marker in p.output() for p in procs), timeout, poll=0.1), [p.output() for p in procs]
    active = next(p for p in procs if marker in p.output())
    standby = next(p for p in procs if p is not active)
    assert standby.wait_for("standing by", timeout), standby.output()
    assert marker not in standby.output(), standby.output()
    return active, standby


@contextlib.contextmanager
def _two_schedulers(app, database_url, fault_smtp, tmp_path, **due):
    """Two scheduler processes started together over reminders due today (`due`: the sizes
    for add_due_agreements). Yields (day, expected reminders, active, standby); kills both on leaving."""
    day = _today_for_scheduler()
    expected = add_due_agreements(app, day, **due)
    env = _scheduler_env(database_url, fault_smtp)
    procs = []
    try:
        procs = [Proc(["scheduler"], env, tmp_path / f"scheduler{n}.log") for n in (1, 2)]
        yield (day, expected, *_active_and_standby(procs))
    finally:
        for proc in procs:
            proc.kill()


def _startup_summary(proc):
    line = proc.output().split("reminder pass (startup)", 1)[1].splitlines()[0]
    return line.strip()


def test_two_schedulers_started_together_one_active_each_reminder_once(empty_db, database_url, fault_smtp, tmp_path):
    app = empty_db
    with _two_schedulers(app, database_url, fault_smtp, tmp_path) as (day, expected, active, standby):
        assert active.wait_for("reminder pass (startup)", PASS_TIMEOUT), active.output()
        assert _startup_summary(active) == f"{day.isoformat()}: 1000 sent, 2000 skipped, 0 failed, 300 digests"
        assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))
        assert len(fault_smtp.messages) == 300 and len(fault_smtp.message_id_counts()) == 300
        assert "this process is the active scheduler" not in standby.output()

        for proc in (standby, active):
            proc.popen.send_signal(signal.SIGTERM)
        for proc in (standby, active):
            assert proc.wait(timeout=30) == 0, proc.output()
            assert "Traceback" not in proc.output(), proc.output()
    assert states(app) == Counter({"sent": 1000, "skipped": 2000})


def test_active_scheduler_killed_mid_pass_standby_sends_the_rest(empty_db, database_url, fault_smtp, tmp_path):
    app = empty_db
    with _two_schedulers(app, database_url, fault_smtp, tmp_path) as (_day, expected, active, standby):
        # Kill -9 the active one shortly after its catch-up pass started sending.
        assert wait_until(lambda: fault_smtp.messages or not active.running, PASS_TIMEOUT), active.output()
        wait_until(lambda: not active.running, random.Random(SEED).uniform(0.05, 0.5))
        active.kill()
        assert fault_smtp.wait_idle()
        left = states(app)
        assert left["pending"] + left["sending"] > 0, f"the pass had finished before the kill: {left}"
        unrecorded = _unrecorded(app, fault_smtp.messages)
        assert len(unrecorded) <= 1

        assert standby.wait_for("this process is the active scheduler", TAKEOVER_SECONDS), standby.output()
        assert standby.wait_for("reminder pass (startup)", PASS_TIMEOUT), standby.output()
        assert "reminder pass (startup) failed" not in standby.output()
        _assert_each_once_except(fault_smtp, expected, unrecorded)
        standby.popen.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=30) == 0, standby.output()
    assert states(app) == Counter({"sent": 1000, "skipped": 2000})


# --- 4. the database unreachable ----------------------------------------------------------------


def _unreachable_url(database_url, tmp_path):
    """A database URL of the same kind that cannot be opened: a closed port, or a directory as the file."""
    if _kind(database_url) == "postgres":
        return "postgresql://postgres@127.0.0.1:1/test?connect_timeout=3"
    folder = tmp_path / "not-a-database.db"
    folder.mkdir()
    return f"sqlite:///{folder}"


def test_web_app_answers_503_when_the_database_cannot_be_reached(database_url, tmp_path):
    url = _unreachable_url(database_url, tmp_path)
    client = make_app(url).test_client()
    for path in ("/", "/agreements"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, (path, page[:500])
        assert response.mimetype == "text/html"
        assert '<html lang="sv"' in page
        assert "Databasen svarar inte" in page
        for leak in ("Traceback", "OperationalError", "127.0.0.1", "not-a-database"):
            assert leak not in page, (path, leak)

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    body = response.get_json()
    assert body["database"]["ok"] is False
    assert body["status"] != "ok"


def test_scheduler_and_pass_exit_clearly_without_a_database_then_deliver_everything(
    empty_db, database_url, fault_smtp, tmp_path
):
    bad = _unreachable_url(database_url, tmp_path)
    for args in (["scheduler"], RUN):
        proc = Proc(args, _scheduler_env(bad, fault_smtp), tmp_path / f"unreachable-{args[0]}.log")
        try:
            code = proc.wait(timeout=60)
        finally:
            proc.kill()
        output = proc.output()
        assert code != 0, output
        assert "Cannot connect to the database" in output, output
        assert "Traceback" not in output, output
    assert fault_smtp.messages == []

    # With the database there, a scheduler started now sends everything that was due.
    day = _today_for_scheduler()
    expected = add_due_agreements(empty_db, day, agreements=20, owners=10, mailboxes=5)
    proc = Proc(["scheduler"], _scheduler_env(database_url, fault_smtp), tmp_path / "scheduler.log")
    try:
        assert proc.wait_for("reminder pass (startup)", PASS_TIMEOUT), proc.output()
        assert _startup_summary(proc) == f"{day.isoformat()}: 40 sent, 80 skipped, 0 failed, 15 digests"
        proc.popen.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.output()
    finally:
        proc.kill()
    assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_scheduler_whose_connection_ends_stands_by_and_the_other_takes_over(
    empty_db, database_url, fault_smtp, tmp_path
):
    """PostgreSQL ends the active scheduler's connection (a restart, an administrator, an idle timeout).

    Its advisory lock ends with it, so the standby becomes active; the old one
    must notice at its next heartbeat and stand by rather than go on
    scheduling beside it. Reminders due meanwhile arrive once.
    """
    app = empty_db
    sizes = {"agreements": 20, "owners": 10, "mailboxes": 5}
    with _two_schedulers(app, database_url, fault_smtp, tmp_path, **sizes) as (day, expected, first, second):
        procs = (first, second)
        assert first.wait_for("reminder pass (startup)", PASS_TIMEOUT), first.output()
        assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))

        expected |= add_due_agreements(app, day, **sizes, tag="b")
        with app.app_context():
            db.connect(reuse_if_open=True)
            key = locks._key(locks.SCHEDULER_LOCK)  # this schema's: other test runs share the database
            db.close()
        with psycopg2.connect(PG_URL) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", (key,)
            )
            assert cur.fetchall() == [(True,)]
        conn.close()

        assert second.wait_for("this process is the active scheduler", TAKEOVER_SECONDS), second.output()
        assert second.wait_for("reminder pass (startup)", PASS_TIMEOUT), second.output()
        assert _startup_summary(second).endswith(": 40 sent, 80 skipped, 0 failed, 15 digests"), second.output()
        assert first.wait_for("lost the scheduler lock", service.HEARTBEAT_SECONDS + 15), first.output()
        lost_at = first.output().index("lost the scheduler lock")
        assert first.wait_for("standing by", 15) and "standing by" in first.output()[lost_at:], first.output()
        assert first.running and "Traceback" not in first.output(), first.output()
        assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))

        # Now the standby's connection ends too, and the active one stops: the standby reconnects and takes over.
        with psycopg2.connect(PG_URL) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
                (f"SELECT pg_try_advisory_lock({key})",),
            )
            assert cur.fetchall() == [(True,)]
        conn.close()
        second.popen.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, second.output()
        assert first.wait_for("cannot reach the database", service.STANDBY_POLL_SECONDS + 10), first.output()
        again = first.output().index("cannot reach the database")
        assert wait_until(lambda: "this process is the active scheduler" in first.output()[again:], 15), first.output()
        assert wait_until(lambda: "reminder pass (startup)" in first.output()[again:], PASS_TIMEOUT), first.output()
        assert fault_smtp.reminder_counts() == Counter(dict.fromkeys(expected, 1))

        first.popen.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(timeout=30) == 0, proc.output()
            assert "Traceback" not in proc.output(), proc.output()
    assert states(app) == Counter({"sent": 80, "skipped": 160})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_schedulers_of_registries_in_two_schemas_of_one_database_are_both_active(
    empty_db, database_url, fault_smtp, tmp_path
):
    """Advisory locks are per database: the lock keys name the schema, so separate registries never wait."""
    other = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg2.connect(PG_URL) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {other}")
    conn.close()
    procs = []
    try:
        other_url = f"{PG_URL}?options={quote(f'-csearch_path={other}')}"
        other_app = make_app(other_url)
        with other_app.app_context():
            db.connect(reuse_if_open=True)
            upgrade()
            db.close()
        procs = [
            Proc(["scheduler"], _scheduler_env(url, fault_smtp), tmp_path / f"scheduler{n}.log")
            for n, url in enumerate((database_url, other_url))
        ]
        for proc in procs:
            assert proc.wait_for("this process is the active scheduler", 30), proc.output()
            assert "standing by" not in proc.output()
        for proc in procs:
            proc.popen.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(timeout=30) == 0, proc.output()
    finally:
        for proc in procs:
            proc.kill()
        with psycopg2.connect(PG_URL) as conn, conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {other} CASCADE")
        conn.close()
