"""Time the XLSX export (registry/domain/exports.py to_xlsx) at several row counts.

    python bench/export.py --rows 1000 5000

Rows have the register's export columns with 40 characters each, a 3,000-character description and a
date. Prints seconds and rows per second per size; the time must grow in proportion to the rows (a
quadratic cost once made the largest export, 5,000 rows, take minutes).
"""

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import create_app  # noqa: E402
from registry.domain import exports, spreadsheet  # noqa: E402

WORDS = "avtal region kommun samverkan vård omsorg ansvar patient insats läkare rehabilitering".split()


def _text(n):
    return " ".join(random.choice(WORDS) + str(random.randint(1, 999)) for _ in range(n // 10))[:n]


def rows_of(count, header):
    found = []
    for n in range(count):
        row = [_text(40) for _ in header]
        row[0] = f"Avtal {n} " + _text(60)
        row[header.index("Beskrivning")] = _text(3000)
        row[-1] = datetime.date(2027, 1, 1) + datetime.timedelta(days=n % 365)
        found.append(row)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    random.seed(1)
    app = create_app({"DATABASE_URL": "sqlite:///:memory:", "TESTING": True})
    with app.test_request_context():
        header = list(spreadsheet.HEADER)
        for count in args.rows:
            rows = rows_of(count, header)
            start = time.perf_counter()
            body = exports.to_xlsx("Avtal", header, rows, "bench", {}, datetime.datetime(2026, 11, 23))
            seconds = time.perf_counter() - start
            print(f"{count:>6} rows: {seconds:6.2f} s, {count / seconds:8.0f} rows/s, {len(body) / 1e6:5.1f} MB")


if __name__ == "__main__":
    main()
