"""The Settings form's numbers: display units, validation and the colour zones (pure functions).

The form shows a ``ratio`` target as a percentage (30 for 0.30), money in USD, a multiple
as ×, and every yellow band as a percentage of the target. ``check_row()`` turns what the
browser sent (anything: a number, text, ``null``, a list — a request can be hand-made)
into an ``Edit`` in stored units, or per-field messages:

- a number (every unit but USD): JSON numbers only (not text, not ``true``), finite;
- an amount in USD: what a text field holds, ``2,000,000``, ``$1,234.50`` or ``1234.5`` (a leading
  ``$`` and spaces dropped, then ``babel.numbers.parse_decimal`` for en_US, strict: ``12,34`` is
  refused, not read as 1,234), shown back as ``2,000,000`` (``formatting.usd_input``); a JSON
  number too (a hand-made request);
- a percentage target between 0 and 100 (0–1000 for a ratio whose default is above 100 %,
  net revenue retention); money and every other unit non-negative, below a sane maximum;
- a band from 0 up to (not including) 100 % of the target, and consistent with the
  direction: for a lower-is-better percentage the red line (target × (1 + band)) must not
  pass 100 %.
"""
from __future__ import annotations

import decimal
import math
import numbers
import re
from dataclasses import dataclass

from babel.numbers import NumberFormatError, parse_decimal

from components import formatting
from data_access.catalog import Metric
from data_access.target_store import Edit, plan_metric
from data_access.targets import MAX_NUMBER, SLA_HOURS_MAX, SLA_PRIORITIES, ratio_ceiling

UNIT_MAX = {"usd": MAX_NUMBER, "multiple": 1000.0, "days": 3650.0, "count": 1e9, "hours": 8760.0, "score": 100.0}


@dataclass(frozen=True)
class FieldSpec:
    """How a target input is shown: ``label`` (column hint), ``prefix``/``suffix`` and bounds."""

    label: str
    prefix: str | None
    suffix: str | None
    low: float
    high: float

    @property
    def usd(self) -> bool:
        """An amount in USD: a text field with thousands separators (``parse_amount``)."""
        return self.prefix == "$"


def target_spec(metric: Metric) -> FieldSpec:
    if plan_metric(metric):
        return FieldSpec("Monthly plan", "$", None, 0.0, MAX_NUMBER)
    if metric.unit == "ratio":
        return FieldSpec("Target", None, "%", 0.0, ratio_ceiling(metric) * 100)
    if metric.unit == "usd":
        return FieldSpec("Target", "$", None, 0.0, MAX_NUMBER)
    suffix = {"multiple": "×", "days": "days", "count": None, "hours": "h", "score": None}[metric.unit]
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


def shown_input(metric: Metric, stored: float) -> str | float | int | None:
    """What the target input of ``metric`` holds for ``stored``: an amount in USD as text
    (``2,000,000``), any other unit the number ``shown_target`` gives."""
    return formatting.usd_input(stored) if target_spec(metric).usd else shown_target(metric, stored)


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


AMOUNT_TEXT = re.compile(r"-?[0-9.,]+")  # what may reach the parser: ASCII digits, separators, a minus
NOT_AN_AMOUNT = "Not an amount: write it like 2,000,000 or 1,234.50."


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_amount(raw) -> tuple[float | None, str | None]:
    """An amount in USD from a text field: ``(value, None)`` for ``2,000,000``, ``$1,234.50``,
    `` 1234.5 `` (a leading ``$`` and spaces dropped) or a finite JSON number; ``(None, message)``
    for blank, for text that is not an amount (``1.2.3``, ``abc``, ``1e400``, ``12,34``, ``NaN``)
    and for a figure too large to be a number. A negative amount is returned (the caller's bounds
    say "Money can't be negative.")."""
    if _blank(raw):
        return None, "Enter an amount."
    if not isinstance(raw, str):
        return parse_number(raw)
    text = raw.strip()
    text = text[1:].lstrip() if text.startswith("$") else text
    if not AMOUNT_TEXT.fullmatch(text):
        return None, "Enter an amount." if not text else NOT_AN_AMOUNT
    try:
        amount = parse_decimal(text, locale="en_US", strict=True)
    except NumberFormatError as e:
        if not e.suggestions:
            return None, NOT_AN_AMOUNT
        return None, f"Not an amount: did you mean {' or '.join(e.suggestions)}? Write it like 2,000,000 or 1,234.50."
    except decimal.InvalidOperation:  # strict mode re-formats the figure: past 28 digits it cannot
        amount = decimal.Decimal("Infinity")
    value = float(amount)
    if not math.isfinite(value):
        return None, f"Too large (at most {formatting.usd(MAX_NUMBER)})."
    return value + 0.0, None  # + 0.0: "-0" is 0


