"""Targets: the admin-set goals that colour the KPI cards.

The live targets file (``PULSE_TARGETS_PATH``, default ``var/targets/targets.json``; until its first
save the shipped ``targets/targets.json`` is in force) holds a revenue
plan (USD per month, with per-month overrides ``"YYYY-MM": usd``) and per-metric
overrides of the catalog's default target and yellow band, optional per-month targets
and per-rep quotas. Each is a list of dated entries: an entry is in force from its
``effective_from`` (``null``: since always) until the next one, so a past as-of date
keeps the target that applied then. The older flat form (``{"target": …,
"yellow_band": …}``, ``{"monthly_usd": …, "months": …}``) is read as one undated entry.

The file is parsed strictly (numbers must be JSON numbers, finite, non-negative and
below ``MAX_NUMBER``; ratio targets within the metric's range), and a file that fails
leaves the last valid targets in force (``load_targets``). ``status()`` turns a value
and its target into green / yellow / red.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data_access.catalog import Catalog, Metric

log = logging.getLogger(__name__)

Status = Literal["green", "yellow", "red", "nodata"]


MAX_NUMBER = 1e12  # no target, plan or quota is larger (a trillion USD, days, deals…)
MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # [0-9], not \d: no other scripts' digits
OWNER_RE = re.compile(r"[0-9]{1,18}")

Number = Annotated[float, Field(ge=0, le=MAX_NUMBER, allow_inf_nan=False)]
Band = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]


class _Strict(BaseModel):
    # strict: "0.3", true or null are not numbers; unknown keys are mistakes
    model_config = ConfigDict(extra="forbid", strict=True)


def _months_valid(v: dict[str, float]) -> dict[str, float]:
    for k in v:
        if not MONTH_RE.fullmatch(k):
            raise ValueError(f"month {k!r} must be YYYY-MM")
    return v


def _sorted_entries(entries: list, what: str) -> list:
    dates = [e.effective_from for e in entries]
    if len(set(dates)) != len(dates):
        raise ValueError(f"two {what} entries have the same effective_from")
    return sorted(entries, key=lambda e: e.effective_from or dt.date.min)


def _in_force(entries: list, day: dt.date):
    """The last entry whose ``effective_from`` is on or before ``day`` (undated counts as always)."""
    found = None
    for e in entries:  # sorted by effective_from
        if e.effective_from is None or e.effective_from <= day:
            found = e
    return found


DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(v):
    """``effective_from`` as written in the file: ``YYYY-MM-DD`` text (or a date from code)."""
    if isinstance(v, str):
        if not DATE_RE.fullmatch(v):
            raise ValueError(f"effective_from {v!r} must be a date as YYYY-MM-DD")
        return dt.date.fromisoformat(v)
    return v


def _legacy(data, keys: tuple[str, ...]):
    """The flat pre-history form is one undated entry."""
    if isinstance(data, dict) and "entries" not in data and any(k in data for k in keys):
        return {"entries": [data]}
    return data


def _owner_keys(v: dict[str, float]) -> dict[str, float]:
    """Rep quota keys are HubSpot owner ids (digits)."""
    for k in v:
        if not OWNER_RE.fullmatch(k):
            raise ValueError(f"rep quota key {k!r} must be an owner id (digits)")
    return v


class TargetEntry(_Strict):
    """A metric's target from ``effective_from`` (``None``: since always) until the next entry.

    ``target`` and ``yellow_band`` (a fraction of the target, 0.1 = within 10 % is yellow)
    fall back to the catalog when ``None``. ``months`` (``"YYYY-MM"`` → target) overrides
    the target for single months; ``rep_quotas`` (owner id → quota in the metric's unit).
    """

    effective_from: dt.date | None = None
    target: Number | None = None

    _effective_from = field_validator("effective_from", mode="before")(_iso_date)
    yellow_band: Band | None = None
    months: dict[str, Number] = {}
    rep_quotas: dict[str, Number] = {}

    @field_validator("months")
    @classmethod
    def _month_keys(cls, v: dict[str, float]) -> dict[str, float]:
        return _months_valid(v)

    _owner_ids = field_validator("rep_quotas")(_owner_keys)


class MetricTarget(_Strict):
    """One metric's dated target entries (sorted by ``effective_from``)."""

    entries: list[TargetEntry] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data):
        return _legacy(data, ("target", "yellow_band", "months", "rep_quotas", "effective_from"))

    @field_validator("entries")
    @classmethod
    def _sorted(cls, v: list[TargetEntry]) -> list[TargetEntry]:
        return _sorted_entries(v, "target")

    def entry_on(self, day: dt.date) -> TargetEntry | None:
        """The entry in force on ``day`` (``None`` before the first dated entry: catalog defaults)."""
        return _in_force(self.entries, day)

    @property
    def target(self) -> float | None:
        """The latest entry's target (for callers without a date)."""
        return self.entries[-1].target

    @property
    def yellow_band(self) -> float | None:
        return self.entries[-1].yellow_band


