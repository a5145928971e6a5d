"""Full catalog refresh on DuckDB at scale 200 (≈ 1M deals).

    .venv/bin/python bench/refresh_scale.py [--scale 200] [--seed 7] [--rebuild] [--runs 2]

Builds the demo company into ``var/bench/demo_s<scale>_seed<seed>_<as-of>.duckdb`` (reused when
its sidecar JSON says same scale/seed/as-of; ``--rebuild`` forces), then times ``refresh_all``
over ``catalog.queries()`` into a ``MemoryFrameStore``, ``--runs`` times in one process (run 1 is
the first query on a freshly opened read-only connection, as after a worker start; later runs are
the worker's steady state). Prints each query's seconds and rows, the total, the SQL rendering
(sqlglot) share, and the size of every frame as stored in Redis (Arrow IPC + LZ4).
Goal (issue 3): full refresh ≤ 5 s; each drill-down query well under 5 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

GOAL_TOTAL_S = 5.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=200)
    ap.add_argument("--seed", type=int, default=C.DEMO_SEED)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=C.DEMO_AS_OF)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the demo file even if it matches")
    ap.add_argument("--runs", type=int, default=1, help="full refreshes to time in one process (default 1; make bench runs 3)")
    ap.add_argument("--what-if", action="store_true",
                    help="also time a prototype (bench only, not the app): SQL rendered once and every "
                         "staging/intermediate model materialized once as a TEMP table, queries run against them")
    args = ap.parse_args(argv)

    C.quiet_logs()
    C.banner(f"refresh_scale: full catalog refresh on DuckDB, demo scale {args.scale:g}")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    path, info = C.ensure_demo(args.scale, args.seed, args.as_of, rebuild=args.rebuild)
    rows = info["rows"]
    print(f"demo file: {path.relative_to(C.ROOT)} ({C.human_bytes(path.stat().st_size)}), "
          f"{'reused' if info['reused'] else 'built'} (build took {info['build_s']} s when built); "
          f"deals {rows.get('hubspot.deal', 0):,}, invoices {rows.get('quickbooks.invoice', 0):,}, "
          f"invoice lines {rows.get('quickbooks.invoice_line', 0):,}, companies {rows.get('hubspot.company', 0):,}")

    from data_access.catalog import load_catalog
    from data_access.frame_store import MemoryFrameStore, frame_to_bytes
    from data_access.refresh import refresh_all
    from data_access.targets import load_targets
    from data_access.warehouse import DuckDBWarehouse, render

    catalog = load_catalog()
    print(f"catalog version {catalog.version}: {len(catalog.metrics)} metrics, {len(catalog.queries())} warehouse queries")
    settings = C.demo_settings(path)
    settings = settings.model_copy(update={"as_of_date": args.as_of})
    targets = load_targets(settings.targets_path, None).targets
    queries = catalog.queries()
    view_queries = {v.query for m in catalog.metrics.values() if m.source == "warehouse" for v in m.views}
    value_queries = {m.query for m in catalog.metrics.values() if m.source == "warehouse"}

    # sqlglot rendering is part of every DuckDBWarehouse.run; measured on its own for the record
    t = time.perf_counter()
    for q in queries:
        render(q, "duckdb", settings.datasets)
    render_s = time.perf_counter() - t

    wh = DuckDBWarehouse(path, settings.datasets, read_only=True, timeout_s=settings.query_timeout_s)
    runs = []
    store = None
    try:
        for _ in range(max(1, args.runs)):
            store = MemoryFrameStore()
            t = time.perf_counter()
            results = refresh_all(wh, store, catalog, settings, targets, as_of=args.as_of, queries=queries)
            runs.append((time.perf_counter() - t, {r.query: r for r in results}))
    finally:
        wh.close()

    headers = ["query", "kind", "rows"] + [f"run {i + 1} s" for i in range(len(runs))] + ["Redis bytes (IPC+LZ4)"]
    out, failed = [], []
    for q in queries:
        kind = ("value+view" if q in value_queries and q in view_queries else
                "drill-down" if q in view_queries else "value")
        r0 = runs[0][1][q]
        cached = store.get(q)
        size = len(frame_to_bytes(cached)) if cached is not None else 0
        if not all(r[1][q].ok for r in runs):
            failed.append(f"{q}: {runs[-1][1][q].error_class}: {(runs[-1][1][q].error or '').splitlines()[0][:160]}")
        out.append([q.split("/", 1)[-1], kind, f"{r0.rows:,}"] +
                   [f"{r[1][q].duration_s:.3f}" if r[1][q].ok else "FAILED" for r in runs] + [C.human_bytes(size)])
    C.table(headers, out, title=f"Per query (refresh_all → MemoryFrameStore, as of {args.as_of}, "
                               f"{len(queries)} queries, sequential as the worker runs them)")
    totals = [f"{wall:.2f}" for wall, _ in runs]
    drill = [max([r.duration_s for q, r in res.items() if q in view_queries and r.ok] or [0.0]) for _, res in runs]
    print()
    C.table(["figure"] + [f"run {i + 1}" for i in range(len(runs))], [
        ["full refresh wall time, s"] + totals,
        ["Σ drill-down queries, s"] + [f"{sum(r.duration_s for q, r in res.items() if q in view_queries):.2f}"
                                       for _, res in runs],
        ["queries failed"] + [str(sum(not r.ok for r in res.values())) for _, res in runs],
        ["slowest drill-down query, s"] + [f"{d:.3f}" for d in drill],
    ], title="Totals")
    print(f"\nSQL rendering (sqlglot parse + inline models + transpile), all {len(queries)} queries once: "
          f"{render_s:.2f} s (the per-query path; DuckDB refreshes render each file once per process and "
          f"reuse it until the file changes — part of run 1 above, not of later runs)")
    best = min(w for w, _ in runs)
    print("run 1 is a new process's first refresh (SQL rendered, DuckDB's buffers cold); later runs are the "
          "steady state of the long-running worker")
    print(f"\nGOAL full catalog refresh at scale {args.scale:g} ≤ {GOAL_TOTAL_S:g} s: "
          f"{'MET' if runs[0][0] <= GOAL_TOTAL_S else 'NOT MET'} (run 1 {runs[0][0]:.2f} s, best {best:.2f} s)")
    print(f"GOAL each drill-down query well under 5 s: {'MET' if max(drill) < 5 else 'NOT MET'} "
          f"(slowest {max(drill):.2f} s)")
    if failed:
        print("FAILED queries:\n  " + "\n  ".join(failed))
    if args.what_if:
        ok = [q for q in queries if all(r[1][q].ok for r in runs)]
        what_if(path, settings, targets, args.as_of, ok, {q: runs[-1][1][q].rows for q in ok})
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


def what_if(path: Path, settings, targets, as_of, queries, expected_rows) -> None:
    """The proposed fix, prototyped in the bench process: render every query once, create each
    staging/intermediate model (inlined as a CTE in up to 11 queries today) once per refresh as a
    TEMP table on the read-only connection, and run the queries with those CTEs removed."""
    import duckdb
    from sqlglot import exp

    from data_access.refresh import query_params
    from data_access.warehouse import _bind_value, _rewrite_tables, expanded_sql

    params = query_params(settings, targets, as_of)
    prefixes = ("staging__", "intermediate__")
    con = duckdb.connect(str(path), read_only=True)
    try:
        t0 = time.perf_counter()
        trees, models = {}, {}
        for q in queries:
            tree = _rewrite_tables(expanded_sql(q), settings.datasets, None)
            with_ = tree.args.get("with_")
            for cte in list(with_.expressions) if with_ else []:
                if cte.alias.startswith(prefixes):
                    models.setdefault(cte.alias, cte.this)  # dependencies come first, as inlined
            trees[q] = tree

        def bound(node):
            wanted = {p.name for p in node.find_all(exp.Parameter)}
            return {k: _bind_value(v) for k, v in params.items() if k in wanted}

        rendered = {}
        for q, tree in trees.items():
            tree = tree.copy()
            with_ = tree.args.get("with_")
            if with_:
                keep = [c for c in with_.expressions if not c.alias.startswith(prefixes)]
                if keep:
                    with_.set("expressions", keep)
                else:
                    tree.set("with_", None)
            rendered[q] = (tree.sql(dialect="duckdb"), bound(tree))
        render_s = time.perf_counter() - t0
        out = []
        for name, node in models.items():
            t = time.perf_counter()
            con.execute(f'create or replace temp table "{name}" as {node.sql(dialect="duckdb")}', bound(node))
            n = con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
            out.append([f"model {name}", f"{n:,}", f"{time.perf_counter() - t:.3f}", ""])
        mat_s = time.perf_counter() - t0 - render_s
        for q in queries:
            t = time.perf_counter()
            df = con.execute(*rendered[q]).df()
            out.append([q.split("/", 1)[-1], f"{len(df):,}", f"{time.perf_counter() - t:.3f}",
                        "" if len(df) == expected_rows[q] else f"rows differ: {expected_rows[q]:,}"])
        total = time.perf_counter() - t0
    finally:
        con.close()
    C.table(["step", "rows", "s", "check"], out,
            title="What if (prototype in the bench, not app code): models materialized once per refresh "
                  "as TEMP tables, SQL rendered once")
    print(f"what-if total {total:.2f} s = render once {render_s:.2f} s + models {mat_s:.2f} s + "
          f"queries {total - render_s - mat_s:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
