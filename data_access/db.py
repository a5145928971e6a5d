"""Pulse's own database: engine and sessions, the ORM tables, the audit trail and migrations.

The warehouse (BigQuery / DuckDB) is read-only to Pulse; what Pulse itself writes — the audit
trail, alert rules and what later work adds — lives here, in PostgreSQL in production and in
SQLite (``var/pulse.db``) by default. The URL is ``Settings.resolved_database_url()``
(``PULSE_DATABASE_URL``); it may carry a password, so only ``_safe_url`` ever reaches a message.

Migrations are Alembic's, configured here (no ``alembic.ini``); the scripts live in
``data_access/migrations/versions``. See docs/database.md.

    python -m data_access.db upgrade      # apply every pending migration, say which
    python -m data_access.db current      # the database's revision and the code's head
    python -m data_access.db revision -m "add renewal" [--autogenerate]

Every editable table takes ``VersionedMixin`` (optimistic locking): an UPDATE whose row another
session changed since it was loaded raises ``StaleEdit`` ("changed by someone else — reload").
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Engine, Float, ForeignKey, Index, Integer,
                        MetaData, Numeric, String, Text, UniqueConstraint, create_engine, event, inspect, select)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from data_access.config import get_settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "python -m data_access.db upgrade"
STALE_MESSAGE = "changed by someone else — reload"


class StaleEdit(Exception):
    """An edit lost to a concurrent one: the row changed since it was loaded. Reload and edit again."""

    def __init__(self, message: str = STALE_MESSAGE) -> None:
        super().__init__(message)


class NotMigrated(RuntimeError):
    """The database is not at the migrations' head (fresh, behind, or migrated by a newer Pulse)."""


# ---------------------------------------------------------------------------------------------
# Engine and sessions


def _safe_url(engine_or_url: Engine | str) -> str:
    """The URL with its password masked (``***``): the only form of it a message or log may carry."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on ``url`` (default: the configured database). Extra keyword arguments go to
    ``create_engine`` (e.g. ``connect_args``). On SQLite the file's folder is created and every
    connection enforces foreign keys."""
    url = url or get_settings().resolved_database_url()
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("pool_pre_ping", not is_sqlite)
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite, per connection
    cursor.close()


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process's engine on the configured database (created on first use, never at import)."""
    return engine_for(get_settings().resolved_database_url())


@lru_cache(maxsize=8)
def _sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back (and re-raises) when it raises.

    Raises:
        StaleEdit: a versioned row was changed by another session since this one loaded it
            (nothing of this transaction is written).
    """
    session = _sessionmaker(engine or get_engine())()
    try:
        yield session
        session.commit()
    except StaleDataError as e:
        session.rollback()
        raise StaleEdit() from e
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# ---------------------------------------------------------------------------------------------
# ORM


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time, stored in UTC and read back timezone-aware (UTC) on every backend
    (SQLite keeps no zone). Naive datetimes are refused: their zone would be a guess."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (give a timezone-aware one)")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


JSONValue = JSON().with_variant(JSONB(), "postgresql")

# Constraint names Alembic can find again (a later ALTER on SQLite's batch mode needs them)
NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime()}


class VersionedMixin:
    """Optimistic locking for an editable table: ``version`` starts at 1 and every UPDATE is
    ``... WHERE id = :id AND version = :loaded`` and bumps it; 0 rows matched means someone else
    saved first, and ``session_scope`` raises ``StaleEdit``. Across requests (a form loaded in
    one, saved in another) also send the version the user saw and call ``expect_version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def expect_version(row: VersionedMixin, version: int) -> None:
    """Raise ``StaleEdit`` unless ``row`` is still at ``version`` (the one the user loaded)."""
    if row.version != version:
        raise StaleEdit()


