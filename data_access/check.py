"""Connect-your-warehouse check: what Pulse needs from the configured warehouse, and what it costs.

    python -m data_access.check [--as-of YYYY-MM-DD] [--page PAGE]
    python -m data_access.check --scan-table      # markdown: which queries scan which tables

Uses the same ``PULSE_*`` settings as the app and the worker (``get_settings()``), DuckDB or
BigQuery, and reports:

1. the SQL overrides in force (``PULSE_SQL_OVERRIDES_DIR``);
2. every source table and column the catalog's SQL reads, derived from the SQL trees (the
   staging models are the only SQL that reads raw Fivetran tables), checked against the
   warehouse's INFORMATION_SCHEMA (``<project>.<dataset>.INFORMATION_SCHEMA.COLUMNS`` on
   BigQuery, ``information_schema.columns`` on DuckDB): present or missing;
   — a table or column that ``sources.yml`` declares optional is reported as absent with what
   degrades without it (and the views that do), not as missing;
3. a problem when the configured sales or supply pipeline holds no deal (``data_access.pipelines``:
   the same sentence the cards show), with the setting that would fix it;
4. every catalog query planned without running it: on BigQuery a dry run (``dry_run=True``,
   free) with the bytes it would process, per query and per full refresh, checked against
   ``maximum_bytes_billed``; on DuckDB an ``EXPLAIN`` (bytes are a BigQuery notion).

Exit status: 0 when every required table and column exists, every query plans and the pipeline
settings find deals; 1 otherwise; 2 when the warehouse cannot be opened.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from data_access import schema
from data_access.config import SOURCES, Settings, get_settings, validate_identifier
from data_access.warehouse import (
    BigQueryWarehouse,
    DuckDBWarehouse,
    QueryError,
    SqlFileError,
    _bind_value,
    expanded_sql,
    parameters_of,
    render,
    sql_files,
    sql_overrides,
)

_PROJECT_RE = re.compile(r"^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,29}$")

SourceTable = tuple[str, str]  # (logical source, table), as written in the SQL: ("hubspot", "deal")


# ------------------------------------------------------------------ what the SQL reads


def _sql_state() -> tuple:
    """What the SQL in force is: (file, path in force, mtime) for every SQL file."""
    return tuple((rel, str(path), path.stat().st_mtime_ns) for rel, path in sql_files())


@lru_cache(maxsize=1024)
def _expanded_for(query: str, _sql_state: tuple) -> exp.Expression:
    return expanded_sql(query)


def _expanded(query: str) -> exp.Expression:
    """``expanded_sql(query)`` (a copy), parsed once per state of the SQL files."""
    return _expanded_for(query, _sql_state()).copy()


def _qualified_tree(query: str) -> exp.Expression:
    known = {s: {t: dict(cols) for t, cols in schema.TABLES[s].items()} for s in schema.TABLES}
    try:
        return qualify(_expanded(query), dialect="bigquery", schema=known, validate_qualify_columns=False,
                       isolate_tables=False, quote_identifiers=False)
    except OptimizeError as e:
        raise SqlFileError(f"query {query!r}: cannot resolve its columns: {e}") from e


def _raw_tables(tree: exp.Expression) -> set[SourceTable]:
    return {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db in SOURCES}


def required_columns(queries: Iterable[str]) -> dict[SourceTable, set[str]]:
    """Columns the SQL of ``queries`` reads from each source table (models included).

    Walks every scope of each query's tree (sqlglot ``qualify`` + ``traverse_scope``): a column
    belongs to the raw table its qualifier names, or, unqualified, to the scope's only source
    (or, when the scope joins several, to the source ``schema.TABLES`` says has it).

    Returns ``{(source, table): {column, …}}`` with lower-case names, every table any query
    reads included. Raises ``SqlFileError`` naming the query and column when a column in a
    scope that reads a raw table cannot be attributed (qualify it with its table alias).
    """
    return {key: set(cols) for key, cols in _required_columns(tuple(queries), _sql_state()).items()}


@lru_cache(maxsize=16)
def _required_columns(queries: tuple[str, ...], _sql_state: tuple) -> dict[SourceTable, frozenset[str]]:
    out: dict[SourceTable, set[str]] = defaultdict(set)
    for query in queries:
        tree = _qualified_tree(query)
        for key in _raw_tables(tree):
            out[key]  # noqa: B018 - a table read with no named column still counts
        for scope in traverse_scope(tree):
            selected = {name: src for name, (_, src) in scope.selected_sources.items()}
            raw = {name: src for name, src in selected.items()
                   if isinstance(src, exp.Table) and src.db in SOURCES}
            if not raw:
                continue
            for col in scope.columns:
                if col.table:
                    src = raw.get(col.table)
                elif len(selected) == 1:
                    src = next(iter(raw.values()))
                else:
                    raise SqlFileError(f"query {query!r}: column {col.name!r} is read from a join of "
                                       f"{sorted(selected)}: qualify it with its table alias")
                if src is not None:
                    out[(src.db, src.name)].add(col.name.lower())
    return {key: frozenset(cols) for key, cols in out.items()}


def tables_scanned(queries: Iterable[str]) -> dict[str, list[SourceTable]]:
    """``{query: sorted (source, table) pairs it scans}`` (its staging models' tables included)."""
    return {q: sorted(_raw_tables(_expanded(q))) for q in queries}


def scan_table_markdown(queries: Iterable[str]) -> str:
    """Two markdown tables generated from the SQL trees: which source tables each query scans,
    and which columns of each table the SQL reads (what a BigQuery query is billed for)."""
    queries = list(queries)
    scanned = tables_scanned(queries)
    columns = required_columns(queries)
    lines = ["| query | source tables scanned |", "|---|---|"]
    for q in queries:
        lines.append(f"| `{q}` | {', '.join(f'`{s}.{t}`' for s, t in scanned[q])} |")
    lines += ["", "| source table | columns read | read by (queries) |", "|---|---|---|"]
    for key in sorted(columns):
        users = sum(1 for q in queries if key in scanned[q])
        lines.append(f"| `{key[0]}.{key[1]}` | {', '.join(sorted(columns[key]))} | {users} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ what the warehouse has


def existing_columns(warehouse, datasets: Iterable[str]) -> dict[str, dict[str, set[str]] | None]:
    """Columns present per table of each dataset, from INFORMATION_SCHEMA.

    Returns ``{dataset: {table: {column, …}}}`` (lower-case), or ``{dataset: None}`` when the
    dataset (DuckDB schema) does not exist. ``warehouse`` is a ``DuckDBWarehouse`` or a
    ``BigQueryWarehouse``; API errors other than not-found propagate.
    """
    out: dict[str, dict[str, set[str]] | None] = {}
    for dataset in sorted(set(datasets)):
        validate_identifier(dataset, "dataset")
        rows = (_bigquery_columns(warehouse, dataset) if isinstance(warehouse, BigQueryWarehouse)
                else _duckdb_columns(warehouse, dataset))
        if rows is None:
            out[dataset] = None
            continue
        tables: dict[str, set[str]] = defaultdict(set)
        for table, column in rows:
            tables[table.lower()].add(column.lower())
        out[dataset] = dict(tables)
    return out


def _duckdb_columns(wh: DuckDBWarehouse, dataset: str) -> list[tuple[str, str]] | None:
    con = wh.connect()
    if not con.execute("select count(*) from information_schema.schemata where schema_name = $d",
                       {"d": dataset}).fetchone()[0]:
        return None
    return con.execute("select table_name, column_name from information_schema.columns where table_schema = $d",
                       {"d": dataset}).fetchall()


def _bigquery_columns(wh: BigQueryWarehouse, dataset: str) -> list[tuple[str, str]] | None:
    from google.api_core import exceptions as gexc

    if not _PROJECT_RE.match(wh.project):
        raise ValueError(f"BigQuery project {wh.project!r} is not a valid project id")
    client = wh.client()
    try:
        client.get_dataset(f"{wh.project}.{dataset}")
    except gexc.NotFound:
        return None
    sql = f"SELECT table_name, column_name FROM `{wh.project}.{dataset}.INFORMATION_SCHEMA.COLUMNS`"
    rows = client.query(sql, location=wh.location).result()
    return [(r["table_name"], r["column_name"]) for r in rows]


@dataclass(frozen=True)
class TableCheck:
    """One source table the SQL reads: where it should be and what of it is missing.

    ``missing_columns`` are the required columns it lacks; ``absent_optional`` the declared optional
    columns it lacks (``sources.yml``). ``optional``: every model reading the table can do without it,
    so an absent table is reported, not missing (``ok`` stays true)."""

    source: str
    table: str
    dataset: str
    dataset_exists: bool
    table_exists: bool
    columns_read: tuple[str, ...]
    missing_columns: tuple[str, ...]
    optional: bool = False
    absent_optional: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        if not self.table_exists:
            return self.optional
        return not self.missing_columns


def _optional_by_table() -> tuple[set[SourceTable], dict[SourceTable, set[str]]]:
    """Which tables, and which columns of each table, every staging model reading them declares
    optional (``sources.yml``): ``(tables, {table: columns})``."""
    from data_access.sources import optional_inputs

    declared: dict[str, set[str]] = defaultdict(set)  # model → "source.table[.column]"
    for o in optional_inputs():
        declared[o.model].add(o.name)
    readers: dict[SourceTable, list[str]] = defaultdict(list)
    column_readers: dict[tuple[SourceTable, str], list[str]] = defaultdict(list)
    for rel, _ in sql_files():
        if not rel.startswith("staging/"):
            continue
        model = rel.removesuffix(".sql")
        for key, cols in required_columns([model]).items():
            if model in _direct_readers(key, model):
                readers[key].append(model)
                for c in cols:
                    column_readers[(key, c)].append(model)
    tables = {key for key, models in readers.items()
              if all(f"{key[0]}.{key[1]}" in declared[m] for m in models)}
    columns: dict[SourceTable, set[str]] = defaultdict(set)
    for (key, c), models in column_readers.items():
        if key in tables or all(f"{key[0]}.{key[1]}.{c}" in declared[m] for m in models):
            columns[key].add(c)
    return tables, columns


def _direct_readers(key: SourceTable, model: str) -> set[str]:
    """``{model}`` when ``model``'s own SQL (not a model it reads) names the raw table ``key``."""
    from data_access.warehouse import parse_sql

    own = {(t.db, t.name) for t in parse_sql(model).find_all(exp.Table) if t.db in SOURCES}
    return {model} if key in own else set()


def check_tables(warehouse, required: Mapping[SourceTable, set[str]]) -> list[TableCheck]:
    """Compare what the SQL reads (``required_columns``) with the warehouse, table by table
    (sorted), logical sources mapped to datasets with ``warehouse.datasets``; optional tables and
    columns (``sources.yml``) absent are told apart from required ones missing."""
    datasets = {source: warehouse.datasets.get(source, source) for source, _ in required}
    present = existing_columns(warehouse, datasets.values())
    optional_tables, optional_columns = _optional_by_table()
    out = []
    for (source, table), cols in sorted(required.items()):
        tables = present[datasets[source]]
        have = (tables or {}).get(table.lower())
        absent = () if have is None else tuple(sorted(c for c in cols if c not in have))
        can_lack = optional_columns.get((source, table), set())
        out.append(TableCheck(source, table, datasets[source], tables is not None, have is not None,
                              tuple(sorted(cols)), tuple(c for c in absent if c not in can_lack),
                              (source, table) in optional_tables, tuple(c for c in absent if c in can_lack)))
    return out


def degraded_views(queries: Iterable[str]) -> dict[str, list[str]]:
    """``{input name: [query, …]}``: for every declared optional input, the queries of ``queries``
    that read the model declaring it (directly or through other models), in order."""
    from data_access.sources import optional_inputs
    from data_access.warehouse import models_read

    reads = {q: set(models_read(q)) for q in queries}
    out: dict[str, list[str]] = {}
    for o in optional_inputs():
        users = out.setdefault(o.name, [])
        users += [q for q in reads if o.model in reads[q] and q not in users]
    return out


def pipeline_report(warehouse, params: Mapping) -> list[str]:
    """The pipeline problems (``data_access.pipelines.pipeline_problems``) of the warehouse, from
    the same SQL the refresh stores for the cards (``PIPELINES_QUERY``), each followed by the
    command that would fix it. Raises ``QueryError`` / ``SqlFileError`` like ``run``."""
    from data_access.pipelines import PIPELINES_QUERY, fix_command, pipeline_problems

    frame = warehouse.run(PIPELINES_QUERY, params)
    out = []
    for kind, text in pipeline_problems(frame).items():
        fix = fix_command(kind, frame)
        out.append(text + (f"\n    fix: {fix} python -m data_access.check" if fix else
                           "\n    fix: none to suggest: no pipeline of this HubSpot holds deals"))
    return out


# ------------------------------------------------------------------ planning the queries


@dataclass(frozen=True)
class QueryCheck:
    """One catalog query planned without running it: ``bytes_processed`` on BigQuery."""

    query: str
    ok: bool
    bytes_processed: int | None = None
    error: str | None = None


def plan_queries(warehouse, queries: Iterable[str], params: Mapping) -> list[QueryCheck]:
    """Plan every query with ``params`` bound, without running it: a BigQuery dry run (bytes it
    would process; over ``maximum_bytes_billed`` is a failure, since the real run would be
    refused; up to 8 dry runs at a time) or a DuckDB ``EXPLAIN``. Returns one ``QueryCheck``
    per query, in order; errors become failed ``QueryCheck``s, never exceptions."""
    queries = list(queries)
    if not isinstance(warehouse, BigQueryWarehouse):
        return [_guarded(q, lambda q=q: _explain(warehouse, q, params)) for q in queries]
    warehouse.client()  # one client, shared by the threads
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda q: _guarded(q, lambda: _dry_run(warehouse, q, params)), queries))


