"""The metrics API, served from the same cached frames as the pages.

GET /api/metrics                              every metric: id, title, value, unit, target, status, as_of
GET /api/metrics/<id>                         one metric
GET /api/metrics/<id>/views/<view>?rep=<owner_id>&segment=<name>&start=YYYY-MM&end=YYYY-MM
    &format=json|csv&limit=N&offset=M      (JSON pages: limit 1–10,000, default 1,000; total_rows says
                                            how many match, next_offset where the next page starts)
GET /api/metrics/<id>?as_of=YYYY-MM-DD     that day's value, target and status from the KPI history
GET /api/metrics/history?metric=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD&entity_type=company|rep|…
    &format=json|csv|parquet&limit=N&offset=M   the long table (docs/metrics_layer.md) from the cached
                                            history (``PULSE_HISTORY_DAYS_CACHED`` days); JSON paged as above
A view whose rows are deals (a ``deal_id`` column) has one more column, ``renewal``: true when a
Pulse renewal links the deal (``data_access.renewal_deals``), in JSON and CSV alike.
Unknown ids → 404 JSON error; bad parameters → 400 JSON error. A view with no cached frame yet:
409 ``{"error": "not_connected", "how": …}`` for an API source that is not configured, 503
``{"error": "refreshing", "retry_after_s": n}`` with ``Retry-After`` while a refresh round runs,
else 503 ``{"error": "not_refreshed"}``. Every route needs a signed-in
user (``auth.py``'s guard, 401 otherwise); CSV cells are neutralised against formula injection.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from flask import Blueprint, Response, jsonify, request

from data_access.export import export_frame, to_csv
from data_access.metrics import display_frame, display_records, month_start, snapshot
from data_access.pipelines import current_problems, metric_problem
from data_access.refresh import connect_hint
from data_access.renewal_deals import with_renewals
from data_access.view_cache import filtered_view
from data_access.runtime import get_runtime

api = Blueprint("api", __name__, url_prefix="/api")


def _error(status: int, message: str):
    return jsonify({"error": message}), status


def _not_ready(rt, metric):
    """Why a view has no cached frame, in a form a client can act on (see the module docstring)."""
    hint = connect_hint(metric, rt.settings)
    if hint is not None:
        return jsonify({"error": "not_connected", "message": f"{metric.title} is not connected", "how": hint}), 409
    rnd = rt.refresh_round()
    if rnd is not None and rnd.running:
        wait = rnd.retry_after_s()
        body = {"error": "refreshing", "message": f"the refresh round is running ({rnd.done} of {rnd.total} "
                f"metrics done); retry in {wait} s", "retry_after_s": wait}
        return jsonify(body), 503, {"Retry-After": str(wait)}
    return jsonify({"error": "not_refreshed", "message": "this view has not been refreshed yet"}), 503


def _metric_body(rt, metric, targets, problems: dict) -> dict:
    """A metric's snapshot as JSON, with ``problem``: why its value is missing when the configured
    pipeline holds no deal (``data_access.pipelines``), else ``None``."""
    return {**snapshot(metric, rt.store, targets, rt.today()).to_dict(), "problem": metric_problem(metric, problems)}


@api.get("/metrics")
def list_metrics():
    rt = get_runtime()
    targets, problems = rt.targets().targets, current_problems(rt.store)
    return jsonify({"metrics": [_metric_body(rt, m, targets, problems) for m in rt.catalog.metrics.values()]})


def _history(rt) -> pd.DataFrame | None:
    from data_access.history import HISTORY_FRAME

    cached = rt.store.get(HISTORY_FRAME)
    return None if cached is None else cached.frame


def _day(name: str) -> dt.date | None:
    raw = request.args.get(name)
    return dt.date.fromisoformat(raw) if raw else None


@api.get("/metrics/history")
def get_history():
    """The metrics layer's long table (``data_access.history.COLUMNS``) for the cached days."""
    from data_access.history import COLUMNS

    rt = get_runtime()
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "parquet"):
        return _error(400, "format must be json, csv or parquet")
    metrics = [m for v in request.args.getlist("metric") for m in v.split(",") if m]
    unknown = [m for m in metrics if m not in rt.catalog.metrics]
    if unknown:
        return _error(404, f"unknown metric {unknown[0]!r}")
    try:
        end = _day("to") or rt.today()
        start = _day("from") or end - dt.timedelta(days=89)
    except ValueError:
        return _error(400, "from and to must be dates as YYYY-MM-DD")
    if start > end:
        return _error(400, "from must not be after to")
    try:
        offset = int(request.args.get("offset", 0))
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return _error(400, "limit and offset must be integers")
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"offset must be ≥ 0 and limit between 1 and {MAX_LIMIT:,}")
    frame = _history(rt)
    if frame is None:
        return jsonify({"error": "not_refreshed", "message": "the KPI history has not been read yet"}), 503
    keep = (frame["metric_date"] >= start) & (frame["metric_date"] <= end)
    if metrics:
        keep &= frame["metric_id"].isin(metrics)
    if request.args.get("entity_type"):
        keep &= frame["entity_type"] == request.args["entity_type"]
    df = frame.loc[keep, list(COLUMNS)]
    name = f"metric_daily__{start.isoformat()}__{end.isoformat()}"
    if fmt == "csv":
        return Response(to_csv(df), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "parquet":
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return Response(buf.getvalue(), mimetype="application/vnd.apache.parquet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'})
    page = df.iloc[offset:offset + limit]
    head = json.dumps({
        "from": start.isoformat(), "to": end.isoformat(),
        "cached_from": (rt.today() - dt.timedelta(days=rt.settings.history_days_cached)).isoformat(),
        "columns": list(COLUMNS), "total_rows": len(df), "offset": offset, "limit": limit,
        "next_offset": offset + limit if offset + limit < len(df) else None,
    })
    # the rows serialised by pandas in one pass (a year of history is 16,000 rows: building Python
    # dicts first would triple the time); dates as YYYY-MM-DD, timestamps ISO 8601 UTC
    rows = page.assign(metric_date=page["metric_date"].map(dt.date.isoformat)).to_json(
        orient="records", date_format="iso", date_unit="s")
    return Response(head[:-1] + ', "rows": ' + rows + "}", mimetype="application/json")


@api.get("/metrics/<metric_id>")
def get_metric(metric_id: str):
    rt = get_runtime()
    metric = rt.catalog.metrics.get(metric_id)
    if metric is None:
        return _error(404, f"unknown metric {metric_id!r}")
    if request.args.get("as_of"):
        return _metric_on(rt, metric)
    return jsonify(_metric_body(rt, metric, rt.targets().targets, current_problems(rt.store)))


def _metric_on(rt, metric):
    """``?as_of=YYYY-MM-DD``: the metric as the KPI history has it for that day."""
    from data_access.history import COMPANY

    try:
        day = _day("as_of")
    except ValueError:
        return _error(400, "as_of must be a date as YYYY-MM-DD")
    frame = _history(rt)
    if frame is None:
        return jsonify({"error": "not_refreshed", "message": "the KPI history has not been read yet"}), 503
    hit = frame[(frame["metric_id"] == metric.id) & (frame["metric_date"] == day) & (frame["entity_type"] == COMPANY)]
    if hit.empty:
        return _error(404, f"no value of {metric.id} recorded for {day.isoformat()}")
    row = hit.iloc[0]
    num = lambda v: None if pd.isna(v) else float(v)  # noqa: E731
    return jsonify({"id": metric.id, "title": metric.title, "unit": metric.unit, "direction": metric.direction,
                    "as_of": day.isoformat(), "value": num(row["value"]), "target": num(row["target"]),
                    "status": row["status"], "details": json.loads(row["details"] or "{}"),
                    "refreshed_at": row["refreshed_at"].isoformat() if not pd.isna(row["refreshed_at"]) else None,
                    "source": "history"})


MAX_LIMIT = 10_000  # rows per JSON page at most
DEFAULT_LIMIT = 1_000  # rows per JSON page when the request gives no limit (CSV: every row)


def _json_default(v):
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


@api.get("/metrics/<metric_id>/views/<view_id>")
def get_view(metric_id: str, view_id: str):
    rt = get_runtime()
    metric = rt.catalog.metrics.get(metric_id)
    if metric is None:
        return _error(404, f"unknown metric {metric_id!r}")
    view = metric.view(view_id)
    if view is None:
        return _error(404, f"metric {metric_id!r} has no view {view_id!r}")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        return _error(400, "format must be json or csv")
    try:
        reps = [int(r) for r in request.args.getlist("rep") if r != ""]
    except ValueError:
        return _error(400, "rep must be an owner id (integer)")
    try:
        start, end = month_start(request.args.get("start")), month_start(request.args.get("end"))
    except ValueError:
        return _error(400, "start and end must be months as YYYY-MM")
    if start and end and start > end:
        return _error(400, "start must not be after end")
    segments = [v for v in request.args.getlist("segment") if v != ""]
    try:
        offset = int(request.args.get("offset", 0))
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return _error(400, "limit and offset must be integers")
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"offset must be ≥ 0 and limit between 1 and {MAX_LIMIT:,}")
    if reps and "owner" not in view.filters:
        return _error(400, f"view {view_id!r} has no rep dimension")
    if segments and "segment" not in view.filters:
        return _error(400, f"view {view_id!r} has no segment dimension")
    if (start or end) and "month" not in view.filters:
        return _error(400, f"view {view_id!r} has no month dimension")
    meta = rt.store.get_meta(view.query)
    df = filtered_view(rt, metric, view, owners=reps, start=start, end=end, segments=segments)
    if df is None or meta is None:
        return _not_ready(rt, metric)
    if fmt == "csv":
        name = f"{metric_id}__{view_id}__{meta.as_of.isoformat()}.csv"
        return Response(to_csv(display_frame(export_frame(with_renewals(rt.store, df)))), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    page = with_renewals(rt.store, df.iloc[offset:offset + limit])  # deal lists: + renewal, on this page only
    body = {
        "metric": metric_id,
        "view": view_id,
        "as_of": meta.as_of.isoformat(),
        "refreshed_at": meta.refreshed_at.isoformat(),
        "filters": {"rep": reps, "segment": segments, "start": request.args.get("start"),
                    "end": request.args.get("end")},
        "columns": list(page.columns),
        "total_rows": len(df),
        "offset": offset,
        "limit": limit,
        "next_offset": offset + limit if offset + limit < len(df) else None,
        "rows": display_records(page),
    }
    # one serialisation of the page (json.dumps → loads → jsonify cost three on a 1,000-row page)
    return Response(json.dumps(body, default=_json_default), mimetype="application/json")


@api.get("/status")
def get_status():
    """Every frame's refresh state and the worker heartbeat (for monitoring)."""
    from data_access.status import status_report

    return jsonify(status_report(get_runtime()))


health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """200 while this web process can read the frame cache; 503 when it cannot (for load balancers).

    A failing or stale metric does not make the process unhealthy: it still serves the last
    good values (``GET /api/status`` reports those problems).
    """
    ok = get_runtime().ping_cache()
    return jsonify({"ok": ok, "cache_available": ok}), (200 if ok else 503)