class PlanEntry(_Strict):
    """The revenue plan from ``effective_from``: ``monthly_usd`` per month, ``months`` overriding single
    months, and ``rep_quotas``: each rep's quarterly quota in USD (owner id → USD per quarter; Pipeline
    Coverage by rep divides a rep's open pipeline by what is left of it)."""

    effective_from: dt.date | None = None
    monthly_usd: Number

    _effective_from = field_validator("effective_from", mode="before")(_iso_date)
    months: dict[str, Number] = {}
    rep_quotas: dict[str, Number] = {}

    @field_validator("months")
    @classmethod
    def _month_keys(cls, v: dict[str, float]) -> dict[str, float]:
        return _months_valid(v)

    _owner_ids = field_validator("rep_quotas")(_owner_keys)


class RevenuePlan(_Strict):
    """Monthly revenue plan in USD, as dated entries; a month uses the entry in force on its first day."""

    entries: list[PlanEntry] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data):
        return _legacy(data, ("monthly_usd", "months", "rep_quotas", "effective_from"))

    @field_validator("entries")
    @classmethod
    def _sorted(cls, v: list[PlanEntry]) -> list[PlanEntry]:
        return _sorted_entries(v, "revenue plan")

    def entry_on(self, day: dt.date) -> PlanEntry:
        """The entry in force on ``day`` (the earliest entry before any is in force)."""
        return _in_force(self.entries, day) or self.entries[0]

    @property
    def monthly_usd(self) -> float:
        """The latest entry's monthly plan (for callers without a date)."""
        return self.entries[-1].monthly_usd

    @property
    def months(self) -> dict[str, float]:
        return self.entries[-1].months

    def month_usd(self, year: int, month: int) -> float:
        """Planned revenue (USD) for one calendar month."""
        entry = self.entry_on(dt.date(year, month, 1))
        return entry.months.get(f"{year:04d}-{month:02d}", entry.monthly_usd)

    def month_to_date_usd(self, year: int, month: int, as_of: dt.date | None) -> float:
        """Planned revenue (USD) of one month counted up to ``as_of``: the whole month before the
        as-of month, the as-of month pro-rated by day (``day ÷ days in month``), 0 after it; the whole
        month when ``as_of`` is None. The one rule behind the Revenue YTD target, the by-month view's
        targets and the plan to date on Settings."""
        full = self.month_usd(year, month)
        if as_of is None or (year, month) < (as_of.year, as_of.month):
            return full
        if (year, month) > (as_of.year, as_of.month):
            return 0.0
        return full * as_of.day / calendar.monthrange(year, month)[1]

    def ytd_usd(self, as_of: dt.date) -> float:
        """Plan from Jan 1 to ``as_of``: full months before it, the as-of month pro-rated by day."""
        return sum(self.month_to_date_usd(as_of.year, m, as_of) for m in range(1, as_of.month + 1))

    def rep_quarter_quotas(self, as_of: dt.date) -> dict[int, float]:
        """Each rep's quarterly quota (USD) in force on ``as_of``: owner id → USD; ``{}`` if none."""
        return {int(k): float(v) for k, v in self.entry_on(as_of).rep_quotas.items()}

    def quarter_usd(self, as_of: dt.date) -> float:
        """Plan for the whole calendar quarter containing ``as_of``."""
        first = 3 * ((as_of.month - 1) // 3) + 1
        return sum(self.month_usd(as_of.year, m) for m in range(first, first + 3))


Weight = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
STAGE_LABEL_MAX = 100


class PipelineScenarios(_Strict):
    """The weighted pipeline's named scenarios (``data_access.scenarios``): ``commit_threshold`` (a
    probability, 0–1: *commit* counts only the stages at or above it) and the per-stage weights of
    *best* and *worst* (stage label → weight; a stage without one gets ``DEFAULT_BEST_WEIGHT`` /
    ``DEFAULT_WORST_WEIGHT``). *base* is the stage probabilities (weight 1)."""

    commit_threshold: Share = 0.7
    best_weights: dict[str, Weight] = {}
    worst_weights: dict[str, Weight] = {}

    @field_validator("best_weights", "worst_weights")
    @classmethod
    def _stage_labels(cls, v: dict[str, float]) -> dict[str, float]:
        for k in v:
            if not k.strip() or len(k) > STAGE_LABEL_MAX:
                raise ValueError(f"stage {k[:20]!r} must be a stage label (1–{STAGE_LABEL_MAX} characters)")
        return v


SLA_HOURS_MAX = 8760  # a year of business hours: no SLA target is longer
SlaHours = Annotated[float, Field(gt=0, le=SLA_HOURS_MAX, allow_inf_nan=False)]
SLA_PRIORITIES = ("urgent", "high", "normal", "low")  # Zendesk's priorities, most urgent first


class SlaTarget(_Strict):
    """One priority's support SLA: first reply and full resolution, in business hours of the support
    schedule (> 0; resolution at least the first reply)."""

    first_reply_hours: SlaHours
    resolution_hours: SlaHours

    @model_validator(mode="after")
    def _resolution_after_reply(self) -> "SlaTarget":
        if self.resolution_hours < self.first_reply_hours:
            raise ValueError(f"resolution ({self.resolution_hours:g} h) must be at least the first reply "
                             f"({self.first_reply_hours:g} h)")
        return self


class SupportSlaTargets(_Strict):
    """Support SLA targets by Zendesk priority (``ticket_sla_compliance`` and the Support views):
    defaults from seed 001 (its critical / medium are Zendesk's urgent / normal). The refresh binds
    them as ``@sla_<priority>_first_reply_minutes`` / ``@sla_<priority>_resolution_minutes`` (FLOAT64,
    business minutes; ``sql_params``) for ``intermediate/support_sla_targets``. In force from the
    save on, for every day computed after it (not dated like metric targets)."""

    urgent: SlaTarget = SlaTarget(first_reply_hours=1, resolution_hours=4)
    high: SlaTarget = SlaTarget(first_reply_hours=2, resolution_hours=24)
    normal: SlaTarget = SlaTarget(first_reply_hours=4, resolution_hours=72)
    low: SlaTarget = SlaTarget(first_reply_hours=8, resolution_hours=120)

    def sql_params(self) -> dict[str, float]:
        """The eight query parameters: name → business minutes (float)."""
        out = {}
        for priority in SLA_PRIORITIES:
            t: SlaTarget = getattr(self, priority)
            out[f"sla_{priority}_first_reply_minutes"] = float(t.first_reply_hours) * 60
            out[f"sla_{priority}_resolution_minutes"] = float(t.resolution_hours) * 60
        return out


HEALTH_SCORE_METRIC = "health_score"  # the derived metric whose component weights Settings governs


class ComponentWeights(_Strict):
    """The Company Health Score's component weights set on Settings (component metric id → weight,
    0–10); a component without one keeps its catalog weight (equal by default). The score divides by
    the sum of the weights used (``data_access.health_score``), so only their ratios matter."""

    weights: dict[str, Weight] = {}

    def weight(self, metric_id: str, default: float) -> float:
        """The weight of one component: the governed one, else ``default`` (the catalog's)."""
        return float(self.weights.get(metric_id, default))


class Targets(_Strict):
    revenue_plan: RevenuePlan
    metrics: dict[str, MetricTarget] = {}
    pipeline_scenarios: PipelineScenarios = PipelineScenarios()
    support_sla_targets: SupportSlaTargets = SupportSlaTargets()
    health_score_weights: ComponentWeights = ComponentWeights()


def ratio_ceiling(metric: Metric) -> float:
    """Largest sensible target of a ``ratio`` metric: 1 (100 %) for shares and rates; 10 (1000 %)
    for a ratio of two amounts whose catalog default is already 100 % or more (net revenue
    retention, spend vs budget), which can pass 100 %."""
    return 10.0 if (metric.target or 0) >= 1 else 1.0


def check_against_catalog(targets: Targets, catalog: Catalog) -> list[str]:
    """Problems only the catalog can see: a ratio target beyond the metric's range; health score
    weights for a metric that is not one of its components, or weights that are all 0.
    Entries for metrics the catalog no longer has are ignored (not an error)."""
    problems = []
    score = catalog.metrics.get(HEALTH_SCORE_METRIC)
    governed = targets.health_score_weights.weights
    if score is not None and governed:
        components = {c.metric: c.weight for c in score.components}
        problems += [f"health_score_weights.weights.{mid}: not a component of the {score.title}"
                     for mid in governed if mid not in components]
        if not any(targets.health_score_weights.weight(mid, w) > 0 for mid, w in components.items()):
            problems.append("health_score_weights: at least one component needs a weight above 0")
    for mid, mt in targets.metrics.items():
        metric = catalog.metrics.get(mid)
        if metric is None or metric.unit != "ratio":
            continue
        top = ratio_ceiling(metric)
        for i, e in enumerate(mt.entries):
            values = ([("target", e.target)] + [(f"months.{k}", v) for k, v in e.months.items()]
                      + [(f"rep_quotas.{k}", v) for k, v in e.rep_quotas.items()])
            for where, v in values:
                if v is not None and v > top:
                    problems.append(f"metrics.{mid}.entries.{i}.{where}: {v} is above {top:g} "
                                    f"({top:.0%}; ratios are fractions, 0.3 = 30 %)")
    return problems


DEFAULT_TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2_000_000))
SHIPPED_TARGETS = Path(__file__).resolve().parent.parent / "targets" / "targets.json"  # in the code folder


