"""Warehouses: run one named SQL file with bound parameters, get a pandas frame.

SQL files live in ``data_access/sql/<group>/<name>.sql``, are written once in
BigQuery (GoogleSQL) dialect, name source tables as ``<source>.<table>``
(``hubspot.deal``, ``quickbooks.invoice``) and take ``@named`` parameters.

- ``DuckDBWarehouse`` (embedded default) transpiles them to DuckDB with sqlglot and
  binds the parameters as DuckDB ``$named`` parameters.
- ``BigQueryWarehouse`` sends them as they are with ``ScalarQueryParameter``s.

In both, the logical source in each table reference is replaced, on the parsed
SQL tree (never by string formatting), by the dataset name from config, which is
validated as an identifier.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Protocol

import pandas as pd
import sqlglot
from sqlglot import exp

from data_access.config import SOURCES, Settings, validate_identifier

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"


class QueryError(RuntimeError):
    """A query failed. ``query`` names the SQL file; the message never carries parameters."""

    def __init__(self, query: str, message: str):
        super().__init__(f"query {query!r} failed: {message}")
        self.query = query


class SqlFileError(ValueError):
    """A SQL file is missing or does not parse."""


class QueryTimeout(QueryError):
    """A query ran longer than the configured per-query timeout and was cancelled."""


class Warehouse(Protocol):
    """What the refresh needs from a warehouse."""

    name: str

    def run(self, query_name: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """Run ``sql/<query_name>.sql`` with ``params`` bound; return the result frame."""
        ...


def sql_path(query_name: str) -> Path:
    """Path of a query's SQL file. Raises ``SqlFileError`` for names that escape ``sql/``."""
    parts = query_name.split("/")
    if not parts or any(not p or not p.replace("_", "a").isalnum() for p in parts):
        raise SqlFileError(f"bad query name {query_name!r}")
    return SQL_DIR.joinpath(*parts).with_suffix(".sql")


