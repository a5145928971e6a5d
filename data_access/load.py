"""Load a folder of Fivetran-schema CSV exports into the local DuckDB warehouse.

    python -m data_access.load <source> <dir> [--duckdb-path PATH]

``<dir>/<table>.csv`` or Fivetran's seed style ``<table>_data.csv`` becomes the table
``<dataset>.<table>`` (dataset = ``settings.datasets[source]``); other files are skipped.
Every file is parsed and typed first; then all tables are written in one transaction,
so a bad file means nothing from the folder is written.

Parsing uses Python's ``csv`` module in strict mode rather than ``pandas.read_csv``:
pandas silently pads short rows with NULLs and accepts stray quotes, both of which
must be errors here. Values stay strings (empty cell = NULL) until typed:

* Columns declared in ``schema.TABLES`` get their declared type (INT64 → BIGINT,
  FLOAT64/NUMERIC → DOUBLE, STRING → VARCHAR, BOOL → BOOLEAN, DATE → DATE (a
  midnight timestamp is accepted), TIMESTAMP → naive-UTC TIMESTAMP). A value that
  does not fit is a ``LoadError``. Declared columns missing from a file are not added.
* Other columns are inferred conservatively, in this order: BOOLEAN if every value is
  true/false (any case); BIGINT if every value is an integer without leading zeros that
  fits int64 (larger ones stay VARCHAR: they are identifiers, and DOUBLE would lose
  digits); DOUBLE if every value is a plain decimal number; TIMESTAMP if the column name
  looks like a time column and every value is an ISO-style date/time; else VARCHAR.
  An entirely empty column is VARCHAR.

Timestamps must start with ``YYYY-M-D`` (no day/month-order guessing, no ``now``);
the rest (fraction, unpadded hour, ``T``, ``Z``, offsets, `` UTC``) is parsed by
``pandas.to_datetime(format="mixed")`` and converted to UTC without a zone.
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from data_access import schema
from data_access.config import SOURCES, get_settings, validate_identifier
from data_access.warehouse import DuckDBWarehouse

_INT_RE = re.compile(r"[+-]?(?:0|[1-9]\d*)")
_FLOAT_RE = re.compile(r"[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?")
_TIME_NAME_RE = re.compile(r"(?:^|_)(?:at|date|time|timestamp|synced|start|end|created|updated)(?:_|$)|date$")
_TRUE, _FALSE = "true", "false"
Column = list[str | None]  # one CSV column, empty cells as None
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MAX_FIELD = 64 * 1024 * 1024  # real exports hold long e-mail bodies / JSON (csv's default is 128 KiB)


class LoadError(ValueError):
    """A folder could not be loaded; the message names the file and the reason."""


class _BadValue(ValueError):
    """A column value that does not fit a type (internal; becomes ``LoadError``)."""

    def __init__(self, index: int, value: str, expected: str):
        super().__init__(expected)
        self.index, self.value, self.expected = index, value, expected


# ---------------------------------------------------------------- parsing


def table_name(path: Path) -> str:
    """Table for a CSV file: its stem without a trailing ``_data`` (``deal_data.csv`` → ``deal``)."""
    stem = path.stem
    return stem[: -len("_data")] if stem.endswith("_data") and len(stem) > len("_data") else stem


def read_csv(path: Path) -> tuple[list[str], list[Column], list[int]]:
    """Parse one CSV file into its header and its columns of raw strings (empty cell → None).

    Returns ``(header, columns, lines)``; ``lines[i]`` is the file line where row ``i``
    ends. Blank lines are skipped. Raises ``LoadError`` (naming the file) for
    undecodable bytes, an empty file, a blank or duplicate column name, bad quoting,
    or a row whose field count differs from the header's.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LoadError(f"{path}: not UTF-8 (byte {e.object[e.start]:#04x} at offset {e.start})") from e
    except OSError as e:
        raise LoadError(f"{path}: cannot read ({e.strerror or e})") from e
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        header = next((r for r in reader if r), None)
        if header is None:
            raise LoadError(f"{path}: empty file (no header row)")
        _check_header(path, header)
        for row in reader:
            if not row:  # blank line: not a record
                continue
            if len(row) != len(header):
                raise LoadError(
                    f"{path}: line {reader.line_num} has {len(row)} fields, the header has {len(header)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as e:
        raise LoadError(f"{path}: bad CSV near line {reader.line_num}: {e}") from e
    columns = [[v if v != "" else None for v in col] for col in zip(*rows)] if rows else [[] for _ in header]
    return header, columns, lines


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, str] = {}
    for i, name in enumerate(header, 1):
        if not name.strip():
            raise LoadError(f"{path}: column {i} of the header has no name")
        key = name.lower()  # DuckDB column names are case-insensitive
        if key in seen:
            raise LoadError(f"{path}: duplicate column {name!r} (also {seen[key]!r})")
        seen[key] = name