def _guarded(query: str, plan) -> QueryCheck:
    try:
        return plan()
    except (QueryError, SqlFileError) as e:
        return QueryCheck(query, False, error=str(e))


def _dry_run(wh: BigQueryWarehouse, query: str, params: Mapping) -> QueryCheck:
    n = wh.dry_run(query, params)
    cap = wh.maximum_bytes_billed
    if cap and n > cap:
        return QueryCheck(query, False, n, f"would process {human_bytes(n)}, over maximum_bytes_billed "
                                           f"{human_bytes(cap)}: the refresh would fail")
    return QueryCheck(query, True, n)


def _explain(wh: DuckDBWarehouse, query: str, params: Mapping) -> QueryCheck:
    import duckdb

    sql = render(query, "duckdb", wh.datasets, gaps=wh.gaps())
    wanted = parameters_of(query)
    missing = wanted - set(params)
    if missing:
        return QueryCheck(query, False, error=f"missing parameters {sorted(missing)}")
    bound = {k: _bind_value(v) for k, v in params.items() if k in wanted}
    try:
        wh.connect().execute("explain " + sql, bound).fetchall()
    except duckdb.Error as e:
        return QueryCheck(query, False, error=f"{type(e).__name__}: {str(e).splitlines()[0]}")
    return QueryCheck(query, True)


