"""Refresh: run every catalog query and store each frame with its metadata.

Used by ``worker.py`` (schedule or ``--once``) and, in the embedded default, by the
web process's in-process scheduler. A failing query never removes the last good
frame: its outcome is recorded (time, error class, a message without parameters)
and the previous frame keeps being served.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Iterable

from data_access.catalog import Catalog
from data_access.config import Settings
from data_access.frame_store import CachedFrame, FrameMeta, FrameStore
from data_access.targets import Targets
from data_access.warehouse import QueryError, SqlFileError, Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    """Outcome of one query: ``ok``, rows and seconds, or the error class and message."""

    query: str
    ok: bool
    rows: int = 0
    duration_s: float = 0.0
    error_class: str | None = None
    error: str | None = None


def query_params(settings: Settings, targets: Targets, as_of: dt.date) -> dict:
    """The parameters every query may use: ``as_of_date`` (DATE), ``sales_pipeline_id``
    (STRING) and ``quarter_revenue_target_usd`` (FLOAT64, the revenue plan of the as-of quarter)."""
    return {
        "as_of_date": as_of,
        "sales_pipeline_id": settings.sales_pipeline_id,
        "quarter_revenue_target_usd": float(targets.revenue_plan.quarter_usd(as_of)),
    }


def refresh_query(warehouse: Warehouse, store: FrameStore, query: str, params: dict) -> RefreshResult:
    """Run one query and store its frame; on failure keep the old frame and record the error."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    try:
        frame = warehouse.run(query, params)
    except (QueryError, SqlFileError) as e:
        result = RefreshResult(query, False, duration_s=time.perf_counter() - started,
                               error_class=type(e.__cause__ or e).__name__, error=str(e))
        log.warning("refresh of %s failed: %s", query, result.error_class)
        store.put_outcome(query, {"ok": False, "attempted_at": now.isoformat(),
                                  "error_class": result.error_class, "error": result.error})
        return result
    duration = time.perf_counter() - started
    meta = FrameMeta(query=query, as_of=params["as_of_date"], refreshed_at=now, duration_s=duration, rows=len(frame))
    store.put(query, CachedFrame(frame, meta))
    store.put_outcome(query, {"ok": True, "attempted_at": now.isoformat(), "rows": len(frame),
                              "duration_s": round(duration, 4)})
    return RefreshResult(query, True, rows=len(frame), duration_s=duration)


def refresh_all(
    warehouse: Warehouse,
    store: FrameStore,
    catalog: Catalog,
    settings: Settings,
    targets: Targets,
    as_of: dt.date | None = None,
    queries: Iterable[str] | None = None,
) -> list[RefreshResult]:
    """Refresh ``queries`` (default: every query in the catalog) for ``as_of`` (default: today)."""
    as_of = as_of or settings.today()
    params = query_params(settings, targets, as_of)
    results = [refresh_query(warehouse, store, q, params) for q in (queries or catalog.queries())]
    failed = [r.query for r in results if not r.ok]
    log.info("refreshed %d queries for %s (%d failed%s)", len(results), as_of, len(failed),
             f": {', '.join(failed)}" if failed else "")
    return results
