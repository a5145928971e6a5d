"""Weighted pipeline scenarios: pure pandas over the cached per-stage frame, never SQL.

The frame is ``sales/weighted_pipeline_by_stage`` (per rep, close month and stage: ``amount_usd``,
``probability``, ``weighted_usd``). A scenario gives each stage a weight; its value is

    Σ amount_usd × min(1, probability × weight)        (open deals closing in the as-of quarter)

- ``base``: every stage at weight 1 (the Weighted Pipeline card: Σ amount × probability);
- ``commit``: weight 1 for the stages whose probability is at or above the commit threshold
  (exactly at it counts), 0 for the others;
- ``best`` / ``worst``: each stage's weight from Settings (default 1.25 / 0.75); a deal's weighted
  amount never passes its amount (the ``min(1, …)``).

The weights are governed on Settings (``targets.PipelineScenarios`` in the targets file).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_access.catalog import Metric
from data_access.targets import PipelineScenarios, Status, Targets, status, target_for

SCENARIOS = ("base", "commit", "best", "worst")
SCENARIO_TITLES = {"base": "Base", "commit": "Commit", "best": "Best case", "worst": "Worst case"}
SCENARIO_COLUMNS = {s: f"{s}_usd" for s in SCENARIOS}  # the drill-down's side-by-side columns
DEFAULT_BEST_WEIGHT = 1.25
DEFAULT_WORST_WEIGHT = 0.75
DEFAULT_SCENARIO = "base"
STAGE_FRAME = "sales/weighted_pipeline_by_stage"
SCENARIO_METRIC = "weighted_pipeline_usd"  # the KPI card the toggle switches (its base is this metric)


def stage_weight(settings: PipelineScenarios, scenario: str, stage_label: str, probability: float) -> float:
    """The weight of one stage in ``scenario`` (``KeyError`` for a scenario not in ``SCENARIOS``)."""
    if scenario == "base":
        return 1.0
    if scenario == "commit":
        return 1.0 if probability >= settings.commit_threshold - 1e-12 else 0.0
    if scenario == "best":
        return float(settings.best_weights.get(stage_label, DEFAULT_BEST_WEIGHT))
    if scenario == "worst":
        return float(settings.worst_weights.get(stage_label, DEFAULT_WORST_WEIGHT))
    raise KeyError(scenario)


def scenario_usd(frame: pd.DataFrame, settings: PipelineScenarios, scenario: str) -> np.ndarray:
    """Each row's amount under ``scenario``: ``amount_usd × min(1, probability × weight)``."""
    prob = frame["probability"].to_numpy(dtype="float64", na_value=0.0)
    amount = frame["amount_usd"].to_numpy(dtype="float64", na_value=0.0)
    labels = frame["stage_label"].astype(str).tolist()
    weights = np.array([stage_weight(settings, scenario, lab, p) for lab, p in zip(labels, prob)], dtype="float64")
    return amount * np.minimum(1.0, prob * weights)


def with_scenarios(frame: pd.DataFrame, settings: PipelineScenarios) -> pd.DataFrame:
    """The per-stage frame with one column per scenario (``base_usd``, ``commit_usd``, ``best_usd``,
    ``worst_usd``), ready to be summed by rep or month."""
    return frame.assign(**{SCENARIO_COLUMNS[s]: scenario_usd(frame, settings, s) for s in SCENARIOS})


def scenario_totals(frame: pd.DataFrame | None, settings: PipelineScenarios) -> dict[str, float | None]:
    """Each scenario's total; ``None`` each before the first refresh. An empty pipeline is 0."""
    if frame is None:
        return {s: None for s in SCENARIOS}
    return {s: float(scenario_usd(frame, settings, s).sum()) for s in SCENARIOS}


def by_stage(frame: pd.DataFrame, settings: PipelineScenarios, scenario: str) -> pd.DataFrame:
    """``stage_label``, ``stage_order``, ``probability``, ``weight``, ``amount_usd``, ``scenario_usd``
    per stage (pipeline order) under ``scenario``: what the Sales page's scenario chart shows."""
    if frame.empty:
        return pd.DataFrame({"stage_label": [], "stage_order": [], "probability": [], "weight": [],
                             "amount_usd": [], "scenario_usd": []})
    df = frame.assign(scenario_usd=scenario_usd(frame, settings, scenario))
    out = (df.groupby(["stage_label", "stage_order", "probability"], as_index=False, dropna=False)
           [["amount_usd", "scenario_usd"]].sum().sort_values(["stage_order", "stage_label"], kind="stable"))
    out.insert(3, "weight", [stage_weight(settings, scenario, str(lab), float(p))
                             for lab, p in zip(out["stage_label"], out["probability"])])
    return out.reset_index(drop=True)


def formula(settings: PipelineScenarios, scenario: str) -> str:
    """The tooltip's calculation for ``scenario``."""
    head = "Σ amount × min(1, stage probability × stage weight)\n  open deals with close date in the as-of quarter"
    if scenario == "base":
        return head + "\n  base: every stage's weight is 1"
    if scenario == "commit":
        return head + f"\n  commit: weight 1 for stages with probability ≥ {settings.commit_threshold:.0%}, else 0"
    default = DEFAULT_BEST_WEIGHT if scenario == "best" else DEFAULT_WORST_WEIGHT
    own = settings.best_weights if scenario == "best" else settings.worst_weights
    parts = ", ".join(f"{k} {v:g}" for k, v in own.items())
    return head + f"\n  {scenario}: per-stage weights ({parts + '; ' if parts else ''}others {default:g})"


@dataclass(frozen=True)
class ScenarioCardValue:
    """What the Weighted Pipeline card shows under a scenario: ``value_usd`` (the scenario total in
    USD; ``None`` before the first refresh), ``target_usd`` (the metric's target in force on the
    frame's as-of day) and ``status`` (green | yellow | red | nodata) of the value against it."""

    scenario: str
    value_usd: float | None
    target_usd: float
    status: Status


def scenario_card_value(frame: pd.DataFrame | None, settings: PipelineScenarios, scenario: str, metric: Metric,
                        targets: Targets, as_of: dt.date) -> ScenarioCardValue:
    """The Weighted Pipeline card's value, target and status under ``scenario`` (one of
    ``SCENARIOS``; ``KeyError`` otherwise): the scenario total of the per-stage ``frame`` (``None``:
    not refreshed yet → ``nodata``) judged by ``targets.status`` against ``metric``'s target and yellow
    band on ``as_of`` (``targets.target_for``), exactly as the grid judges the base value."""
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    value = scenario_totals(frame, settings)[scenario]
    target, band = target_for(metric, targets, as_of)
    return ScenarioCardValue(scenario, value, target, status(value, target, metric.direction, band))


def parse_scenario(raw) -> str:
    """A scenario from a URL or a control: one of ``SCENARIOS``, else ``DEFAULT_SCENARIO``."""
    return raw if isinstance(raw, str) and raw in SCENARIOS else DEFAULT_SCENARIO
