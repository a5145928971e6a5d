"""Do Pulse's pipeline settings match the HubSpot portal? Said in words, never a silent empty card.

The sales metrics read the deals of ``PULSE_SALES_PIPELINE_IDS`` (``staging/deals``), the supply
metrics those of ``PULSE_SUPPLY_PIPELINE_IDS`` (``staging/supply_deals``). When no deal of the
configured pipelines exists — a portal whose sales pipeline is not ``default``, a typo — every such
metric is empty. The refresh stores the frame of ``sql/system/hubspot_pipelines.sql`` beside those
metrics (``PIPELINES_QUERY``); ``pipeline_problems`` turns it into the sentence that the cards,
``/status``, the API and ``python -m data_access.check`` show.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import pandas as pd

from data_access.warehouse import SqlFileError, models_read

PIPELINES_QUERY = "system/hubspot_pipelines"


@dataclass(frozen=True)
class PipelineKind:
    """One pipeline setting: the model that reads its deals and the variable that configures it."""

    kind: str  # "sales" | "supply"
    model: str  # the staging model reading its deals
    flag: str  # the column of the pipelines frame marking its pipelines
    setting: str  # the environment variable
    attribute: str  # the Settings attribute


KINDS = (
    PipelineKind("sales", "staging/deals", "is_sales", "PULSE_SALES_PIPELINE_IDS", "sales_pipeline_ids"),
    PipelineKind("supply", "staging/supply_deals", "is_supply", "PULSE_SUPPLY_PIPELINE_IDS", "supply_pipeline_ids"),
)


def kinds_read(query: str) -> tuple[str, ...]:
    """The pipeline kinds (``"sales"``, ``"supply"``) whose deals ``query`` reads through its models;
    ``()`` for a query that reads no deals or whose SQL does not parse (its refresh reports that).
    Worked out once per query and SQL override folder."""
    return _kinds_read(query, os.environ.get("PULSE_SQL_OVERRIDES_DIR"))


@lru_cache(maxsize=1024)
def _kinds_read(query: str, _overrides: str | None) -> tuple[str, ...]:
    try:
        models = set(models_read(query))
    except SqlFileError:
        return ()
    return tuple(k.kind for k in KINDS if k.model in models)


def needs_pipelines(queries: Iterable[str]) -> bool:
    """True when some query of ``queries`` reads the deals of a configured pipeline."""
    return any(kinds_read(q) for q in queries if q != PIPELINES_QUERY)


def _pipeline_text(row) -> str:
    label = row.pipeline_label if isinstance(row.pipeline_label, str) and row.pipeline_label else None
    pid = "(no pipeline)" if pd.isna(row.pipeline_id) else f"`{row.pipeline_id}`"
    n = int(row.deal_count)
    return f"{pid}{f' — {label}' if label else ''} ({n:,} deal{'' if n == 1 else 's'})"


def pipeline_problems(frame: pd.DataFrame | None) -> dict[str, str]:
    """``{kind: sentence}`` for every pipeline kind whose configured pipelines hold no deal, from the
    frame of ``PIPELINES_QUERY`` (columns ``pipeline_id`` str, ``pipeline_label`` str,
    ``deal_count`` int, ``is_sales`` / ``is_supply`` bool). ``{}`` when the frame is ``None`` (not
    refreshed yet) or every configured pipeline has deals; a portal with no deal at all is said so.

    Example: ``No deals in pipeline `demand_sales`; this HubSpot has: `default` — Sales Pipeline
    (8,800 deals), `supply_onboarding` — Supply Onboarding (300 deals); set PULSE_SALES_PIPELINE_IDS``.
    """
    if frame is None:
        return {}
    out = {}
    others = frame[frame["deal_count"] > 0]
    for k in KINDS:
        mine = frame[frame[k.flag].astype(bool)]
        if mine.empty or int(mine["deal_count"].sum()) > 0:
            continue
        ids = ", ".join(f"`{p}`" for p in mine["pipeline_id"])
        has = ", ".join(_pipeline_text(r) for r in others.itertuples()) or "no deals at all"
        noun = "pipeline" if len(mine) == 1 else "pipelines"
        out[k.kind] = f"No deals in {k.kind} {noun} {ids}; this HubSpot has: {has}; set {k.setting}"
    return out


def fix_command(kind: str, frame: pd.DataFrame) -> str | None:
    """The setting that would give ``kind`` deals: the largest pipeline not used by the other kind
    (``PULSE_SALES_PIPELINE_IDS=default``), or ``None`` when there is none to suggest."""
    spec = next(k for k in KINDS if k.kind == kind)
    other = [k.flag for k in KINDS if k.kind != kind]
    candidates = frame[(frame["deal_count"] > 0) & frame["pipeline_id"].notna()]
    for flag in other:
        candidates = candidates[~candidates[flag].astype(bool)]
    if candidates.empty:
        return None
    return f"{spec.setting}={candidates.sort_values('deal_count', ascending=False)['pipeline_id'].iloc[0]}"


def metric_problem(metric, problems: dict[str, str]) -> str | None:
    """The pipeline problem a warehouse metric's card shows (its value query reads that pipeline's
    deals), or ``None``."""
    if getattr(metric, "source", "warehouse") != "warehouse" or not problems:
        return None
    for kind in kinds_read(metric.query):
        if kind in problems:
            return problems[kind]
    return None


def current_problems(store) -> dict[str, str]:
    """``pipeline_problems`` of the cached pipelines frame (``{}`` before its first refresh)."""
    cached = store.get(PIPELINES_QUERY)
    return pipeline_problems(cached.frame if cached is not None else None)
