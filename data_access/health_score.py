"""The company health score (catalog source ``derived``): 0–100 from other metrics' cached values.

A derived metric has no SQL of its own: every component is a catalog metric with its own single
definition and SQL, and the score is worked out from their latest cached values and the targets in
force — one definition per number. The worker computes it after its components (every
``refresh_everything`` round, and on the metric's own cadence), so the web process only reads it.

Scoring (the five-part tooltip of ``health_score`` says the same):

- each component scores ``100 × min(1, value ÷ target)`` when higher is better, ``100 × min(1,
  target ÷ value)`` when lower is better (a value of 0 or less then scores 100), never below 0;
- the score is ``Σ weight × component score ÷ Σ weight`` over the components **with data** (weights
  from Settings › Company health, ``targets.ComponentWeights``; else the catalog's, equal): a component
  without a value (no frame, no data, target 0) is left out and the others' weights renormalise;
- status: excellent ≥ 85, good ≥ 70, fair ≥ 50, poor below (``health_band``).

Frames (prefix ``derived/``):

- ``derived/<metric>``: one row, ``value`` (float64, 0–100; missing when no component has data),
  ``band`` (str), ``components_used`` (int64), ``components_total`` (int64);
- ``derived/<metric>_components``: one row per component in catalog order — ``component`` (str, the
  metric's title), ``value`` and ``target`` (str: the component's value and target in its unit, as its
  card shows them, ``No data``), ``score`` (float64, 0–100, missing without data), ``weight`` (float64,
  as governed on Settings › Company health, else as the catalog declares), ``weight_share_pct``
  (float64, 0–1 of the weights used; 0 when left out), ``points``
  (float64, score × weight share: what it adds to the score), ``as_of`` (datetime64, the component
  frame's as-of date, missing without one), ``metric`` (str, the component's metric id);
- ``derived/<metric>_by_segment``: the score per customer segment (``by_segment``).
"""
from __future__ import annotations

import datetime as dt
import math
import time

import pandas as pd

from data_access.catalog import Catalog, Metric
from data_access.config import Settings
from data_access.frame_store import FrameStore
from data_access.targets import HEALTH_SCORE_METRIC, ComponentWeights, Targets, target_for

PREFIX = "derived/"
CONNECT_HINT = None  # nothing to connect: computed from the cache
BANDS = ((85.0, "Excellent"), (70.0, "Good"), (50.0, "Fair"))


def is_connected(settings: Settings) -> bool:  # noqa: ARG001 — the API-source interface of refresh.api_source
    """Always: a derived metric needs no credentials."""
    return True


def health_band(score: float | None) -> str:
    """``Excellent`` (≥ 85) | ``Good`` (≥ 70) | ``Fair`` (≥ 50) | ``Poor`` | ``No data`` (``None``/NaN)."""
    if score is None or math.isnan(score):
        return "No data"
    return next((name for floor, name in BANDS if score >= floor), "Poor")


def component_score(value: float | None, target: float, direction: str) -> float | None:
    """One component's 0–100 score against its target (see the module docstring); ``None`` without a
    value, or with a target of 0 or less where higher is better (nothing to score against)."""
    if value is None or math.isnan(value):
        return None
    if direction == "higher":
        if target <= 0:
            return None
        return max(0.0, min(1.0, value / target)) * 100.0
    if value <= 0:
        return 100.0
    return max(0.0, min(1.0, target / value)) * 100.0


def _latest_value(store: FrameStore, metric: Metric) -> tuple[float | None, dt.date | None]:
    cached = store.get(metric.query)
    if cached is None or cached.frame.empty or "value" not in cached.frame.columns:
        return None, None if cached is None else cached.meta.as_of
    v = cached.frame["value"].iloc[0]
    return (None if pd.isna(v) else float(v)), cached.meta.as_of


