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
from typing import Callable, Iterable

import pandas as pd
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from data_access.catalog import Catalog, Metric
from data_access.config import Settings
from data_access.frame_store import CachedFrame, FrameMeta, FrameStore
from data_access.targets import Targets
from data_access.warehouse import QueryError, QueryTimeout, SqlFileError, Warehouse

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
    """The parameters every query may use: ``as_of_date`` (DATE), ``sales_pipeline_ids`` and
    ``supply_pipeline_ids`` (ARRAY<STRING>, as tuples: HubSpot pipeline ids) and
    ``quarter_revenue_target_usd`` (FLOAT64, the revenue plan of the as-of quarter) and the support
    SLA targets ``sla_<priority>_first_reply_minutes`` / ``sla_<priority>_resolution_minutes``
    (FLOAT64, business minutes; ``SupportSlaTargets.sql_params``). A warehouse binds only those a
    query and its models use."""
    return {
        "as_of_date": as_of,
        "sales_pipeline_ids": tuple(settings.sales_pipeline_ids),
        "supply_pipeline_ids": tuple(settings.supply_pipeline_ids),
        "quarter_revenue_target_usd": float(targets.revenue_plan.quarter_usd(as_of)),
        **targets.support_sla_targets.sql_params(),
    }


_TRANSIENT_NAMES = {
    # google.api_core.exceptions: 5xx, 429, deadline
    "InternalServerError", "BadGateway", "ServiceUnavailable", "GatewayTimeout", "TooManyRequests",
    "DeadlineExceeded", "ServerError", "RetryError",
    # transport and local I/O
    "ConnectionError", "ConnectionResetError", "TimeoutError", "IOException", "TransportError",
}


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying (server errors, rate limits, dropped connections).

    Syntax errors, missing tables, permission errors, byte caps and query timeouts are not.
    """
    if isinstance(exc, (SqlFileError, QueryTimeout)):
        return False
    seen = exc
    while seen is not None:
        if any(c.__name__ in _TRANSIENT_NAMES for c in type(seen).__mro__):
            return True
        seen = seen.__cause__
    return False


def _retrying(settings: Settings) -> Retrying:
    return Retrying(
        stop=stop_after_attempt(settings.refresh_attempts),
        wait=wait_exponential_jitter(initial=settings.refresh_backoff_s, max=settings.refresh_backoff_max_s),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )


def _error_class(e: BaseException) -> str:
    return type(e.__cause__ or e).__name__


def record_failure(store: FrameStore, name: str, e: BaseException, started: float,
                   attempted_at: dt.datetime) -> RefreshResult:
    """Record a failed refresh of frame ``name``; the last good frame stays in the store."""
    result = RefreshResult(name, False, duration_s=time.perf_counter() - started,
                           error_class=_error_class(e), error=str(e))
    log.warning("refresh of %s failed: %s", name, result.error_class)
    store.put_outcome(name, {"ok": False, "attempted_at": attempted_at.isoformat(),
                             "duration_s": round(result.duration_s, 4),
                             "error_class": result.error_class, "error": result.error})
    return result


def store_frame(store: FrameStore, name: str, frame: pd.DataFrame, as_of: dt.date, started: float,
                attempted_at: dt.datetime, bytes_processed: int | None = None) -> RefreshResult:
    """Store a freshly computed frame with its metadata and a success outcome."""
    duration = time.perf_counter() - started
    meta = FrameMeta(query=name, as_of=as_of, refreshed_at=attempted_at, duration_s=duration, rows=len(frame))
    store.put(name, CachedFrame(frame, meta))
    store.put_outcome(name, {"ok": True, "attempted_at": attempted_at.isoformat(), "rows": len(frame),
                             "duration_s": round(duration, 4), "bytes_processed": bytes_processed})
    return RefreshResult(name, True, rows=len(frame), duration_s=duration)


def refresh_query(warehouse: Warehouse, store: FrameStore, query: str, params: dict,
                  settings: Settings | None = None) -> RefreshResult:
    """Run one query (retrying transient errors) and store its frame.

    On failure the old frame stays and the error is recorded (class and a message that
    names the query; parameter values are never part of it).
    """
    settings = settings or Settings()
    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    try:
        frame = _retrying(settings)(warehouse.run, query, params)
    except (QueryError, SqlFileError) as e:
        return record_failure(store, query, e, started, now)
    except Exception as e:  # a transient error that outlived its retries, or a driver bug
        log.exception("unexpected error refreshing %s", query)
        return record_failure(store, query, QueryError(query, f"{type(e).__name__}: {e}"), started, now)
    return store_frame(store, query, frame, params["as_of_date"], started, now,
                       getattr(warehouse, "last_bytes_processed", None))


@dataclass(frozen=True)
class Fetched:
    """What a non-warehouse source's ``fetch_frames`` returns: frames by name plus partial-data
    messages for admins (sanitized)."""

    frames: dict[str, pd.DataFrame]
    messages: list[str]


def api_source(source: str):
    """The integration module of an API source (``fetch_frames`` → ``Fetched``, ``is_connected``, ``CONNECT_HINT``)."""
    if source == "simplefin":
        from integrations import simplefin_source

        return simplefin_source
    if source == "smartlead":
        from integrations import smartlead_source

        return smartlead_source
    if source == "pulse_db":
        from data_access import renewal_metrics

        return renewal_metrics
    if source == "derived":
        from data_access import health_score

        return health_score
    raise ValueError(f"unknown API source {source!r}")


def connect_hint(metric: Metric, settings: Settings) -> str | None:
    """For a metric of an API source that is not configured: how to connect it (the source's
    ``CONNECT_HINT``, naming the environment variables to set); ``None`` otherwise."""
    if metric.source == "warehouse":
        return None
    src = api_source(metric.source)
    return None if src.is_connected(settings) else src.CONNECT_HINT


def refresh_api_metric(metric: Metric, store: FrameStore, settings: Settings, as_of: dt.date) -> list[RefreshResult]:
    """``refresh_api_metrics`` for one metric (a worker job's metric)."""
    return refresh_api_metrics([metric], store, settings, as_of)


def refresh_api_metrics(metrics: list[Metric], store: FrameStore, settings: Settings,
                        as_of: dt.date) -> list[RefreshResult]:
    """Fetch the API source of ``metrics`` (all of one source) once and store every frame they read.

    The client retries transient errors itself (httpx + tenacity). A source that is not
    configured is skipped (no frames, no failure); any other error keeps the last good
    frames and is recorded. Partial-data messages go into the outcome for /status.

    Raises:
        ValueError: ``metrics`` is empty or mixes sources.
    """
    sources = {m.source for m in metrics}
    if len(sources) != 1:
        raise ValueError(f"refresh_api_metrics needs the metrics of one source, got {sorted(sources)}")
    src = api_source(sources.pop())
    if not src.is_connected(settings):
        return []
    names = list(dict.fromkeys(name for m in metrics for name in m.frames()))
    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    try:
        fetched = src.fetch_frames(settings)
    except Exception as e:
        return [record_failure(store, name, e, started, now) for name in names]
    results = [store_frame(store, name, fetched.frames[name], as_of, started, now)
               for name in names if name in fetched.frames]
    if fetched.messages:
        for name in names:
            outcome = store.get_outcome(name) or {}
            store.put_outcome(name, {**outcome, "messages": fetched.messages[:20]})
    return results


def refresh_all(
    warehouse: Warehouse,
    store: FrameStore,
    catalog: Catalog,
    settings: Settings,
    targets: Targets,
    as_of: dt.date | None = None,
    queries: Iterable[str] | None = None,
    on_result: Callable[[RefreshResult], None] | None = None,
) -> list[RefreshResult]:
    """Refresh ``queries`` (default: every query in the catalog) for ``as_of`` (default: today),
    and, when some of them read the deals of a configured pipeline, the pipelines frame
    (``data_access.pipelines``) the cards use to say why such a metric is empty.
    ``on_result`` is called with each query's result as soon as it is stored (progress).

    On a warehouse with ``batch`` (DuckDB), several queries run as one batch: every
    staging/intermediate model they read is built once per refresh instead of once per query
    (``DuckDBWarehouse.batch``). Other warehouses (BigQuery) run each query on its own."""
    from data_access.pipelines import PIPELINES_QUERY, needs_pipelines

    as_of = as_of or settings.today()
    params = query_params(settings, targets, as_of)
    names = list(queries or catalog.queries())
    if needs_pipelines(names) and PIPELINES_QUERY not in names:
        names.append(PIPELINES_QUERY)  # do the pipeline settings match the portal? (data_access.pipelines)

    def run(wh) -> list[RefreshResult]:
        out = []
        for q in names:
            out.append(refresh_query(wh, store, q, params, settings))
            if on_result is not None:
                on_result(out[-1])
        return out

    if len(names) > 1 and hasattr(warehouse, "batch"):
        # DuckDB: the models the queries share are built once for the whole refresh (TEMP
        # tables); each query is still run, retried, timed and recorded on its own.
        with warehouse.batch(params, rebuild_failed=is_transient) as batch:
            results = run(batch)
    else:
        results = run(warehouse)
    failed = [r.query for r in results if not r.ok]
    log.info("refreshed %d queries for %s (%d failed%s)", len(results), as_of, len(failed),
             f": {', '.join(failed)}" if failed else "")
    return results


def refresh_metric(rt, metric_id: str, force: bool = False, claim_ttl_s: int | None = None) -> list[RefreshResult] | None:
    """The worker's job for one metric: its value and views, once across all workers.

    Unless ``force`` (an admin's "refresh now"), a claim makes a second worker firing the
    same schedule skip it: its TTL is half the cadence for scheduled runs (longer than the
    trigger jitter), or ``claim_ttl_s`` (the start-up round). A lock keeps two refreshes of
    one metric from overlapping. Returns ``None`` when skipped.
    """
    metric = rt.catalog.metrics[metric_id]
    cadence_s = (metric.cadence.interval_minutes or 24 * 60) * 60
    ttl = claim_ttl_s if claim_ttl_s is not None else max(30, cadence_s // 2)
    if not force and not rt.coordinator.claim(metric_id, ttl_s=ttl):
        log.info("refresh of %s skipped: another worker claimed it", metric_id)
        return None
    with rt.coordinator.lock(metric_id, timeout_s=max(60, rt.settings.query_timeout_s * 4)) as got:
        if not got:
            log.info("refresh of %s skipped: already running", metric_id)
            return None
        as_of = rt.settings.today()
        if metric.source == "derived":
            from data_access import health_score

            results = health_score.refresh([metric], rt.catalog, rt.store, rt.targets().targets, as_of)
        elif metric.source != "warehouse":
            results = refresh_api_metric(metric, rt.store, rt.settings, as_of)
        else:
            results = refresh_all(rt.warehouse(), rt.store, rt.catalog, rt.settings, rt.targets().targets,
                                  as_of=as_of, queries=metric.frames())
        if any(r.ok and r.query == metric.query for r in results):
            rt.record_history([metric_id])  # its KPI history (never fails the refresh)
        return results


PAST_REQUEST = "past:"  # "past:<metric id>:<YYYY-MM-DD>" in the refresh-request queue


def request_past(rt, metric_id: str, day: dt.date) -> bool:
    """Ask the worker to compute ``metric_id``'s frames for a past ``day`` (through the coordinator's
    request queue; at most once a minute per metric and day). Returns True when asked now."""
    if not rt.coordinator.claim(f"{PAST_REQUEST}{metric_id}:{day.isoformat()}", ttl_s=60):
        return False
    rt.coordinator.request_refresh(f"{PAST_REQUEST}{metric_id}:{day.isoformat()}")
    return True


def parse_past_request(request: str) -> tuple[str, dt.date] | None:
    """``(metric id, day)`` of a past-day request, ``None`` for anything else."""
    if not request.startswith(PAST_REQUEST):
        return None
    try:
        metric_id, day = request[len(PAST_REQUEST):].rsplit(":", 1)
        return metric_id, dt.date.fromisoformat(day)
    except ValueError:
        return None


def compute_past(rt, metric_id: str, day: dt.date) -> list[RefreshResult]:
    """The worker's job for a past-day drill-down: every frame of ``metric_id`` computed for ``day``
    (``@as_of_date`` = day, the targets in force then) into ``runtime.past_prefix(day)``. API sources
    have no past: nothing is computed for them."""
    from data_access.runtime import PrefixedStore, past_prefix

    metric = rt.catalog.metrics[metric_id]
    if metric.source != "warehouse" or day >= rt.today():
        return []
    with rt.coordinator.lock(f"{PAST_REQUEST}{metric_id}:{day.isoformat()}", timeout_s=300) as got:
        if not got:
            return []
        return refresh_all(rt.warehouse(), PrefixedStore(rt.store, past_prefix(day)), rt.catalog, rt.settings,
                           rt.targets().targets, as_of=day, queries=metric.frames())
