"""Optional source inputs: what each staging model can do without (``sources.yml``).

A staging model reads raw source tables; most of them every account has (a required table that
is missing fails the queries that need it, and ``python -m data_access.check`` names it). Some a
real account may not sync — QuickBooks customer types, HubSpot deal–company associations, an
exchange-rate column of a single-currency company. ``sources.yml`` declares those per model, with
what the model gives without them. When one is absent from the warehouse, the warehouse reads it
as an empty table (every ``schema.TABLES`` column, typed, no rows) or the column as a typed NULL,
in that model only (``data_access.warehouse._rewrite_tables``): the model degrades, never fails.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

from data_access import schema
from data_access.config import SOURCES

SOURCES_PATH = Path(__file__).resolve().parent / "sources.yml"

SourceTable = tuple[str, str]  # (logical source, table): ("quickbooks", "customer_type")
# What one model's SQL must read in place of absent inputs:
# {(source, table): None (the table is absent) | frozenset of absent columns}
Gaps = Mapping[SourceTable, frozenset[str] | None]


class SourcesError(ValueError):
    """``sources.yml`` is malformed or names a table or column Pulse does not know."""


@dataclass(frozen=True)
class OptionalInput:
    """One optional input of one staging model: a whole table (``column`` None) or one column."""

    model: str  # "staging/customers"
    source: str  # "quickbooks"
    table: str  # "customer_type"
    column: str | None  # "customer_type_id", or None for the whole table
    degrades: str  # what the model gives without it (a sentence)

    @property
    def name(self) -> str:
        """``quickbooks.customer_type`` or ``quickbooks.customer.customer_type_id``."""
        return ".".join(p for p in (self.source, self.table, self.column) if p)


def parse_sources(raw: str) -> tuple[OptionalInput, ...]:
    """Parse ``sources.yml`` text. Raises ``SourcesError`` naming the bad entry: an unknown model
    file, an input that is not ``source.table[.column]`` of ``schema.TABLES``, or no ``degrades``."""
    from data_access.warehouse import SQL_DIR

    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as e:
        raise SourcesError(f"sources.yml is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise SourcesError("sources.yml must map staging models to lists of optional inputs")
    out = []
    for model, entries in data.items():
        parts = str(model).split("/")
        if len(parts) != 2 or parts[0] != "staging" or not (SQL_DIR / parts[0] / f"{parts[1]}.sql").is_file():
            raise SourcesError(f"sources.yml: {model!r} is not a staging model (sql/staging/<model>.sql)")
        for i, entry in enumerate(entries or []):
            where = f"sources.yml: {model}[{i}]"
            if not isinstance(entry, dict) or set(entry) != {"input", "degrades"} or not entry["degrades"]:
                raise SourcesError(f"{where}: give exactly `input` and `degrades`")
            bits = str(entry["input"]).split(".")
            if len(bits) not in (2, 3) or bits[0] not in SOURCES:
                raise SourcesError(f"{where}: input {entry['input']!r} is not <source>.<table>[.<column>]")
            cols = schema.columns(bits[0], bits[1])
            if not cols:
                raise SourcesError(f"{where}: {bits[0]}.{bits[1]} is not a table of schema.TABLES")
            if len(bits) == 3 and bits[2] not in cols:
                raise SourcesError(f"{where}: {bits[0]}.{bits[1]} has no column {bits[2]!r} in schema.TABLES")
            out.append(OptionalInput(str(model), bits[0], bits[1], bits[2] if len(bits) == 3 else None,
                                     str(entry["degrades"])))
    return tuple(out)


@lru_cache(maxsize=1)
def optional_inputs(path: Path = SOURCES_PATH) -> tuple[OptionalInput, ...]:
    """Every declared optional input (``sources.yml``, parsed once per process)."""
    return parse_sources(path.read_text(encoding="utf-8"))


def optional_tables() -> set[SourceTable]:
    """The source tables some optional input names (whole or one column): those whose presence a
    warehouse looks up before a refresh."""
    return {(o.source, o.table) for o in optional_inputs()}


def gaps(present: Mapping[SourceTable, set[str] | None]) -> dict[str, dict[SourceTable, frozenset[str] | None]]:
    """What each model must read in place of absent optional inputs.

    ``present``: for every table of ``optional_tables()``, its columns (lower-case) in the
    warehouse, or ``None`` when the table does not exist. Returns ``{model: {(source, table):
    None | frozenset(columns)}}``: ``None`` when a table declared optional is absent, the absent
    columns declared optional when the table exists. A column declared optional of a table that
    is absent and not declared optional itself is left out (the table is required: its queries
    fail and the check names it).
    """
    out: dict[str, dict[SourceTable, frozenset[str] | None]] = {}
    for o in optional_inputs():
        key = (o.source, o.table)
        have = present.get(key)
        model = out.setdefault(o.model, {})
        if o.column is None:
            if have is None:
                model[key] = None
        elif have is not None and o.column not in have and model.get(key, frozenset()) is not None:
            model[key] = frozenset(model.get(key) or frozenset()) | {o.column}
    return {m: g for m, g in out.items() if g}


def missing_inputs(present: Mapping[SourceTable, set[str] | None]) -> list[OptionalInput]:
    """The declared optional inputs absent from a warehouse (``present`` as in ``gaps``), in
    declaration order: tables that do not exist, columns missing from tables that do."""
    out = []
    for o in optional_inputs():
        have = present.get((o.source, o.table))
        if (o.column is None and have is None) or (o.column is not None and have is not None
                                                   and o.column not in have):
            out.append(o)
    return out


def gaps_key(g: Mapping[str, Gaps] | None) -> tuple:
    """A hashable form of ``gaps(...)`` (for caches of rendered SQL)."""
    if not g:
        return ()
    return tuple(sorted((m, tuple(sorted((k, None if v is None else tuple(sorted(v))) for k, v in t.items())))
                        for m, t in g.items()))