class AuditEvent(Base):
    """Who changed what, when: one row per change, with the entity's values before and after
    (``before`` is null for a creation, ``after`` for a deletion)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))  # the user's email
    action: Mapped[str] = mapped_column(String(50))  # create | update | delete | …
    entity_type: Mapped[str] = mapped_column(String(50))  # the table, e.g. alert_rule
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[Any | None] = mapped_column(JSONValue)
    after: Mapped[Any | None] = mapped_column(JSONValue)


class AlertRule(VersionedMixin, TimestampMixin, Base):
    """A threshold alert on one metric: on a status change, or when the value moves ``threshold``
    percent; it fires after ``hysteresis_refreshes`` refreshes in a row agree."""

    __tablename__ = "alert_rule"
    __table_args__ = (
        CheckConstraint("condition_kind in ('status_change', 'change_pct')", name="condition_kind"),
        CheckConstraint("channel in ('email', 'slack')", name="channel"),
        CheckConstraint("condition_kind <> 'change_pct' or threshold is not null", name="change_pct_threshold"),
        CheckConstraint("hysteresis_refreshes >= 1", name="hysteresis_refreshes"),
        CheckConstraint("period in ('day', 'week', 'month', 'quarter', 'year')", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[str] = mapped_column(String(100), index=True)
    condition_kind: Mapped[Literal["status_change", "change_pct"]] = mapped_column(String(20))
    threshold: Mapped[float | None] = mapped_column(Float)
    hysteresis_refreshes: Mapped[int] = mapped_column(default=2)
    channel: Mapped[Literal["email", "slack"]] = mapped_column(String(10))
    recipients: Mapped[str] = mapped_column(Text, default="")  # emails (email) or a channel (slack)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(320))
    period: Mapped[str] = mapped_column(String(10), default="month")  # what change_pct compares with


class AlertState(Base):
    """What a rule remembers between refreshes (``alerts.RuleState`` as JSON); written by the worker
    after each refresh of the rule's metric, deleted with the rule."""

    __tablename__ = "alert_state"

    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[Any] = mapped_column(JSONValue)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertDelivery(Base):
    """One alert to send and what became of it (an outbox): queued ``pending`` with the message in
    ``payload`` (``alerts.Alert`` as JSON) in the transaction that moved the rule's state, then
    ``sent``, or retried with backoff until ``failed``. Kept when its rule is deleted (history)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("channel in ('email', 'slack')", name="channel"),
        Index("ix_alert_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rule.id", ondelete="SET NULL"))
    metric_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    recipients: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSONValue)
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


RENEWAL_STATUSES = ("open", "in_negotiation", "committed", "renewed", "churned")
RISK_LEVELS = ("low", "medium", "high")
USD = Numeric(14, 2)  # exact cents on every backend (Decimal in Python)


class CustomerProfile(VersionedMixin, TimestampMixin, Base):
    """A customer as Pulse knows it. ``customer_id`` is the QuickBooks customer id (the warehouse's
    ``staging.customers``); ``name``, ``segment``, ``arr_usd`` and ``last_invoice_date`` are copied
    from the warehouse by the worker's daily customer sync (``data_access.customers.sync_customers``);
    ``tier``, ``owner``, the contract dates and ``notes`` are Pulse's own. A customer that leaves the
    warehouse keeps its row (renewals point at it) with ``in_warehouse`` false."""

    __tablename__ = "customer_profile"
    __table_args__ = (CheckConstraint("arr_usd >= 0", name="arr_usd"),)

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    segment: Mapped[str] = mapped_column(String(100), default="Unclassified", index=True)
    arr_usd: Mapped[decimal.Decimal] = mapped_column(USD, default=decimal.Decimal(0), index=True)
    last_invoice_date: Mapped[dt.date | None] = mapped_column(Date)
    tier: Mapped[str | None] = mapped_column(String(50))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    in_warehouse: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[dt.datetime | None] = mapped_column()


class Renewal(VersionedMixin, TimestampMixin, Base):
    """One renewal of one customer's contract, tracked by people (managers and admins write it):
    ``current_value_usd`` is the annual value up for renewal, ``proposed_value_usd`` what is offered
    (USD, ≥ 0). ``hubspot_deal_id`` optionally links the HubSpot deal that carries it."""

    __tablename__ = "renewal"
    __table_args__ = (
        CheckConstraint("status in ('open', 'in_negotiation', 'committed', 'renewed', 'churned')", name="status"),
        CheckConstraint("risk_level in ('low', 'medium', 'high')", name="risk_level"),
        CheckConstraint("current_value_usd >= 0", name="current_value_usd"),
        CheckConstraint("proposed_value_usd is null or proposed_value_usd >= 0", name="proposed_value_usd"),
        Index("ix_renewal_status_renewal_date", "status", "renewal_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer_profile.customer_id", ondelete="RESTRICT"),
                                             index=True)
    hubspot_deal_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    renewal_date: Mapped[dt.date] = mapped_column(Date, index=True)
    current_value_usd: Mapped[decimal.Decimal] = mapped_column(USD)
    proposed_value_usd: Mapped[decimal.Decimal | None] = mapped_column(USD)
    risk_level: Mapped[str] = mapped_column(String(10), default="low")
    owner: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(320))


class HealthScoreConfig(Base):
    """One indicator of one version of the customer health score's configuration (versions are only
    added, never changed: a score names the version it was computed with). ``weight`` 0–1 (the
    weights of a version sum to 1); the indicator scores 100 at ``full_at`` and 0 at ``zero_at``,
    linearly between (``data_access.health``)."""

    __tablename__ = "health_score_config"
    __table_args__ = (
        CheckConstraint("weight >= 0 and weight <= 1", name="weight"),
        CheckConstraint("full_at != zero_at", name="thresholds"),
        UniqueConstraint("version", "indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(40))
    weight: Mapped[float] = mapped_column(Float)
    full_at: Mapped[float] = mapped_column(Float)
    zero_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CustomerHealthScore(Base):
    """A customer's health score on one day (0–100), written by the worker's daily health job with
    each indicator's value and score (``indicators`` JSON) and the configuration version used."""

    __tablename__ = "customer_health_score"
    __table_args__ = (CheckConstraint("score >= 0 and score <= 100", name="score"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customer_profile.customer_id", ondelete="CASCADE"),
                                             primary_key=True)
    score_date: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    config_version: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[Any] = mapped_column(JSONValue)


PLAYBOOK_TRIGGERS = ("health_below", "health_drop", "renewal_due")
ACTION_STATUSES = ("open", "done", "dismissed")


class PlaybookRule(VersionedMixin, TimestampMixin, Base):
    """A playbook rule (governed data, admins edit it on Settings): when ``trigger_kind`` holds for a
    customer — its health score below ``threshold`` points (``health_below``), fallen ``threshold``
    points or more in 30 days (``health_drop``), or an uncommitted renewal due within ``threshold``
    days (``renewal_due``) — the daily job opens an action ``action`` for the customer's owner, due in
    ``due_in_days``; not again for that customer while one is open or for ``repeat_after_days``."""

    __tablename__ = "playbook_rule"
    __table_args__ = (
        CheckConstraint("trigger_kind in ('health_below', 'health_drop', 'renewal_due')", name="trigger_kind"),
        CheckConstraint("threshold > 0", name="threshold"),
        CheckConstraint("due_in_days >= 1", name="due_in_days"),
        CheckConstraint("repeat_after_days >= 1", name="repeat_after_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    trigger_kind: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(300))
    due_in_days: Mapped[int] = mapped_column(Integer)
    repeat_after_days: Mapped[int] = mapped_column(Integer, default=30)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320))


class PlaybookAction(VersionedMixin, TimestampMixin, Base):
    """An action a playbook rule opened for one customer (``trigger``: what held, in words), which its
    ``assignee`` (the customer's owner) or a manager marks ``done`` or ``dismissed``. ``rule_name`` is
    kept when the rule is deleted (``rule_id`` becomes null); one action per rule, customer and day."""

    __tablename__ = "playbook_action"
    __table_args__ = (
        CheckConstraint("status in ('open', 'done', 'dismissed')", name="status"),
        UniqueConstraint("rule_id", "customer_id", "opened_on"),
        Index("ix_playbook_action_status_due_date", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer_profile.customer_id", ondelete="CASCADE"),
                                             index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_rule.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_on: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    assignee: Mapped[str] = mapped_column(String(200), default="")
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    completed_by: Mapped[str | None] = mapped_column(String(320))


# ---------------------------------------------------------------------------------------------
# Audit


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=_json_default))


def row_snapshot(row: Base) -> dict[str, Any]:
    """``row``'s column values as JSON-ready data (timestamps as ISO strings), for ``record_audit``."""
    return _jsonable({attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs})


def _entity_id(row: Base) -> str:
    return ":".join(str(v) for v in inspect(row).identity)


def insert_audited(session: Session, row: Base, actor: str) -> Base:
    """Add ``row`` and its ``create`` audit event (entity: its table and primary key) to ``session``'s
    transaction; returns ``row`` with its key."""
    session.add(row)
    session.flush()
    record_audit(session, actor, "create", row.__tablename__, _entity_id(row), after=row_snapshot(row))
    return row


def update_audited(session: Session, row: Base, values: dict[str, Any], actor: str) -> bool:
    """Set ``values`` on ``row`` and add the ``update`` audit event (before → after) to ``session``'s
    transaction. Nothing is written when no value differs; returns whether something changed."""
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return False
    before = row_snapshot(row)
    for key, value in changed.items():
        setattr(row, key, value)
    session.flush()
    record_audit(session, actor, "update", row.__tablename__, _entity_id(row), before=before,
                 after=row_snapshot(row))
    return True


def delete_audited(session: Session, row: Base, actor: str) -> None:
    """Delete ``row`` and add its ``delete`` audit event (``before``: its values) to ``session``'s
    transaction."""
    before, table, entity = row_snapshot(row), row.__tablename__, _entity_id(row)
    session.delete(row)
    session.flush()
    record_audit(session, actor, "delete", table, entity, before=before)


def load_versioned(session: Session, model: type[Base], key: Any, version: int, missing: Exception) -> Base:
    """The ``model`` row ``key`` as loaded at ``version`` (the one the user's form holds).

    Raises:
        missing: there is no such row (someone deleted it).
        StaleEdit: the row is at another version (someone saved it since).
    """
    row = session.get(model, key)
    if row is None:
        raise missing
    expect_version(row, version)
    return row


def contains(column, text: str):
    """``column`` contains ``text``, case-insensitive, as a bound parameter: ``%``, ``_`` and ``\\``
    in ``text`` are characters, never LIKE wildcards (a search box's words)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


@dataclass(frozen=True)
class AuditChange:
    """One audited write of an entity (``audit_event``): ``before`` / ``after`` are its column values
    (``before`` is ``None`` for a creation, ``after`` for a deletion)."""

    at: dt.datetime
    actor: str
    action: str
    entity_id: str
    before: dict | None
    after: dict | None

    def changed(self, fields: Iterable[str]) -> list[str]:
        """Those of ``fields`` this write changed, in their order (those set by a creation)."""
        if self.before is None:
            return [k for k in fields if (self.after or {}).get(k) not in (None, "")]
        return [k for k in fields if self.before.get(k) != (self.after or {}).get(k)]


def audit_changes(engine: Engine, entity_type: str, limit: int = 20,
                  entity_ids: Iterable[str | int] | None = None) -> list[AuditChange]:
    """The newest ``limit`` audited writes of ``entity_type`` (a table, e.g. ``renewal``), newest first;
    with ``entity_ids``, only the writes of those rows."""
    query = select(AuditEvent).where(AuditEvent.entity_type == entity_type)
    if entity_ids is not None:
        query = query.where(AuditEvent.entity_id.in_([str(i) for i in entity_ids]))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    with session_scope(engine) as s:
        return [AuditChange(e.at, e.actor, e.action, e.entity_id, e.before, e.after) for e in s.scalars(query)]


def record_audit(session: Session, actor: str, action: str, entity_type: str, entity_id: str | int,
                 before: Any = None, after: Any = None, at: dt.datetime | None = None) -> AuditEvent:
    """Add an audit event to ``session``'s transaction (it is written, or not, with the change it
    records). ``before``/``after``: JSON data; dates become ISO strings, Decimals floats.

    Raises:
        ValueError: an empty actor or action, or no entity id (flush a new row before auditing it).
        TypeError: ``before``/``after`` holds something JSON can't carry.
    """
    if not actor or not action:
        raise ValueError("an audit event needs an actor and an action")
    if entity_id is None or entity_id == "":
        raise ValueError("an audit event needs the entity's id (flush a new row first)")
    event_row = AuditEvent(at=at or utcnow(), actor=actor, action=action, entity_type=entity_type,
                           entity_id=str(entity_id), before=_jsonable(before), after=_jsonable(after))
    session.add(event_row)
    return event_row


# ---------------------------------------------------------------------------------------------
# Migrations (Alembic, configured here)


def alembic_config(connection=None):
    """Alembic's configuration without an ini file; ``connection`` (when given) is the one env.py
    migrates (otherwise env.py opens the configured database)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> tuple[str, ...]:
    return tuple(_script().get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The database's revision(s); empty for a database Alembic never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def _describe(revs: tuple[str, ...]) -> str:
    return ", ".join(revs) if revs else "none (a fresh database)"


def upgrade(engine: Engine | None = None, target: str = "head") -> list[tuple[str, str]]:
    """Apply every migration between the database's revision and ``target``, in one transaction
    where the backend has transactional DDL (PostgreSQL). Returns the applied ``(revision,
    description)`` pairs, oldest first (empty when already there)."""
    from alembic import command

    engine = engine or get_engine()
    before = current_revisions(engine)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), target)
    after = current_revisions(engine)
    script = _script()
    applied = []
    for head in after:
        for rev in script.iterate_revisions(head, before[0] if before else "base"):
            if rev.revision not in before:
                applied.append((rev.revision, (rev.doc or "").strip()))
    applied.reverse()
    log.info("database %s: %s", _safe_url(engine),
             f"applied {', '.join(r for r, _ in applied)}; now at {_describe(after)}" if applied
             else f"already at {_describe(after)}")
    return applied


