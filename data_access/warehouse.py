"""Warehouses: run one named SQL file with bound parameters, get a pandas frame.

SQL files live in ``data_access/sql/<group>/<name>.sql``, are written once in
BigQuery (GoogleSQL) dialect, name source tables as ``<source>.<table>``
(``hubspot.deal``, ``quickbooks.invoice``) and take ``@named`` parameters.

- ``DuckDBWarehouse`` (embedded default) transpiles them to DuckDB with sqlglot and
  binds the parameters as DuckDB ``$named`` parameters.
  ``DuckDBWarehouse.batch`` runs many (a refresh) with each staging/intermediate model they
  share built once as a TEMP table instead of inlined in every query (``DuckDBBatch``).
- ``BigQueryWarehouse`` sends them (without comments) with ``ScalarQueryParameter``s and
  returns frames with the dtypes DuckDB gives (``arrow_frame``).

A staging model can be replaced without editing the shipped file: ``<PULSE_SQL_OVERRIDES_DIR>/
staging/<model>.sql`` (see ``sql_overrides``; docs/bigquery.md).

In both, the logical source in each table reference is replaced, on the parsed
SQL tree (never by string formatting), by the dataset name from config, which is
validated as an identifier.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol

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


OVERRIDABLE_LAYERS = ("staging",)  # the only SQL that reads raw Fivetran tables


def sql_overrides_dir() -> Path | None:
    """The SQL override folder, ``Settings.sql_overrides_dir`` (``PULSE_SQL_OVERRIDES_DIR``;
    relative paths from the project root), or ``None`` when not configured.

    Read through ``Settings`` once per value of the variable, not through ``get_settings()``:
    loading SQL must not fill the process-wide settings cache as a side effect."""
    return _overrides_dir(os.environ.get("PULSE_SQL_OVERRIDES_DIR"))


@lru_cache(maxsize=16)
def _overrides_dir(_raw: str | None) -> Path | None:
    from data_access.config import PROJECT_ROOT

    folder = Settings().sql_overrides_dir
    if folder is None:
        return None
    return folder if folder.is_absolute() else PROJECT_ROOT / folder


def sql_overrides() -> dict[str, Path]:
    """The override files in force: query name (``"staging/deals"``) → file.

    ``<dir>/staging/<model>.sql`` replaces the shipped ``sql/staging/<model>.sql``.
    Raises ``SqlFileError`` when the folder does not exist, or a ``.sql`` file in it is
    not ``staging/<model>.sql`` or replaces no shipped file (a typo must not be ignored).
    """
    root = sql_overrides_dir()
    if root is None:
        return {}
    if not root.is_dir():
        raise SqlFileError(f"PULSE_SQL_OVERRIDES_DIR {root} is not a folder")
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.sql")):
        rel = path.relative_to(root).with_suffix("")
        if len(rel.parts) != 2 or rel.parts[0] not in OVERRIDABLE_LAYERS:
            raise SqlFileError(f"SQL override {path}: only staging/<model>.sql files can be overridden")
        if not SQL_DIR.joinpath(*rel.parts).with_suffix(".sql").is_file():
            raise SqlFileError(f"SQL override {path} replaces no shipped file (no sql/{rel.as_posix()}.sql)")
        found[rel.as_posix()] = path
    return found


def sql_path(query_name: str) -> Path:
    """Path of a query's SQL file: the override for ``staging/*`` files when one is in force
    (see ``sql_overrides``), else the shipped file. Raises ``SqlFileError`` for names that
    escape ``sql/`` or a bad override folder."""
    parts = query_name.split("/")
    if not parts or any(not p or not p.replace("_", "a").isalnum() for p in parts):
        raise SqlFileError(f"bad query name {query_name!r}")
    if parts[0] in OVERRIDABLE_LAYERS:
        override = sql_overrides().get(query_name)
        if override is not None:
            return override
    return SQL_DIR.joinpath(*parts).with_suffix(".sql")


def sql_files() -> list[tuple[str, Path]]:
    """Every shipped SQL file as ``(path relative to sql/, file in force)``, sorted, with
    overrides applied: what the catalog version hashes, so an override changes it."""
    overrides = sql_overrides()
    out = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        rel = path.relative_to(SQL_DIR)
        out.append((str(rel), overrides.get(rel.with_suffix("").as_posix(), path)))
    return out


@lru_cache(maxsize=256)
def _read_sql(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def load_sql(query_name: str) -> str:
    """The BigQuery-dialect text of a query. Raises ``SqlFileError`` if missing."""
    path = sql_path(query_name)
    if not path.is_file():
        raise SqlFileError(f"SQL file for query {query_name!r} not found: {path}")
    return _read_sql(path, path.stat().st_mtime)


@lru_cache(maxsize=256)
def _parse_text(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="bigquery")


LIFECYCLE_MODEL = "staging/contact_lifecycle"  # the one model that reads lifecycle date properties


def lifecycle_columns() -> dict[str, str]:
    """Default contact column → the column in force, ``{"property_hs_lifecyclestage_lead_date":
    "property_hs_v2_date_entered_lead", …}``, from ``Settings.hubspot_lifecycle_date_properties``
    (``PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES``, validated as HubSpot property names). Read like
    ``sql_overrides_dir``: through ``Settings`` once per value of the variable."""
    return dict(_lifecycle_columns(os.environ.get("PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES")))


@lru_cache(maxsize=16)
def _lifecycle_columns(_raw: str | None) -> tuple[tuple[str, str], ...]:
    from data_access.config import DEFAULT_LIFECYCLE_DATE_PROPERTIES

    chosen = Settings().hubspot_lifecycle_date_properties
    return tuple((f"property_{DEFAULT_LIFECYCLE_DATE_PROPERTIES[s]}", f"property_{chosen[s]}")
                 for s in DEFAULT_LIFECYCLE_DATE_PROPERTIES)


def _map_lifecycle_columns(tree: exp.Expression) -> exp.Expression:
    """Rename the default lifecycle date columns of ``staging/contact_lifecycle`` to the configured
    ones, on the parsed tree (identifiers, never SQL text)."""
    mapping = {a: b for a, b in lifecycle_columns().items() if a != b}
    if mapping:
        for col in list(tree.find_all(exp.Column)):
            if col.name in mapping:
                col.set("this", exp.to_identifier(mapping[col.name]))
    return tree


def parse_sql(query_name: str) -> exp.Expression:
    """Parse a query's SQL as BigQuery (a fresh copy: parses are cached by text, since a
    refresh expands each model many times). Raises ``SqlFileError`` naming the file.
    ``staging/contact_lifecycle`` reads the lifecycle date columns in force (``lifecycle_columns``)."""
    text = load_sql(query_name)
    try:
        tree = _parse_text(text).copy()
    except sqlglot.errors.ParseError as e:
        raise SqlFileError(f"SQL file {sql_path(query_name).name} ({query_name}) does not parse: {e}") from e
    return _map_lifecycle_columns(tree) if query_name == LIFECYCLE_MODEL else tree


MODEL_LAYERS = ("staging", "intermediate")


def _cte_name(model: str) -> str:
    """The CTE an inlined model becomes: ``staging/deals`` → ``staging__deals``."""
    return model.replace("/", "__")


def _inline_models(tree: exp.Expression, chain: tuple[str, ...]) -> dict[str, exp.Expression]:
    """Every staging/intermediate model ``tree`` reads, directly or through other models, as
    ``{"staging/owners": parsed tree, …}`` in dependency order (a model after those it reads); each
    reference (in ``tree`` and in the models) is renamed in place to its model's CTE, keeping its
    alias. ``chain`` is the path of queries/models being expanded. Raises ``SqlFileError`` (a model
    cycle, a missing or broken model file)."""
    models: dict[str, exp.Expression] = {}

    def visit(node: exp.Expression, path: tuple[str, ...]) -> None:
        for table in list(node.find_all(exp.Table)):
            if table.db not in MODEL_LAYERS:
                continue
            model = f"{table.db}/{table.name}"
            if model in path:
                raise SqlFileError(f"model cycle: {' -> '.join(path + (model,))}")
            if model not in models:
                sub = parse_sql(model)
                visit(sub, path + (model,))
                models[model] = sub
            alias = table.alias or table.name
            table.replace(exp.Table(this=exp.to_identifier(_cte_name(model)),
                                    alias=exp.TableAlias(this=exp.to_identifier(alias))))

    visit(tree, chain)
    return models


def _expand_models(tree: exp.Expression) -> exp.Expression:
    """Inline ``staging.<x>`` / ``intermediate.<x>`` references as CTEs (dependencies first).

    Models are ordinary SQL files (``sql/staging/x.sql``); inlining them keeps every
    definition (what "revenue" or "a deal" is) in one file without needing views in
    the warehouse, so Pulse stays read-only against a company's BigQuery.
    """
    tree = tree.copy()
    models = _inline_models(tree, ())
    if not models:
        return tree
    ctes = [exp.CTE(this=sub, alias=exp.TableAlias(this=exp.to_identifier(_cte_name(m)))) for m, sub in models.items()]
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


def _enclosing_model(node: exp.Expression, default: str | None) -> str | None:
    """The model (``staging/customers``) whose SQL ``node`` belongs to: the inlined model CTE
    (``staging__customers``) around it, else ``default`` (a batch unit is one model's own tree)."""
    while node is not None:
        if isinstance(node, exp.CTE):
            layer, _, name = node.alias_or_name.partition("__")
            if layer in MODEL_LAYERS and name:
                return f"{layer}/{name}"
        node = node.parent
    return default


def _stand_in(table: exp.Table, absent: frozenset[str] | None, datasets: Mapping[str, str],
              project: str | None) -> exp.Expression:
    """What a model reads instead of an absent optional input (``data_access.sources``): for an
    absent table, an empty typed relation with every ``schema.TABLES`` column; for absent columns,
    the table with those columns added as typed NULLs. Keeps the reference's alias."""
    from data_access import schema

    cols = schema.columns(table.db, table.name)
    alias = table.alias_or_name
    nulls = lambda names: [exp.cast(exp.null(), exp.DataType.build(cols[c], dialect="bigquery")).as_(c)  # noqa: E731
                           for c in names]
    if absent is None:
        sub = exp.select(*nulls(cols)).limit(0)
    else:
        inner = exp.Table(this=exp.to_identifier(table.name), db=exp.to_identifier(table.db),
                          alias=exp.TableAlias(this=exp.to_identifier("src")))
        _rewrite_tables(inner, datasets, project)
        star = exp.Column(this=exp.Star(), table=exp.to_identifier("src"))
        sub = exp.select(star, *nulls(sorted(absent))).from_(inner)
    return sub.subquery(alias)


def _rewrite_tables(tree: exp.Expression, datasets: Mapping[str, str], project: str | None,
                    gaps: Mapping[str, Mapping[tuple[str, str], frozenset[str] | None]] | None = None,
                    model: str | None = None) -> exp.Expression:
    """Map each ``<source>.<table>`` to its configured dataset (and project); with ``gaps``
    (``data_access.sources.gaps``: per model, the optional inputs the warehouse lacks), a
    reference inside that model to an absent input is replaced by its stand-in (``_stand_in``).
    ``model`` names the model a tree without model CTEs is (a batch unit). Returns ``tree``."""
    for t in list(tree.find_all(exp.Table)):
        if t.db not in datasets and t.db not in SOURCES:
            continue
        if gaps:
            owner = _enclosing_model(t, model)
            key = (t.db, t.name)
            if owner in gaps and key in gaps[owner]:
                t.replace(_stand_in(t, gaps[owner][key], datasets, project))
                continue
        # a source the mapping leaves out reads its own name, as present_optional looks it up
        t.set("db", exp.to_identifier(validate_identifier(datasets.get(t.db, t.db))))
        if project:
            t.set("catalog", exp.to_identifier(project))
    return tree


def render(query_name: str, dialect: str, datasets: Mapping[str, str], project: str | None = None,
           comments: bool = True, gaps: Mapping | None = None) -> str:
    """The SQL text of a query for ``dialect`` (``bigquery`` | ``duckdb``): models inlined, datasets
    mapped, absent optional inputs (``gaps``, see ``_rewrite_tables``) replaced by stand-ins;
    ``comments=False`` drops the SQL comments."""
    tree = _rewrite_tables(expanded_sql(query_name), datasets, project, gaps)
    return tree.sql(dialect=dialect, pretty=True, comments=comments)


def models_read(query_name: str) -> tuple[str, ...]:
    """The staging/intermediate models a query (or model) reads, directly or through other
    models, dependencies first: ``("staging/owners", "staging/deals", …)``. Raises ``SqlFileError``."""
    return tuple(_inline_models(parse_sql(query_name), (query_name,)))


def _bind_value(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, tuple):  # ARRAY parameters: DuckDB binds a list
        return list(v)
    return v


# ------------------------------------------------------------------------------------------
# DuckDB batches: the models a refresh's queries share, materialized once
# ------------------------------------------------------------------------------------------

MODEL_TABLE_PREFIX = "pulse_model__"


def model_table(model: str) -> str:
    """The TEMP table a batch materializes model ``staging/deals`` into (``pulse_model__staging__deals``:
    prefixed so it cannot be mistaken for, or shadow, a real table)."""
    return MODEL_TABLE_PREFIX + _cte_name(model)


@dataclass(frozen=True)
class BatchUnit:
    """One SQL file (query or model) rendered for a DuckDB batch: model references point at the
    batch's TEMP tables (``temp.main.pulse_model__<layer>__<name>``), datasets are mapped.

    ``params``: the ``@named`` parameters of this file alone; ``models``: the models it reads
    directly (``"staging/deals"``), in order of first reference."""

    name: str
    sql: str
    params: frozenset[str]
    models: tuple[str, ...]


_UNITS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[tuple, BatchUnit]] = {}
_UNITS_LOCK = threading.Lock()