def human_bytes(n: int) -> str:
    """``1536`` → ``"1.5 KiB"`` (binary units, one decimal; bytes as an integer)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ the report


@dataclass
class CheckReport:
    """Everything ``run_check`` found. ``ok`` is what the exit status reports."""

    backend: str
    target: str  # "project p (location l)" or the DuckDB file
    overrides: dict[str, Path]
    tables: list[TableCheck]
    queries: list[QueryCheck]
    warnings: list[str] = field(default_factory=list)
    maximum_bytes_billed: int | None = None
    pipeline_problems: list[str] = field(default_factory=list)
    degraded: dict[str, list[str]] = field(default_factory=dict)  # optional input → queries it degrades

    @property
    def missing(self) -> list[str]:
        """``"<dataset>.<table>"`` and ``"<dataset>.<table>.<column>"`` for everything required missing."""
        out = []
        for t in self.tables:
            if not t.table_exists and not t.optional:
                out.append(f"{t.dataset}.{t.table}")
            out += [f"{t.dataset}.{t.table}.{c}" for c in t.missing_columns]
        return out

    @property
    def failed_queries(self) -> list[QueryCheck]:
        return [q for q in self.queries if not q.ok]

    @property
    def total_bytes(self) -> int | None:
        """Bytes one full refresh (every catalog query once) would process; ``None`` on DuckDB."""
        sizes = [q.bytes_processed for q in self.queries if q.bytes_processed is not None]
        return sum(sizes) if self.backend == "bigquery" else None

    @property
    def absent_optional(self) -> list[str]:
        """``"<source>.<table>"`` / ``"<source>.<table>.<column>"`` of the optional inputs absent."""
        out = []
        for t in self.tables:
            if not t.table_exists and t.optional:
                out.append(f"{t.source}.{t.table}")
            out += [f"{t.source}.{t.table}.{c}" for c in t.absent_optional]
        return out

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failed_queries and not self.pipeline_problems


def run_check(settings: Settings | None = None, warehouse=None, as_of: dt.date | None = None,
              queries: Iterable[str] | None = None) -> CheckReport:
    """Check the configured warehouse (or ``warehouse``) against the catalog's SQL: every
    catalog query, or ``queries`` (see ``page_queries``).

    ``as_of`` (default: the settings' as-of date) and the targets file give the query
    parameters, as in a refresh. Raises whatever opening the warehouse raises (a DuckDB file
    that does not exist or is locked, BigQuery credentials…); ``main`` turns that into exit 2.
    """
    from data_access.catalog import load_catalog
    from data_access.refresh import query_params
    from data_access.targets import load_targets

    settings = settings or get_settings()
    if warehouse is None:
        warehouse = (BigQueryWarehouse.from_settings(settings) if settings.backend == "bigquery"
                     else DuckDBWarehouse.from_settings(settings, read_only=True))
    if isinstance(warehouse, BigQueryWarehouse):
        target = f"project {warehouse.project}" + (f" (location {warehouse.location})" if warehouse.location else "")
    else:
        target = str(warehouse.path)
    overrides = sql_overrides()
    queries = list(queries) if queries is not None else load_catalog().queries()
    tables = check_tables(warehouse, required_columns(queries))
    params = query_params(settings, load_targets(settings.targets_path).targets, as_of or settings.today())
    report = CheckReport(warehouse.name, target, overrides, tables, plan_queries(warehouse, queries, params),
                         maximum_bytes_billed=getattr(warehouse, "maximum_bytes_billed", None),
                         degraded=degraded_views(queries))
    deal = next((t for t in tables if (t.source, t.table) == ("hubspot", "deal")), None)
    if deal is not None and deal.ok:
        try:
            report.pipeline_problems = pipeline_report(warehouse, params)
        except (QueryError, SqlFileError) as e:
            report.warnings.append(f"could not check the pipeline settings: {e}")
    return report


def page_queries(page: str) -> list[str]:
    """The SQL queries behind one catalog page (its warehouse metrics' values and views, in
    catalog order). Raises ``ValueError`` naming the pages for an unknown page."""
    from data_access.catalog import load_catalog

    catalog = load_catalog()
    if page not in catalog.pages:
        raise ValueError(f"unknown page {page!r} (pages: {', '.join(catalog.pages)})")
    wanted = {f for m in catalog.metrics_on(page) if getattr(m, "source", "warehouse") == "warehouse"
              for f in [m.query, *(v.query for v in m.views)]}
    return [q for q in catalog.queries() if q in wanted]


def format_report(report: CheckReport) -> str:
    """The report as the text ``python -m data_access.check`` prints."""
    lines = [f"Pulse warehouse check: {report.backend}, {report.target}"]
    if report.overrides:
        lines.append("SQL overrides in force:")
        lines += [f"  {name}.sql  <- {path}" for name, path in sorted(report.overrides.items())]
    else:
        lines.append("SQL overrides: none")
    n_cols = sum(len(t.columns_read) for t in report.tables)
    lines += ["", f"Source tables and columns the catalog's SQL reads ({len(report.tables)} tables, {n_cols} columns):"]
    for t in report.tables:
        where = f"{t.source}.{t.table}" + ("" if t.dataset == t.source else f" (dataset {t.dataset})")
        if not t.dataset_exists:
            lines.append(f"  absent   {where}: dataset {t.dataset} not found (optional)" if t.optional
                         else f"  MISSING  {where}: dataset {t.dataset} not found")
        elif not t.table_exists and t.optional:
            lines.append(f"  absent   {where}: table not found (optional)")
        elif not t.table_exists:
            lines.append(f"  MISSING  {where}: table not found")
        elif t.missing_columns:
            lines.append(f"  MISSING  {where}: columns {', '.join(t.missing_columns)} "
                         f"({len(t.columns_read) - len(t.missing_columns)} of {len(t.columns_read)} present)")
        elif t.absent_optional:
            lines.append(f"  ok       {where}: {len(t.columns_read) - len(t.absent_optional)} of "
                         f"{len(t.columns_read)} columns; absent (optional): {', '.join(t.absent_optional)}")
        else:
            lines.append(f"  ok       {where}: {len(t.columns_read)} columns")
    absent = report.absent_optional
    if absent:
        from data_access.sources import optional_inputs

        lines += ["", f"Optional inputs absent ({len(absent)}): the models below degrade, nothing fails:"]
        for o in optional_inputs():
            if o.name in absent:
                views = report.degraded.get(o.name, [])
                lines.append(f"  {o.name} ({o.model}): {o.degrades}")
                if views:
                    lines.append(f"    degrades {len(views)} quer{'y' if len(views) == 1 else 'ies'}: {', '.join(views)}")
    if report.pipeline_problems:
        lines += ["", "Pipeline settings:"] + [f"  PROBLEM  {p}" for p in report.pipeline_problems]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  {w}" for w in report.warnings]
    width = max([len(q.query) for q in report.queries] + [36])
    if report.backend == "bigquery":
        cap = report.maximum_bytes_billed
        lines += ["", f"Dry run: bytes each query would process (maximum_bytes_billed "
                      f"{human_bytes(cap) if cap else 'none'} per query):"]
        for q in report.queries:
            shown = human_bytes(q.bytes_processed) if q.bytes_processed is not None else "-"
            lines.append(f"  {q.query:<{width}}  {shown:>10}" + ("" if q.ok else f"  FAILED: {q.error}"))
        lines.append(f"  {'total per refresh cycle (' + str(len(report.queries)) + ' queries)':<{width}}  "
                     f"{human_bytes(report.total_bytes or 0):>10}")
    else:
        lines += ["", "Query plans (DuckDB EXPLAIN; dry-run bytes are BigQuery-only):"]
        for q in report.queries:
            lines.append(f"  {q.query:<{width}}  " + ("ok" if q.ok else f"FAILED: {q.error}"))
    lines.append("")
    if report.ok:
        lines.append(f"Result: OK: every table and column the SQL reads exists; all {len(report.queries)} queries plan.")
    else:
        missing = report.missing
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing)})")
        if report.failed_queries:
            parts.append(f"{len(report.failed_queries)} of {len(report.queries)} queries do not plan")
        if report.pipeline_problems:
            n = len(report.pipeline_problems)
            parts.append(f"{n} pipeline setting{'s' if n != 1 else ''} find{'s' if n == 1 else ''} no deals")
        lines.append(f"Result: FAILED: {'; '.join(parts)}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point. Prints the report; returns 0 (all present), 1 (something missing or a
    query does not plan) or 2 (the warehouse or the settings could not be opened)."""
    parser = argparse.ArgumentParser(prog="python -m data_access.check", description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="as-of date of the query parameters")
    parser.add_argument("--page", help="check only the queries of this catalog page (e.g. company_health)")
    parser.add_argument("--scan-table", action="store_true",
                        help="print the markdown table of which queries scan which tables and exit")
    args = parser.parse_args(argv)
    if args.scan_table:
        from data_access.catalog import load_catalog

        print(scan_table_markdown(load_catalog().queries()), end="")
        return 0
    try:
        queries = page_queries(args.page) if args.page else None
        report = run_check(as_of=args.as_of, queries=queries)
    except Exception as e:  # noqa: BLE001 - any failure to open the warehouse is reported, not raised
        print(f"error: cannot check the warehouse: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(format_report(report), end="")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
