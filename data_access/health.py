"""Customer health score (issue 15): 0–100 per customer per day, written by the worker's daily job into
``customer_health_score`` (Pulse's database) from the warehouse inputs of
``sql/customers/health_indicators.sql``, with the weights of the latest ``health_score_config``
version.

Each indicator scores 100 at its ``full_at`` value and 0 at its ``zero_at`` value, linearly between
(clamped); the score is the weighted mean of the indicators the customer has (a customer without
an active upfront contract is scored on the others, their weights rescaled):

* ``revenue_trend`` = revenue of the last 180 days ÷ revenue of the 180 days before (ratio;
  100 at ≥ 1.0, 0 at ≤ 0.5). New revenue with none before counts as 1.0; no revenue in either as 0.
* ``invoice_recency`` = days since the latest invoice (100 at ≤ 30 days, 0 at ≥ 180 or none in 360).
* ``contract_pace`` = the lowest spent share − straight-line pace across active upfront contracts
  (100 at ≥ 0, on pace; 0 at ≤ −0.5, 50 points behind).
* ``meeting_recency`` = days since the latest HubSpot meeting on a deal of the customer's company
  (the company of its name; 100 at ≤ 45 days, 0 at ≥ 180 or none in 360). A customer with no
  HubSpot company is scored on the others.

Version 2 (migration 0006) weighs them 32 / 24 / 24 / 20 %: version 1's 40 / 30 / 30 % for the first
three, in the same proportions, and a fifth of the score for meetings.

Status: healthy (green) at ≥ 70, watch (yellow) at ≥ 50, poor (red) below 50.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select

from data_access.db import CustomerHealthScore, CustomerProfile, HealthScoreConfig, session_scope, utcnow

log = logging.getLogger(__name__)

INDICATORS_QUERY = "customers/health_indicators"
OUTCOME = "system/health"  # the last health job's outcome (on /status)
GREEN_AT, YELLOW_AT = 70, 50
DROP_POINTS, DROP_DAYS = 15, 30  # a fall of 15 points or more in 30 days puts a customer at risk
LABEL = {"revenue_trend": "Revenue trend (last 180 days ÷ the 180 before)",
         "invoice_recency": "Days since the last invoice",
         "contract_pace": "Upfront contract spend vs pace",
         "meeting_recency": "Days since the last HubSpot meeting"}
SHORT = {"revenue_trend": "Revenue trend", "invoice_recency": "Invoice recency", "contract_pace": "Contract pace",
         "meeting_recency": "Meeting recency"}
CHUNK = 2_000


@dataclass(frozen=True)
class Indicator:
    name: str
    weight: float  # 0–1
    full_at: float  # the value that scores 100
    zero_at: float  # the value that scores 0

    def score(self, value: float | None) -> float | None:
        """0–100 for ``value`` (linear between ``zero_at`` and ``full_at``, clamped); None for None."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        share = (value - self.zero_at) / (self.full_at - self.zero_at)
        return 100.0 * min(1.0, max(0.0, share))


@dataclass(frozen=True)
class HealthConfig:
    version: int
    indicators: tuple[Indicator, ...]

    def tooltip(self) -> str:
        """The formula in words, with this version's weights (for the Customers page)."""
        parts = [f"{LABEL[i.name].lower()} × {i.weight:.0%}" for i in self.indicators]
        return (f"Health score 0–100 = weighted mean of {', '.join(parts)} (configuration v{self.version}); "
                f"each indicator 100 at its full mark, 0 at its zero mark. Healthy ≥ {GREEN_AT}, poor < {YELLOW_AT}.")


STATUS_WORD = {"green": "Healthy", "yellow": "Watch", "red": "Poor", "nodata": "Not scored"}


def status(score: int | None) -> str:
    """green | yellow | red | nodata for a score."""
    if score is None:
        return "nodata"
    return "green" if score >= GREEN_AT else "yellow" if score >= YELLOW_AT else "red"


def current_config(engine: Engine) -> HealthConfig:
    """The latest ``health_score_config`` version.

    Raises:
        LookupError: the table holds no configuration (an unmigrated database).
    """
    with session_scope(engine) as s:
        version = s.scalar(select(func.max(HealthScoreConfig.version)))
        if version is None:
            raise LookupError("no health score configuration: run `python -m data_access.db upgrade`")
        rows = s.scalars(select(HealthScoreConfig).where(HealthScoreConfig.version == version)
                         .order_by(HealthScoreConfig.id)).all()
        return HealthConfig(version, tuple(Indicator(r.indicator, r.weight, r.full_at, r.zero_at) for r in rows))


