"""Operational status: every frame's freshness and last refresh, the worker's heartbeat.

Read from the frame store and the coordinator only (no warehouse). Used by the /status
page, ``GET /api/status`` and ``/healthz``.
"""
from __future__ import annotations

import datetime as dt

from components import formatting  # pure wording, as data_access.target_form
from data_access.catalog import CRITICALITY_ORDER
from data_access.metrics import is_stale
from data_access.refresh import api_source

STATE_ORDER = {"failing": 0, "stale": 1, "not_connected": 2, "never": 3, "ok": 4}  # problems first
WORKER_STALE_S = 120


def frame_statuses(rt, now: dt.datetime | None = None) -> list[dict]:
    """One row per frame (metric value or view) the refresh produces: problems (failing, stale) first,
    the most critical first, then the rest by state.

    Keys: ``frame``, ``source`` (warehouse | API name), ``metrics`` (ids), ``criticality`` (the highest of
    its metrics: critical | high | medium | low), ``owners`` (their teams), ``state``
    (failing | stale | never | ok | not_connected), ``last_success`` / ``last_attempt`` (ISO UTC or None),
    ``duration_s``, ``rows``, ``bytes_processed``, ``sla_minutes`` (the strictest of its
    metrics), ``error_class`` and ``error`` of the last failed attempt, ``messages`` (an API's
    partial-data notes) and ``message``: the one sentence that says the frame's state (``state_message``).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = []
    seen: set[str] = set()
    for metric in rt.catalog.metrics.values():
        for frame in metric.frames():
            if frame in seen:
                continue
            seen.add(frame)
            metrics = rt.catalog.metrics_reading(frame)
            sla = min(m.freshness_sla_minutes for m in metrics)
            cached = rt.store.get(frame)
            outcome = rt.store.get_outcome(frame) or {}
            success = cached.meta.refreshed_at if cached else None
            if metric.source != "warehouse" and not api_source(metric.source).is_connected(rt.settings):
                state = "not_connected"
            elif outcome and not outcome.get("ok", True):
                state = "failing"
            elif success is None:
                state = "never"
            elif is_stale(success, sla, now):
                state = "stale"
            else:
                state = "ok"
            failed = state == "failing"
            rows.append({
                "frame": frame,
                "source": metric.source,
                "metrics": [m.id for m in metrics],
                "criticality": min((m.criticality for m in metrics), key=CRITICALITY_ORDER.get),
                "owners": list(dict.fromkeys(m.owner for m in metrics)),
                "state": state,
                "last_success": success.isoformat() if success else None,
                "last_attempt": outcome.get("attempted_at"),
                "duration_s": outcome.get("duration_s", cached.meta.duration_s if cached else None),
                "rows": cached.meta.rows if cached else None,
                "bytes_processed": outcome.get("bytes_processed"),
                "sla_minutes": sla,
                "error_class": outcome.get("error_class") if failed else None,
                "error": outcome.get("error") if failed else None,
                "messages": outcome.get("messages", []),
            })
            rows[-1]["message"] = state_message(rows[-1])
    def order(r):
        problem = r["state"] in ("failing", "stale")
        return (not problem, CRITICALITY_ORDER[r["criticality"]] if problem else 0, STATE_ORDER[r["state"]], r["frame"])

    return sorted(rows, key=order)


def state_message(row: dict) -> str:
    """One sentence per frame, by its state (never two that contradict each other): the whole error of a
    failing frame, the SLA a stale one missed, what a not-connected or never-refreshed one waits for,
    an API's partial-data notes on a good one ("" when there is nothing to say)."""
    state = row["state"]
    if state == "failing":
        kept = "the last good value stays on screen" if row["last_success"] else "no value yet"
        return f"Last refresh failed ({kept}): {row['error_class']}: {row['error']}"
    if state == "stale":
        return (f"Last success is older than its freshness SLA of {formatting.sla_text(row['sla_minutes'])}; "
                "the value shown is the last good one.")
    if state == "not_connected":
        return "Not connected: an admin can connect this source (its credentials are not set)."
    if state == "never":
        return "Waiting for the first refresh."
    return " ".join(row["messages"])


