"""Fixtures of the BigQuery tests: one bqemulator per session, with the demo company and the
Fivetran seeds loaded into it through the official client, and the same data in DuckDB files
(the reference the BigQuery frames are compared with).

Nothing here skips: if the emulator cannot be installed or started the tests fail with its log.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field

import pyarrow as pa
import pytest

from data_access.catalog import load_catalog
from data_access.config import SOURCES
from data_access.demo import build_demo
from data_access.load import load_folder
from data_access.warehouse import BigQueryWarehouse, DuckDBWarehouse, source_tables
from tests.bigquery import emulator
from tests.conftest import SEEDS

DEMO_AS_OF = dt.date(2026, 11, 21)
SEED_AS_OF = dt.date(2021, 2, 15)  # the seeds' invoices are 2019–2021: this date has revenue
DEMO_DATASETS = {source: source for source in SOURCES}
SEED_DATASETS = {source: f"seed_{source}" for source in SOURCES}
SEED_SOURCES = ("hubspot", "quickbooks", "zendesk")  # the Fivetran seeds Pulse reads (../shared/data/fivetran/dbt_*)


@dataclass
class LoadedData:
    """One data set in both backends: ``duck`` (reference) and ``bq`` (the emulator)."""

    name: str
    as_of: dt.date
    datasets: dict[str, str]
    duck: DuckDBWarehouse
    bq: BigQueryWarehouse
    rows: dict[str, int] = field(default_factory=dict)  # "<dataset>.<table>" → rows in the emulator


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory):
    """bqemulator 1.4.0 on free ports with a fresh data dir; stopped by pid at the end."""
    root = tmp_path_factory.mktemp("bqemu")
    try:
        emu = emulator.start(root / "data", root / "bqemulator.log")
    except emulator.EmulatorError as e:
        pytest.fail(str(e), pytrace=False)
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def bq_client(bq_emulator):
    """The official client pointed at the emulator (anonymous credentials)."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(project=bq_emulator.project, credentials=AnonymousCredentials(),
                           client_options=ClientOptions(api_endpoint=bq_emulator.endpoint))


def bq_warehouse(emu: emulator.Emulator, datasets: dict[str, str]) -> BigQueryWarehouse:
    """A ``BigQueryWarehouse`` on the emulator (client retries bounded to 30 s: the emulator's
    500s would otherwise be retried for minutes)."""
    return BigQueryWarehouse(emu.project, datasets, api_endpoint=emu.endpoint, timeout_s=120,
                             retry_deadline_s=30)


def catalog_tables() -> set[tuple[str, str]]:
    """Every (source, table) the catalog's SQL reads."""
    return set().union(*(source_tables(q) for q in load_catalog().queries()))


def _export(duck: DuckDBWarehouse, schema: str, tables: list[str]) -> dict[str, pa.Table]:
    con = duck.connect()
    return {t: con.sql(f'select * from "{schema}"."{t}"').to_arrow_table() for t in tables}


@pytest.fixture(scope="session")
def bq_data(bq_emulator, bq_client, tmp_path_factory) -> dict[str, LoadedData]:
    """``{"demo": …, "seeds": …}``.

    - demo: ``build_demo(0.05, 2026-11-21, seed=7)``, every table of every source it builds, in
      datasets named like the sources (``hubspot``, ``quickbooks``, …);
    - seeds: the Fivetran seed CSVs of the tables the catalog reads, loaded by
      ``data_access.load`` into DuckDB, read back, and loaded into ``seed_hubspot`` /
      ``seed_quickbooks``.
    """
    tmp = tmp_path_factory.mktemp("bqdata")
    demo = DuckDBWarehouse(tmp / "demo.duckdb", DEMO_DATASETS)
    demo_sources = []
    for source, frames in build_demo(0.05, DEMO_AS_OF, seed=7).items():
        demo.replace_tables(source, frames)
        demo_sources.append(source)
    used = catalog_tables()
    seeds = DuckDBWarehouse(tmp / "seeds.duckdb", SEED_DATASETS)
    for source in SEED_SOURCES:  # only the CSVs of tables the catalog reads
        folder = tmp / f"seed_{source}"
        folder.mkdir()
        for s, t in used:
            if s == source and (SEEDS / f"dbt_{source}" / f"{t}_data.csv").is_file():
                shutil.copy(SEEDS / f"dbt_{source}" / f"{t}_data.csv", folder)
        load_folder(seeds, source, folder)

    out = {}
    for name, duck, datasets, as_of, sources in (("demo", demo, DEMO_DATASETS, DEMO_AS_OF, demo_sources),
                                                  ("seeds", seeds, SEED_DATASETS, SEED_AS_OF, SEED_SOURCES)):
        data = LoadedData(name, as_of, datasets, duck, bq_warehouse(bq_emulator, datasets))
        for source in sources:
            tables = duck.list_tables(source)
            loaded = emulator.load_tables(bq_client, datasets[source], _export(duck, datasets[source], tables))
            data.rows.update({f"{datasets[source]}.{t}": n for t, n in loaded.items()})
        out[name] = data
    yield out
    demo.close()
    seeds.close()
