"""Throughput of the agreement list under gunicorn, against a bare Flask endpoint.

    python bench/throughput.py --agreements 100000 --database sqlite|postgres [--seconds 10]
    python bench/throughput.py --database-url sqlite:////tmp/big.db    # a register generated before

Serves the register (`wsgi:app`) and bench/bare.py (a Flask app returning a
fixed string) one after the other with the same gunicorn command (GUNICORN
below: 2 sync workers, as many as this machine has cores), and loads each
with the same wrk command (`wrk -t2 -c8 -d<seconds>s`, keep-alive), the list
page with a logged-in session cookie. Prints requests per second and the
ratio list / bare. Target: the list page reaches at least half the bare
endpoint's rate. wrk comes from Debian (`apt-get install -y wrk`; `make bench`
installs it).
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from generate import benchmark_register, register_arguments  # noqa: E402

from registry import create_app  # noqa: E402
from registry.db import db, upgrade  # noqa: E402
from registry.models import User  # noqa: E402

SECRET = "bench-secret-key-not-for-production-0123456789"
WORKERS = os.cpu_count() or 2
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--workers",
    str(WORKERS),
    "--worker-class",
    "sync",
    "--log-level",
    "warning",
]
TARGET = 0.5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(url):
    """A signed session cookie of an auditor, made by the app with the server's SECRET_KEY."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        user = User.get_or_none(User.email == "bench@example.org") or User.create(
            email="bench@example.org", name="Bench", role="auditor"
        )
        db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client.get_cookie("session").value


def serve(target, port, env, cwd):
    proc = subprocess.Popen(
        [*GUNICORN, "--bind", f"127.0.0.1:{port}", target],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn {target} exited:\n{proc.stderr.read()}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn {target} did not start")


def load(url, seconds, cookie=None):
    """Requests per second that wrk reaches against `url` (checking every answer was 2xx)."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk got errors from {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)
    return rate, p50, p99


def measure(url, seconds, path="/agreements"):
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    cookie = session_cookie(url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "APP_ENV": "development"}
    env.pop("REGISTRY_TODAY", None)
    rows = []
    for label, target, cwd, page, cookie_for in (
        ("bare Flask endpoint", "bare:app", ROOT / "bench", "/", None),
        (f"list page {path}", "wsgi:app", ROOT, path, cookie),
    ):
        port = free_port()
        proc = serve(target, port, env, cwd)
        try:
            load(f"http://127.0.0.1:{port}{page}", 2, cookie_for)  # warm-up
            rows.append((label, *load(f"http://127.0.0.1:{port}{page}", seconds, cookie_for)))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    register_arguments(parser)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    args = parser.parse_args()
    with benchmark_register(args) as (url, kind, size):
        rows = measure(url, args.seconds)
    print(f"{kind}, {size}, gunicorn {WORKERS} sync workers, wrk -t2 -c8 -d{args.seconds}s")
    print("| endpoint | requests/s | p50 | p99 |")
    print("|---|---|---|---|")
    for label, rate, p50, p99 in rows:
        print(f"| {label} | {rate:,.0f} | {p50} | {p99} |")
    ratio = rows[1][1] / rows[0][1]
    print(f"\nratio list / bare: {ratio:.2f} (target >= {TARGET}) {'met' if ratio >= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
