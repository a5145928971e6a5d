"""A customer's own fields in Pulse (issue 15): tier, owner, contract start and end, notes — the part of
``customer_profile`` people write (the customer sync writes the rest: name, segment, ARR, last invoice).
Managers and admins edit them on the customer's page; every write is one transaction with its audit
event (entity ``customer_profile``), and an edit of a profile someone else saved since it was loaded is
refused (``StaleEdit``) and loses nothing. ``check_profile`` turns a form's values into a valid
``ProfileInput`` or a message per field; nothing reaches the database before it passes.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine

from data_access.db import CustomerProfile, StaleEdit, load_versioned, session_scope, update_audited

TIERS = ("Strategic", "Enterprise", "Mid-market", "SMB")  # offered in the form; any short text is allowed
FIELD_LABEL = {"tier": "Tier", "owner": "Owner", "contract_start": "Contract start", "contract_end": "Contract end",
               "notes": "Notes"}
FIELDS = tuple(FIELD_LABEL)
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

__all__ = ["ProfileError", "ProfileInput", "StaleEdit", "check_profile", "update_profile", "TIERS", "FIELDS"]


class ProfileError(ValueError):
    """A profile write refused before touching the database; ``errors`` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{FIELD_LABEL.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


class ProfileInput(BaseModel):
    """A customer's own fields as a manager entered them, validated: ``tier`` and ``owner`` short text
    (blank: none), the contract's days (2000–2100; the end not before the start), ``notes``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tier: str | None = Field(default=None, max_length=50)
    owner: str | None = Field(default=None, max_length=200)
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    notes: str = Field(default="", max_length=4000)

    @field_validator("tier", "owner")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is not None and any(ord(ch) < 32 for ch in value):
            raise ValueError("remove the control characters")
        return value or None

    @field_validator("notes")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise ValueError("remove the control characters")
        return value

    @field_validator("contract_start", "contract_end")
    @classmethod
    def _plausible_day(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValueError(f"give a day between {EARLIEST.year} and {LATEST.year}")
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> "ProfileInput":
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            raise ValueError("contract_end: the contract cannot end before it starts")
        return self


def check_profile(raw: dict[str, Any]) -> ProfileInput:
    """``raw`` (a form's values: strings or ``None``; days as ``YYYY-MM-DD``) as a valid ``ProfileInput``.

    Raises:
        ProfileError: with a message per field that is wrong.
    """
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
    values = {k: v for k, v in values.items() if not (v in (None, "") and k in ("contract_start", "contract_end"))}
    if values.get("notes") is None:
        values.pop("notes", None)
    try:
        return ProfileInput.model_validate(values)
    except ValidationError as e:
        errors: dict[str, str] = {}
        for item in e.errors():
            key = str(item["loc"][0]) if item["loc"] else "form"
            msg = str(item["msg"]).removeprefix("Value error, ")
            if key == "form" and ": " in msg:  # the model check names its field
                key, msg = msg.split(": ", 1)
            if item["type"].startswith("date"):
                msg = "enter a day as YYYY-MM-DD"
            elif item["type"] == "string_too_long":
                msg = f"at most {item['ctx']['max_length']} characters"
            elif item["type"] == "extra_forbidden":
                msg = "not a field of a customer's profile"
            elif item["type"] in ("string_type", "date_type"):
                msg = "enter text"
            errors.setdefault(key, msg[0].upper() + msg[1:] if msg else "Invalid")
        raise ProfileError(errors) from None


def update_profile(engine: Engine, customer_id: str, version: int, profile: ProfileInput, actor: str) -> int:
    """Save ``profile`` over customer ``customer_id``'s own fields as loaded at ``version``, audited
    (nothing when unchanged); returns the profile's version after the save.

    Raises:
        StaleEdit: someone saved the profile since ``version`` (nothing written).
        ProfileError: no such customer.
    """
    with session_scope(engine) as s:
        row = load_versioned(s, CustomerProfile, str(customer_id), version,
                             ProfileError({"form": "This customer no longer exists; reload"}))
        update_audited(s, row, profile.model_dump(), actor)
        s.flush()
        return row.version
