"""The process's wiring: settings, catalog, frame store, targets and warehouse.

Built lazily on first use (never at import), once per process, by the web app and
the worker alike (the same bootstrap).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading

from data_access.catalog import Catalog, load_catalog
from data_access.config import Settings, get_settings
from data_access.coordination import Coordinator, MemoryCoordinator, RedisCoordinator, RefreshRound
from data_access.frame_store import FrameStore, MemoryFrameStore, RedisFrameStore, ResilientStore
from data_access.refresh import RefreshResult, refresh_all, refresh_api_metrics
from data_access.targets import LoadedTargets, load_targets
from data_access.warehouse import Warehouse, warehouse_from_settings


log = logging.getLogger(__name__)

ALERTS_OUTCOME = "system/alerts"  # the outcome of the last alert-rule evaluation (frame store outcome key)


class Runtime:
    """One process's Pulse: read-side (store, targets) and refresh-side (warehouse)."""

    def __init__(self, settings: Settings, catalog: Catalog, store: FrameStore,
                 coordinator: Coordinator | None = None, redis_client=None):
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.coordinator = coordinator or MemoryCoordinator()
        self.redis = redis_client
        self._warehouse: Warehouse | None = None
        self._history = None
        self._db = None
        self._targets: LoadedTargets | None = None
        self._targets_mtime: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        catalog = load_catalog()
        if settings.redis_url is None:
            return cls(settings, catalog, MemoryFrameStore())
        import redis

        client = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=2,
                                      socket_connect_timeout=2, health_check_interval=30)
        store = ResilientStore(RedisFrameStore(client, catalog.version),
                               errors=(redis.ConnectionError, redis.TimeoutError),
                               retry_after_s=settings.cache_retry_after_s)
        return cls(settings, catalog, store, RedisCoordinator(client, catalog.version), client)

    def targets(self) -> LoadedTargets:
        """Targets in force, re-read when the file's mtime changes (last valid kept on error)."""
        path = self.settings.targets_path
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = None
        with self._lock:
            if self._targets is None or mtime != self._targets_mtime:
                last_good = self._targets.targets if self._targets else None
                self._targets = load_targets(path, last_good)
                self._targets_mtime = mtime
            return self._targets

    def targets_revision(self) -> str:
        """Changes whenever the targets file changes (for cache keys)."""
        self.targets()
        return str(self._targets_mtime)

    def today(self) -> dt.date:
        return self.settings.today()

    def warehouse(self) -> Warehouse:
        """The configured warehouse (opened on first use; read-only for DuckDB)."""
        with self._lock:
            if self._warehouse is None:
                if self.settings.backend == "duckdb":
                    from data_access.warehouse import DuckDBWarehouse

                    self._warehouse = DuckDBWarehouse.from_settings(self.settings, read_only=True)
                else:
                    self._warehouse = warehouse_from_settings(self.settings)
            return self._warehouse

    def for_day(self, day: dt.date | None) -> "Runtime | DayRuntime":
        """This runtime for a past ``day`` (``DayRuntime``), or itself for ``None`` / today."""
        return self if day is None or day >= self.today() else DayRuntime(self, day)

    def history(self):
        """The KPI history store (``data_access.history``; BigQuery beside the warehouse, else DuckDB)."""
        from data_access.history import history_from_settings

        with self._lock:
            if self._history is None:
                self._history = history_from_settings(self.settings)
            return self._history

    def db(self):
        """An engine on Pulse's own database (``data_access.db``; ``settings.resolved_database_url()``),
        created on first use."""
        from data_access.db import make_engine

        with self._lock:
            if self._db is None:
                self._db = make_engine(self.settings.resolved_database_url())
            return self._db

    def record_history(self, metric_ids) -> int:
        """Write the current values of ``metric_ids`` into the KPI history and refresh its cached copy
        (``history.record``), then evaluate their alert rules (``alert_outbox.check_alerts``: queued,
        sent by another job). A failure of either is logged and recorded as the outcome of
        ``HISTORY_FRAME`` / ``ALERTS_OUTCOME`` (on /status); it never fails the refresh. Returns the
        history rows written (0 on failure)."""
        metric_ids = list(metric_ids)
        try:
            return self._record_history(metric_ids)
        finally:
            self.check_alerts(metric_ids)

    def check_alerts(self, metric_ids) -> int:
        """``alert_outbox.check_alerts`` that never raises: a database error is logged and recorded."""
        from sqlalchemy.exc import SQLAlchemyError

        from data_access.alert_outbox import check_alerts

        attempted = dt.datetime.now(dt.timezone.utc)
        try:
            n = check_alerts(self, metric_ids)
        except SQLAlchemyError as e:
            log.warning("alert rules not evaluated: %s", type(e).__name__)
            self.put_side_outcome(ALERTS_OUTCOME, attempted, error=e,
                                   message=str(getattr(e, "orig", None) or type(e).__name__)[:300])
            return 0
        self.put_side_outcome(ALERTS_OUTCOME, attempted, queued=n)
        return n

    def put_side_outcome(self, name: str, attempted: dt.datetime, error: Exception | None = None,
                          message: str | None = None, **counts) -> None:
        """Record how a step beside the refresh went (KPI history, alert rules) as outcome ``name``
        (on /status): ``ok`` with ``counts``, or the error's class and ``message`` (default ``str(error)``)."""
        outcome = {"ok": error is None, "attempted_at": attempted.isoformat(), **counts}
        if error is not None:
            outcome.update(error_class=type(error).__name__, error=str(error) if message is None else message)
        self.store.put_outcome(name, outcome)

    def _record_history(self, metric_ids: list[str]) -> int:
        from data_access.history import HISTORY_FRAME, HistoryError, record

        attempted = dt.datetime.now(dt.timezone.utc)
        try:
            n = record(self.history(), self.catalog, metric_ids, self.store, self.targets().targets,
                       self.today(), self.settings.history_days_cached)
        except (HistoryError, OSError) as e:
            log.warning("KPI history not written: %s", e)
            self.put_side_outcome(HISTORY_FRAME, attempted, error=e)
            return 0
        self.put_side_outcome(HISTORY_FRAME, attempted, rows=n)
        return n

    def refresh(self, queries=None) -> list[RefreshResult]:
        """Refresh ``queries`` (default: every warehouse query) into the store, now, unclaimed."""
        return refresh_all(self.warehouse(), self.store, self.catalog, self.settings,
                           self.targets().targets, queries=queries)

    def refresh_everything(self) -> list[RefreshResult]:
        """Every metric, warehouse and API sources alike (``worker.py --once``, start-up), and the
        customers copied into Pulse's database (``customers.refresh_customers``) and scored (``health``), recorded
        as a refresh round (``coordinator.refresh_round()``): one step per metric whose frames are
        all refreshed, so cards and the API can say how far it has got."""
        metrics = list(self.catalog.metrics.values())
        self.record_round("start_round", len(metrics), RefreshRound.ABANDONED_S)
        pending = {m.id: set(m.frames()) for m in metrics if m.source == "warehouse"}

        def progress(result: RefreshResult) -> None:
            for metric_id, frames in list(pending.items()):
                frames.discard(result.query)
                if not frames:
                    del pending[metric_id]
                    self.record_round("step_round", metric_id)

        try:
            results = refresh_all(self.warehouse(), self.store, self.catalog, self.settings,
                                  self.targets().targets, on_result=progress)
            from data_access.customers import sync_and_score

            sync_and_score(self)  # before the metrics of Pulse's database, which name customers
            by_source: dict[str, list] = {}
            for metric in metrics:
                if metric.source != "warehouse":
                    by_source.setdefault(metric.source, []).append(metric)
            derived = by_source.pop("derived", [])
            for source_metrics in by_source.values():  # each source fetched once for all its metrics
                results += refresh_api_metrics(source_metrics, self.store, self.settings, self.today())
                for metric in source_metrics:
                    self.record_round("step_round", metric.id)
            if derived:  # last: worked out from the values just stored (data_access.health_score)
                from data_access import health_score

                results += health_score.refresh(derived, self.catalog, self.store, self.targets().targets, self.today())
                for metric in derived:
                    self.record_round("step_round", metric.id)
            self.record_history(m.id for m in metrics)
        finally:
            self.record_round("finish_round")
        return results

    def record_round(self, op: str, *args):
        """``coordinator.<op>(*args)`` for the refresh round, returning what it returns; a coordinator
        error (Redis down) is logged and gives ``None``: the round is progress shown to users, and the
        refresh goes on without it."""
        try:
            return getattr(self.coordinator, op)(*args)
        except Exception as e:  # noqa: BLE001 — any cache error; the refresh itself must not stop
            log.warning("refresh round not recorded (%s): %s", op, type(e).__name__)
            return None

    def refresh_round(self) -> RefreshRound | None:
        """The refresh round in progress or last finished, or ``None`` (none yet, cache down)."""
        try:
            return self.coordinator.refresh_round()
        except Exception:  # noqa: BLE001 — a Redis outage: no round to show
            return None

    def ping_cache(self) -> bool:
        """True when the frame cache answers now (always, for the in-process store)."""
        if self.redis is None:
            return True
        try:
            return bool(self.redis.ping())
        except Exception:
            return False

    @property
    def cache_available(self) -> bool:
        """False while the shared frame cache (Redis) is unreachable."""
        return getattr(self.store, "available", True)