@dataclass(frozen=True)
class LoadedTargets:
    """Targets in force plus the error of the last load (``None`` when the file is valid)."""

    targets: Targets
    error: str | None = None


def parse_targets(raw: str | bytes, catalog: Catalog | None = None) -> Targets:
    """Validate the text of a targets file (strict JSON schema, then the catalog's ranges).

    Raises:
        ValueError: naming the first bad entry (``metrics.win_rate.entries.0.target: …``).
    """
    try:
        targets = Targets.model_validate_json(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise ValueError(f"{where}: {err['msg']}{more}") from None
    if catalog is None:
        from data_access.catalog import load_catalog

        try:
            catalog = load_catalog()
        except Exception:  # a broken catalog is reported elsewhere; the schema checks still hold
            return targets
    problems = check_against_catalog(targets, catalog)
    if problems:
        raise ValueError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return targets


def load_targets(path: Path, last_good: Targets | None = None, catalog: Catalog | None = None) -> LoadedTargets:
    """Read and validate the targets file.

    A missing, unreadable or invalid file never raises: the last valid targets (or
    the defaults) stay in force and ``error`` says what is wrong, for the UI. A live file
    that does not exist yet and no targets held (``last_good``) is the state before the
    first save: the shipped ``targets/targets.json`` is in force, with no error.
    """
    fallback = last_good or DEFAULT_TARGETS
    try:
        return LoadedTargets(parse_targets(path.read_bytes(), catalog))
    except FileNotFoundError:
        if last_good is None and path != SHIPPED_TARGETS and SHIPPED_TARGETS.exists():
            shipped = load_targets(SHIPPED_TARGETS, last_good, catalog)
            if shipped.error is None:
                return shipped
        return LoadedTargets(fallback, f"targets file {path} not found; using defaults")
    except (OSError, ValueError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        msg = f"targets file {path.name} is invalid ({reason}); keeping the last valid targets"
        log.warning(msg)
        return LoadedTargets(fallback, msg)


def target_for(metric: Metric, targets: Targets, as_of: dt.date) -> tuple[float, float]:
    """``(target, yellow_band)`` for a metric on ``as_of``: the targets entry in force on that
    day (its per-month target for the as-of month first), else the catalog's default."""
    override = targets.metrics.get(metric.id)
    entry = override.entry_on(as_of) if override else None
    band = entry.yellow_band if entry and entry.yellow_band is not None else metric.yellow_band
    if entry is not None:
        month = entry.months.get(f"{as_of:%Y-%m}")
        if month is not None:
            return month, band
        if entry.target is not None:
            return entry.target, band
    if metric.target_rule == "revenue_plan_ytd":
        return targets.revenue_plan.ytd_usd(as_of), band
    assert metric.target is not None  # the catalog guarantees a target or a rule
    return metric.target, band


def rep_quotas(metric: Metric, targets: Targets, as_of: dt.date) -> dict[int, float]:
    """Per-rep quotas (owner id → quota, in the metric's unit) in force on ``as_of``; ``{}`` if none."""
    override = targets.metrics.get(metric.id)
    entry = override.entry_on(as_of) if override else None
    return {int(k): v for k, v in entry.rep_quotas.items()} if entry else {}


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