def check_migrated(engine: Engine | None = None) -> None:
    """Return when the database is at the migrations' head; start-up calls this before serving.

    Raises:
        NotMigrated: naming the database (password masked), its revision, the head, and the fix.
    """
    engine = engine or get_engine()
    heads, current = head_revisions(), current_revisions(engine)
    if set(current) == set(heads):
        return
    unknown = [r for r in current if _script().get_revision(r) is None] if current else []
    if unknown:
        raise NotMigrated(f"Pulse's database {_safe_url(engine)} is at revision {', '.join(unknown)}, which this "
                          f"version of Pulse does not know (a newer Pulse migrated it; head here is "
                          f"{_describe(heads)})")
    raise NotMigrated(f"Pulse's database {_safe_url(engine)} is not migrated: at {_describe(current)}, head is "
                      f"{_describe(heads)}; run: {UPGRADE_COMMAND}")


def new_revision(message: str, autogenerate: bool = False, engine: Engine | None = None) -> Path:
    """Write a new migration script (revision id: the next 4-digit number) and return its path;
    with ``autogenerate``, its body is the difference between the models and the database (which
    must be at head)."""
    from alembic import command

    script = _script()
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    if autogenerate:
        engine = engine or get_engine()
        with engine.begin() as conn:
            out = command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id)
    else:
        out = command.revision(alembic_config(), message=message, rev_id=rev_id)
    scripts = out if isinstance(out, list) else [out]
    return Path(scripts[0].path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.db", description="Pulse's own database")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply every pending migration")
    sub.add_parser("current", help="the database's revision and the head")
    rev = sub.add_parser("revision", help="write a new migration script")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true", help="diff the models against the database")
    args = parser.parse_args(argv)

    from sqlalchemy.exc import OperationalError

    engine = get_engine() if args.command != "revision" or args.autogenerate else None
    where = _safe_url(engine) if engine is not None else ""
    try:
        if args.command == "upgrade":
            applied = upgrade(engine)
            for revision, doc in applied:
                print(f"applied {revision}: {doc}")
            now = _describe(current_revisions(engine))
            print(f"{where}: now at {now} (head)" if applied else f"{where}: already at {now} (head); nothing to do")
        elif args.command == "current":
            heads, current = head_revisions(), current_revisions(engine)
            state = "up to date" if set(current) == set(heads) else f"not at head — run: {UPGRADE_COMMAND}"
            print(f"{where}: at {_describe(current)}; head {_describe(heads)}; {state}")
        else:
            print(f"wrote {new_revision(args.message, args.autogenerate, engine)}")
    except OperationalError as e:
        print(f"cannot open Pulse's database {where}: {e.orig or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