def _file_signature(query_name: str) -> tuple:
    """``(file in force, mtime_ns, size)``: changes when the file is edited, overridden or moved."""
    path = sql_path(query_name)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not path.is_file():
        raise SqlFileError(f"SQL file for query {query_name!r} not found: {path}")
    return (str(path), st.st_mtime_ns, st.st_size)


def batch_unit(query_name: str, datasets: Mapping[str, str], gaps: Mapping | None = None) -> BatchUnit:
    """A query or model rendered for a DuckDB batch (see ``BatchUnit``), with the optional inputs
    the warehouse lacks (``gaps``) replaced by stand-ins, cached per (name, datasets, gaps) and
    revalidated against the file in force (path, mtime, size), so sqlglot runs once per edit,
    not once per refresh. Raises ``SqlFileError`` for a missing or unparsable file."""
    from data_access.sources import gaps_key

    key = (query_name, tuple(sorted(datasets.items())), gaps_key(gaps),
           tuple(sorted(lifecycle_columns().items())) if query_name == LIFECYCLE_MODEL else ())
    sig = _file_signature(query_name)
    with _UNITS_LOCK:
        hit = _UNITS.get(key)
    if hit is not None and hit[0] == sig:
        return hit[1]
    tree = parse_sql(query_name)
    models: list[str] = []
    for table in list(tree.find_all(exp.Table)):
        if table.db not in MODEL_LAYERS:
            continue
        model = f"{table.db}/{table.name}"
        if model not in models:
            models.append(model)
        alias = table.alias or table.name
        table.replace(exp.Table(this=exp.to_identifier(model_table(model)), db=exp.to_identifier("main"),
                                catalog=exp.to_identifier("temp"),
                                alias=exp.TableAlias(this=exp.to_identifier(alias))))
    _rewrite_tables(tree, datasets, None, gaps, query_name)
    unit = BatchUnit(query_name, tree.sql(dialect="duckdb", pretty=True),
                     frozenset(p.name for p in tree.find_all(exp.Parameter)), tuple(models))
    with _UNITS_LOCK:
        _UNITS[key] = (sig, unit)
    return unit


