"""``make bench``: run every benchmark script in turn and print their figures (not a test).

    .venv/bin/python bench/run_all.py [--quick]

1. refresh_scale.py      full catalog refresh on DuckDB at scale 200 (builds var/bench/ demo once)
2. drilldown_latency.py  drill-down callback and view API: cached vs per request (DuckDB, bqemulator)
3. load_test.py          50 users against gunicorn (2 workers) + Redis + worker.py, 60 s
4. settings_load.py      opening Settings: its layout and initial callbacks, server time (30 loads)
5. history.py            KPI history: a year's backfill, card grid with sparklines, history API
6. customers_page.py     the Customers page's queries on 35k customers, SQLite and PostgreSQL

Each script runs in its own process (so a crash in one does not hide the others' figures).
Nothing fails on a threshold; the exit status is non-zero only if a script crashed.
``--quick`` is a smoke run (small request counts, 10 s load test): its figures are not the benchmark.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

SCRIPTS = [
    ("refresh_scale.py", ["--runs", "3"], ["--runs", "1"]),
    ("drilldown_latency.py", [], ["--requests", "60", "--big-budget-s", "3", "--bq-budget-s", "10"]),
    ("load_test.py", [], ["--duration-s", "10"]),
    ("settings_load.py", [], ["--runs", "3", "--history", "10"]),
    ("history.py", ["--runs", "30"], ["--runs", "3", "--days", "10"]),
    ("customers_page.py", [], ["--runs", "3", "--customers", "2000"]),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run with tiny sample sizes")
    args = ap.parse_args(argv)
    print(f"Pulse benchmarks (issue 3, item 8) — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(C.machine_line())
    started = time.perf_counter()
    status = []
    env = {**os.environ, "PYTHONPATH": str(C.ROOT), "PYTHONUNBUFFERED": "1"}
    for script, normal, quick in SCRIPTS:
        t = time.perf_counter()
        rc = subprocess.call([sys.executable, str(C.ROOT / "bench" / script), *(quick if args.quick else normal)],
                             cwd=C.ROOT, env=env)
        status.append((script, rc, time.perf_counter() - t))
    print()
    C.table(["script", "exit", "seconds"], [[s, rc, f"{dt:.0f}"] for s, rc, dt in status],
            title=f"make bench finished in {time.perf_counter() - started:.0f} s")
    return 1 if any(rc != 0 for _, rc, _ in status) else 0


if __name__ == "__main__":
    sys.exit(main())
