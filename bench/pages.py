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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import benchmark_register, register_arguments  # noqa: E402

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
        session["_user_id"] = user.get_id()
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    register_arguments(parser)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    args = parser.parse_args()
    with benchmark_register(args) as (url, kind, size):
        print(f"{kind}, {size}, {args.requests} requests per page")
        print("| page | path | p50 (ms) | p95 (ms) | p95 <= 100 ms |")
        print("|---|---|---|---|---|")
        measure(url, args.requests)


if __name__ == "__main__":
    main()