def _value(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def indicator_values(row) -> dict[str, float | None]:
    """The indicators' values of one ``INDICATORS_QUERY`` row."""
    recent, prior = float(row.revenue_recent_usd or 0), float(row.revenue_prior_usd or 0)
    trend = recent / prior if prior > 0 else (1.0 if recent > 0 else 0.0)
    days = _value(row.days_since_invoice)
    met = _value(getattr(row, "days_since_meeting", None))
    flag = getattr(row, "in_crm", None)
    in_crm = flag is not None and not pd.isna(flag) and bool(flag)
    return {"revenue_trend": trend, "invoice_recency": 360.0 if days is None else days,
            "contract_pace": _value(row.contract_pace_gap),
            "meeting_recency": (360.0 if met is None else met) if in_crm else None}


def score_customers(inputs: pd.DataFrame, config: HealthConfig) -> pd.DataFrame:
    """Scores of ``inputs`` (the ``INDICATORS_QUERY`` frame: ``customer_id`` str, ``revenue_recent_usd``,
    ``revenue_prior_usd`` float USD, ``days_since_invoice`` int or null, ``contract_pace_gap`` float
    ratio or null, ``in_crm`` bool, ``days_since_meeting`` int or null; the last two may be absent). Returns ``customer_id`` str, ``score`` int 0–100, ``indicators`` dict
    ``{name: {"value": float | None, "score": float | None, "weight": float}}``."""
    ids, scores, details = [], [], []
    for row in inputs.itertuples(index=False):
        values = indicator_values(row)
        detail, total, weights = {}, 0.0, 0.0
        for ind in config.indicators:
            value = values.get(ind.name)
            points = ind.score(value)
            detail[ind.name] = {"value": None if value is None else round(value, 4),
                                "score": None if points is None else round(points, 1), "weight": ind.weight}
            if points is not None and ind.weight > 0:
                total += points * ind.weight
                weights += ind.weight
        ids.append(str(row.customer_id))
        scores.append(int(round(total / weights)) if weights else 0)
        details.append(detail)
    return pd.DataFrame({"customer_id": ids, "score": pd.Series(scores, dtype="int64"), "indicators": details})


def write_scores(engine: Engine, day: dt.date, scores: pd.DataFrame, config_version: int) -> int:
    """Replace ``day``'s scores with ``scores`` (``score_customers``' frame) in one transaction, for
    the customers ``customer_profile`` knows (others are skipped). Returns the rows written."""
    with session_scope(engine) as s:
        known = set(s.scalars(select(CustomerProfile.customer_id)))
        rows = [{"customer_id": cid, "score_date": day, "score": int(score), "config_version": config_version,
                 "indicators": ind} for cid, score, ind in zip(scores["customer_id"], scores["score"],
                                                                scores["indicators"]) if cid in known]
        s.execute(delete(CustomerHealthScore).where(CustomerHealthScore.score_date == day))
        for i in range(0, len(rows), CHUNK):
            s.execute(insert(CustomerHealthScore), rows[i:i + CHUNK])
    return len(rows)


def refresh_health(rt) -> int | None:
    """The worker's daily job: today's inputs from the warehouse, scored with the current
    configuration, written for today (``write_scores``); the outcome ``OUTCOME`` is recorded (on
    /status). A warehouse or database error is logged and recorded; earlier days' scores stay.
    Returns the rows written, or ``None`` on failure."""
    from sqlalchemy.exc import SQLAlchemyError

    from data_access.refresh import query_params

    attempted = utcnow()
    try:
        config = current_config(rt.db())
        params = query_params(rt.settings, rt.targets().targets, rt.today())
        scores = score_customers(rt.warehouse().run(INDICATORS_QUERY, params), config)
        written = write_scores(rt.db(), rt.today(), scores, config.version)
    except (SQLAlchemyError, LookupError, ValueError, RuntimeError, OSError) as e:
        log.warning("health scores not written: %s", type(e).__name__)
        rt.put_side_outcome(OUTCOME, attempted, error=e, message=str(getattr(e, "orig", None) or e)[:300])
        return None
    rt.put_side_outcome(OUTCOME, attempted, scored=written)
    return written


def backfill(rt, days: int = 91, every: int = 7) -> int:
    """Score every ``every``-th day of the ``days`` before today that has no score yet (the demo's
    health history, ``make run``): each day's inputs from the warehouse as of that day. Returns the
    days written.

    Raises:
        LookupError: no configuration; the warehouse's and database's errors as they come.
    """
    from data_access.refresh import query_params

    config = current_config(rt.db())
    with session_scope(rt.db()) as s:
        done = set(s.scalars(select(CustomerHealthScore.score_date).distinct()))
    written = 0
    for back in range(days - 1, -1, -every):
        day = rt.today() - dt.timedelta(days=back)
        if day in done:
            continue
        params = query_params(rt.settings, rt.targets().targets, day)
        write_scores(rt.db(), day, score_customers(rt.warehouse().run(INDICATORS_QUERY, params), config), config.version)
        written += 1
    return written


@dataclass(frozen=True)
class Health:
    """A customer's latest score (``score`` int, ``day``) and its change over ``DROP_DAYS`` (points,
    None without a score that old)."""

    score: int
    day: dt.date
    change: int | None

    @property
    def status(self) -> str:
        return status(self.score)

    @property
    def falling(self) -> bool:
        return self.change is not None and self.change <= -DROP_POINTS


def scored_days(session):
    """``(day, now, then)``: the latest scoring day (None without scores) and subqueries
    (``customer_id``, ``score``) of that day's scores and of the latest day's at least ``DROP_DAYS``
    before it (empty when there is none), for joining to customers: ``now.c.score - then.c.score``
    is the change."""
    chs = CustomerHealthScore
    day = session.scalar(select(func.max(chs.score_date)))
    then_day = None if day is None else session.scalar(
        select(func.max(chs.score_date)).where(chs.score_date <= day - dt.timedelta(days=DROP_DAYS)))
    now = select(chs.customer_id, chs.score).where(chs.score_date == day).subquery("now")
    then = select(chs.customer_id, chs.score).where(chs.score_date == then_day).subquery("then")
    return day, now, then


def status_condition(score, wanted: str):
    """The SQL condition that ``score`` (a score column) has status ``wanted`` (``status``'s words)."""
    return {"green": score >= GREEN_AT, "yellow": (score >= YELLOW_AT) & (score < GREEN_AT),
            "red": score < YELLOW_AT, "nodata": score.is_(None)}[wanted]


def latest(engine: Engine, customer_ids: list[str] | None = None) -> dict[str, Health]:
    """The latest score of each customer (of ``customer_ids``, or all) that has one, with its change
    vs the score ``DROP_DAYS`` days before it (or the closest earlier one)."""
    with session_scope(engine) as s:
        day, now, then = scored_days(s)
        base = (select(now.c.customer_id, now.c.score, now.c.score - then.c.score)
                .select_from(now.outerjoin(then, then.c.customer_id == now.c.customer_id)))
        queries = [base] if customer_ids is None else [
            base.where(now.c.customer_id.in_(customer_ids[i:i + CHUNK])) for i in range(0, len(customer_ids), CHUNK)]
        out: dict[str, Health] = {}
        for query in queries:
            for cid, score, change in s.execute(query):
                out[cid] = Health(score, day, None if change is None else int(change))
        return out


def history(engine: Engine, customer_id: str, end: dt.date, days: int = 90) -> pd.DataFrame:
    """One customer's scores in the ``days`` days to ``end``: ``score_date`` date, ``score`` int, and
    one float column per indicator score (``revenue_trend`` …; NaN when it had none), oldest first."""
    with session_scope(engine) as s:
        rows = s.execute(select(CustomerHealthScore.score_date, CustomerHealthScore.score,
                                CustomerHealthScore.indicators)
                         .where(CustomerHealthScore.customer_id == customer_id,
                                CustomerHealthScore.score_date > end - dt.timedelta(days=days),
                                CustomerHealthScore.score_date <= end)
                         .order_by(CustomerHealthScore.score_date)).all()
    frame = pd.DataFrame({"score_date": [r[0] for r in rows], "score": pd.Series([r[1] for r in rows], dtype="int64")})
    for name in LABEL:
        frame[name] = pd.Series([(r[2].get(name) or {}).get("score") for r in rows], dtype="float64")
    return frame


def at_risk(engine: Engine, limit: int = 8) -> tuple[list[dict], int]:
    """Customers (still in the warehouse) whose latest score is poor (< ``YELLOW_AT``) or fell
    ``DROP_POINTS`` or more over ``DROP_DAYS``, largest ARR first: at most ``limit`` dicts
    (``customer_id``, ``name``, ``owner``, ``arr_usd`` float USD, ``score`` int, ``change`` int or
    None) and how many there are in all."""
    cp = CustomerProfile
    with session_scope(engine) as s:
        _, now, then = scored_days(s)
        change = now.c.score - then.c.score
        joined = (cp.__table__.join(now, now.c.customer_id == cp.customer_id)
                  .outerjoin(then, then.c.customer_id == cp.customer_id))
        where = [cp.in_warehouse.is_(True), (now.c.score < YELLOW_AT) | (change <= -DROP_POINTS)]
        total = s.scalar(select(func.count()).select_from(joined).where(*where))
        found = s.execute(select(cp.customer_id, cp.name, cp.owner, cp.arr_usd, now.c.score, change)
                          .select_from(joined).where(*where)
                          .order_by(cp.arr_usd.desc(), cp.name, cp.customer_id).limit(limit)).all()
    return ([{"customer_id": cid, "name": name, "owner": owner, "arr_usd": float(arr), "score": int(score),
              "change": None if ch is None else int(ch)} for cid, name, owner, arr, score, ch in found], int(total or 0))


# ---------------------------------------------------------------------------------------------
# Settings › Health score: admins save a new configuration version (validated, audited; a version
# saved by someone else since the form was loaded refuses the save)

PARTS = ("weight", "full_at", "zero_at")  # the form's fields per indicator; weight in percent


class HealthConfigError(ValueError):
    """A refused configuration: ``errors`` maps ``"<indicator>.<part>"`` (or ``form``) to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def check_config(raw: dict[str, dict[str, object]]) -> tuple[Indicator, ...]:
    """The indicators of a submitted form (``{indicator: {"weight": percent, "full_at": …, "zero_at": …}}``,
    text or numbers), in ``LABEL``'s order. Weights are percentages 0–100 that sum to 100; the marks are
    finite numbers and differ.

    Raises:
        HealthConfigError: every field that is wrong, with its message (nothing is saved).
    """
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    number = TypeAdapter(Annotated[float, Field(allow_inf_nan=False)])
    errors: dict[str, str] = {}
    parsed: dict[str, dict[str, float]] = {}
    for name in LABEL:
        values = raw.get(name) or {}
        got = {}
        for part in PARTS:
            value = values.get(part)
            if value is None or str(value).strip() == "":
                errors[f"{name}.{part}"] = "enter a number"
                continue
            try:
                got[part] = number.validate_python(str(value).strip().rstrip("%").replace(",", ""))
            except ValidationError:
                errors[f"{name}.{part}"] = "not a number"
        if "weight" in got and not 0 <= got["weight"] <= 100:
            errors[f"{name}.weight"] = "a weight is 0–100 %"
        if "full_at" in got and "zero_at" in got and got["full_at"] == got["zero_at"]:
            errors[f"{name}.zero_at"] = "the zero mark must differ from the full mark"
        parsed[name] = got
    if not errors:
        total = sum(p["weight"] for p in parsed.values())
        if abs(total - 100) > 0.01:
            errors["form"] = f"the weights add up to {total:g} %, not 100 %"
    if errors:
        raise HealthConfigError(errors)
    return tuple(Indicator(n, round(p["weight"] / 100, 6), p["full_at"], p["zero_at"]) for n, p in parsed.items())


def save_config(engine: Engine, indicators: tuple[Indicator, ...], expected_version: int, actor: str) -> HealthConfig:
    """Add the next configuration version (``indicators``) and its audit event in one transaction.

    Raises:
        StaleEdit: the latest version is no longer ``expected_version`` (someone saved since).
    """
    from data_access.db import StaleEdit, record_audit

    with session_scope(engine) as s:
        latest_version = s.scalar(select(func.max(HealthScoreConfig.version))) or 0
        if latest_version != expected_version:
            raise StaleEdit()
        before = {r.indicator: {"weight": r.weight, "full_at": r.full_at, "zero_at": r.zero_at}
                  for r in s.scalars(select(HealthScoreConfig).where(HealthScoreConfig.version == latest_version))}
        version = latest_version + 1
        for ind in indicators:
            s.add(HealthScoreConfig(version=version, indicator=ind.name, weight=ind.weight, full_at=ind.full_at,
                                    zero_at=ind.zero_at, created_by=actor))
        record_audit(s, actor, "create", "health_score_config", version, before or None,
                     {i.name: {"weight": i.weight, "full_at": i.full_at, "zero_at": i.zero_at} for i in indicators})
    return HealthConfig(version, indicators)


def config_versions(engine: Engine, limit: int = 10) -> list[tuple[int, str, dt.datetime, dict[str, float]]]:
    """The newest ``limit`` versions: (version, created_by, created_at, ``{indicator: weight}``)."""
    with session_scope(engine) as s:
        rows = s.scalars(select(HealthScoreConfig).order_by(HealthScoreConfig.version.desc(),
                                                            HealthScoreConfig.id)).all()
    out: dict[int, tuple[int, str, dt.datetime, dict[str, float]]] = {}
    for r in rows:
        if r.version not in out:
            if len(out) == limit:
                break
            out[r.version] = (r.version, r.created_by, r.created_at, {})
        out[r.version][3][r.indicator] = r.weight
    return list(out.values())
