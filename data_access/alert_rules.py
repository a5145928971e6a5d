"""Alert rules as governed data (issue 14.6): admins create, edit and delete them on Settings;
every write is one transaction with its audit event (``audit_event``, entity ``alert_rule``), and an
edit of a rule someone else saved since it was loaded is refused (``StaleEdit``) and loses nothing.

``check_rule`` turns what a form sent (strings, ``None``) into a valid ``RuleInput`` or a message per
field; nothing reaches the database before it passes. Tables: ``data_access.db.AlertRule``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine, select

from data_access import alerts
from data_access.catalog import Catalog
from data_access.db import (AlertRule, AuditChange, audit_changes, delete_audited, insert_audited, load_versioned,
                            session_scope, update_audited)

MAX_RECIPIENTS = 20
MAX_THRESHOLD = 1000.0
MAX_HYSTERESIS = 20
FIELD_LABEL = {"metric_id": "Metric", "condition_kind": "Condition", "threshold": "Threshold",
               "hysteresis_refreshes": "Refreshes in a row", "period": "Compared with", "channel": "Channel",
               "recipients": "Recipients", "enabled": "Enabled"}


class RuleError(ValueError):
    """A rule write refused before touching the database; ``errors`` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{FIELD_LABEL.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


class RuleInput(BaseModel):
    """A rule as an admin entered it, validated. ``threshold``: percent (USD, counts, days, multiples:
    relative change) or percentage points (ratios) — what the card's delta shows; ``recipients``: email
    addresses, normalised and comma-separated (email channel only; empty → ``PULSE_ALERT_EMAIL_TO``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    metric_id: str = Field(min_length=1, max_length=100)
    condition_kind: Literal["status_change", "change_pct"]
    threshold: float | None = Field(default=None, gt=0, le=MAX_THRESHOLD, allow_inf_nan=False)
    hysteresis_refreshes: int = Field(default=2, ge=1, le=MAX_HYSTERESIS)
    period: Literal["day", "week", "month", "quarter", "year"] = "month"
    channel: Literal["email", "slack"]
    recipients: str = Field(default="", max_length=4000)
    enabled: bool = True

    @field_validator("recipients")
    @classmethod
    def _emails(cls, value: str) -> str:
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
        if len(parts) > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} addresses")
        normalised = []
        for part in parts:
            try:
                normalised.append(validate_email(part, check_deliverability=False).normalized)
            except EmailNotValidError as e:
                raise ValueError(f"{part[:80]!r} is not an email address ({e})") from None
        return ", ".join(dict.fromkeys(normalised))

    @model_validator(mode="after")
    def _consistent(self) -> "RuleInput":
        if self.condition_kind == "change_pct" and self.threshold is None:
            raise ValueError("threshold: a change rule needs a threshold above 0")
        if self.condition_kind == "status_change":
            self.threshold = None  # not used: keep the row clean
        if self.channel == "slack" and self.recipients:
            raise ValueError("recipients: Slack alerts go to the webhook's channel; leave recipients empty")
        return self


def _messages(error: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in error.errors():
        loc = item["loc"][0] if item["loc"] else None
        msg = str(item["msg"]).removeprefix("Value error, ")
        if loc is None and ": " in msg:  # the model validator names its field first
            loc, msg = msg.split(": ", 1)
        key = str(loc or "form")
        if item["type"] == "literal_error":
            msg = "choose one of the options"
        elif item["type"] in ("float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"):
            msg = "enter a whole number" if key == "hysteresis_refreshes" else "enter a number"
        elif item["type"] == "extra_forbidden":
            msg = "not a field of a rule"
        out.setdefault(key, msg[0].upper() + msg[1:] if msg else "invalid")
    return out


def check_rule(raw: dict[str, Any], catalog: Catalog) -> RuleInput:
    """``raw`` (a form's values; blanks may be ``None`` or ``""``) as a ``RuleInput``.

    Raises:
        RuleError: with a message per field that is wrong (an unknown metric included).
    """
    values = {k: (None if isinstance(v, str) and not v.strip() and k != "recipients" else v) for k, v in raw.items()}
    values = {k: v for k, v in values.items() if v is not None or k == "threshold"}
    if values.get("recipients") is None:
        values.pop("recipients", None)
    try:
        rule = RuleInput.model_validate(values)
    except ValidationError as e:
        raise RuleError(_messages(e)) from None
    if rule.metric_id not in catalog.metrics:
        raise RuleError({"metric_id": "Not a metric of this catalog"})
    return rule


@dataclass(frozen=True)
class RuleRow:
    """A stored rule as the editor and the evaluator see it (``version`` for optimistic locking)."""

    id: int
    version: int
    metric_id: str
    condition_kind: str
    threshold: float | None
    hysteresis_refreshes: int
    period: str
    channel: str
    recipients: str
    enabled: bool
    created_by: str

    def as_rule(self) -> alerts.Rule:
        return alerts.Rule(self.id, self.metric_id, self.condition_kind, self.channel,  # type: ignore[arg-type]
                           threshold_pct=self.threshold, hysteresis=self.hysteresis_refreshes, period=self.period,
                           recipients=self.recipients, enabled=self.enabled)


def _row(r: AlertRule) -> RuleRow:
    return RuleRow(r.id, r.version, r.metric_id, r.condition_kind, r.threshold, r.hysteresis_refreshes, r.period,
                   r.channel, r.recipients, r.enabled, r.created_by)


def list_rules(engine: Engine, metric_ids: set[str] | None = None, enabled_only: bool = False) -> list[RuleRow]:
    """Stored rules ordered by id (``metric_ids``: only those metrics)."""
    query = select(AlertRule).order_by(AlertRule.id)
    if metric_ids is not None:
        query = query.where(AlertRule.metric_id.in_(sorted(metric_ids)))
    if enabled_only:
        query = query.where(AlertRule.enabled.is_(True))
    with session_scope(engine) as s:
        return [_row(r) for r in s.scalars(query)]


def get_rule(engine: Engine, rule_id: int) -> RuleRow | None:
    with session_scope(engine) as s:
        row = s.get(AlertRule, rule_id)
        return _row(row) if row else None


def create_rule(engine: Engine, rule: RuleInput, actor: str) -> RuleRow:
    """Insert ``rule`` and its audit event (one transaction)."""
    with session_scope(engine) as s:
        return _row(insert_audited(s, AlertRule(**rule.model_dump(), created_by=actor), actor))


def _load(s, rule_id: int, version: int) -> AlertRule:
    return load_versioned(s, AlertRule, rule_id, version, RuleError({"form": "This rule was deleted by someone else; reload"}))


def update_rule(engine: Engine, rule_id: int, version: int, rule: RuleInput, actor: str) -> RuleRow:
    """Save ``rule`` over rule ``rule_id`` as loaded at ``version``, audited (nothing when unchanged).

    Raises:
        StaleEdit: someone saved the rule since ``version`` (nothing written).
        RuleError: the rule no longer exists.
    """
    with session_scope(engine) as s:
        row = _load(s, rule_id, version)
        update_audited(s, row, rule.model_dump(), actor)
        return _row(row)


def delete_rule(engine: Engine, rule_id: int, version: int, actor: str) -> None:
    """Delete rule ``rule_id`` (its state goes with it; its sent alerts stay in the history), audited.

    Raises:
        StaleEdit: someone saved the rule since ``version``.
        RuleError: the rule no longer exists.
    """
    with session_scope(engine) as s:
        delete_audited(s, _load(s, rule_id, version), actor)


def rule_changes(engine: Engine, limit: int = 20) -> list[AuditChange]:
    """The newest ``limit`` audited writes of alert rules, newest first."""
    return audit_changes(engine, "alert_rule", limit)