# ---------------------------------------------------------------- typing


def _require(values: Column, ok: Callable[[str], bool], expected: str) -> None:
    """Raise ``_BadValue`` for the first non-null value that fails ``ok``."""
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v is None or v in seen:
            continue
        if not ok(v):
            raise _BadValue(i, v, expected)
        seen.add(v)


def _is_int64(v: str) -> bool:
    v = v.strip()
    return bool(_INT_RE.fullmatch(v)) and _INT64_MIN <= int(v) <= _INT64_MAX


def _is_float(v: str) -> bool:
    v = v.strip()
    return bool(_FLOAT_RE.fullmatch(v)) and math.isfinite(float(v))


def _to_string(values: Column):
    return pd.array(values, dtype="string")


def _to_bool(values: Column):
    _require(values, lambda v: v.strip().lower() in (_TRUE, _FALSE), "true/false")
    return pd.array([None if v is None else v.strip().lower() == _TRUE for v in values], dtype="boolean")


def _to_int(values: Column):
    _require(values, _is_int64, "an int64 integer")
    return pd.array([None if v is None else int(v) for v in values], dtype="Int64")


def _to_float(values: Column):
    _require(values, _is_float, "a number")
    return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")


def _infer_float(values: Column):
    # integers too big for int64 are identifiers: keep them as strings, not lossy doubles
    _require(values, lambda v: not _INT_RE.fullmatch(v.strip()) or _is_int64(v), "no oversized integer")
    return _to_float(values)


def _to_timestamp(values: Column) -> pd.Series:
    _require(values, lambda v: bool(_ISO_DATE_RE.fullmatch(v.strip())), "a YYYY-MM-DD[ hh:mm:ss] timestamp")
    stripped = pd.Series([None if v is None else v.strip() for v in values], dtype=object)
    out = pd.to_datetime(stripped, format="mixed", utc=True, errors="coerce")
    _require([v if bad else None for v, bad in zip(values, out.isna())], lambda v: False, "a valid timestamp")
    return out.dt.tz_localize(None).astype("datetime64[us]")


def _to_date(values: Column):
    ts = _to_timestamp(values)
    has_time = (ts.notna() & (ts != ts.dt.normalize())).tolist()
    _require([v if bad else None for v, bad in zip(values, has_time)], lambda v: False, "a date without time of day")
    return pd.array(pa.array(ts).cast(pa.date32()), dtype=pd.ArrowDtype(pa.date32()))


_CASTS = {
    "INT64": _to_int,
    "FLOAT64": _to_float,
    "NUMERIC": _to_float,
    "STRING": _to_string,
    "BOOL": _to_bool,
    "DATE": _to_date,
    "TIMESTAMP": _to_timestamp,
}


def _infer(name: str, values: Column):
    casts = [_to_bool, _to_int, _infer_float]
    if _TIME_NAME_RE.search(name.lower()):
        casts.append(_to_timestamp)
    if any(v is not None for v in values):
        for cast in casts:
            try:
                return cast(values)
            except _BadValue:
                continue
    return _to_string(values)


