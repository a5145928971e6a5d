"""Playbooks (issue 15): rules that open an action for a customer's owner when something needs doing,
and the actions people mark done.

Rules are governed data (``playbook_rule``; admins edit them on Settings › Playbooks, every write audited
and version-checked like alert rules). Each trigger reads Pulse's database only:

* ``health_below`` — the customer's latest health score is below ``threshold`` points (0–100);
* ``health_drop`` — it fell ``threshold`` points or more over ``health.DROP_DAYS`` days;
* ``renewal_due`` — a renewal not yet committed (open / in negotiation) is dated within ``threshold``
  days of today, or already past.

The worker's daily customers job runs every enabled rule after the health scores (``run_playbooks``):
a customer still in the warehouse for whom the trigger holds gets an action (``playbook_action``) with
the rule's text, due ``due_in_days`` from today, assigned to the customer's owner (for a renewal, the
renewal's owner when it has one) — unless the rule already has an open action for that customer, or
opened one less than ``repeat_after_days`` ago. Actions are audited (entity ``playbook_action``; actor
``pulse`` for the job). The assignee, managers and admins mark an action done or dismissed, or reopen
it (``set_action_status``), with the same optimistic locking as renewals.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine, func, insert, select

from components.formatting import day_text as _day  # pure wording, as data_access.status
from data_access.db import (AuditChange, AuditEvent, CustomerProfile, PlaybookAction, PlaybookRule, Renewal,
                            StaleEdit, audit_changes, delete_audited, expect_version, insert_audited, load_versioned,
                            session_scope, update_audited, utcnow)

log = logging.getLogger(__name__)

OUTCOME = "system/playbooks"  # the last run's outcome (on /status)
JOB_ACTOR = "pulse"
TRIGGER_UNIT = {"health_below": "points", "health_drop": "points", "renewal_due": "days"}
STATUS_LABEL = {"open": "Open", "done": "Done", "dismissed": "Dismissed"}
FIELD_LABEL = {"name": "Name", "trigger_kind": "When", "threshold": "Threshold", "action": "Action",
               "due_in_days": "Due in (days)", "repeat_after_days": "Not again for (days)", "enabled": "Enabled"}
FIELDS = tuple(FIELD_LABEL)
MAX_THRESHOLD = {"health_below": 100, "health_drop": 100, "renewal_due": 365}
CHUNK = 2_000

__all__ = ["RuleError", "RuleInput", "RuleRow", "ActionRow", "ActionError", "StaleEdit", "check_rule", "list_rules",
           "get_rule", "create_rule", "update_rule", "delete_rule", "rule_changes", "run_playbooks",
           "refresh_playbooks", "customer_actions", "open_actions", "set_action_status", "can_change", "rule_text"]


# ---------------------------------------------------------------------------------------------
# Rules: validation and writes (admins)


class RuleError(ValueError):
    """A rule write refused before touching the database; ``errors`` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{FIELD_LABEL.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


class RuleInput(BaseModel):
    """A rule as an admin entered it, validated. ``threshold``: points of health score (1–100) for the
    health triggers, days (whole, 1–365) for ``renewal_due``; ``due_in_days`` 1–90;
    ``repeat_after_days`` 1–365."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    trigger_kind: Literal["health_below", "health_drop", "renewal_due"]
    threshold: float = Field(gt=0, allow_inf_nan=False)
    action: str = Field(min_length=1, max_length=300)
    due_in_days: int = Field(ge=1, le=90)
    repeat_after_days: int = Field(default=30, ge=1, le=365)
    enabled: bool = True

    @field_validator("name", "action")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("remove the control characters")
        return value

    @model_validator(mode="after")
    def _threshold_in_range(self) -> "RuleInput":
        top = MAX_THRESHOLD[self.trigger_kind]
        if self.threshold > top:
            raise ValueError(f"threshold: at most {top} {TRIGGER_UNIT[self.trigger_kind]}")
        if self.trigger_kind == "renewal_due" and self.threshold != int(self.threshold):
            raise ValueError("threshold: whole days")
        return self


_MESSAGES = {"int_parsing": "enter a whole number", "int_from_float": "enter a whole number",
             "float_parsing": "enter a number", "literal_error": "choose one of the options",
             "greater_than": "must be more than 0", "extra_forbidden": "not a field of a rule",
             "bool_parsing": "on or off", "bool_type": "on or off"}


def check_rule(raw: dict[str, Any]) -> RuleInput:
    """``raw`` (a form's values: strings, numbers, ``None`` for blanks) as a valid ``RuleInput``.

    Raises:
        RuleError: with a message per field that is wrong.
    """
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
    values = {k: v for k, v in values.items() if v is not None and v != ""}
    try:
        return RuleInput.model_validate(values)
    except ValidationError as e:
        errors: dict[str, str] = {}
        for item in e.errors():
            msg = str(item["msg"]).removeprefix("Value error, ")
            key = str(item["loc"][0]) if item["loc"] else "form"
            if key == "form" and ": " in msg:  # the model check names its field
                key, msg = msg.split(": ", 1)
            msg = _MESSAGES.get(item["type"], msg)
            if item["type"] == "missing":
                msg = "required"
            elif item["type"] in ("greater_than_equal", "less_than_equal", "string_too_long"):
                msg = msg.replace("Input should be", "must be").replace("String should have", "at most")
            errors.setdefault(key, msg[0].upper() + msg[1:] if msg else "Invalid")
        raise RuleError(errors) from None


@dataclass(frozen=True)
class RuleRow:
    """A stored rule (``version`` for optimistic locking)."""

    id: int
    version: int
    name: str
    trigger_kind: str
    threshold: float
    action: str
    due_in_days: int
    repeat_after_days: int
    enabled: bool


def _rule_row(r: PlaybookRule) -> RuleRow:
    return RuleRow(r.id, r.version, r.name, r.trigger_kind, r.threshold, r.action, r.due_in_days,
                   r.repeat_after_days, r.enabled)


def rule_text(rule: RuleRow | RuleInput) -> str:
    """The rule's condition in words: ``Health score below 50``, ``Health score fell 15+ points in 30
    days``, ``Uncommitted renewal due within 60 days``."""
    from data_access.health import DROP_DAYS

    return {"health_below": f"Health score below {rule.threshold:g}",
            "health_drop": f"Health score fell {rule.threshold:g}+ points in {DROP_DAYS} days",
            "renewal_due": f"Uncommitted renewal due within {rule.threshold:g} days"}[rule.trigger_kind]


def list_rules(engine: Engine) -> list[RuleRow]:
    """Every rule, by name then id. Source: ``playbook_rule``."""
    with session_scope(engine) as s:
        return [_rule_row(r) for r in s.scalars(select(PlaybookRule).order_by(PlaybookRule.name, PlaybookRule.id))]


def get_rule(engine: Engine, rule_id: int) -> RuleRow | None:
    with session_scope(engine) as s:
        row = s.get(PlaybookRule, rule_id)
        return _rule_row(row) if row else None


def create_rule(engine: Engine, rule: RuleInput, actor: str) -> RuleRow:
    """Insert ``rule`` and its audit event (one transaction)."""
    with session_scope(engine) as s:
        return _rule_row(insert_audited(s, PlaybookRule(**rule.model_dump(), created_by=actor), actor))


def _load_rule(session, rule_id: int, version: int) -> PlaybookRule:
    return load_versioned(session, PlaybookRule, rule_id, version,
                          RuleError({"form": "This rule was deleted by someone else; reload"}))


def update_rule(engine: Engine, rule_id: int, version: int, rule: RuleInput, actor: str) -> RuleRow:
    """Save ``rule`` over rule ``rule_id`` as loaded at ``version``, audited (nothing when unchanged).
    Actions it already opened keep their text.

    Raises:
        StaleEdit: someone saved the rule since ``version`` (nothing written).
        RuleError: the rule no longer exists.
    """
    with session_scope(engine) as s:
        row = _load_rule(s, rule_id, version)
        update_audited(s, row, rule.model_dump(), actor)
        return _rule_row(row)


def delete_rule(engine: Engine, rule_id: int, version: int, actor: str) -> None:
    """Delete rule ``rule_id``, audited; the actions it opened stay (with its name).

    Raises:
        StaleEdit: someone saved the rule since ``version``.
        RuleError: the rule no longer exists.
    """
    with session_scope(engine) as s:
        delete_audited(s, _load_rule(s, rule_id, version), actor)


def rule_changes(engine: Engine, limit: int = 10) -> list[AuditChange]:
    """The newest ``limit`` audited writes of rules, newest first."""
    return audit_changes(engine, "playbook_rule", limit)


# ---------------------------------------------------------------------------------------------
# The daily run: rules → actions


@dataclass(frozen=True)
class RunResult:
    opened: int  # actions opened by this run
    rules: int  # enabled rules run


def _matches(session, rule: PlaybookRule, today: dt.date) -> list[tuple[str, str, str]]:
    """``(customer_id, assignee, trigger in words)`` of every customer (still in the warehouse) for
    whom ``rule``'s trigger holds today."""
    from data_access import health
    from data_access.renewals import UNCOMMITTED

    cp = CustomerProfile
    if rule.trigger_kind in ("health_below", "health_drop"):
        day, now, then = health.scored_days(session)
        if day is None:
            return []
        change = now.c.score - then.c.score
        joined = cp.__table__.join(now, now.c.customer_id == cp.customer_id).outerjoin(
            then, then.c.customer_id == cp.customer_id)
        condition = (now.c.score < rule.threshold if rule.trigger_kind == "health_below"
                     else change <= -rule.threshold)
        rows = session.execute(select(cp.customer_id, cp.owner, now.c.score, change).select_from(joined)
                               .where(cp.in_warehouse.is_(True), condition)).all()
        if rule.trigger_kind == "health_below":
            return [(cid, owner or "", f"Health score {score} on {_day(day)} is below {rule.threshold:g}")
                    for cid, owner, score, _ in rows]
        return [(cid, owner or "", f"Health score fell {-ch} points in {health.DROP_DAYS} days, to {score} "
                                   f"on {_day(day)}") for cid, owner, score, ch in rows]
    horizon = today + dt.timedelta(days=int(rule.threshold))
    rows = session.execute(
        select(Renewal.customer_id, Renewal.owner, cp.owner, Renewal.renewal_date, Renewal.status)
        .join(cp, cp.customer_id == Renewal.customer_id)
        .where(cp.in_warehouse.is_(True), Renewal.status.in_(UNCOMMITTED), Renewal.renewal_date <= horizon)
        .order_by(Renewal.customer_id, Renewal.renewal_date, Renewal.id)).all()
    out: dict[str, tuple[str, str, str]] = {}
    for cid, renewal_owner, owner, day, status in rows:  # the earliest renewal of each customer
        if cid in out:
            continue
        days = (day - today).days
        when = f"in {days} days" if days > 0 else "today" if days == 0 else f"{-days} days ago"
        word = "open" if status == "open" else "in negotiation"
        out[cid] = (cid, renewal_owner or owner or "", f"Renewal on {_day(day)} ({when}) is {word}, not committed")
    return list(out.values())


def run_playbooks(engine: Engine, today: dt.date, now: dt.datetime | None = None) -> RunResult:
    """Run every enabled rule for ``today`` (one transaction): open an action for each customer whose
    trigger holds and who has neither an open action of the rule nor one opened in the rule's last
    ``repeat_after_days``. Running twice on a day opens nothing new.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database's errors (nothing written).
    """
    now = now or utcnow()
    opened = 0
    with session_scope(engine) as s:
        rules = list(s.scalars(select(PlaybookRule).where(PlaybookRule.enabled.is_(True)).order_by(PlaybookRule.id)))
        for rule in rules:
            matches = _matches(s, rule, today)
            if not matches:
                continue
            quiet_since = today - dt.timedelta(days=rule.repeat_after_days)
            pa = PlaybookAction
            blocked = set(s.scalars(select(pa.customer_id).where(
                pa.rule_id == rule.id, (pa.status == "open") | (pa.opened_on > quiet_since))))
            rows = [{"customer_id": cid, "rule_id": rule.id, "rule_name": rule.name, "trigger": trigger[:300],
                     "action": rule.action, "status": "open", "opened_on": today,
                     "due_date": today + dt.timedelta(days=rule.due_in_days), "assignee": assignee[:200],
                     "version": 1, "created_at": now, "updated_at": now}
                    for cid, assignee, trigger in matches if cid not in blocked]
            for i in range(0, len(rows), CHUNK):
                chunk = rows[i:i + CHUNK]
                new_ids = list(s.scalars(insert(pa).returning(pa.id, sort_by_parameter_order=True), chunk))
                s.execute(insert(AuditEvent), [
                    {"at": now, "actor": JOB_ACTOR, "action": "create", "entity_type": "playbook_action",
                     "entity_id": str(new_id), "before": None,
                     "after": {**{k: v for k, v in r.items() if k not in ("created_at", "updated_at")},
                               "id": new_id, "opened_on": today.isoformat(), "due_date": r["due_date"].isoformat()}}
                    for new_id, r in zip(new_ids, chunk)])
            opened += len(rows)
    return RunResult(opened, len(rules))


def refresh_playbooks(rt) -> RunResult | None:
    """The worker's daily step after the health scores: ``run_playbooks`` for today, its outcome
    ``OUTCOME`` recorded (on /status). A database error is logged and recorded (nothing opened);
    returns ``None`` then."""
    from sqlalchemy.exc import SQLAlchemyError

    attempted = utcnow()
    try:
        result = run_playbooks(rt.db(), rt.today(), attempted)
    except (SQLAlchemyError, ValueError, OSError) as e:
        log.warning("playbooks not run: %s", type(e).__name__)
        rt.put_side_outcome(OUTCOME, attempted, error=e, message=str(getattr(e, "orig", None) or e)[:300])
        return None
    rt.put_side_outcome(OUTCOME, attempted, opened=result.opened, rules=result.rules)
    return result


# ---------------------------------------------------------------------------------------------
# Actions: reading and marking done


class ActionError(ValueError):
    """An action change refused (not allowed, or the action is gone); ``str()`` is the message."""


@dataclass(frozen=True)
class ActionRow:
    """A playbook action with its customer's name (``version`` for optimistic locking)."""

    id: int
    version: int
    customer_id: str
    customer_name: str
    rule_name: str
    trigger: str
    action: str
    status: str
    opened_on: dt.date
    due_date: dt.date
    assignee: str
    completed_at: dt.datetime | None
    completed_by: str | None

    def overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.due_date < today


def _action_row(a: PlaybookAction, name: str) -> ActionRow:
    return ActionRow(a.id, a.version, a.customer_id, name, a.rule_name, a.trigger, a.action, a.status, a.opened_on,
                     a.due_date, a.assignee, a.completed_at, a.completed_by)


def customer_actions(engine: Engine, customer_id: str, limit: int = 50) -> list[ActionRow]:
    """One customer's actions: open ones by due date, then the closed ones, newest first (at most
    ``limit``). Source: ``playbook_action``."""
    pa = PlaybookAction
    query = (select(pa, CustomerProfile.name).join(CustomerProfile, CustomerProfile.customer_id == pa.customer_id)
             .where(pa.customer_id == customer_id)
             .order_by(pa.status != "open", pa.due_date, pa.id.desc()).limit(limit))
    with session_scope(engine) as s:
        rows = [_action_row(a, n) for a, n in s.execute(query)]
    open_rows = [r for r in rows if r.status == "open"]
    closed = sorted((r for r in rows if r.status != "open"), key=lambda r: (r.completed_at or utcnow(), r.id),
                    reverse=True)
    return open_rows + closed


def open_actions(engine: Engine, today: dt.date, limit: int = 8,
                 assignee: str | None = None) -> tuple[list[ActionRow], int, int]:
    """Open actions by due date (overdue first), at most ``limit``, of ``assignee`` only when given
    (case-insensitive); with how many are open and how many overdue in all."""
    pa = PlaybookAction
    where = [pa.status == "open"]
    if assignee is not None:
        where.append(func.lower(pa.assignee) == assignee.strip().lower())
    with session_scope(engine) as s:
        total = s.scalar(select(func.count()).select_from(pa).where(*where)) or 0
        overdue = s.scalar(select(func.count()).select_from(pa).where(*where, pa.due_date < today)) or 0
        rows = s.execute(select(pa, CustomerProfile.name).join(CustomerProfile,
                                                               CustomerProfile.customer_id == pa.customer_id)
                         .where(*where).order_by(pa.due_date, pa.id).limit(limit)).all()
        return [_action_row(a, n) for a, n in rows], int(total), int(overdue)


def can_change(action: ActionRow, email: str | None, is_manager: bool) -> bool:
    """Managers and admins change any action; anyone else only one assigned to their email."""
    return is_manager or bool(email and action.assignee and action.assignee.strip().lower() == email.strip().lower())


def set_action_status(engine: Engine, action_id: int, version: int, status: Literal["open", "done", "dismissed"],
                      actor: str, is_manager: bool, now: dt.datetime | None = None) -> ActionRow:
    """Mark action ``action_id`` (as loaded at ``version``) ``done`` or ``dismissed``, or reopen it
    (``open``), audited; ``actor`` (an email) must be its assignee unless ``is_manager``.

    Raises:
        ActionError: not allowed, an unknown status, or the action no longer exists (nothing written).
        StaleEdit: someone changed the action since ``version`` (nothing written).
    """
    if status not in STATUS_LABEL:
        raise ActionError(f"Not a status of an action: {status!r}")
    with session_scope(engine) as s:
        row = s.get(PlaybookAction, action_id)
        if row is None:
            raise ActionError("This action no longer exists; reload")
        name = s.get(CustomerProfile, row.customer_id).name
        if not can_change(_action_row(row, name), actor, is_manager):
            raise ActionError("Only the action's assignee, managers and admins can change it")
        expect_version(row, version)
        closing = status != "open"
        update_audited(s, row, {"status": status, "completed_at": (now or utcnow()) if closing else None,
                                "completed_by": actor if closing else None}, actor)
        return _action_row(row, name)


def action_changes(engine: Engine, action_ids: list[int], limit: int = 20) -> list[AuditChange]:
    """The newest ``limit`` audited writes of the actions ``action_ids``, newest first."""
    return audit_changes(engine, "playbook_action", limit, action_ids)