def _reader(metric: Metric):
    """How the target input of ``metric`` is read: ``parse_amount`` for USD, else ``parse_number``."""
    return parse_amount if target_spec(metric).usd else parse_number


def check_usd(raw) -> tuple[float | None, str | None]:
    """An amount in USD from the form (a rep's quarterly quota, a month's plan): ``(usd, None)``;
    ``(None, None)`` when blank (no quota; the monthly plan); ``(None, message)`` for anything else
    than a non-negative amount (``parse_amount``) up to ``MAX_NUMBER``."""
    if _blank(raw):
        return None, None
    value, msg = parse_amount(raw)
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
    target, msg = _reader(metric)(raw_target)
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
    if _blank(raw):
        return None, None
    value, msg = _reader(metric)(raw)
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


SCENARIO_WEIGHT_MAX = 10.0


def check_scenarios(raw_threshold, best: dict[str, object], worst: dict[str, object]) -> tuple[dict, list[str]]:
    """The Pipeline scenarios form (the threshold as a percentage; stage label → weight, blank: the
    default) → ``(values in stored units, problems)``; the values are only meant to be saved when there
    is no problem. A weight is a JSON number from 0 to 10."""
    problems = []
    threshold, msg = parse_number(raw_threshold)
    if msg is None and not 0 <= threshold <= 100:
        msg = "A percentage between 0 and 100."
    if msg:
        problems.append(f"Commit threshold: {msg}")
    values = {"commit_threshold": round(threshold / 100, 10) if msg is None else None,
              "best_weights": {}, "worst_weights": {}}
    for key, name, raw in (("best_weights", "Best", best), ("worst_weights", "Worst", worst)):
        values[key] = _weights(raw, lambda stage, n=name: f"{n} weight of {stage}", problems)
    return values, problems


def _weights(raw: dict[str, object], label, problems: list[str]) -> dict[str, float]:
    """The weights typed in a form (key → raw; blank ones skipped) that are numbers from 0 to
    ``SCENARIO_WEIGHT_MAX``; each other one adds ``"<label(key)>: <why>"`` to ``problems``."""
    out = {}
    for key, w in raw.items():
        if _blank(w):
            continue
        weight, msg = parse_number(w)
        if msg is None and not 0 <= weight <= SCENARIO_WEIGHT_MAX:
            msg = f"A weight from 0 to {SCENARIO_WEIGHT_MAX:g}."
        if msg:
            problems.append(f"{label(key)}: {msg}")
        else:
            out[key] = weight
    return out


def check_sla_targets(raw: dict[tuple[str, str], object]) -> tuple[dict, list[str]]:
    """The Support SLA form ((priority, part) → hours as typed; parts ``first_reply_hours`` and
    ``resolution_hours``) → ``(values for targets.SupportSlaTargets, problems)``; the values are only
    meant to be saved when there is no problem. Each is business hours, above 0 and at most
    ``SLA_HOURS_MAX``; a resolution shorter than its first reply is a problem."""
    names = {"first_reply_hours": "first reply", "resolution_hours": "resolution"}
    values, problems = {}, []
    for priority in SLA_PRIORITIES:
        row = {}
        for part, name in names.items():
            value, msg = parse_number(raw.get((priority, part)))
            if msg is None and not 0 < value <= SLA_HOURS_MAX:
                msg = f"Business hours above 0 and at most {SLA_HOURS_MAX:,}."
            if msg:
                problems.append(f"{priority.capitalize()} {name}: {msg}")
            row[part] = value if msg is None else None
        if None not in row.values() and row["resolution_hours"] < row["first_reply_hours"]:
            problems.append(f"{priority.capitalize()}: the resolution target ({row['resolution_hours']:g} h) "
                            f"is shorter than the first reply target ({row['first_reply_hours']:g} h).")
        values[priority] = row
    return values, problems


def check_component_weights(raw: dict[str, object], titles: dict[str, str]) -> tuple[dict, list[str]]:
    """The Company health form (component metric id → weight as typed; blank: the catalog's weight)
    → ``(values for targets.ComponentWeights, problems)``; ``titles`` names the components in the
    messages. A weight is a number from 0 to ``SCENARIO_WEIGHT_MAX`` (10); that not all are 0 is
    checked when the file is parsed (``targets.check_against_catalog``)."""
    problems = []
    weights = _weights({mid: w for mid, w in raw.items() if mid in titles}, titles.get, problems)
    return {"weights": weights}, problems