JOBS = (  # the steps beside the refresh that record an outcome (``Runtime.put_side_outcome``)
    ("system/customers", "Customer sync", "customers from the warehouse into Pulse's database, daily"),
    ("system/health", "Health scores", "every customer's health score for today, after the customer sync"),
    ("system/activity", "Activity timeline", "each customer's recent invoices, meetings and closed deals, daily"),
    ("system/playbooks", "Playbooks", "actions opened by the playbook rules, after the health scores"),
    ("system/alerts", "Alert rules", "rules evaluated after each refresh; messages queued"),
    ("system/metric_history", "KPI history", "each refreshed value written to the history"),
)


def job_statuses(rt) -> list[dict]:
    """One row per step beside the refresh (``JOBS``): ``job`` (outcome key), ``name``, ``what``,
    ``state`` (ok | failing | never), ``last_attempt`` (ISO UTC or None), ``counts`` (the step's own
    figures, e.g. ``{"inserted": 4, "updated": 0}``) and ``message`` (the error of a failing step)."""
    rows = []
    for key, name, what in JOBS:
        outcome = rt.store.get_outcome(key) or {}
        state = "never" if not outcome else ("ok" if outcome.get("ok", True) else "failing")
        counts = {k: v for k, v in outcome.items()
                  if k not in ("ok", "attempted_at", "error_class", "error") and isinstance(v, int)}
        rows.append({"job": key, "name": name, "what": what, "state": state,
                     "last_attempt": outcome.get("attempted_at"), "counts": counts,
                     "message": f"{outcome.get('error_class')}: {outcome.get('error')}" if state == "failing" else ""})
    return rows


def worker_status(rt, now: dt.datetime | None = None) -> dict:
    """The worker heartbeat: ``{"mode", "last_seen", "age_s", "alive"}``.

    In the embedded default the web process is its own worker (``mode`` = ``embedded``).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    if rt.redis is None:
        return {"mode": "embedded", "last_seen": now.isoformat(), "age_s": 0, "alive": True}
    try:
        beat = rt.coordinator.last_beat()
    except Exception:  # Redis down: the heartbeat is unknown, not absent
        beat = None
    if not beat:
        return {"mode": "redis", "last_seen": None, "age_s": None, "alive": False}
    seen = dt.datetime.fromisoformat(beat["at"])
    age = (now - seen).total_seconds()
    return {"mode": "redis", "last_seen": seen.isoformat(), "age_s": round(age), "alive": age <= WORKER_STALE_S,
            "host": beat.get("host"), "pid": beat.get("pid")}


def status_report(rt, now: dt.datetime | None = None) -> dict:
    """Everything /status shows, as JSON-ready data (no secrets: no URLs, no parameters)."""
    from data_access.pipelines import current_problems

    frames = frame_statuses(rt, now)
    worker = worker_status(rt, now)
    pipelines = current_problems(rt.store)
    problems = [f["frame"] for f in frames if f["state"] in ("failing", "stale")] + \
        [f"pipeline:{kind}" for kind in pipelines]
    healthy = rt.cache_available and worker["alive"] and not any(f["state"] == "never" for f in frames) \
        and not any(f["state"] == "failing" for f in frames) and not pipelines
    return {
        "healthy": healthy,
        "cache_available": rt.cache_available,
        "catalog_version": rt.catalog.version,
        "warehouse": rt.settings.backend,
        "as_of": rt.today().isoformat(),
        "worker": worker,
        "problems": problems,
        "targets_error": rt.targets().error,
        "pipeline_problems": list(pipelines.values()),  # configured pipelines holding no deal, in words
        "frames": frames,
        "jobs": job_statuses(rt),
    }
