"""Renewals as people track them (issue 15): managers and admins create and edit them on /renewals;
every write is one transaction with its audit event (``audit_event``, entity ``renewal``), and an edit
of a renewal someone else saved since it was loaded is refused (``StaleEdit``) and loses nothing.

``check_renewal`` turns what a form sent (strings, ``None``) into a valid ``RenewalInput`` or a message
per field — a customer that exists in ``customer_profile`` included; nothing reaches the database
before it passes. Tables: ``data_access.db.Renewal``, ``data_access.db.CustomerProfile``.
"""
from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, select

from data_access.db import (AuditChange, CustomerProfile, Renewal, StaleEdit, audit_changes, contains, expect_version,
                            insert_audited, session_scope, update_audited)

MAX_USD = decimal.Decimal("1000000000")  # USD 1bn: larger is a typo
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
STATUS_LABEL = {"open": "Open", "in_negotiation": "In negotiation", "committed": "Committed",
                "renewed": "Renewed", "churned": "Churned"}
RISK_LABEL = {"low": "Low", "medium": "Medium", "high": "High"}
UNRESOLVED = ("open", "in_negotiation", "committed")  # not yet renewed or churned
UNCOMMITTED = ("open", "in_negotiation")
FIELD_LABEL = {"customer_id": "Customer", "hubspot_deal_id": "HubSpot deal", "status": "Status",
               "renewal_date": "Renewal date", "current_value_usd": "Current value",
               "proposed_value_usd": "Proposed value", "risk_level": "Risk", "owner": "Owner", "notes": "Notes"}

__all__ = ["RenewalError", "RenewalInput", "RenewalRow", "StaleEdit", "check_renewal", "create_renewal",
           "update_renewal", "get_renewal", "list_renewals", "renewal_changes", "customer_options",
           "customer_names"]


class RenewalError(ValueError):
    """A renewal write refused before touching the database; ``errors`` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{FIELD_LABEL.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


class RenewalInput(BaseModel):
    """A renewal as a manager entered it, validated. ``current_value_usd``: the annual contract value
    up for renewal; ``proposed_value_usd``: what is offered (both USD, 0 ≤ x ≤ 1bn, whole cents);
    ``renewal_date``: the day the contract renews or ends (2000–2100)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: str = Field(min_length=1, max_length=64)
    hubspot_deal_id: str | None = Field(default=None, max_length=64, pattern=r"^[0-9]+$")
    status: Literal["open", "in_negotiation", "committed", "renewed", "churned"] = "open"
    renewal_date: dt.date
    current_value_usd: decimal.Decimal = Field(ge=0, le=MAX_USD, allow_inf_nan=False)
    proposed_value_usd: decimal.Decimal | None = Field(default=None, ge=0, le=MAX_USD, allow_inf_nan=False)
    risk_level: Literal["low", "medium", "high"] = "low"
    owner: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=4000)

    @field_validator("renewal_date")
    @classmethod
    def _plausible_day(cls, value: dt.date) -> dt.date:
        if not EARLIEST <= value <= LATEST:
            raise ValueError(f"give a day between {EARLIEST.year} and {LATEST.year}")
        return value

    @field_validator("current_value_usd", "proposed_value_usd")
    @classmethod
    def _cents(cls, value: decimal.Decimal | None) -> decimal.Decimal | None:
        if value is None:
            return None
        if value != value.quantize(decimal.Decimal("0.01")):
            raise ValueError("give whole cents (at most 2 decimals)")
        return value.quantize(decimal.Decimal("0.01"))

    @field_validator("owner", "notes")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise ValueError("remove the control characters")
        return value


MISSING = {"customer_id": "choose a customer", "renewal_date": "enter the renewal date",
           "current_value_usd": "enter an amount"}
_NUMBER_ERRORS = {"decimal_parsing", "decimal_type", "float_parsing", "decimal_max_places", "decimal_max_digits",
                  "finite_number"}
_DATE_ERRORS = {"date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"}


