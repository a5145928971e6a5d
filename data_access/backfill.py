"""Backfill KPI history: recompute past days into ``pulse_metrics.metric_daily``.

    python -m data_access.backfill --from 2025-01-01 [--to 2026-12-05] [--metrics win_rate,nrr]
                                   [--force] [--yes]

Every metric query takes ``@as_of_date``, so a past day is a parameter: each day runs the value
query of every warehouse metric for that date and writes its rows (one MERGE per day, the same
rows a refresh on that day writes; ``history.snapshot_rows``). Targets are those in force on each
day. API sources (bank balances) have no past to ask for and are skipped.

- **Resumable**: days on which every chosen metric already has a row are skipped (``--force``
  recomputes them); an interrupted run continues where it stopped.
- **Fast on DuckDB**: one batch for the whole run: the staging models, which do not depend on the
  as-of date, are built once; per day only the as-of-dependent models and the value queries run
  (``DuckDBBatch.rebind``). Measured in ``bench/README.md``.
- **BigQuery**: a dry run of each value query for the first day, times the days, estimates the
  bytes before anything runs; over ``--confirm-over-gib`` (default 10 GiB) it asks, or needs
  ``--yes`` when not run from a terminal.

Caveat, said in ``docs/metrics_layer.md``: HubSpot's deal table holds today's stage of each
deal; queries that read the stage as of a past day from ``deal_stage_history`` are exact, the
others (open pipeline) see the deals as they are now.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from dateutil.relativedelta import relativedelta

from data_access.catalog import Catalog, load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.history import HistoryStore, snapshot_rows
from data_access.refresh import query_params, store_frame
from data_access.targets import Targets, load_targets
from data_access.warehouse import QueryError, SqlFileError, Warehouse

log = logging.getLogger(__name__)

GIB = 1024 ** 3


@dataclass
class BackfillResult:
    """What a backfill did: days computed and skipped, rows written, (day, metric, error) failures."""

    days_done: int = 0
    days_skipped: int = 0
    rows: int = 0
    failures: list[tuple[dt.date, str, str]] = field(default_factory=list)
    seconds: float = 0.0


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``start`` to ``end``, inclusive. Raises ``ValueError`` when ``end < start``."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def demo_days(as_of: dt.date, months: int, daily_days: int = 100, every: int = 7) -> list[dt.date]:
    """The days the demo's history holds: every day of the last ``daily_days`` (sparklines, and
    deltas vs the previous day, week and month), then every ``every``-th day back to ``months``
    months before ``as_of`` (quarter and year-ago deltas find a point within their slack)."""
    first = as_of - relativedelta(months=months)
    recent = as_of - dt.timedelta(days=daily_days - 1)
    older = [recent - dt.timedelta(days=every * i) for i in range(1, (recent - first).days // every + 1)]
    return sorted(older) + days_between(recent, as_of)


def build_demo_history(settings: Settings, warehouse_path, as_of: dt.date, months: int, build_key: str,
                       show_progress: bool = True) -> BackfillResult:
    """The demo's KPI history (``make demo``): ``demo_days`` computed from the demo warehouse into the
    history file. The history belongs to one demo build (``build_key``: scale, seed, as-of), kept in
    ``<history file>.build``: the same build resumes (nothing to do when complete), another build
    starts the history afresh (the demo company moves with its as-of date)."""
    from data_access.history import DuckDBHistory
    from data_access.warehouse import DuckDBWarehouse

    path = settings.resolved_metrics_duckdb_path()
    marker = path.with_name(path.name + ".build")
    if not marker.exists() or marker.read_text(encoding="utf-8") != build_key:
        path.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    history = DuckDBHistory(path, settings.metrics_dataset)
    days = demo_days(as_of, months)
    catalog = load_catalog()
    targets = load_targets(settings.targets_path, catalog=catalog).targets
    ids = backfill_metrics(catalog)
    todo = pending_days(history, ids, days)
    warehouse = DuckDBWarehouse(warehouse_path, settings.datasets, read_only=True, timeout_s=settings.query_timeout_s)
    bar = None
    if show_progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="day", desc="demo history", file=sys.stderr)
    try:
        result = backfill(warehouse, history, catalog, settings, targets, todo, ids,
                          progress=(lambda _d: bar.update(1)) if bar else None)
    finally:
        if bar:
            bar.close()
        warehouse.close()
    result.days_skipped = len(days) - len(todo)
    marker.write_text(build_key, encoding="utf-8")
    return result


def backfill_metrics(catalog: Catalog, metric_ids: list[str] | None = None) -> list[str]:
    """The warehouse metrics a backfill recomputes (all, or ``metric_ids``). Raises ``ValueError``
    naming an unknown metric or one of an API source."""
    if not metric_ids:
        return [m.id for m in catalog.metrics.values() if m.source == "warehouse"]
    for mid in metric_ids:
        if mid not in catalog.metrics:
            raise ValueError(f"unknown metric {mid!r}")
        if catalog.metrics[mid].source != "warehouse":
            raise ValueError(f"{mid} comes from the {catalog.metrics[mid].source} API: it has no past to recompute")
    return list(metric_ids)


def pending_days(history: HistoryStore, metric_ids: list[str], days: list[dt.date]) -> list[dt.date]:
    """The days of ``days`` on which some metric of ``metric_ids`` has no row yet."""
    have = history.dates(metric_ids)
    return [d for d in days if any(d not in have[m] for m in metric_ids)]


def estimate_bytes(warehouse, catalog: Catalog, metric_ids: list[str], params: dict, days: int) -> int:
    """BigQuery bytes a backfill of ``days`` days would process: one dry run per value query (free)
    for the first day, times ``days``. Raises ``QueryError`` like ``BigQueryWarehouse.dry_run``."""
    queries = dict.fromkeys([catalog.metrics[m].query for m in metric_ids]
                            + [v.query for m in metric_ids for v in catalog.metrics[m].views if v.entity is not None])
    return sum(warehouse.dry_run(q, params) for q in queries) * days


def backfill(warehouse: Warehouse, history: HistoryStore, catalog: Catalog, settings: Settings,
             targets: Targets, days: list[dt.date], metric_ids: list[str],
             progress: Callable[[dt.date], None] | None = None) -> BackfillResult:
    """Recompute ``metric_ids`` for each day of ``days`` and write their history rows (one write per
    day). A failing query fails that metric on that day only (recorded in ``failures``; its old row,
    if any, stays). ``progress`` is called after each day."""
    started = time.perf_counter()
    result = BackfillResult()
    metrics = [catalog.metrics[m] for m in metric_ids]
    queries = list(dict.fromkeys([m.query for m in metrics]
                                 + [v.query for m in metrics for v in m.views if v.entity is not None]))
    batch_cm = warehouse.batch(query_params(settings, targets, days[0])) if days and hasattr(warehouse, "batch") else None
    runner = batch_cm.__enter__() if batch_cm is not None else warehouse
    try:
        for day in days:
            params = query_params(settings, targets, day)
            if batch_cm is not None:
                runner.rebind(params)
            store = MemoryFrameStore()
            now = dt.datetime.now(dt.timezone.utc)
            for q in queries:
                t0 = time.perf_counter()
                try:
                    frame = runner.run(q, params)
                except (QueryError, SqlFileError) as e:
                    for m in metrics:
                        if q in (m.query, *(v.query for v in m.views if v.entity is not None)):
                            result.failures.append((day, m.id, f"{type(e).__name__}: {e}"))
                    continue
                store_frame(store, q, frame, day, t0, now)
            rows = snapshot_rows(metrics, store, targets, day)
            result.rows += history.write(rows)
            result.days_done += 1
            if progress is not None:
                progress(day)
    finally:
        if batch_cm is not None:
            batch_cm.__exit__(None, None, None)
    result.seconds = time.perf_counter() - started
    return result


def run_backfill(settings: Settings, start: dt.date, end: dt.date, metric_ids: list[str] | None = None,
                 force: bool = False, show_progress: bool = True, warehouse=None, history=None,
                 catalog=None, targets=None) -> BackfillResult:
    """``backfill`` with the configured warehouse, history store, catalog and targets, skipping the
    days already done unless ``force``; a tqdm progress bar on stderr when ``show_progress``."""
    from data_access.history import history_from_settings
    from data_access.warehouse import DuckDBWarehouse, warehouse_from_settings

    catalog = catalog or load_catalog()
    targets = targets or load_targets(settings.targets_path, catalog=catalog).targets
    ids = backfill_metrics(catalog, metric_ids)
    history = history or history_from_settings(settings)
    all_days = days_between(start, end)
    days = all_days if force else pending_days(history, ids, all_days)
    own = warehouse is None
    if own:
        warehouse = DuckDBWarehouse.from_settings(settings, read_only=True) if settings.backend == "duckdb" \
            else warehouse_from_settings(settings)
    bar = None
    if show_progress and days:
        from tqdm import tqdm

        bar = tqdm(total=len(days), unit="day", desc="backfill", file=sys.stderr)
    try:
        result = backfill(warehouse, history, catalog, settings, targets, days, ids,
                          progress=(lambda _d: bar.update(1)) if bar else None)
    finally:
        if bar:
            bar.close()
        if own and hasattr(warehouse, "close"):
            warehouse.close()
    result.days_skipped = len(all_days) - len(days)
    return result


def main(argv: list[str] | None = None) -> int:
    """CLI (see the module doc). Exit 0 when every day and metric succeeded, 1 when some failed,
    2 for bad arguments or a refused confirmation."""
    from data_access.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m data_access.backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True, help="first day YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=None,
                        help="last day YYYY-MM-DD (default: the as-of date / today)")
    parser.add_argument("--metrics", default="", help="comma-separated metric ids (default: every warehouse metric)")
    parser.add_argument("--force", action="store_true", help="recompute days that already have history")
    parser.add_argument("--yes", action="store_true", help="do not ask before a large BigQuery backfill")
    parser.add_argument("--confirm-over-gib", type=float, default=10.0,
                        help="BigQuery: ask before processing more than this many GiB (default 10)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    end = args.end or settings.today()
    catalog = load_catalog()
    try:
        ids = backfill_metrics(catalog, [m.strip() for m in args.metrics.split(",") if m.strip()] or None)
        days_between(args.start, end)
    except ValueError as e:
        parser.error(str(e))
    if settings.backend == "bigquery":
        from data_access.history import history_from_settings
        from data_access.warehouse import warehouse_from_settings

        warehouse, history = warehouse_from_settings(settings), history_from_settings(settings)
        targets = load_targets(settings.targets_path, catalog=catalog).targets
        days = days_between(args.start, end)
        days = days if args.force else pending_days(history, ids, days)
        if not days:
            print("backfill: every day already has history (use --force to recompute)")
            return 0
        estimate = estimate_bytes(warehouse, catalog, ids, query_params(settings, targets, days[0]), len(days))
        print(f"backfill: {len(days)} days × {len(ids)} metrics ≈ {estimate / GIB:,.2f} GiB processed (dry run)")
        if estimate > args.confirm_over_gib * GIB and not args.yes:
            if not sys.stdin.isatty():
                print(f"backfill: over {args.confirm_over_gib:g} GiB; run again with --yes to go on", file=sys.stderr)
                return 2
            if input("Go on? [y/N] ").strip().lower() not in ("y", "yes"):
                print("backfill: cancelled")
                return 2
        result = run_backfill(settings, args.start, end, ids, args.force, not args.quiet, warehouse, history,
                              catalog, targets)
    else:
        result = run_backfill(settings, args.start, end, ids, args.force, not args.quiet, catalog=catalog)
    print(f"backfill: {result.days_done} days computed, {result.days_skipped} already done, {result.rows} rows "
          f"written in {result.seconds:.1f} s")
    for day, mid, err in result.failures[:20]:
        print(f"  failed {day} {mid}: {err}", file=sys.stderr)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
