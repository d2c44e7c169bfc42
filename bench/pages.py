"""Response times of the dashboard and the agreement list through the real app.

    python bench/pages.py --agreements 100000 --log-rows 1000000 --database sqlite|postgres
    python bench/pages.py --database-url sqlite:////tmp/big.db    # a register generated before

Generates a register (bench/generate.py) in a fresh SQLite file or a fresh
PostgreSQL database (dropped afterwards), logs a test client in as an auditor
and requests each page `--requests` times after a warm-up, through Flask's
test client (routing, login, queries, templates: everything but the socket).
Prints p50 and p95 per page and filter combination. Target: p95 <= 100 ms at
100,000 agreements and 1,000,000 delivery-log rows.
"""

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import generate  # noqa: E402
from pgdb import temporary_database  # noqa: E402

from registry import create_app  # noqa: E402
from registry.db import db, upgrade  # noqa: E402
from registry.models import Group, User  # noqa: E402

TODAY = datetime.date(2026, 11, 23)
TARGET_MS = 100


def pages(group_id):
    """(label, path): the dashboard and the list with several filter combinations."""
    return [
        ("dashboard", "/"),
        ("list", "/agreements"),
        ("list page 3", "/agreements?page=3"),
        ("list group", f"/agreements?group={group_id}"),
        ("list status", "/agreements?status=in_force"),
        ("list expires soon", "/agreements?deadline=expires_soon"),
        ("list attention", "/agreements?deadline=attention"),
        ("list q", "/agreements?q=hemsjukv%C3%A5rd"),
        ("list q rare", "/agreements?q=nr%2012345"),
        ("list group+status+window", f"/agreements?group={group_id}&status=in_force&deadline=review_due_soon"),
        ("list group+q+sort", f"/agreements?group={group_id}&q=SIP&sort=expires_on"),
    ]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(url, requests, warmup=2, out=print):
    app = create_app({"DATABASE_URL": url, "TODAY": TODAY, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()  # the indexes of any newer migration
        user = User.get_or_none(User.email == "bench@example.org") or User.create(
            email="bench@example.org", name="Bench", role="auditor"
        )
        group_id = Group.select(Group.id).where(Group.kind == "strategy").order_by(Group.id).scalar()
        db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    rows = []
    for label, path in pages(group_id):
        for _ in range(warmup):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        rows.append((label, path, p50, p95))
        out(f"| {label} | `{path}` | {p50:.1f} | {p95:.1f} | {'yes' if p95 <= TARGET_MS else 'NO'} |", flush=True)
    return rows


def dashboard_data(url, requests, limit=50, out=print):
    """The dashboard's queries as a dashboard listing only the first `limit` items would run them.

    Not a page: the view (registry/views/main.py) still lists every item; this
    shows what its queries cost once it passes `limit` (docs/performance.md).
    """
    from registry.domain import queries

    app = create_app({"DATABASE_URL": url})
    times = []
    with app.app_context():
        db.connect(reuse_if_open=True)
        for _ in range(requests + 2):
            started = time.perf_counter()
            queries.counts_by_status()
            queries.counts_by_group(TODAY, 90)
            queries.upcoming(TODAY, 90, limit=limit), queries.count_upcoming(TODAY, 90)
            queries.overdue(TODAY, limit=limit), queries.count_overdue(TODAY)
            times.append((time.perf_counter() - started) * 1000)
        db.close()
    times = times[2:]
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    out(f"| dashboard queries, first {limit} items (not a page) | - | {p50:.1f} | {p95:.1f} | - |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=10000)
    parser.add_argument("--log-rows", type=int, default=None, help="default: 10 per agreement")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="use a register generated before instead of a new one")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    args = parser.parse_args()
    log_rows = args.agreements * 10 if args.log_rows is None else args.log_rows
    with tempfile.TemporaryDirectory() as folder, temporary_database(args.database, folder) as url:
        if args.database_url:
            url, size = args.database_url, "existing register"
        else:
            app = create_app({"DATABASE_URL": url})
            with app.app_context():
                db.connect(reuse_if_open=True)
                upgrade()
                generate(args.agreements, log_rows)
                db.close()
            size = f"{args.agreements:,} agreements, {log_rows:,} log rows"
        kind = "postgres" if url.startswith("postgres") else "sqlite"
        print(f"{kind}, {size}, {args.requests} requests per page")
        print("| page | path | p50 (ms) | p95 (ms) | p95 <= 100 ms |")
        print("|---|---|---|---|---|")
        measure(url, args.requests)
        dashboard_data(url, args.requests)


if __name__ == "__main__":
    main()