def frames(metric: Metric, catalog: Catalog, store: FrameStore, targets: Targets,
           as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The derived metric's frames (shapes in the module docstring) from its components' cached values
    and the targets in force on each component's as-of date (``as_of`` when it has no frame).

    Raises:
        ValueError: ``metric`` has no components (the catalog refuses that for source ``derived``).
    """
    if not metric.components:
        raise ValueError(f"{metric.id} has no components")
    from components import formatting  # pure wording (as data_access.status)

    weights = targets.health_score_weights if metric.id == HEALTH_SCORE_METRIC else ComponentWeights()
    rows = []
    for comp in metric.components:
        m = catalog.metrics[comp.metric]
        value, day = _latest_value(store, m)
        target, _ = target_for(m, targets, day or as_of)
        rows.append({"component": m.title,
                     "value": "No data" if value is None else formatting.value(value, m.unit),
                     "target": formatting.target_text(float(target), m.unit, m.direction).removeprefix("Target "),
                     "score": component_score(value, float(target), m.direction),
                     "weight": weights.weight(m.id, comp.weight),
                     "as_of": day, "metric": m.id})
    df = pd.DataFrame(rows)
    df["score"] = df["score"].astype("float64")
    used = df["score"].notna() & (df["weight"] > 0)  # a component weighted 0 is left out like one without data
    total_weight = df.loc[used, "weight"].sum()
    df["weight_share_pct"] = (df["weight"].where(used, 0.0) / total_weight) if total_weight > 0 else 0.0
    df["points"] = (df["score"] * df["weight_share_pct"]).astype("float64")
    df["as_of"] = pd.to_datetime(df["as_of"])
    score = float(df.loc[used, "points"].sum()) if used.any() else None
    value = pd.DataFrame([{"value": score, "band": health_band(score), "components_used": int(used.sum()),
                           "components_total": len(df)}]).astype({"value": "float64", "components_used": "int64",
                                                                  "components_total": "int64"})
    cols = ["component", "value", "target", "score", "weight", "weight_share_pct", "points", "as_of", "metric"]
    out = {metric.query: value}
    for v in metric.views:
        out[v.query] = (by_segment(metric, catalog, store, targets, as_of, df.set_index("metric")["weight"])
                        if v.query.endswith(SEGMENT_SUFFIX) else df[cols])
    return out


SEGMENT_SUFFIX = "_by_segment"
# The components that split by segment (a customer's QuickBooks customer type; a deal's company's
# HubSpot industry — one list of segment names, as in the demo): metric → (its by-segment view's
# frame, numerator, denominator columns). The segment's value is Σ numerator ÷ Σ denominator — the
# metric's own definition over that segment's rows. Pipeline coverage (its plan is company-wide) and
# ticket SLA compliance (Zendesk organizations are not matched to customers) have none and are left
# out per segment.
SEGMENT_INPUTS = {
    "contract_spend_pct": ("demand_am/contract_spend_by_customer", "spend_usd", "contract_usd"),
    "win_rate": ("company_health/win_rate_by_segment", "won_count", ("won_count", "lost_count")),
    "csat_score": ("support/csat_by_segment", "satisfied_count", ("response_count",)),
}
SEGMENT_COLUMNS = {"contract_spend_pct": "contract_spend_score", "win_rate": "win_rate_score",
                   "csat_score": "csat_score"}  # the by-segment frame's score column per component


def by_segment(metric: Metric, catalog: Catalog, store: FrameStore, targets: Targets, as_of: dt.date,
               weights: pd.Series) -> pd.DataFrame:
    """The score per customer segment over the components that split by segment (``SEGMENT_INPUTS``),
    each scored against its company target with the weights of the score (``weights``: metric id →
    weight), renormalised over the segment's components with data.

    Returns one row per segment, best score first: ``segment`` (str), ``score`` (float64, 0–100,
    missing without data), ``band`` (str), ``components_used`` (int64) and one float64 column per
    splittable component (``SEGMENT_COLUMNS``: its score, 0–100, missing when the segment has no data
    for it)."""
    parts = []
    for comp in metric.components:
        if comp.metric not in SEGMENT_INPUTS or weights.get(comp.metric, 0) <= 0:
            continue
        m = catalog.metrics[comp.metric]
        query, numerator, denominator = SEGMENT_INPUTS[comp.metric]
        cached = store.get(query)
        if cached is None or cached.frame.empty:
            continue
        f = cached.frame
        den_cols = (denominator,) if isinstance(denominator, str) else denominator
        sums = (f.assign(_num=f[numerator].astype("float64"), _den=f[list(den_cols)].astype("float64").sum(axis=1))
                .groupby("segment", dropna=False)[["_num", "_den"]].sum())
        target, _ = target_for(m, targets, cached.meta.as_of or as_of)
        for segment, row in sums.iterrows():
            value = row["_num"] / row["_den"] if row["_den"] > 0 else None
            parts.append({"segment": str(segment), "metric": m.id,
                          "score": component_score(value, float(target), m.direction),
                          "weight": float(weights[comp.metric])})
    columns = [c.metric for c in metric.components if c.metric in SEGMENT_INPUTS]
    if not parts:
        empty = pd.DataFrame({"segment": pd.Series(dtype="object"), "score": pd.Series(dtype="float64"),
                              "band": pd.Series(dtype="object"), "components_used": pd.Series(dtype="int64")})
        return empty.assign(**{SEGMENT_COLUMNS[c]: pd.Series(dtype="float64") for c in columns})
    long = pd.DataFrame(parts)
    long["score"] = long["score"].astype("float64")
    used = long[long["score"].notna()]
    points = (used["score"] * used["weight"]).groupby(used["segment"]).sum()
    total = used.groupby("segment")["weight"].sum()
    wide = long.pivot(index="segment", columns="metric", values="score").reindex(columns=columns)
    out = pd.DataFrame({"segment": wide.index.astype(str)})
    out["score"] = (points / total).reindex(wide.index).to_numpy(dtype="float64")
    out["band"] = [health_band(v) for v in out["score"]]
    out["components_used"] = used.groupby("segment").size().reindex(wide.index).fillna(0).astype("int64").to_numpy()
    for c in columns:
        out[SEGMENT_COLUMNS[c]] = wide[c].to_numpy(dtype="float64")
    return out.sort_values(["score", "segment"], ascending=[False, True], na_position="last").reset_index(drop=True)


def refresh(metrics: list[Metric], catalog: Catalog, store: FrameStore, targets: Targets, as_of: dt.date) -> list:
    """Compute and store every frame of the derived ``metrics`` (``refresh.RefreshResult`` each). A failure
    (a component frame that cannot be read, say) is recorded and the last good frames stay."""
    from data_access.refresh import record_failure, store_frame

    out = []
    for metric in metrics:
        started, now = time.perf_counter(), dt.datetime.now(dt.timezone.utc)
        try:
            computed = frames(metric, catalog, store, targets, as_of)
        except Exception as e:  # noqa: BLE001 — recorded per frame; the last good value stays on screen
            out += [record_failure(store, name, e, started, now) for name in metric.frames()]
            continue
        out += [store_frame(store, name, computed[name], as_of, started, now) for name in metric.frames()]
    return out