@lru_cache(maxsize=256)
def _read_sql(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def load_sql(query_name: str) -> str:
    """The BigQuery-dialect text of a query. Raises ``SqlFileError`` if missing."""
    path = sql_path(query_name)
    if not path.is_file():
        raise SqlFileError(f"SQL file for query {query_name!r} not found: {path}")
    return _read_sql(path, path.stat().st_mtime)


def parse_sql(query_name: str) -> exp.Expression:
    """Parse a query's SQL as BigQuery. Raises ``SqlFileError`` naming the file."""
    text = load_sql(query_name)
    try:
        tree = sqlglot.parse_one(text, read="bigquery")
    except sqlglot.errors.ParseError as e:
        raise SqlFileError(f"SQL file {sql_path(query_name).name} ({query_name}) does not parse: {e}") from e
    return tree


MODEL_LAYERS = ("staging", "intermediate")


def _expand_models(tree: exp.Expression, stack: tuple[str, ...] = ()) -> exp.Expression:
    """Inline ``staging.<x>`` / ``intermediate.<x>`` references as CTEs (dependencies first).

    Models are ordinary SQL files (``sql/staging/x.sql``); inlining them keeps every
    definition (what "revenue" or "a deal" is) in one file without needing views in
    the warehouse, so Pulse stays read-only against a company's BigQuery.
    """
    models: dict[str, exp.Expression] = {}

    def visit(node: exp.Expression, chain: tuple[str, ...]) -> None:
        for table in list(node.find_all(exp.Table)):
            if table.db not in MODEL_LAYERS:
                continue
            key = f"{table.db}__{table.name}"
            if key in chain:
                raise SqlFileError(f"model cycle: {' -> '.join(chain + (key,))}")
            if key not in models:
                sub = parse_sql(f"{table.db}/{table.name}")
                visit(sub, chain + (key,))
                models[key] = sub
            alias = table.alias or table.name
            table.replace(exp.Table(this=exp.to_identifier(key), alias=exp.TableAlias(this=exp.to_identifier(alias))))

    tree = tree.copy()
    visit(tree, stack)
    if not models:
        return tree
    ctes = [exp.CTE(this=sub, alias=exp.TableAlias(this=exp.to_identifier(k))) for k, sub in models.items()]
    existing = tree.args.get("with_")
    if existing is not None:
        ctes += list(existing.expressions)
    tree.set("with_", exp.With(expressions=ctes))
    return tree


def expanded_sql(query_name: str) -> exp.Expression:
    """A query's parsed tree with its staging/intermediate models inlined."""
    return _expand_models(parse_sql(query_name))


def parameters_of(query_name: str) -> set[str]:
    """Names of the ``@named`` parameters a query uses (its models' included)."""
    return {p.name for p in expanded_sql(query_name).find_all(exp.Parameter)}


def source_tables(query_name: str) -> set[tuple[str, str]]:
    """``(source, table)`` pairs a query reads, models included, e.g. ``{("hubspot", "deal")}``."""
    return {(t.db, t.name) for t in expanded_sql(query_name).find_all(exp.Table) if t.db in SOURCES}


def _rewrite_tables(tree: exp.Expression, datasets: Mapping[str, str], project: str | None) -> exp.Expression:
    for t in tree.find_all(exp.Table):
        if t.db in datasets:
            t.set("db", exp.to_identifier(validate_identifier(datasets[t.db])))
            if project:
                t.set("catalog", exp.to_identifier(project))
    return tree


def render(query_name: str, dialect: str, datasets: Mapping[str, str], project: str | None = None) -> str:
    """The SQL text of a query for ``dialect`` (``bigquery`` | ``duckdb``): models inlined, datasets mapped."""
    tree = _rewrite_tables(expanded_sql(query_name), datasets, project)
    return tree.sql(dialect=dialect, pretty=True)


def _bind_value(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


@dataclass
class DuckDBWarehouse:
    """The embedded warehouse: a DuckDB file with one schema per source dataset."""

    path: Path
    datasets: Mapping[str, str]
    read_only: bool = False
    timeout_s: float | None = None
    name: str = "duckdb"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._con = None

    @classmethod
    def from_settings(cls, settings: Settings, read_only: bool = False) -> "DuckDBWarehouse":
        return cls(settings.resolved_duckdb_path(), settings.datasets, read_only=read_only,
                   timeout_s=settings.query_timeout_s)

    def connect(self):
        """A DuckDB connection (one per warehouse object, serialised by a lock)."""
        import duckdb

        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(str(self.path), read_only=self.read_only)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def run(self, query_name: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """Run a query. Raises ``SqlFileError`` (bad file) or ``QueryError`` (execution)."""
        import duckdb

        sql = render(query_name, "duckdb", self.datasets)
        wanted = parameters_of(query_name)
        missing = wanted - set(params)
        if missing:
            raise QueryError(query_name, f"missing parameters {sorted(missing)}")
        bound = {k: _bind_value(v) for k, v in params.items() if k in wanted}
        with self._lock:
            con = self.connect()
            timer = threading.Timer(self.timeout_s, con.interrupt) if self.timeout_s else None
            if timer:
                timer.start()
            try:
                return con.execute(sql, bound).df()
            except duckdb.InterruptException as e:
                raise QueryTimeout(query_name, f"cancelled after {self.timeout_s:g} s (per-query timeout)") from e
            except duckdb.Error as e:
                raise QueryError(query_name, f"{type(e).__name__}: {e}") from e
            finally:
                if timer:
                    timer.cancel()

    def replace_tables(self, source: str, frames: Mapping[str, pd.DataFrame]) -> None:
        """Replace ``source``'s tables with ``frames`` in one transaction (all or nothing).

        ``frames`` maps table name → frame; column dtypes become DuckDB column types.
        """
        schema = validate_identifier(self.datasets.get(source, source), "dataset")
        con = self.connect()
        with self._lock:
            con.execute("begin transaction")
            try:
                con.execute(f'create schema if not exists "{schema}"')
                for table, df in frames.items():
                    validate_identifier(table, "table")
                    con.register("_pulse_incoming", df)
                    con.execute(f'create or replace table "{schema}"."{table}" as select * from _pulse_incoming')
                    con.unregister("_pulse_incoming")
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise

    def list_tables(self, source: str) -> list[str]:
        """Tables present in ``source``'s dataset."""
        schema = self.datasets.get(source, source)
        with self._lock:
            rows = self.connect().execute(
                "select table_name from information_schema.tables where table_schema = $s order by 1", {"s": schema}
            ).fetchall()
        return [r[0] for r in rows]


_BQ_TYPES = {bool: "BOOL", int: "INT64", float: "FLOAT64", str: "STRING", dt.datetime: "TIMESTAMP", dt.date: "DATE"}


def bq_type(value: Any) -> str:
    """BigQuery parameter type for a Python value (``bool`` before ``int``, datetime before date)."""
    for py, name in _BQ_TYPES.items():
        if isinstance(value, py) and not (py is int and isinstance(value, bool)):
            return name
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


@dataclass
class BigQueryWarehouse:
    """BigQuery through ``google-cloud-bigquery``: named parameters, labels, byte cap."""

    project: str
    datasets: Mapping[str, str]
    location: str | None = None
    maximum_bytes_billed: int | None = None
    api_endpoint: str | None = None
    name: str = "bigquery"

    def __post_init__(self) -> None:
        self._client = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "BigQueryWarehouse":
        if not settings.bigquery_project:
            raise ValueError("PULSE_BIGQUERY_PROJECT (or BIGQUERY_PROJECT) must be set for the BigQuery warehouse")
        return cls(
            settings.bigquery_project,
            settings.datasets,
            settings.bigquery_location,
            settings.bigquery_maximum_bytes_billed,
            settings.bigquery_api_endpoint,
        )

    def client(self):
        from google.cloud import bigquery

        if self._client is None:
            kwargs: dict[str, Any] = {"project": self.project, "location": self.location}
            if self.api_endpoint:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials

                kwargs["client_options"] = ClientOptions(api_endpoint=self.api_endpoint)
                kwargs["credentials"] = AnonymousCredentials()
            self._client = bigquery.Client(**kwargs)
        return self._client

    def run(self, query_name: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """Run a query as a BigQuery job labelled ``app=pulse``, ``query=<name>``."""
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        sql = render(query_name, "bigquery", self.datasets, self.project)
        wanted = parameters_of(query_name)
        missing = wanted - set(params)
        if missing:
            raise QueryError(query_name, f"missing parameters {sorted(missing)}")
        qparams = [bigquery.ScalarQueryParameter(k, bq_type(v), v) for k, v in params.items() if k in wanted]
        label = query_name.replace("/", "-").lower()[:63]
        config = bigquery.QueryJobConfig(
            query_parameters=qparams,
            labels={"app": "pulse", "query": label},
            maximum_bytes_billed=self.maximum_bytes_billed,
        )
        try:
            job = self.client().query(sql, job_config=config, location=self.location)
            return job.result().to_dataframe(create_bqstorage_client=False)
        except gexc.GoogleAPICallError as e:
            raise QueryError(query_name, f"{type(e).__name__}: {getattr(e, 'message', e)}") from e


def warehouse_from_settings(settings: Settings) -> Warehouse:
    """The configured warehouse: BigQuery when chosen, else the embedded DuckDB file."""
    if settings.backend == "bigquery":
        return BigQueryWarehouse.from_settings(settings)
    return DuckDBWarehouse.from_settings(settings)
