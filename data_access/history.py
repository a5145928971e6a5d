"""KPI history: the long table ``pulse_metrics.metric_daily`` (issue 14, ``002-metrics-layer.md``).

One row per metric × as-of date × entity. Every successful refresh writes its metrics' rows
(``record``); ``data_access.backfill`` recomputes past days. Writing a (metric, date) again
replaces all of its rows: one MERGE (BigQuery dialect, transpiled by sqlglot for DuckDB) that
updates matching keys, inserts new ones and deletes the entities that are gone — idempotent
and atomic.

Where it lives:

- BigQuery: ``<project>.<PULSE_METRICS_DATASET>.metric_daily``, partitioned by ``metric_date`` and
  clustered by ``metric_id`` (created on first write).
- Embedded: schema ``<PULSE_METRICS_DATASET>`` of its own DuckDB file
  (``PULSE_METRICS_DUCKDB_PATH``, default ``var/pulse.metrics.duckdb`` beside ``var/pulse.duckdb``): the warehouse file is
  opened read-only by the web process and the worker, so history cannot live in it. Connections
  are short (one per read or write) and retried while another process holds the file.

Cards never read this table: after each write the recent history (``settings.history_days_cached``
days, company-level rows) is stored in the frame cache as ``HISTORY_FRAME``; ``components``
draw sparklines and deltas from that frame (``data_access.trends``).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import uuid
from typing import Iterable, Protocol

import pandas as pd
import sqlglot
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from data_access.catalog import Catalog, Metric
from data_access.config import Settings, validate_identifier
from data_access.frame_store import CachedFrame, FrameMeta, FrameStore
from data_access.metrics import REP_TARGET_COLUMN, snapshot, view_frame
from data_access.targets import Targets, status

log = logging.getLogger(__name__)

TABLE = "metric_daily"
HISTORY_FRAME = "system/metric_history"  # the frame-cache copy the cards read
COMPANY = "company"  # entity_type of a metric's headline value (entity_id "")

# name → BigQuery type. The contract of the long table (docs/metrics_layer.md).
COLUMNS: dict[str, str] = {
    "metric_date": "DATE",
    "domain": "STRING",  # sales | customer_success | product | marketing | finance | supply
    "metric_id": "STRING",
    "entity_type": "STRING",  # company | rep | segment | customer
    "entity_id": "STRING",  # "" for company
    "entity_name": "STRING",
    "value": "FLOAT64",  # in the metric's unit (USD, ratio 0–1, ×, days, count)
    "unit": "STRING",
    "target": "FLOAT64",
    "status": "STRING",  # green | yellow | red | nodata
    "importance_tier": "STRING",  # tier_1 (critical/high: on Company Health) | tier_2
    "details": "STRING",  # JSON object: the value row's supporting columns
    "refreshed_at": "TIMESTAMP",  # UTC, when the value was computed
}
KEY = ("metric_date", "metric_id", "entity_type", "entity_id")

# Which domain of the metrics layer a page's metrics belong to (Company Health borrows from all).
PAGE_DOMAIN = {"sales": "sales", "coo": "finance", "supply": "supply", "demand_am": "customer_success",
               "support": "customer_success", "marketing": "marketing", "product": "product",
               "company_health": "finance"}
METRIC_DOMAIN = {"pipeline_coverage": "sales", "win_rate": "sales", "avg_deal_size": "sales",
                 "sales_cycle_days": "sales", "nrr": "customer_success", "grr": "customer_success",
                 "churned_customers": "customer_success", "time_to_fulfill_days": "customer_success"}


class HistoryError(RuntimeError):
    """The history table could not be read or written (the message names the table, never a secret)."""


def domain_of(metric: Metric) -> str:
    """The metrics-layer domain of ``metric`` (``METRIC_DOMAIN``, else its page's)."""
    return METRIC_DOMAIN.get(metric.id, PAGE_DOMAIN.get(metric.page, "finance"))


def tier_of(metric: Metric) -> str:
    """``tier_1`` for the metrics leadership reads on Company Health, ``tier_2`` otherwise."""
    return "tier_1" if metric.page == "company_health" else "tier_2"


def _finite(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def entity_rows(metric: Metric, view, cached: CachedFrame, targets: Targets) -> list[dict]:
    """One history row per entity of ``view`` (its ``entity`` spec) from the view's cached frame,
    re-aggregated without filters (``metrics.view_frame``): the value summed per entity, or the
    view's ratio recomputed; the entity's target and status when the view carries rep targets
    (``metrics.REP_TARGET_COLUMN``), else none. A rep without an owner is entity ``""``, "Unassigned"."""
    spec = view.entity
    frame = view_frame(view, cached.frame, targets=targets, metric=metric, as_of=cached.meta.as_of)
    if frame.empty or spec.value not in frame.columns:
        return []
    keys = frame[spec.id].astype(object).where(frame[spec.id].notna(), None)
    frame = frame.assign(_key=keys.map(lambda k: "" if k is None else str(k)))
    ratio = view.ratio if view.ratio is not None and view.ratio.name == spec.value else None
    target_col = REP_TARGET_COLUMN[metric.unit]
    rows = []
    for key, g in frame.groupby("_key", sort=True):
        if ratio is not None and len(g) > 1:
            den = sum(float(g[c].sum()) for c in ratio.denominator)
            value = float(g[ratio.numerator].sum()) / den if den else None
        else:
            value = _finite(g[spec.value].sum(min_count=1)) if len(g) > 1 else _finite(g[spec.value].iloc[0])
        target = _finite(g[target_col].iloc[0]) if target_col in g.columns else None
        name = g[spec.name].iloc[0]
        rows.append({
            "metric_date": cached.meta.as_of, "domain": domain_of(metric), "metric_id": metric.id,
            "entity_type": spec.type, "entity_id": key,
            "entity_name": "Unassigned" if key == "" and spec.type == "rep" else str(name),
            "value": value, "unit": metric.unit, "target": target,
            "status": status(value, target, metric.direction, metric.yellow_band) if target is not None else None,
            "importance_tier": tier_of(metric), "details": "{}", "refreshed_at": cached.meta.refreshed_at,
        })
    return rows


def snapshot_rows(metrics: Iterable[Metric], store: FrameStore, targets: Targets,
                  today: dt.date) -> pd.DataFrame:
    """The history rows of ``metrics`` as the cards show them now (``metrics.snapshot``): one
    company-level row per metric that has a cached value, dated with the value's own as-of date, and
    one row per entity of its views that declare ``entity`` (``entity_rows``; only views refreshed
    for the same as-of date). Columns and types: ``COLUMNS`` (``metric_date`` date, ``value`` /
    ``target`` float64 or NaN)."""
    rows = []
    for m in metrics:
        snap = snapshot(m, store, targets, today)
        if snap.as_of is None:  # never refreshed: nothing to remember
            continue
        for view in m.views:
            cached = store.get(view.query) if view.entity is not None else None
            if cached is not None and cached.meta.as_of == snap.as_of:
                rows += entity_rows(m, view, cached, targets)
        rows.append({
            "metric_date": snap.as_of, "domain": domain_of(m), "metric_id": m.id,
            "entity_type": COMPANY, "entity_id": "", "entity_name": m.title,
            "value": _finite(snap.value), "unit": m.unit, "target": _finite(snap.target),
            "status": snap.status, "importance_tier": tier_of(m),
            "details": json.dumps(snap.extras, sort_keys=True, default=str),
            "refreshed_at": snap.refreshed_at,
        })
    return typed(pd.DataFrame(rows, columns=list(COLUMNS)))


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the long table's dtypes (dates as ``datetime.date`` objects, floats, strings)."""
    out = frame.reindex(columns=list(COLUMNS)).copy()
    out["metric_date"] = pd.to_datetime(out["metric_date"]).dt.date
    for c in ("value", "target"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["refreshed_at"] = pd.to_datetime(out["refreshed_at"], utc=True)
    for c in COLUMNS:
        if COLUMNS[c] == "STRING":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _check_write(rows: pd.DataFrame) -> None:
    if rows.duplicated(list(KEY)).any():
        raise HistoryError(f"{TABLE}: duplicate keys in one write")


# The write: a MERGE scoped to the (metric, date) pairs written. Every write is one date × some
# metrics (a refresh, or one day of a backfill), so scoping by the dates and metric ids written
# deletes exactly the entities those pairs no longer have.
_MERGE = """
MERGE `{table}` AS t
USING `{incoming}` AS s
ON t.metric_date = s.metric_date AND t.metric_id = s.metric_id
   AND t.entity_type = s.entity_type AND t.entity_id = s.entity_id
WHEN MATCHED THEN UPDATE SET {updates}
WHEN NOT MATCHED BY TARGET THEN INSERT ({columns}) VALUES ({values})
WHEN NOT MATCHED BY SOURCE AND t.metric_date IN UNNEST(@dates) AND t.metric_id IN UNNEST(@metric_ids)
  THEN DELETE
"""


# The metrics layer's time comparisons (002-metrics-layer.md "metrics_api"): for every row, the value of
# the same metric and entity one day / week / month / quarter / year earlier (that exact day; none when
# that day has no row: no growth, never 0), the absolute change and the relative change as a ratio
# (0.25 = +25 %; change ÷ |previous|, so −100 → 50 is +1.5).
_PERIODS_SQL = {"dod": "INTERVAL 1 DAY", "wow": "INTERVAL 7 DAY", "mom": "INTERVAL 1 MONTH",
                "qoq": "INTERVAL 3 MONTH", "yoy": "INTERVAL 1 YEAR"}
VIEW = "metrics_api"


def view_sql(dataset: str, dialect: str = "bigquery", project: str | None = None) -> str:
    """``CREATE OR REPLACE VIEW <dataset>.metrics_api``: ``metric_daily`` plus, per period p in dod,
    wow, mom, qoq, yoy, ``prev_value_<p>``, ``growth_<p>`` (value − previous, in the unit) and
    ``growth_<p>_pct`` (ratio). Written in BigQuery's dialect; ``duckdb`` through sqlglot."""
    q = f"{project}.{dataset}" if project else dataset
    cols, joins = [], []
    for p, interval in _PERIODS_SQL.items():
        cols += [f"{p}.value AS prev_value_{p}", f"c.value - {p}.value AS growth_{p}",
                 f"SAFE_DIVIDE(c.value - {p}.value, ABS({p}.value)) AS growth_{p}_pct"]
        joins.append(f"LEFT JOIN `{q}.{TABLE}` AS {p} ON {p}.metric_id = c.metric_id AND {p}.entity_type = c.entity_type "
                     f"AND {p}.entity_id = c.entity_id AND {p}.metric_date = DATE_SUB(c.metric_date, {interval})")
    sql = (f"CREATE OR REPLACE VIEW `{q}.{VIEW}` AS\nSELECT c.*, " + ", ".join(cols)
           + f"\nFROM `{q}.{TABLE}` AS c\n" + "\n".join(joins))
    return sql if dialect == "bigquery" else sqlglot.transpile(sql, read="bigquery", write=dialect)[0]


def merge_sql(table: str, incoming: str, dialect: str = "bigquery") -> str:
    """The MERGE of ``incoming`` into ``table`` (both ``dataset.table`` or ``project.dataset.table``),
    in ``dialect`` (``bigquery`` as written, ``duckdb`` through sqlglot). Parameters: ``@dates``
    (ARRAY<DATE>) and ``@metric_ids`` (ARRAY<STRING>) of the write."""
    sql = _MERGE.format(
        table=table, incoming=incoming,
        updates=", ".join(f"{c} = s.{c}" for c in COLUMNS if c not in KEY),
        columns=", ".join(COLUMNS), values=", ".join(f"s.{c}" for c in COLUMNS))
    return sql if dialect == "bigquery" else sqlglot.transpile(sql, read="bigquery", write=dialect)[0]


def _single_date(rows: pd.DataFrame) -> None:
    if rows["metric_date"].nunique() > 1:
        raise HistoryError(f"{TABLE}: write one date at a time (got {rows['metric_date'].nunique()})")


class HistoryStore(Protocol):
    """Where ``metric_daily`` lives (``DuckDBHistory`` | ``BigQueryHistory``)."""

    def write(self, rows: pd.DataFrame) -> int:
        """Replace the (metric, date) pairs of ``rows`` (one date) with ``rows``. Returns rows written."""

    def read(self, start: dt.date, end: dt.date, metric_ids: list[str] | None = None,
             entity_type: str | None = None) -> pd.DataFrame:
        """Rows with ``start <= metric_date <= end`` (``COLUMNS``), ordered by metric, entity, date."""

    def dates(self, metric_ids: list[str]) -> dict[str, set[dt.date]]:
        """Per metric id, the dates that have a company-level row (what a backfill may skip)."""


def _is_lock_conflict(e: BaseException) -> bool:
    import duckdb

    return isinstance(e, duckdb.IOException) and "lock" in str(e).lower()


class DuckDBHistory:
    """``metric_daily`` in its own DuckDB file (see the module doc). Each call opens the file,
    does its work in one transaction and closes it; while another process holds the file the
    call is retried for up to ``lock_wait_s`` seconds, then raises ``HistoryError``."""

    def __init__(self, path, dataset: str = "pulse_metrics", lock_wait_s: float = 20.0):
        self.path = path
        self.dataset = validate_identifier(dataset, "metrics dataset")
        self.lock_wait_s = lock_wait_s
        self._view_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "DuckDBHistory":
        return cls(settings.resolved_metrics_duckdb_path(), settings.metrics_dataset)

    @property
    def table(self) -> str:
        return f"{self.dataset}.{TABLE}"

    def _run(self, work):
        import duckdb

        def attempt():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.path))
            try:
                db = con.execute("select current_database()").fetchone()[0]
                con.execute(f'create schema if not exists "{db}"."{self.dataset}"')
                cols = ", ".join(f'"{c}" {_DUCK_TYPES[t]}' for c, t in COLUMNS.items())
                con.execute(f'create table if not exists "{db}"."{self.dataset}"."{TABLE}" ({cols})')
                if not self._view_ready:
                    con.execute(view_sql(self.dataset, "duckdb"))  # schema-qualified: the file may be renamed
                    self._view_ready = True
                con.execute(f'use "{db}"."{self.dataset}"')  # unqualified names: this dataset, not a
                return work(con)  # same-named catalog (the file's name)
            finally:
                con.close()

        try:
            return Retrying(stop=stop_after_delay(self.lock_wait_s), wait=wait_exponential_jitter(0.05, max=1.0),
                            retry=retry_if_exception(_is_lock_conflict), reraise=True)(attempt)
        except duckdb.Error as e:
            raise HistoryError(f"{self.table} ({self.path.name}): {type(e).__name__}: {e}") from e

    def write(self, rows: pd.DataFrame) -> int:
        """See ``HistoryStore.write``: one MERGE in one transaction (all rows or none)."""
        if rows.empty:
            return 0
        rows = typed(rows)
        _check_write(rows)
        _single_date(rows)
        incoming = f"{TABLE}__incoming"
        sql = merge_sql(TABLE, incoming, "duckdb")

        def work(con):
            con.execute("begin transaction")
            try:
                con.register("_pulse_rows", rows)
                con.execute(f'create or replace table "{incoming}" as select * from _pulse_rows')
                con.unregister("_pulse_rows")
                con.execute(sql, {"dates": sorted(set(rows["metric_date"])),
                                  "metric_ids": sorted(set(rows["metric_id"]))})
                con.execute(f'drop table "{incoming}"')
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            return len(rows)

        return self._run(work)

    def read(self, start: dt.date, end: dt.date, metric_ids: list[str] | None = None,
             entity_type: str | None = None) -> pd.DataFrame:
        """See ``HistoryStore.read``."""
        def work(con):
            return con.execute(
                f'select * from "{TABLE}" where metric_date between $start and $end '
                "and ($ids is null or list_contains($ids, metric_id)) "
                "and ($etype is null or entity_type = $etype) order by metric_id, entity_type, entity_id, metric_date",
                {"start": start, "end": end, "ids": metric_ids, "etype": entity_type}).df()

        return typed(self._run(work))

    def dates(self, metric_ids: list[str]) -> dict[str, set[dt.date]]:
        """See ``HistoryStore.dates``."""
        def work(con):
            return con.execute(f'select metric_id, metric_date from "{TABLE}" '
                               "where entity_type = $etype and list_contains($ids, metric_id)",
                               {"etype": COMPANY, "ids": metric_ids}).fetchall()

        out: dict[str, set[dt.date]] = {m: set() for m in metric_ids}
        for mid, day in self._run(work):
            out[mid].add(day)
        return out


_DUCK_TYPES = {"DATE": "DATE", "STRING": "VARCHAR", "FLOAT64": "DOUBLE", "TIMESTAMP": "TIMESTAMPTZ"}


class BigQueryHistory:
    """``metric_daily`` in BigQuery: dataset and table created on first use (partitioned by date,
    clustered by metric); a write loads the rows into a scratch table (Parquet load job), MERGEs it
    and drops it. Jobs go through the warehouse's client (labels, byte cap, retries)."""

    def __init__(self, warehouse, dataset: str = "pulse_metrics"):
        self.warehouse = warehouse
        self.dataset = validate_identifier(dataset, "metrics dataset")
        self._ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "BigQueryHistory":
        from data_access.warehouse import BigQueryWarehouse

        return cls(BigQueryWarehouse.from_settings(settings), settings.metrics_dataset)

    @property
    def table(self) -> str:
        return f"{self.warehouse.project}.{self.dataset}.{TABLE}"

    def _query(self, sql: str, params: list | None = None, label: str = "history"):
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        wh = self.warehouse
        config = bigquery.QueryJobConfig(query_parameters=params or [], labels={"app": "pulse", "query": label},
                                         maximum_bytes_billed=wh.maximum_bytes_billed)
        try:
            job = wh.client().query(sql, job_config=config, location=wh.location, retry=wh._retry())
            return job.result(timeout=wh.timeout_s, retry=wh._retry())
        except gexc.GoogleAPICallError as e:
            raise HistoryError(f"{self.dataset}.{TABLE}: {type(e).__name__}") from e

    def _schema(self):
        from google.cloud import bigquery

        return [bigquery.SchemaField(c, t, mode="REQUIRED" if c in KEY else "NULLABLE") for c, t in COLUMNS.items()]

    def ensure(self) -> None:
        """Create the dataset and the partitioned, clustered table if they do not exist."""
        if self._ready:
            return
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        client = self.warehouse.client()
        try:
            client.create_dataset(bigquery.Dataset(f"{self.warehouse.project}.{self.dataset}"), exists_ok=True,
                                  retry=self.warehouse._retry())
            table = bigquery.Table(self.table, schema=self._schema())
            table.time_partitioning = bigquery.TimePartitioning(field="metric_date")
            table.clustering_fields = ["metric_id", "entity_type"]
            client.create_table(table, exists_ok=True, retry=self.warehouse._retry())
        except gexc.GoogleAPICallError as e:
            raise HistoryError(f"{self.dataset}.{TABLE}: cannot create it: {type(e).__name__}") from e
        self._ready = True
        self._query(view_sql(self.dataset, project=self.warehouse.project), label="history-view")

    def write(self, rows: pd.DataFrame) -> int:
        """See ``HistoryStore.write``: Parquet load into a scratch table, one MERGE, scratch dropped."""
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        if rows.empty:
            return 0
        rows = typed(rows)
        _check_write(rows)
        _single_date(rows)
        self.ensure()
        client = self.warehouse.client()
        scratch = f"{self.warehouse.project}.{self.dataset}.{TABLE}__incoming_{uuid.uuid4().hex[:12]}"
        buf = io.BytesIO()
        rows.to_parquet(buf, index=False)
        buf.seek(0)
        try:
            client.create_table(bigquery.Table(scratch, schema=self._schema()), retry=self.warehouse._retry())
            try:
                client.load_table_from_file(buf, scratch, job_config=bigquery.LoadJobConfig(
                    source_format="PARQUET", write_disposition="WRITE_TRUNCATE")).result(timeout=self.warehouse.timeout_s)
                self._query(merge_sql(self.table, scratch), [
                    bigquery.ArrayQueryParameter("dates", "DATE", sorted(set(rows["metric_date"]))),
                    bigquery.ArrayQueryParameter("metric_ids", "STRING", sorted(set(rows["metric_id"])))],
                    label="history-merge")
            finally:
                client.delete_table(scratch, not_found_ok=True, retry=self.warehouse._retry())
        except gexc.GoogleAPICallError as e:
            raise HistoryError(f"{self.dataset}.{TABLE}: write failed: {type(e).__name__}") from e
        return len(rows)

    def read(self, start: dt.date, end: dt.date, metric_ids: list[str] | None = None,
             entity_type: str | None = None) -> pd.DataFrame:
        """See ``HistoryStore.read`` (partition-pruned by the date range)."""
        from google.cloud import bigquery

        self.ensure()
        result = self._query(
            f"SELECT * FROM `{self.table}` WHERE metric_date BETWEEN @start AND @end "
            "AND (ARRAY_LENGTH(@ids) = 0 OR metric_id IN UNNEST(@ids)) "
            "AND (@etype IS NULL OR entity_type = @etype) ORDER BY metric_id, entity_type, entity_id, metric_date",
            [bigquery.ScalarQueryParameter("start", "DATE", start), bigquery.ScalarQueryParameter("end", "DATE", end),
             bigquery.ArrayQueryParameter("ids", "STRING", list(metric_ids or [])),
             bigquery.ScalarQueryParameter("etype", "STRING", entity_type)], label="history-read")
        return typed(self.warehouse._to_dataframe(result))

    def dates(self, metric_ids: list[str]) -> dict[str, set[dt.date]]:
        """See ``HistoryStore.dates``."""
        from google.cloud import bigquery

        self.ensure()
        result = self._query(f"SELECT metric_id, metric_date FROM `{self.table}` WHERE entity_type = @etype "
                             "AND metric_id IN UNNEST(@ids)",
                             [bigquery.ScalarQueryParameter("etype", "STRING", COMPANY),
                              bigquery.ArrayQueryParameter("ids", "STRING", list(metric_ids))], label="history-dates")
        out: dict[str, set[dt.date]] = {m: set() for m in metric_ids}
        for row in result:
            out[row["metric_id"]].add(row["metric_date"])
        return out


def history_from_settings(settings: Settings) -> HistoryStore:
    """The history store of the configured backend (BigQuery beside the warehouse, else DuckDB)."""
    return BigQueryHistory.from_settings(settings) if settings.backend == "bigquery" \
        else DuckDBHistory.from_settings(settings)


def cache_history(history: HistoryStore, store: FrameStore, today: dt.date, days: int) -> CachedFrame:
    """Read the last ``days`` days of history (every entity; ``COLUMNS``) into the frame cache
    (``HISTORY_FRAME``), where the cards and ``GET /api/metrics/history`` read it. Raises
    ``HistoryError``; the previous cached copy then stays."""
    now = dt.datetime.now(dt.timezone.utc)
    frame = history.read(today - dt.timedelta(days=days), today).reset_index(drop=True)
    cached = CachedFrame(frame, FrameMeta(HISTORY_FRAME, today, now, 0.0, len(frame)))
    store.put(HISTORY_FRAME, cached)
    return cached


def record(history: HistoryStore, catalog: Catalog, metric_ids: Iterable[str], store: FrameStore,
           targets: Targets, today: dt.date, days_cached: int) -> int:
    """After a refresh: write the snapshot rows of ``metric_ids`` (one MERGE per as-of date among
    them), then refresh the cached history. Returns rows written. Raises ``HistoryError``."""
    rows = snapshot_rows([catalog.metrics[m] for m in metric_ids], store, targets, today)
    written = sum(history.write(day_rows) for _, day_rows in rows.groupby("metric_date")) if len(rows) else 0
    cache_history(history, store, today, days_cached)
    return written