def _model_label(model: str) -> str:
    return model.replace("/", ".")


class DuckDBBatch:
    """Queries of one refresh run on one DuckDB connection with their models shared.

    Made by ``DuckDBWarehouse.batch(params)``. ``run(query)`` behaves like
    ``DuckDBWarehouse.run(query, params)`` (same frame; ``SqlFileError`` / ``QueryError`` /
    ``QueryTimeout`` naming the query), except that every staging/intermediate model the query
    reads is created once per batch as a TEMP table (``model_table``), dependencies first, with
    the batch's parameters bound, and the query reads the TEMP tables instead of inlining the
    models as CTEs. Only models some query of the batch needs are built.

    A model that fails to build fails exactly the queries that need it (directly or through
    another model), each with a ``QueryError`` naming the query and the model; the failure is
    remembered (not rebuilt for every query) unless ``rebuild_failed(error)`` says it is worth
    another try (a transient error: the refresh's retry of the query then rebuilds it). Each
    model build and each query has the warehouse's per-query timeout. The TEMP tables are
    dropped when the batch ends, also on error.
    """

    def __init__(self, warehouse: "DuckDBWarehouse", params: Mapping[str, Any],
                 rebuild_failed: Callable[[BaseException], bool] | None = None):
        self.warehouse = warehouse
        self.name = warehouse.name
        self.params = dict(params)
        self.rebuild_failed = rebuild_failed
        self.built: list[str] = []  # models built (TEMP tables present), in build order
        self.failed: dict[str, tuple[str, BaseException]] = {}  # model → (model that failed, error)
        self._units: dict[str, BatchUnit] = {}
        self.gaps = warehouse.gaps()  # the optional inputs this warehouse lacks, looked up once per batch

    def _unit(self, name: str) -> BatchUnit:
        unit = self._units.get(name)
        if unit is None:
            unit = self._units[name] = batch_unit(name, self.warehouse.datasets, self.gaps)
        return unit

    def models_of(self, query_name: str) -> list[str]:
        """The models a query reads, directly or through other models, dependencies first.
        Raises ``SqlFileError`` for a bad file or a model cycle."""
        order: list[str] = []

        def visit(name: str, chain: tuple[str, ...]) -> None:
            for model in self._unit(name).models:
                key = model.replace("/", "__")
                if key in chain:
                    raise SqlFileError(f"model cycle: {' -> '.join(chain + (key,))}")
                if model not in order:
                    visit(model, chain + (key,))
                    order.append(model)

        visit(query_name, ())
        return order

    def _bound(self, unit: BatchUnit) -> dict[str, Any]:
        return {k: _bind_value(v) for k, v in self.params.items() if k in unit.params}

    def _model_error(self, query_name: str, model: str) -> QueryError:
        root, e = self.failed[model]
        import duckdb

        what = f"model {_model_label(root)}" + (f" (needed through {_model_label(model)})" if root != model else "")
        if isinstance(e, duckdb.InterruptException):
            err: QueryError = QueryTimeout(
                query_name, f"{what} cancelled after {self.warehouse.timeout_s:g} s (per-query timeout)")
        else:
            err = QueryError(query_name, f"{what} failed: {type(e).__name__}: {e}")
        err.__cause__ = e
        return err

    def _build(self, model: str) -> None:
        import duckdb

        unit = self._unit(model)
        for dep in unit.models:
            if dep in self.failed:
                self.failed[model] = self.failed[dep]
                return
        try:
            self.warehouse.execute(f'create or replace temp table "{model_table(model)}" as\n{unit.sql}',
                          self._bound(unit), fetch=False)
        except duckdb.Error as e:
            self.failed[model] = (model, e)
            log.warning("model %s failed to build: %s", model, type(e).__name__)
            return
        self.built.append(model)

    def run(self, query_name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a query of the batch (``params``, if given, must be the batch's). Raises like
        ``DuckDBWarehouse.run``; a failed model raises a ``QueryError`` naming the query and the model."""
        import duckdb

        if params is not None and any(self.params.get(k) != v for k, v in params.items()):
            raise ValueError("a batch runs its queries with the parameters it was made with")
        unit = self._unit(query_name)
        models = self.models_of(query_name)
        wanted = set(unit.params).union(*(self._unit(m).params for m in models))
        missing = wanted - set(self.params)
        if missing:
            raise QueryError(query_name, f"missing parameters {sorted(missing)}")
        for model in models:
            if model in self.failed and self.rebuild_failed is not None \
                    and self.rebuild_failed(self._model_error(query_name, model)):
                self.failed = {m: f for m, f in self.failed.items() if f[0] != self.failed[model][0]}
            if model not in self.built and model not in self.failed:
                self._build(model)
            if model in self.failed:
                raise self._model_error(query_name, model)
        try:
            return self.warehouse.execute(unit.sql, self._bound(unit), fetch=True)
        except duckdb.InterruptException as e:
            raise QueryTimeout(query_name, f"cancelled after {self.warehouse.timeout_s:g} s (per-query timeout)") from e
        except duckdb.Error as e:
            raise QueryError(query_name, f"{type(e).__name__}: {e}") from e

    def params_of(self, name: str) -> set[str]:
        """The parameters a query or model reads, its own and through the models it reads."""
        return set(self._unit(name).params).union(*(self._unit(m).params for m in self.models_of(name)))

    def rebind(self, params: Mapping[str, Any]) -> None:
        """Run the next queries with ``params`` (a backfill's next day). Models whose parameters
        changed (their own or a dependency's) are dropped and rebuilt when next needed; the others —
        the staging layer, for a new ``as_of_date`` — are kept, so a backfill builds them once."""
        changed = {k for k in set(params) | set(self.params) if self.params.get(k) != params.get(k)}
        self.params = dict(params)
        if not changed:
            return
        stale = [m for m in self.built if self.params_of(m) & changed]
        self.failed = {m: f for m, f in self.failed.items() if not (self.params_of(m) & changed)}
        self.built = [m for m in self.built if m not in stale]
        wh = self.warehouse
        with wh._lock:
            for model in reversed(stale):
                wh._con.execute(f'drop table if exists temp.main."{model_table(model)}"')

    def close(self) -> None:
        """Drop the batch's TEMP tables (errors are logged: the connection may be gone)."""
        wh = self.warehouse
        built, self.built = self.built, []
        if not built or wh._con is None:
            return
        with wh._lock:
            for model in reversed(built):
                try:
                    wh._con.execute(f'drop table if exists temp.main."{model_table(model)}"')
                except Exception as e:  # noqa: BLE001 - cleanup must not mask the refresh's results
                    log.warning("could not drop TEMP table of model %s: %s", model, type(e).__name__)


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
        self._batch_lock = threading.Lock()  # one batch at a time: its TEMP tables have fixed names
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

        sql = render(query_name, "duckdb", self.datasets, gaps=self.gaps())
        wanted = parameters_of(query_name)
        missing = wanted - set(params)
        if missing:
            raise QueryError(query_name, f"missing parameters {sorted(missing)}")
        bound = {k: _bind_value(v) for k, v in params.items() if k in wanted}
        try:
            return self.execute(sql, bound)
        except duckdb.InterruptException as e:
            raise QueryTimeout(query_name, f"cancelled after {self.timeout_s:g} s (per-query timeout)") from e
        except duckdb.Error as e:
            raise QueryError(query_name, f"{type(e).__name__}: {e}") from e

    def execute(self, sql: str, bound: Mapping[str, Any], fetch: bool = True) -> pd.DataFrame | None:
        """Run one DuckDB statement under the connection lock, cancelled after the per-query timeout
        (``duckdb.InterruptException``); the result as a frame when ``fetch``. Raises ``duckdb.Error``."""
        with self._lock:
            con = self.connect()
            timer = threading.Timer(self.timeout_s, con.interrupt) if self.timeout_s else None
            if timer:
                timer.start()
            try:
                result = con.execute(sql, bound)
                return result.df() if fetch else None
            finally:
                if timer:
                    timer.cancel()

    @contextmanager
    def batch(self, params: Mapping[str, Any],
              rebuild_failed: Callable[[BaseException], bool] | None = None) -> Iterator[DuckDBBatch]:
        """Run several queries with ``params``, each model they share built once (``DuckDBBatch``)::

            with warehouse.batch(params) as b:
                frames = {q: b.run(q) for q in queries}

        The models' TEMP tables are dropped at the end, also on error. Batches on one warehouse
        run one at a time (single queries with ``run`` still interleave with them)."""
        with self._batch_lock:
            b = DuckDBBatch(self, params, rebuild_failed)
            try:
                yield b
            finally:
                b.close()

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

    def present_optional(self) -> dict[tuple[str, str], set[str] | None]:
        """For every table an optional input names (``sources.optional_tables``): its columns
        (lower-case), or ``None`` when it does not exist; from ``information_schema.columns``."""
        from data_access.sources import optional_tables

        wanted = optional_tables()
        schemas = {self.datasets.get(s, s): s for s, _ in wanted}
        with self._lock:
            rows = self.connect().execute(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where table_schema in (select unnest($s))", {"s": sorted(schemas)}).fetchall()
        found: dict[tuple[str, str], set[str]] = {}
        for dataset, table, column in rows:
            found.setdefault((schemas[dataset], table.lower()), set()).add(column.lower())
        return {key: found.get(key) for key in wanted}

    def gaps(self) -> dict:
        """``sources.gaps`` of this warehouse now: per model, the optional inputs it lacks."""
        from data_access.sources import gaps

        return gaps(self.present_optional())

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


class BytesBilledLimitExceeded(QueryError):
    """BigQuery refused a query that would bill more than ``maximum_bytes_billed``.

    Raised without a ``__cause__``: the client maps BigQuery's ``bytesBilledLimitExceeded``
    reason to a 500 ``InternalServerError``, which a retry policy would take for a
    transient error. Retrying cannot help; the refresh records it and moves on.
    """


def _scrub(text: str, params: Mapping[str, Any]) -> str:
    """``text`` with every parameter value (3+ characters) replaced by ``@name``."""
    for name, value in params.items():
        shown = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
        if len(shown) >= 3:
            text = text.replace(shown, f"@{name}")
    return text


def arrow_frame(table) -> pd.DataFrame:
    """A BigQuery result (``pyarrow.Table``) as the frame DuckDB gives for the same result, so
    the pages, the API and the frame store see one shape whatever the backend: INT64 →
    ``int64`` (``Int64`` with NULLs), BOOL → ``bool`` (``boolean`` with NULLs), FLOAT64 and
    NUMERIC → ``float64``, DATE → ``datetime64[us]``, TIMESTAMP → naive-UTC ``datetime64[us]``,
    STRING → pandas' default string dtype."""
    import pyarrow as pa

    cols: dict[str, pd.Series] = {}
    for name, col in zip(table.column_names, table.columns):
        t, nulls = col.type, col.null_count > 0
        if pa.types.is_integer(t):
            s = col.to_pandas(types_mapper=lambda _: pd.Int64Dtype())
            s = s if nulls else s.astype("int64")
        elif pa.types.is_boolean(t):
            s = col.to_pandas(types_mapper=lambda _: pd.BooleanDtype())
            s = s if nulls else s.astype("bool")
        elif pa.types.is_decimal(t):
            s = col.to_pandas().astype("float64")
        elif pa.types.is_date(t):
            s = col.to_pandas(date_as_object=False).astype("datetime64[us]")
        elif pa.types.is_timestamp(t):
            s = col.to_pandas()
            if t.tz is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            s = s.astype("datetime64[us]")
        else:
            s = col.to_pandas()
        cols[name] = s.reset_index(drop=True)
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))


def _bqstorage_installed() -> bool:
    try:
        import google.cloud.bigquery_storage_v1  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class BigQueryWarehouse:
    """BigQuery through ``google-cloud-bigquery``: named parameters, labels, byte cap.

    - Every job is labelled ``app=pulse``, ``query=<group>-<name>`` and capped at
      ``maximum_bytes_billed`` (a query over it fails as ``BytesBilledLimitExceeded``).
    - ``timeout_s``: a query still running after it is cancelled (``QueryTimeout``);
      BigQuery's own job timeout is set 30 s later as a backstop.
    - Large results come through the BigQuery Storage Read API when
      ``google-cloud-bigquery-storage`` is installed and no custom ``api_endpoint``
      (an emulator) is set; otherwise, or if the API is refused, over REST.
    - ``retry_deadline_s`` bounds the client's own retries of API calls.
    """

    project: str
    datasets: Mapping[str, str]
    location: str | None = None
    maximum_bytes_billed: int | None = None
    api_endpoint: str | None = None
    timeout_s: float | None = None
    retry_deadline_s: float = 120.0
    name: str = "bigquery"

    GAPS_TTL_S = 600.0  # how long a lookup of the optional tables is trusted

    def __post_init__(self) -> None:
        self._client = None
        self._bqstorage_refused = False
        self.last_bytes_processed: int | None = None
        self._gaps: tuple[float, dict] | None = None
        self._gaps_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "BigQueryWarehouse":
        """The warehouse of ``PULSE_BIGQUERY_*`` settings. Raises ``ValueError`` without a project."""
        if not settings.bigquery_project:
            raise ValueError("PULSE_BIGQUERY_PROJECT (or BIGQUERY_PROJECT) must be set for the BigQuery warehouse")
        return cls(
            settings.bigquery_project,
            settings.datasets,
            settings.bigquery_location,
            settings.bigquery_maximum_bytes_billed,
            settings.bigquery_api_endpoint,
            timeout_s=settings.query_timeout_s,
        )

    def client(self):
        """The ``bigquery.Client`` (Application Default Credentials; anonymous for an emulator)."""
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

    @property
    def use_bqstorage(self) -> bool:
        """True when results are read with the Storage Read API (installed, real BigQuery, not refused)."""
        return self.api_endpoint is None and not self._bqstorage_refused and _bqstorage_installed()

    def _retry(self):
        from google.cloud import bigquery

        return bigquery.DEFAULT_RETRY.with_deadline(self.retry_deadline_s)

    def job_config(self, query_name: str, params: Mapping[str, Any], dry_run: bool = False):
        """The ``QueryJobConfig`` of a query: its ``@named`` parameters typed from the Python
        values, labels, byte cap and job timeout. Raises ``QueryError`` if a parameter is missing."""
        from google.cloud import bigquery

        wanted = parameters_of(query_name)
        missing = wanted - set(params)
        if missing:
            raise QueryError(query_name, f"missing parameters {sorted(missing)}")
        qparams = [bigquery.ArrayQueryParameter(k, bq_type(v[0]) if v else "STRING", list(v))
                   if isinstance(v, (list, tuple)) else bigquery.ScalarQueryParameter(k, bq_type(v), v)
                   for k, v in params.items() if k in wanted]
        label = query_name.replace("/", "-").lower()[:63]
        config = bigquery.QueryJobConfig(
            query_parameters=qparams,
            labels={"app": "pulse", "query": label},
            maximum_bytes_billed=self.maximum_bytes_billed,
            dry_run=dry_run,
        )
        if dry_run:
            config.use_query_cache = False
        elif self.timeout_s:
            config.job_timeout_ms = int((self.timeout_s + 30) * 1000)
        return config

    def sql(self, query_name: str) -> str:
        """The SQL text sent to BigQuery: models inlined, ``project.dataset.table`` names, no
        comments (an ``@name`` inside a comment is harmless to BigQuery but not to every
        server that speaks its protocol)."""
        return render(query_name, "bigquery", self.datasets, self.project, comments=False, gaps=self.gaps())

    def present_optional(self) -> dict[tuple[str, str], set[str] | None]:
        """For every table an optional input names: its columns (lower-case) or ``None`` when it
        does not exist, from the tables' metadata (``get_table``: free, no query job). Raises
        ``QueryError`` when BigQuery cannot be asked (other than not-found)."""
        from google.api_core import exceptions as gexc

        from data_access.sources import optional_tables

        out: dict[tuple[str, str], set[str] | None] = {}
        for source, table in sorted(optional_tables()):
            dataset = validate_identifier(self.datasets.get(source, source))
            try:
                meta = self.client().get_table(f"{self.project}.{dataset}.{table}", retry=self._retry())
            except gexc.NotFound:
                out[(source, table)] = None
                continue
            except gexc.GoogleAPICallError as e:
                raise QueryError(f"{source}.{table}", f"cannot look up the table: {type(e).__name__}") from e
            out[(source, table)] = {f.name.lower() for f in meta.schema}
        return out

    def gaps(self) -> dict:
        """``sources.gaps`` of this warehouse: per model, the optional inputs it lacks (looked up at
        most every ``GAPS_TTL_S`` seconds)."""
        import time as _time

        from data_access.sources import gaps

        with self._gaps_lock:
            if self._gaps is None or _time.monotonic() - self._gaps[0] > self.GAPS_TTL_S:
                self._gaps = (_time.monotonic(), gaps(self.present_optional()))
            return self._gaps[1]

    def run(self, query_name: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """Run a query as a labelled, byte-capped BigQuery job; the frame has DuckDB's dtypes
        (``arrow_frame``). Sets ``last_bytes_processed``.

        Raises ``SqlFileError`` (bad file), ``QueryTimeout``, ``BytesBilledLimitExceeded``,
        or ``QueryError`` (``NotFound`` says which table of which dataset is missing).
        """
        from google.api_core import exceptions as gexc

        sql = self.sql(query_name)
        config = self.job_config(query_name, params)
        self.last_bytes_processed = None
        job = None
        try:
            job = self.client().query(sql, job_config=config, location=self.location, retry=self._retry())
            rows = job.result(timeout=self.timeout_s, retry=self._retry())
            frame = self._to_dataframe(rows)
        except TimeoutError as e:  # concurrent.futures.TimeoutError is TimeoutError (3.11)
            if self.timeout_s is None:  # a transport timeout, not ours: transient
                raise QueryError(query_name, f"TimeoutError: {e}") from e
            if job is not None:
                try:
                    job.cancel(retry=self._retry())
                except gexc.GoogleAPICallError:
                    log.warning("could not cancel BigQuery job of %s", query_name)
            raise QueryTimeout(query_name, f"cancelled after {self.timeout_s:g} s (per-query timeout)") from e
        except gexc.GoogleAPICallError as e:
            raise self._error(query_name, e, params) from (None if self._is_byte_cap(e) else e)
        self.last_bytes_processed = job.total_bytes_processed
        return frame

    def dry_run(self, query_name: str, params: Mapping[str, Any]) -> int:
        """Bytes BigQuery would process for a query (``dry_run=True``: validated, planned, free).

        Raises ``QueryError`` like ``run`` (a query over the byte cap still dry-runs: the cap
        applies to billing, so compare the result with ``maximum_bytes_billed``)."""
        from google.api_core import exceptions as gexc

        config = self.job_config(query_name, params, dry_run=True)
        try:
            job = self.client().query(self.sql(query_name), job_config=config, location=self.location,
                                      retry=self._retry())
        except gexc.GoogleAPICallError as e:
            raise self._error(query_name, e, params) from e
        return int(job.total_bytes_processed or 0)

    def _to_dataframe(self, rows) -> pd.DataFrame:
        from google.api_core import exceptions as gexc

        if self.use_bqstorage:
            try:
                return arrow_frame(rows.to_arrow(create_bqstorage_client=True))
            except (gexc.PermissionDenied, gexc.Forbidden) as e:  # no bigquery.readsessions.create
                self._bqstorage_refused = True
                log.warning("BigQuery Storage Read API refused (%s); reading results over REST", type(e).__name__)
        return arrow_frame(rows.to_arrow(create_bqstorage_client=False))

    @staticmethod
    def _is_byte_cap(e: Exception) -> bool:
        return any(isinstance(err, Mapping) and err.get("reason") == "bytesBilledLimitExceeded"
                   for err in (getattr(e, "errors", None) or []))

    def _error(self, query_name: str, e: Exception, params: Mapping[str, Any]) -> QueryError:
        from google.api_core import exceptions as gexc

        if self._is_byte_cap(e):
            return BytesBilledLimitExceeded(
                query_name, f"BytesBilledLimitExceeded: the query would bill more than maximum_bytes_billed="
                f"{self.maximum_bytes_billed} (PULSE_BIGQUERY_MAXIMUM_BYTES_BILLED); not retried")
        if isinstance(e, gexc.NotFound):
            missing = self.missing_sources(query_name)
            if missing:
                return QueryError(query_name, f"NotFound: {'; '.join(missing)}")
        return QueryError(query_name, f"{type(e).__name__}: {_scrub(str(getattr(e, 'message', e)), params)}")

    def missing_sources(self, query_name: str) -> list[str]:
        """What a query reads that does not exist, as ``"table X not found in dataset Y"`` /
        ``"dataset Y not found in project P"`` lines (empty when all exist or on lookup errors)."""
        from google.api_core import exceptions as gexc

        client, out, gone = self.client(), [], set()
        for source, table in sorted(source_tables(query_name)):
            dataset = self.datasets.get(source, source)
            if dataset in gone:
                continue
            try:
                client.get_table(f"{self.project}.{dataset}.{table}", retry=self._retry())
            except gexc.NotFound:
                try:
                    client.get_dataset(f"{self.project}.{dataset}", retry=self._retry())
                    out.append(f"table {table} not found in dataset {dataset}")
                except gexc.NotFound:
                    gone.add(dataset)
                    out.append(f"dataset {dataset} not found in project {self.project}")
                except gexc.GoogleAPICallError:
                    return []
            except gexc.GoogleAPICallError:
                return []
        return out


def warehouse_from_settings(settings: Settings) -> Warehouse:
    """The configured warehouse: BigQuery when chosen, else the embedded DuckDB file."""
    if settings.backend == "bigquery":
        return BigQueryWarehouse.from_settings(settings)
    return DuckDBWarehouse.from_settings(settings)
