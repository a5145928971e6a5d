"""The Settings form's numbers: display units, validation and the colour zones (pure functions).

The form shows a ``ratio`` target as a percentage (30 for 0.30), money in USD, a multiple
as ×, and every yellow band as a percentage of the target. ``check_row()`` turns what the
browser sent (anything: a number, text, ``null``, a list — a request can be hand-made)
into an ``Edit`` in stored units, or per-field messages:

- a number: JSON numbers only (not text, not ``true``), finite;
- a percentage target between 0 and 100 (0–1000 for a ratio whose default is above 100 %,
  net revenue retention); money and every other unit non-negative, below a sane maximum;
- a band from 0 up to (not including) 100 % of the target, and consistent with the
  direction: for a lower-is-better percentage the red line (target × (1 + band)) must not
  pass 100 %.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from components import formatting
from data_access.catalog import Metric
from data_access.target_store import Edit, plan_metric
from data_access.targets import MAX_NUMBER, ratio_ceiling

UNIT_MAX = {"usd": MAX_NUMBER, "multiple": 1000.0, "days": 3650.0, "count": 1e9}


@dataclass(frozen=True)
class FieldSpec:
    """How a target input is shown: ``label`` (column hint), ``prefix``/``suffix`` and bounds."""

    label: str
    prefix: str | None
    suffix: str | None
    low: float
    high: float


def target_spec(metric: Metric) -> FieldSpec:
    if plan_metric(metric):
        return FieldSpec("Monthly plan", "$", None, 0.0, MAX_NUMBER)
    if metric.unit == "ratio":
        return FieldSpec("Target", None, "%", 0.0, ratio_ceiling(metric) * 100)
    if metric.unit == "usd":
        return FieldSpec("Target", "$", None, 0.0, MAX_NUMBER)
    suffix = {"multiple": "×", "days": "days", "count": None}[metric.unit]
    return FieldSpec("Target", None, suffix, 0.0, UNIT_MAX[metric.unit])


def _tidy(x: float) -> float | int:
    """Round away float noise (0.15 × 100 = 15.000000000000002) and show whole numbers as ints."""
    x = round(x, 6)
    return int(x) if x == int(x) and abs(x) < 1e15 else x


def shown_target(metric: Metric, stored: float) -> float | int:
    """Stored target → the number in the form (a ratio as a percentage)."""
    return _tidy(stored * 100 if metric.unit == "ratio" and not plan_metric(metric) else stored)


def shown_band(stored: float) -> float | int:
    return _tidy(stored * 100)


def parse_number(raw) -> tuple[float | None, str | None]:
    """``(value, None)`` for a finite JSON number; ``(None, message)`` for anything else."""
    if raw is None or raw == "":
        return None, "Enter a number."
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real):
        return None, "Must be a number."
    try:
        value = float(raw)
    except (OverflowError, ValueError):
        return None, "Too large."
    if not math.isfinite(value):
        return None, "Must be a finite number."
    return value, None


def check_usd(raw) -> tuple[float | None, str | None]:
    """An amount in USD from the form (a rep's quarterly quota, a month's plan): ``(usd, None)``;
    ``(None, None)`` when blank (no quota; the monthly plan); ``(None, message)`` for anything else
    than a non-negative finite number below ``MAX_NUMBER``."""
    if raw is None or raw == "":
        return None, None
    value, msg = parse_number(raw)
    if msg:
        return None, msg
    if value < 0:
        return None, "Money can't be negative."
    if value > MAX_NUMBER:
        return None, f"Too large (at most {formatting.usd(MAX_NUMBER)})."
    return round(value, 2), None


def _target_message(metric: Metric, spec: FieldSpec, value: float) -> str | None:
    """Why ``value`` (display units) is out of bounds, or ``None``."""
    percent = metric.unit == "ratio" and not plan_metric(metric)
    if percent and not spec.low <= value <= spec.high:
        return f"A percentage between 0 and {spec.high:g}."
    if value < spec.low:
        return "Money can't be negative." if spec.prefix == "$" else "Can't be negative."
    if value > spec.high:
        top = formatting.usd(spec.high) if spec.prefix == "$" else f"{spec.high:,.0f}"
        return f"Too large (at most {top})."
    return None


def check_row(metric: Metric, raw_target, raw_band) -> tuple[Edit | None, dict[str, str]]:
    """Validate one row. Returns ``(edit, {})`` or ``(None, {"target"|"band": message})``."""
    errors: dict[str, str] = {}
    spec = target_spec(metric)
    target, msg = parse_number(raw_target)
    if msg:
        errors["target"] = msg
    elif _target_message(metric, spec, target):
        errors["target"] = _target_message(metric, spec, target)
    band, msg = parse_number(raw_band)
    if msg:
        errors["band"] = msg
    elif not 0 <= band < 100:
        errors["band"] = "A band from 0 up to (not including) 100 % of the target."
    if errors:
        return None, errors
    stored_target = target / 100 if metric.unit == "ratio" and not plan_metric(metric) else target
    stored_band = round(band / 100, 10)
    stored_target = round(stored_target, 12)
    if metric.unit == "ratio" and metric.direction == "lower" and not plan_metric(metric):
        red_line = stored_target * (1 + stored_band)
        if red_line > ratio_ceiling(metric) + 1e-12:
            return None, {"band": f"Red would start above {formatting.value(red_line, 'ratio')}, past "
                                  f"{ratio_ceiling(metric):.0%}: lower the band or the target."}
    return Edit(stored_target, stored_band), {}


def check_rep_target(metric: Metric, raw) -> tuple[float | None, str | None]:
    """A rep's own target for ``metric`` from the form, in display units (a ratio as a percentage):
    ``(stored value, None)``; ``(None, None)`` when blank (the rep is held to the metric's target);
    ``(None, message)`` for anything that is not a number within the metric's target bounds."""
    if raw is None or raw == "":
        return None, None
    value, msg = parse_number(raw)
    msg = msg or _target_message(metric, target_spec(metric), value)
    if msg:
        return None, msg
    return round(value / 100 if metric.unit == "ratio" else value, 12), None


def zone_text(metric: Metric, edit: Edit) -> str:
    """``Green ≥ 30.0% · yellow 25.5%–30.0% · red below 25.5%`` for a valid row (stored units)."""
    if plan_metric(metric):
        pct = f"{edit.yellow_band:.0%}" if edit.yellow_band * 100 == int(edit.yellow_band * 100) else \
            f"{edit.yellow_band:.1%}"
        return f"Green at or above plan to date · yellow within {pct} below it · red beyond"
    t, b, unit = edit.target, edit.yellow_band, metric.unit
    if metric.direction == "higher":
        low = t * (1 - b)
        if b == 0:
            return f"Green ≥ {formatting.value(t, unit)} · red below"
        return (f"Green ≥ {formatting.value(t, unit)} · yellow {formatting.value(low, unit)}–"
                f"{formatting.value(t, unit)} · red below {formatting.value(low, unit)}")
    high = t * (1 + b)
    if b == 0:
        return f"Green ≤ {formatting.value(t, unit)} · red above"
    return (f"Green ≤ {formatting.value(t, unit)} · yellow {formatting.value(t, unit)}–"
            f"{formatting.value(high, unit)} · red above {formatting.value(high, unit)}")
