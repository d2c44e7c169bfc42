"""How long a login answer takes for an existing, an unknown and a deactivated address.

    python bench/login_timing.py [--requests 30] [--database-url sqlite:////tmp/x.db]

Makes a fresh SQLite register (or uses `--database-url`) with an active account and a deactivated
one, both with a real scrypt password hash, and posts the login form through Flask's test client
(routing, throttling, queries, hashing, templates: everything but the socket), `--requests` times
per case, interleaved so that a slower moment of the machine hits every case alike. The failure log
is emptied between requests so that throttling never cuts a request short. Prints the median and
the spread per case. Target: every refused login within 15 % of the median of a wrong password for
an existing account (before the dummy hash check: ~100 ms against ~12 ms).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry import create_app  # noqa: E402
from registry.db import db, upgrade  # noqa: E402
from registry.domain import users  # noqa: E402
from registry.models import LoginFailure  # noqa: E402

PASSWORD = "Bänkens-lösenord-2026"
TOLERANCE = 0.15
CASES = (
    # (label, email, password, expected status)
    ("existing, right password", "finns@example.org", PASSWORD, 302),
    ("existing, wrong password", "finns@example.org", "fel-lösenord-123", 401),
    ("unknown address", "okand@example.org", PASSWORD, 401),
    ("deactivated account", "inaktiv@example.org", PASSWORD, 401),
)
BASELINE = "existing, wrong password"


def prepare(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        for email, active in (("finns@example.org", True), ("inaktiv@example.org", False)):
            users.save_user(
                {"email": email, "name": "Bänk", "role": "viewer", "password": PASSWORD, "is_active": active}
            )
        db.close()


def measure(app, requests, warmup=2):
    """{label: [milliseconds]}."""
    times = {label: [] for label, *_ in CASES}
    for round_ in range(warmup + requests):
        for label, email, password, status in CASES:
            client = app.test_client()
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "password": password})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == status, (label, response.status_code)
            with app.app_context():
                LoginFailure.delete().execute()
            if round_ >= warmup:
                times[label].append(elapsed)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/login.db"
        app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        prepare(app)
        times = measure(app, args.requests)
    baseline = statistics.median(times[BASELINE])
    print(f"{args.requests} logins per case, interleaved, scrypt hashes, Flask test client")
    print("| case | median ms | min ms | max ms | / wrong password |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for label, *_ in CASES:
        median = statistics.median(times[label])
        ratio = median / baseline
        if label != CASES[0][0]:
            worst = max(worst, abs(ratio - 1))
        print(f"| {label} | {median:.1f} | {min(times[label]):.1f} | {max(times[label]):.1f} | {ratio:.2f} |")
    verdict = "met" if worst <= TOLERANCE else "MISSED"
    target = f"refused logins within {TOLERANCE:.0%} of a wrong password for an existing account"
    print(f"\n{target}: {verdict} (worst {worst:.1%})")


if __name__ == "__main__":
    main()
