"""Targets: the admin-set goals that colour the KPI cards.

``targets/targets.json`` (location from config) holds a revenue plan (USD per
month, with per-month overrides ``"YYYY-MM": usd``) and per-metric overrides of
the catalog's default target and yellow band. ``status()`` turns a value and its
target into green / yellow / red.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from data_access.catalog import Metric

log = logging.getLogger(__name__)

Status = Literal["green", "yellow", "red", "nodata"]


class MetricTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: float | None = Field(default=None, allow_inf_nan=False)
    yellow_band: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)


class RevenuePlan(BaseModel):
    """Monthly revenue plan in USD; ``months`` overrides single months (``YYYY-MM``)."""

    model_config = ConfigDict(extra="forbid")
    monthly_usd: float = Field(ge=0, allow_inf_nan=False)
    months: dict[str, float] = {}

    @field_validator("months")
    @classmethod
    def _months_valid(cls, v: dict[str, float]) -> dict[str, float]:
        for k, usd in v.items():
            dt.datetime.strptime(k, "%Y-%m")
            if not math.isfinite(usd) or usd < 0:
                raise ValueError(f"plan for {k} must be a non-negative number")
        return v

    def month_usd(self, year: int, month: int) -> float:
        """Planned revenue (USD) for one calendar month."""
        return self.months.get(f"{year:04d}-{month:02d}", self.monthly_usd)

    def ytd_usd(self, as_of: dt.date) -> float:
        """Plan from Jan 1 to ``as_of``: full months before it, the as-of month pro-rated by day."""
        full = sum(self.month_usd(as_of.year, m) for m in range(1, as_of.month))
        days = calendar.monthrange(as_of.year, as_of.month)[1]
        return full + self.month_usd(as_of.year, as_of.month) * as_of.day / days

    def quarter_usd(self, as_of: dt.date) -> float:
        """Plan for the whole calendar quarter containing ``as_of``."""
        first = 3 * ((as_of.month - 1) // 3) + 1
        return sum(self.month_usd(as_of.year, m) for m in range(first, first + 3))


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revenue_plan: RevenuePlan
    metrics: dict[str, MetricTarget] = {}


DEFAULT_TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2_000_000))


@dataclass(frozen=True)
class LoadedTargets:
    """Targets in force plus the error of the last load (``None`` when the file is valid)."""

    targets: Targets
    error: str | None = None


def load_targets(path: Path, last_good: Targets | None = None) -> LoadedTargets:
    """Read and validate the targets file.

    A missing, unreadable or invalid file never raises: the last valid targets (or
    the defaults) stay in force and ``error`` says what is wrong, for the UI.
    """
    fallback = last_good or DEFAULT_TARGETS
    try:
        raw = path.read_text(encoding="utf-8")
        return LoadedTargets(Targets.model_validate(json.loads(raw)))
    except FileNotFoundError:
        return LoadedTargets(fallback, f"targets file {path} not found; using defaults")
    except (OSError, ValueError, ValidationError) as e:
        msg = f"targets file {path.name} is invalid ({type(e).__name__}: {str(e).splitlines()[0]}); keeping the last valid targets"
        log.warning(msg)
        return LoadedTargets(fallback, msg)


def target_for(metric: Metric, targets: Targets, as_of: dt.date) -> tuple[float, float]:
    """``(target, yellow_band)`` for a metric on ``as_of`` (targets.json overrides the catalog)."""
    override = targets.metrics.get(metric.id, MetricTarget())
    band = override.yellow_band if override.yellow_band is not None else metric.yellow_band
    if override.target is not None:
        return override.target, band
    if metric.target_rule == "revenue_plan_ytd":
        return targets.revenue_plan.ytd_usd(as_of), band
    assert metric.target is not None  # the catalog guarantees a target or a rule
    return metric.target, band


def status(value: float | None, target: float, direction: str, yellow_band: float) -> Status:
    """Green when the value meets the target, yellow within ``yellow_band`` × target, else red.

    ``direction`` is ``higher`` or ``lower`` (which way is better). ``None``/NaN → ``nodata``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nodata"
    if direction == "higher":
        if value >= target:
            return "green"
        return "yellow" if value >= target * (1 - yellow_band) else "red"
    if value <= target:
        return "green"
    return "yellow" if value <= target * (1 + yellow_band) else "red"