def _messages(error: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else "form"
        msg = str(item["msg"]).removeprefix("Value error, ")
        kind = item["type"]
        if kind == "literal_error":
            msg = "choose one of the options"
        elif kind in _NUMBER_ERRORS:
            msg = "enter an amount in USD, like 12000 or 12000.50"
        elif kind in _DATE_ERRORS:
            msg = "enter a day as YYYY-MM-DD"
        elif kind == "string_pattern_mismatch":
            msg = "a HubSpot deal id is digits only"
        elif kind == "greater_than_equal":
            msg = "must be 0 or more"
        elif kind == "less_than_equal":
            msg = "must be at most USD 1,000,000,000"
        elif kind == "extra_forbidden":
            msg = "not a field of a renewal"
        elif kind == "missing":
            msg = MISSING.get(key, "required")
        out.setdefault(key, msg[0].upper() + msg[1:] if msg else "Invalid")
    return out


def check_renewal(raw: dict[str, Any], engine: Engine) -> RenewalInput:
    """``raw`` (a form's values; blanks may be ``None`` or ``""``) as a ``RenewalInput`` whose customer
    exists in ``customer_profile``. Amounts are read like every USD field (``target_form.parse_amount``:
    ``12,000``, ``$1,234.50``).

    Raises:
        RenewalError: with a message per field that is wrong.
    """
    from data_access.target_form import parse_amount

    values: dict[str, Any] = {}
    amount_errors: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "" and key not in ("owner", "notes"):
                continue
        if value is None:
            continue
        if key in ("current_value_usd", "proposed_value_usd") and not isinstance(value, bool):
            amount, problem = parse_amount(value)
            if problem:
                amount_errors[key] = problem
                continue
            value = decimal.Decimal(repr(amount))
        values[key] = value
    try:
        renewal = RenewalInput.model_validate(values)
    except ValidationError as e:
        raise RenewalError({**_messages(e), **amount_errors}) from None
    if amount_errors:
        raise RenewalError(amount_errors)
    with session_scope(engine) as s:
        if s.get(CustomerProfile, renewal.customer_id) is None:
            raise RenewalError({"customer_id": "Not a customer Pulse knows (customers sync from the warehouse daily)"})
    return renewal


@dataclass(frozen=True)
class RenewalRow:
    """A stored renewal with its customer's name and segment (``version`` for optimistic locking);
    amounts are USD Decimals."""

    id: int
    version: int
    customer_id: str
    customer_name: str
    segment: str
    hubspot_deal_id: str | None
    status: str
    renewal_date: dt.date
    current_value_usd: decimal.Decimal
    proposed_value_usd: decimal.Decimal | None
    risk_level: str
    owner: str
    notes: str
    created_by: str
    updated_at: dt.datetime

    def form_values(self) -> dict[str, Any]:
        """The values a form shows for this renewal (strings for text inputs)."""
        return {"customer_id": self.customer_id, "hubspot_deal_id": self.hubspot_deal_id or "",
                "status": self.status, "renewal_date": self.renewal_date.isoformat(),
                "current_value_usd": f"{self.current_value_usd:.2f}",
                "proposed_value_usd": "" if self.proposed_value_usd is None else f"{self.proposed_value_usd:.2f}",
                "risk_level": self.risk_level, "owner": self.owner, "notes": self.notes}


_COLUMNS = (Renewal, CustomerProfile.name, CustomerProfile.segment)


def _row(r: Renewal, name: str, segment: str) -> RenewalRow:
    return RenewalRow(r.id, r.version, r.customer_id, name, segment, r.hubspot_deal_id, r.status, r.renewal_date,
                      r.current_value_usd, r.proposed_value_usd, r.risk_level, r.owner, r.notes, r.created_by,
                      r.updated_at)


def list_renewals(engine: Engine, start: dt.date | None = None, end: dt.date | None = None,
                  statuses: tuple[str, ...] | None = None, customer_id: str | None = None) -> list[RenewalRow]:
    """Renewals dated in ``[start, end]`` (either open-ended) with one of ``statuses`` (of one customer
    with ``customer_id``), by renewal date then id. Source: ``renewal`` joined to ``customer_profile``."""
    query = select(*_COLUMNS).join(CustomerProfile, CustomerProfile.customer_id == Renewal.customer_id)
    if customer_id is not None:
        query = query.where(Renewal.customer_id == customer_id)
    if start is not None:
        query = query.where(Renewal.renewal_date >= start)
    if end is not None:
        query = query.where(Renewal.renewal_date <= end)
    if statuses is not None:
        query = query.where(Renewal.status.in_(statuses))
    with session_scope(engine) as s:
        return [_row(r, n, seg) for r, n, seg in s.execute(query.order_by(Renewal.renewal_date, Renewal.id))]


def get_renewal(engine: Engine, renewal_id: int) -> RenewalRow | None:
    query = (select(*_COLUMNS).join(CustomerProfile, CustomerProfile.customer_id == Renewal.customer_id)
             .where(Renewal.id == renewal_id))
    with session_scope(engine) as s:
        found = s.execute(query).first()
        return _row(*found) if found else None


def create_renewal(engine: Engine, renewal: RenewalInput, actor: str) -> RenewalRow:
    """Insert ``renewal`` and its audit event (one transaction)."""
    with session_scope(engine) as s:
        row = insert_audited(s, Renewal(**renewal.model_dump(), created_by=actor), actor)
        customer = s.get(CustomerProfile, row.customer_id)
        return _row(row, customer.name, customer.segment)


def update_renewal(engine: Engine, renewal_id: int, version: int, renewal: RenewalInput, actor: str) -> RenewalRow:
    """Save ``renewal`` over renewal ``renewal_id`` as loaded at ``version``, audited (nothing when unchanged).

    Raises:
        StaleEdit: someone saved the renewal since ``version`` (nothing written).
        RenewalError: the renewal no longer exists.
    """
    with session_scope(engine) as s:
        row = s.get(Renewal, renewal_id)
        if row is None:
            raise RenewalError({"form": "This renewal no longer exists; reload"})
        expect_version(row, version)
        update_audited(s, row, renewal.model_dump(), actor)
        customer = s.get(CustomerProfile, row.customer_id)
        return _row(row, customer.name, customer.segment)


def renewal_changes(engine: Engine, limit: int = 20, renewal_ids: list[int] | None = None) -> list[AuditChange]:
    """The newest ``limit`` audited writes of renewals (of ``renewal_ids`` only, when given), newest
    first (``AuditChange.changed(FIELD_LABEL)``: the form fields a write changed)."""
    return audit_changes(engine, "renewal", limit, renewal_ids)


def customer_options(engine: Engine, search: str | None = None, limit: int = 50,
                     include: str | None = None) -> list[dict[str, str]]:
    """Customers for a picker: ``[{"label": name, "value": customer_id}]`` whose name contains
    ``search`` (case-insensitive; bound parameter), by name, at most ``limit``; ``include`` (an id)
    is always among them when it exists (the value a form already holds)."""
    query = select(CustomerProfile.customer_id, CustomerProfile.name).order_by(CustomerProfile.name,
                                                                               CustomerProfile.customer_id)
    if search:
        query = query.where(contains(CustomerProfile.name, search))
    with session_scope(engine) as s:
        rows = list(s.execute(query.limit(limit)))
        if include and include not in {r[0] for r in rows}:
            extra = s.execute(select(CustomerProfile.customer_id, CustomerProfile.name)
                              .where(CustomerProfile.customer_id == include)).first()
            rows = ([extra] if extra else []) + rows
    return [{"label": name, "value": cid} for cid, name in rows]


def customer_names(engine: Engine, customer_ids: set[str]) -> dict[str, str]:
    """``{customer_id: name}`` of those of ``customer_ids`` in ``customer_profile``."""
    if not customer_ids:
        return {}
    query = select(CustomerProfile.customer_id, CustomerProfile.name).where(
        CustomerProfile.customer_id.in_(sorted(customer_ids)))
    with session_scope(engine) as s:
        return dict(s.execute(query).all())
