"""Generate a realistic register of any size for benchmarks.

    python bench/generate.py --agreements 100000 --log-rows 1000000 --database-url sqlite:////tmp/bench.db

Creates regions with municipalities, a group structure per region (forum,
leadership group, strategy and steering groups), people, agreements with
parties, owners, review cycles and expiry dates spread over the coming years,
reviews, and a delivery log of past reminders. Deterministic (seeded).
"""

import argparse
import contextlib
import datetime
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peewee import PostgresqlDatabase  # noqa: E402
from pgdb import temporary_database  # noqa: E402

from registry import create_app  # noqa: E402
from registry.db import db, upgrade  # noqa: E402
from registry.models import (  # noqa: E402
    Agreement,
    AgreementOwner,
    AgreementParty,
    Group,
    Organisation,
    Person,
    Reminder,
    Review,
)
from registry.rules import cycles  # noqa: E402

BATCH = 1000
KINDS = ["avtal", "overenskommelse", "tillampningsanvisning", "strategi", "rutin"]
GROUP_NAMES = ["ReKo", "Barn och unga", "Psykiatri och missbruk", "Äldre", "E-hälsorådet", "Hjälpmedel"]
TOPICS = [
    "hemsjukvård",
    "utskrivning",
    "SIP",
    "familjecentral",
    "ungdomsmottagning",
    "läkarmedverkan",
    "hjälpmedel",
    "egenvård",
    "placering",
    "missbruk",
    "demens",
    "e-hälsa",
    "habilitering",
]


def insert(model, rows):
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start : start + BATCH]).execute()


def generate(agreements, log_rows, seed=1, today=datetime.date(2026, 11, 23)):
    rng = random.Random(seed)
    regions = max(1, agreements // 5000)
    with db.atomic():
        for r in range(regions):
            insert(
                Organisation,
                [{"name": f"Region {r:03d}", "kind": "region"}]
                + [{"name": f"Kommun {r:03d}-{m:02d}", "kind": "municipality"} for m in range(13)],
            )
            insert(
                Person,
                [{"name": f"Person {r:03d}-{p:03d}", "email": f"p{r:03d}.{p:03d}@example.org"} for p in range(40)],
            )
            forum = Group.create(name=f"Kommunalt forum {r:03d}", kind="forum")
            reko = Group.create(
                name=f"{GROUP_NAMES[0]} {r:03d}", kind="leadership", parent=forum, mailbox=f"reko{r:03d}@example.org"
            )
            insert(
                Group,
                [
                    {
                        "name": f"{n} {r:03d}",
                        "kind": "strategy",
                        "parent": reko.id,
                        "mailbox": f"g{r:03d}{i}@example.org",
                    }
                    for i, n in enumerate(GROUP_NAMES[1:])
                ],
            )
    orgs = {}
    for o in Organisation.select(Organisation.id, Organisation.name):
        orgs.setdefault(o.name.split(" ")[1][:3], []).append(o.id)
    groups = {}
    for g in Group.select(Group.id, Group.name).where(Group.kind != "forum"):
        groups.setdefault(g.name[-3:], []).append(g.id)
    people = {}
    for p in Person.select(Person.id, Person.email):
        people.setdefault(p.email[1:4], []).append(p.id)

    now = datetime.datetime(2026, 11, 1)
    rows, owners, parties, reviews = [], [], [], []
    first_id = (Agreement.select(Agreement.id).order_by(Agreement.id.desc()).scalar() or 0) + 1
    for n in range(agreements):
        region = f"{n % regions:03d}"
        valid_from = today - datetime.timedelta(days=rng.randint(30, 2000))
        expires = None if rng.random() < 0.4 else today + datetime.timedelta(days=rng.randint(-60, 1500))
        cycle = rng.choice(["FREQ=YEARLY;INTERVAL=1", "FREQ=YEARLY;INTERVAL=1", "FREQ=YEARLY;INTERVAL=3", ""])
        last_review = valid_from + datetime.timedelta(days=rng.randint(0, 700)) if cycle else None
        next_review = cycles.next_review(cycle, last_review) if cycle else None
        rows.append(
            {
                "title": f"Överenskommelse om {rng.choice(TOPICS)} nr {n}",
                "kind": rng.choice(KINDS),
                "case_number": f"RJL {2020 + n % 7}/{n:06d}",
                "responsible_group": rng.choice(groups[region]),
                "valid_from": valid_from,
                "expires_on": expires,
                "review_rule": cycle,
                "next_review_on": next_review,
                "status": "in_force" if rng.random() < 0.9 else rng.choice(["draft", "terminated", "under_revision"]),
                "created_at": now,
                "updated_at": now,
            }
        )
        agreement_id = first_id + n
        owners.append({"agreement": agreement_id, "person": rng.choice(people[region])})
        parties.extend({"agreement": agreement_id, "organisation": o} for o in orgs[region][:3])
        if last_review:
            reviews.append(
                {
                    "agreement": agreement_id,
                    "reviewed_on": last_review,
                    "outcome": "unchanged",
                    "reviewer_name": "ReKo",
                    "created_at": now,
                }
            )
    with db.atomic():
        insert(Agreement, rows)
        insert(AgreementOwner, owners)
        insert(AgreementParty, parties)
        insert(Review, reviews)
    log = []
    for i in range(log_rows):
        agreement_id = first_id + rng.randrange(agreements)
        log.append(
            {
                "agreement": agreement_id,
                "kind": "expiry",
                "deadline_on": today - datetime.timedelta(days=i % 900),
                "stage": f"before:{i}",
                "recipient": f"r{i % 5000}@example.org",
                "role": "owner",
                "send_on": today - datetime.timedelta(days=i % 900),
                "state": "sent",
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(log) >= 20000:
            with db.atomic():
                insert(Reminder, log)
            log = []
    with db.atomic():
        insert(Reminder, log)
    # Fresh statistics, as after any bulk load (PostgreSQL's autovacuum would take them
    # a little later by itself; SQLite only when told): the planner needs them to choose
    # between the title index and a filter's index. On PostgreSQL VACUUM also moves the
    # rows inserted into the trigram (GIN) indexes' pending lists into the indexes proper.
    db.execute_sql("VACUUM ANALYZE" if isinstance(db.obj, PostgresqlDatabase) else "ANALYZE")


def register_arguments(parser):
    """The options of a benchmark that runs against a register: a new one of a size, or one made before."""
    parser.add_argument("--agreements", type=int, default=10000)
    parser.add_argument("--log-rows", type=int, default=None, help="default: 10 per agreement")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="use a register generated before instead of a new one")


@contextlib.contextmanager
def benchmark_register(args):
    """Yield (url, kind, description) of the register `register_arguments` asked for: the given
    --database-url, or a throw-away database generated at --agreements and --log-rows."""
    with tempfile.TemporaryDirectory() as folder, temporary_database(args.database, folder) as url:
        if args.database_url:
            url, size = args.database_url, "existing register"
        else:
            log_rows = args.agreements * 10 if args.log_rows is None else args.log_rows
            app = create_app({"DATABASE_URL": url})
            with app.app_context():
                db.connect(reuse_if_open=True)
                upgrade()
                generate(args.agreements, log_rows)
                db.close()
            size = f"{args.agreements:,} agreements, {log_rows:,} log rows"
        yield url, ("postgres" if url.startswith("postgres") else "sqlite"), size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=10000)
    parser.add_argument("--log-rows", type=int, default=100000)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database_url})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        started = time.perf_counter()
        generate(args.agreements, args.log_rows)
        print(
            f"generated {args.agreements} agreements and {args.log_rows} log rows "
            f"in {time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
