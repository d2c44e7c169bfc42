"""The development scripts behind `make run` and `make test`, run as subprocesses, each bounded in time.

- The mail sink holds the port it reports (port 0: a free one) and refuses a
  port another process listens on, so `make run` never hands mail to another
  instance's sink.
- scripts/run-dev.sh refuses a taken PORT or MAIL_SINK_PORT at once, before the
  scheduler starts, and leaves nothing behind.
- scripts/with-postgres.sh refuses a TEST_DATABASE_URL that does not answer
  without running the command, passes one that answers through with the
  command's exit code, and, with no server, runs the command against a
  throwaway cluster that is gone afterwards.
"""

import glob
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scheduler.mailsink import serve
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent
WITH_POSTGRES = ROOT / "scripts" / "with-postgres.sh"
RUN_DEV = ROOT / "scripts" / "run-dev.sh"
TIMEOUT = 30


def _env(**changes):
    """This process's environment for a script: the same venv; None removes a variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["VENV"] = sys.prefix
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _closed_port():
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sink(tmp_path, port):
    port_file = tmp_path / "sink-port"
    command = [sys.executable, "-m", "scheduler.mailsink", "--port", str(port), "--dir", str(tmp_path / "mail")]
    return port_file, [*command, "--port-file", str(port_file)]


def test_mail_sink_reports_the_port_it_holds_and_keeps_the_mail_sent_there(tmp_path):
    port_file, command = _sink(tmp_path, 0)
    sink = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not port_file.exists():
            assert sink.poll() is None, f"the sink exited: {sink.communicate()}"
            assert time.monotonic() < deadline, "the sink never reported its port"
            time.sleep(0.05)
        port = int(port_file.read_text())
        assert port > 0
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("registret@example.org", ["owner@example.org"], "Subject: Mine\n\nto this sink")
        deadline = time.monotonic() + TIMEOUT
        while not list((tmp_path / "mail").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        [message] = (tmp_path / "mail").glob("*.eml")
        assert b"Subject: Mine" in message.read_bytes()
    finally:
        sink.send_signal(signal.SIGTERM)
        out, err = sink.communicate(timeout=TIMEOUT)
    assert sink.returncode == 0, err
    assert f"smtp://127.0.0.1:{port} " in out


def test_mail_sink_refuses_a_port_another_process_listens_on(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        port_file, command = _sink(tmp_path, port)
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert not port_file.exists()
    assert time.monotonic() - started < 5, "a taken port must fail at once, not after a timeout"


def test_serve_on_port_zero_answers_on_the_port_it_reports(tmp_path):
    controller = serve(tmp_path, port=0)
    try:
        assert controller.port > 0
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as smtp:
            assert smtp.noop()[0] == 250
    finally:
        controller.stop()


@pytest.mark.parametrize("taken", ["PORT", "MAIL_SINK_PORT"])
def test_run_dev_refuses_a_taken_port_before_starting_the_scheduler(tmp_path, taken):
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        ports = {"PORT": str(_closed_port()), "MAIL_SINK_PORT": None, taken: str(port)}
        env = _env(
            **ports,
            MAIL_SERVER=None,
            MAIL_SINK_DIR=str(tmp_path / "mail"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'never.db'}",
            TMPDIR=str(tmp_path),
        )
        done = subprocess.run(
            ["bash", str(RUN_DEV)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    assert done.returncode == 1
    if taken == "PORT":
        assert f"Cannot serve on 127.0.0.1:{port}" in done.stderr
    else:
        assert f"The mail sink could not listen on 127.0.0.1:{port}" in done.stderr
    assert "Överenskommelseregistret:" not in done.stdout  # printed once the scheduler starts
    assert not list(tmp_path.glob("run-dev.*")), "the instance's temporary folder is left behind"


def test_with_postgres_refuses_a_set_but_unreachable_test_database_url(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    marker = tmp_path / "ran"
    done = subprocess.run(
        ["bash", str(WITH_POSTGRES), sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
        cwd=ROOT,
        env=_env(TEST_DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode != 0
    assert f"TEST_DATABASE_URL={url} does not answer" in done.stderr
    assert not marker.exists(), "the command ran anyway"
    assert "throwaway PostgreSQL" not in done.stderr


PRINT_URL_AND_EXIT_7 = "import os; print(os.environ['TEST_DATABASE_URL']); exit(7)"


def test_with_postgres_passes_a_reachable_url_through_with_the_commands_exit_code():
    done = subprocess.run(
        [
            "bash",
            str(WITH_POSTGRES),
            sys.executable,
            "-c",
            "import os; print(os.environ['TEST_DATABASE_URL']); exit(7)",
        ],
        cwd=ROOT,
        env=_env(TEST_DATABASE_URL=PG_URL),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 7, done.stderr
    assert done.stdout.strip() == PG_URL


THROWAWAY_PROBE = """
import os, psycopg2
url = os.environ["TEST_DATABASE_URL"]
with psycopg2.connect(url) as conn, conn.cursor() as cur:
    cur.execute("SHOW data_directory")
    data = cur.fetchone()[0]
    cur.execute("SHOW listen_addresses")
    print(url, data, cur.fetchone()[0], open(os.path.join(data, "postmaster.pid")).readline().strip())
exit(3)
"""


@pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="Debian's PostgreSQL server is not installed"
)
def test_with_postgres_runs_the_command_on_a_throwaway_cluster_and_removes_it(tmp_path):
    absent = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    done = subprocess.run(
        ["bash", str(WITH_POSTGRES), sys.executable, "-c", THROWAWAY_PROBE],
        cwd=ROOT,
        env=_env(TEST_DATABASE_URL=None, WITH_POSTGRES_DEFAULT_URL=absent, TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    url, data, listen, pid = done.stdout.split()
    parts = urlsplit(url)
    assert (parts.hostname, parts.username, parts.path) == ("127.0.0.1", "postgres", "/test")
    assert parts.port not in (5432, urlsplit(absent).port)
    assert listen == "127.0.0.1"
    assert not Path(data).exists(), "the cluster's folder is left behind"
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), "the throwaway server still runs"


def _state(pid):
    try:
        return next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return "Z (gone)"
