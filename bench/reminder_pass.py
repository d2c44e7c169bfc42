"""Time a reminder pass with 1,000 reminders due, at two register sizes.

    python bench/reminder_pass.py --sizes 10000 100000 [--database sqlite|postgres]

For each size: generate a register (bench/generate.py), run one pass so that
everything already due is recorded, add 500 agreements whose 30-day expiry
reminder falls due today (owner + group mailbox = 1,000 reminders), then time
`flask --app wsgi reminders run` in its own process sending them to a local
SMTP sink, and report its wall time and peak memory (maxrss).
Targets: at most 5 s at 100,000 agreements, at most twice the 10,000 time, at most 200 MB.
"""

import argparse
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402
from pgdb import temporary_database  # noqa: E402

from registry import create_app  # noqa: E402
from registry.db import db, upgrade  # noqa: E402
from registry.domain.agreements import save_agreement  # noqa: E402
from registry.models import Group, Person  # noqa: E402
from scheduler.mailsink import serve  # noqa: E402

TODAY = datetime.date(2026, 11, 23)  # a Monday
DUE_AGREEMENTS = 500


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Started by a small launcher process that waits for the pass and reports its rusage: a child
# forked straight from this (large) process would carry our memory into its maxrss high-water mark.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=sys.stdout, stderr=subprocess.STDOUT)
_pid, status, usage = os.wait4(proc.pid, 0)
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump({"status": status, "seconds": elapsed, "maxrss_kb": usage.ru_maxrss}, out)
"""


def run_pass(url, port):
    """Run `reminders run` in its own process; return (wall seconds, its maxrss in MB, summary line)."""
    env = {**os.environ, "DATABASE_URL": url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
    env = {k: v for k, v in env.items() if k != "REGISTRY_TODAY"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "run", "--today", TODAY.isoformat()]
    # Output goes to a file, not a pipe: a pass prints a line per digest, and a pipe
    # nobody reads while we wait would fill and block the child.
    with tempfile.TemporaryFile("w+") as output, tempfile.NamedTemporaryFile("r") as report:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, report.name, *command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )
        measured = json.load(report)
        output.seek(0)
        text = output.read()
    if measured["status"] != 0:
        raise SystemExit(f"reminders run failed:\n{text[-5000:]}")
    return measured["seconds"], measured["maxrss_kb"] / 1024, text.strip().splitlines()[-1]


def add_due(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        group = Group.select().where(Group.mailbox != "").first()
        owner = Person.select().first()
        with db.atomic():
            for n in range(DUE_AGREEMENTS):
                save_agreement(
                    {
                        "title": f"Nytt avtal {n}",
                        "kind": "avtal",
                        "status": "in_force",
                        "responsible_group": group.id,
                        "owners": [owner.id],
                        "parties": [],
                        "contributing_groups": [],
                        "valid_from": TODAY - datetime.timedelta(days=300),
                        "expires_on": TODAY + datetime.timedelta(days=30),
                        "review_rule": "",
                    }
                )
        db.close()


def bench(size, kind, port, log_rows=None):
    with tempfile.TemporaryDirectory() as folder, temporary_database(kind, folder) as url:
        app = create_app({"DATABASE_URL": url})
        with app.app_context():
            db.connect(reuse_if_open=True)
            upgrade()
            generate(size, size * 10 if log_rows is None else log_rows)
            db.close()
        first = run_pass(url, port)  # record (and send) what the generated register already has due
        print(f"  {kind} {size:,}: first pass {first[0]:.1f} s, {first[2]}", file=sys.stderr, flush=True)
        add_due(app)
        return run_pass(url, port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--log-rows", type=int, default=None, help="delivery-log rows generated (default: 10 per agreement)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as mail_dir:
        port = free_port()
        sink = serve(mail_dir, port=port)
        try:
            print("| database | agreements | pass (s) | peak memory (MB) | summary |")
            print("|---|---|---|---|---|")
            results = {}
            for size in args.sizes:
                elapsed, rss, summary = bench(size, args.database, port, args.log_rows)
                results[size] = elapsed
                print(f"| {args.database} | {size:,} | {elapsed:.2f} | {rss:.0f} | {summary} |", flush=True)
            if len(results) >= 2:
                small, large = min(results), max(results)
                ratio = results[large] / results[small]
                print(f"\nratio {large:,} / {small:,}: {ratio:.2f} (target <= 2) {'met' if ratio <= 2 else 'MISSED'}")
        finally:
            sink.stop()


if __name__ == "__main__":
    main()
