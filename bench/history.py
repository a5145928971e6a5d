"""KPI history figures (issue 14): backfill speed, card grid with sparklines and deltas, history API.

    .venv/bin/python bench/history.py [--scale 1] [--days 365] [--runs 50]

On the bench demo in ``var/bench/`` (as of 2026-11-21) with a fresh history file beside it:

  1. **backfill** of ``--days`` days (every day, every warehouse metric, with its rep and segment
     entities) into DuckDB, as ``python -m data_access.backfill`` runs it; seconds and per day;
  2. **card grid**: the grid callback of every KPI page (``pages._kpi.refresh_grid`` through Dash's
     HTTP endpoint, Flask test client: server time), which draws each card's sparkline and delta from
     the cached history; p50 / p95 per page and per card;
  3. **history API**: ``GET /api/metrics/history`` for the whole year, every metric and entity, as
     JSON (one page of 10,000 rows), CSV and Parquet; p50 / p95.

Not a test: nothing fails on a goal (card p95 ≤ 15 ms, backfill of a year ≤ 2 min, API ≤ 200 ms).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args(argv)
    C.quiet_logs()
    C.banner(f"KPI history — scale {args.scale:g}, {args.days} days of backfill, {args.runs} runs")
    path, _ = C.ensure_demo(args.scale)

    from data_access import runtime
    from data_access.backfill import run_backfill
    from data_access.history import DuckDBHistory

    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-history-"))
    settings = C.demo_settings(path, metrics_duckdb_path=tmp / "history.duckdb", targets_path=tmp / "targets.json")
    rt = runtime.Runtime.from_settings(settings)
    start = C.DEMO_AS_OF - dt.timedelta(days=args.days - 1)
    t0 = time.perf_counter()
    result = run_backfill(settings, start, C.DEMO_AS_OF, show_progress=False, history=DuckDBHistory(tmp / "history.duckdb"),
                          catalog=rt.catalog, targets=rt.targets().targets)
    took = time.perf_counter() - t0
    C.table(["days", "rows", "failures", "seconds", "per day"],
            [[result.days_done, result.rows, len(result.failures), f"{took:.1f}", C.ms(took / max(1, result.days_done))]],
            title="1. backfill (DuckDB, staging built once, one MERGE per day)")

    rt.refresh_everything()  # today's values, and the history into the frame cache
    previous = runtime.set_runtime(rt)
    try:
        import app as app_module
        from components import ids

        client = app_module.create_app(start_scheduler=False).server.test_client()
        dep = next(d for d in client.get("/_dash-dependencies").get_json() if '"kpi-grid"' in d["output"])
        rows = []
        for page in rt.catalog.pages:
            grid, interval, period = ids.kpi_grid(page), ids.grid_interval(page), ids.delta_period(page)
            body = {"output": dep["output"],
                    "outputs": [{"id": grid, "property": "children"}, {"id": interval, "property": "interval"}],
                    "inputs": [{"id": interval, "property": "n_intervals", "value": 1},
                               {"id": period, "property": "value", "value": "month"}],
                    "state": [{"id": ids.page_as_of(page), "property": "data", "value": None}],
                    "changedPropIds": [json.dumps(interval, separators=(",", ":"), sort_keys=True) + ".n_intervals"]}
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                r = client.post("/_dash-update-component", json=body)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200
            n = len(rt.catalog.metrics_on(page))
            rows.append([page, n, C.ms(C.pct(times, 50)), C.ms(C.pct(times, 95)), C.ms(C.pct(times, 95) / n)])
        C.table(["page", "cards", "grid p50", "grid p95", "p95 per card"], rows,
                title="2. card grid callback with sparklines and deltas (server time)")

        q = f"/api/metrics/history?from={start.isoformat()}&to={C.DEMO_AS_OF.isoformat()}"
        rows = []
        for fmt, extra in (("json", "&limit=10000"), ("csv", ""), ("parquet", "")):
            times, size, total = [], 0, None
            for _ in range(max(5, args.runs // 5)):
                t = time.perf_counter()
                r = client.get(f"{q}&format={fmt}{extra}")
                times.append(time.perf_counter() - t)
                size = len(r.get_data())
                if fmt == "json":
                    total = r.get_json()["total_rows"]
            rows.append([fmt, total if total is not None else "", C.human_bytes(size), C.ms(C.pct(times, 50)),
                         C.ms(C.pct(times, 95))])
        C.table(["format", "rows", "bytes", "p50", "p95"], rows,
                title=f"3. GET /api/metrics/history, {args.days} days × every metric and entity")
    finally:
        runtime.set_runtime(previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