def type_columns(path: Path, header: list[str], columns: list[Column], declared: Mapping[str, str],
                 lines: list[int]) -> pd.DataFrame:
    """Build the typed frame: declared columns cast to their BigQuery type, others inferred.

    Raises ``LoadError`` naming the file, the column, the first bad value and its line.
    """
    out = {}
    for name, values in zip(header, columns):
        bq = declared.get(name)
        if bq is None:
            out[name] = _infer(name, values)
            continue
        cast = _CASTS.get(bq.upper())
        if cast is None:
            raise LoadError(f"{path}: column {name!r} is declared with unsupported type {bq!r}")
        try:
            out[name] = cast(values)
        except _BadValue as e:
            raise LoadError(
                f"{path}: column {name!r} ({bq}) has {e.value!r} on line {lines[e.index]}, expected {e.expected}"
            ) from None
    return pd.DataFrame(out, index=pd.RangeIndex(len(lines)))


# ---------------------------------------------------------------- folder


def read_folder(source: str, folder: Path) -> dict[str, pd.DataFrame]:
    """Parse and type every CSV in ``folder`` for ``source``: table name → typed frame.

    Raises ``LoadError`` for an unknown source, a missing or CSV-less folder, two files
    mapping to one table, a file name that is not a table identifier, or any bad file.
    """
    if source not in SOURCES:
        raise LoadError(f"unknown source {source!r} (expected one of {', '.join(SOURCES)})")
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not paths:
        raise LoadError(f"{folder}: no .csv files")
    frames: dict[str, pd.DataFrame] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        table = table_name(path)
        try:
            validate_identifier(table, "table")
        except ValueError as e:
            raise LoadError(f"{path}: {e}") from None
        if table.lower() in origin:
            raise LoadError(f"{path}: table {table!r} also comes from {origin[table.lower()].name}")
        origin[table.lower()] = path
        header, columns, lines = read_csv(path)
        frames[table] = type_columns(path, header, columns, schema.columns(source, table), lines)
    return frames


def load_folder(warehouse: DuckDBWarehouse, source: str, folder: Path | str) -> dict[str, int]:
    """Load every ``<table>.csv`` / ``<table>_data.csv`` of ``folder`` into ``source``'s dataset.

    Each table is created or replaced as a whole (other tables of the dataset are left
    alone); soft-deleted rows and history rows are loaded as they are. All files are
    parsed and typed before anything is written, then all tables are written in one
    ``warehouse.replace_tables`` transaction.

    Returns:
        table name → number of rows loaded.
    Raises:
        LoadError: naming the file and reason (column, value and line when known);
            nothing from the folder is written and existing tables are unchanged.
    """
    frames = read_folder(source, Path(folder))
    try:
        warehouse.replace_tables(source, frames)
    except Exception as e:  # duckdb.Error, a locked file...: the transaction was rolled back
        raise LoadError(f"{folder}: writing {source} tables failed: {type(e).__name__}: {e}") from e
    return {table: len(df) for table, df in frames.items()}


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: prints ``table<TAB>rows`` lines; returns 1 with the error on stderr."""
    parser = argparse.ArgumentParser(prog="python -m data_access.load", description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--duckdb-path", type=Path, help="DuckDB file (default: PULSE_DUCKDB_PATH)")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        path = args.duckdb_path or settings.resolved_duckdb_path()
        warehouse = DuckDBWarehouse(path, settings.datasets)
        try:
            counts = load_folder(warehouse, args.source, args.folder)
        finally:
            warehouse.close()
    except (LoadError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    dataset = settings.datasets[args.source]
    for table, rows in sorted(counts.items()):
        print(f"{dataset}.{table}\t{rows}")
    print(f"loaded {len(counts)} tables, {sum(counts.values())} rows into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
