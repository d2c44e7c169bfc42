"""The benchmark scripts still run (tiny sizes).

The figures themselves are in docs/performance.md; these tests only keep
bench/ from rotting. Each script runs as `make bench` runs it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench(script, *args, timeout=120):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_pages_bench_prints_a_row_per_page():
    out = bench("pages.py", "--agreements", 200, "--requests", 2)
    assert "| dashboard | `/` |" in out
    assert out.count("| list") >= 8


def test_pages_bench_on_postgres_makes_and_drops_its_database():
    out = bench("pages.py", "--agreements", 100, "--requests", 1, "--database", "postgres")
    assert out.startswith("postgres, 100 agreements")


def test_reminder_pass_bench_sends_the_thousand_due():
    out = bench("reminder_pass.py", "--sizes", 200)
    assert "| sqlite | 200 |" in out
    assert "1000 sent" in out


def test_smtp_bench_compares_with_smtplib():
    out = bench("smtp.py", "--messages", 20, "--rounds", 1)
    assert "ratio mailer / raw smtplib:" in out


def test_login_timing_bench_times_every_case():
    out = bench("login_timing.py", "--requests", 1)
    for case in ("existing, wrong password", "unknown address", "deactivated account"):
        assert f"| {case} |" in out
    assert "of a wrong password for an existing account:" in out


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)")
def test_throughput_bench_loads_both_endpoints():
    out = bench("throughput.py", "--agreements", 200, "--seconds", 1)
    assert "| bare Flask endpoint |" in out
    assert "ratio list / bare:" in out