def past_prefix(day: dt.date) -> str:
    """Frames recomputed for a past day live under ``asof/<YYYY-MM-DD>/<frame name>``."""
    return f"asof/{day.isoformat()}/"


class PrefixedStore:
    """A frame store seen through a name prefix (the frames of one past day)."""

    def __init__(self, inner: FrameStore, prefix: str):
        self.inner, self.prefix = inner, prefix

    def get(self, name):
        return self.inner.get(self.prefix + name)

    def get_meta(self, name):
        return self.inner.get_meta(self.prefix + name)

    def put(self, name, cached):
        self.inner.put(self.prefix + name, cached)

    def get_outcome(self, name):
        return self.inner.get_outcome(self.prefix + name)

    def put_outcome(self, name, outcome):
        self.inner.put_outcome(self.prefix + name, outcome)

    @property
    def available(self) -> bool:
        return getattr(self.inner, "available", True)


class DayRuntime:
    """A runtime that shows one past day (``?as_of=``): the same settings, catalog, targets and
    coordinator, frames from ``past_prefix(day)`` and ``today()`` that day. Its frames are computed by
    the worker on request (``refresh.request_past`` / ``compute_past``), never by a callback."""

    def __init__(self, rt: Runtime, day: dt.date):
        self._rt, self.day = rt, day
        self.store = PrefixedStore(rt.store, past_prefix(day))

    def __getattr__(self, name):
        return getattr(self._rt, name)

    def today(self) -> dt.date:
        return self.day


_current: Runtime | None = None
_current_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide runtime (built from the environment on first use)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Runtime.from_settings(get_settings())
        return _current


def set_runtime(rt: Runtime | None) -> Runtime | None:
    """Install ``rt`` as the process-wide runtime (tests, embedding); returns the previous one."""
    global _current
    with _current_lock:
        previous, _current = _current, rt
    return previous
