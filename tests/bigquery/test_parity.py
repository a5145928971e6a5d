"""Every catalog query through ``BigQueryWarehouse`` (the real google-cloud-bigquery client,
named parameters, bqemulator) gives the frame ``DuckDBWarehouse`` gives on the same data:
same columns in the same order, same dtypes, same values (floats within 1e-9 relative).

Run on the demo company (as of 2026-11-21: every query) and on the Fivetran seeds (as of
2021-02-15: revenue but no pipeline deals; the queries with rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.refresh import query_params
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import QueryError, source_tables
from tests.bigquery.conftest import SEED_SOURCES, catalog_tables
from tests.conftest import SEEDS

QUERIES = load_catalog().queries()
# the catalog's tables the Fivetran seeds have
SEED_TABLES = {(s, t) for s, t in catalog_tables()
               if s in SEED_SOURCES and (SEEDS / f"dbt_{s}" / f"{t}_data.csv").is_file()}


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """One canonical dtype per kind of column, whatever the driver chose: integers → ``Int64``,
    floats → ``float64``, booleans → ``boolean``, dates and timestamps → naive ``datetime64[us]``,
    text → ``object`` with ``None`` for missing."""
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("boolean")
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[col] = s.astype("Int64")
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s.dtype) or str(s.dtype) == "dbdate":
            stamps = pd.to_datetime(s)
            if stamps.dt.tz is not None:
                stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
            out[col] = stamps.astype("datetime64[us]")
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def assert_same_frame(bq: pd.DataFrame, duck: pd.DataFrame) -> None:
    """Columns, normalised dtypes and values equal (floats to 1e-9 relative, NULL = NULL)."""
    assert list(bq.columns) == list(duck.columns)
    b, d = normalise(bq), normalise(duck)
    assert dict(b.dtypes.astype(str)) == dict(d.dtypes.astype(str))
    assert len(b) == len(d)
    for col in d.columns:
        if d[col].dtype == "float64":
            x, y = b[col].to_numpy(), d[col].to_numpy()
            same = np.isclose(x, y, rtol=1e-9, atol=0.0) | (np.isnan(x) & np.isnan(y))
            assert same.all(), (col, b.loc[~same, col].tolist(), d.loc[~same, col].tolist())
        else:
            assert _values(b[col]) == _values(d[col]), col


def _values(s: pd.Series) -> list:
    return s.astype(object).where(s.notna(), None).tolist()


_FRAMES: dict[tuple[str, str], pd.DataFrame] = {}


def bq_frame(data, query: str) -> pd.DataFrame:
    """``query`` on the emulator for ``data`` (run once per session: ~1.5 s a query there)."""
    key = (data.name, query)
    if key not in _FRAMES:
        _FRAMES[key] = data.bq.run(query, query_params(Settings(), DEFAULT_TARGETS, data.as_of))
    return _FRAMES[key]


def duck_frame(data, query: str) -> pd.DataFrame:
    return data.duck.run(query, query_params(Settings(), DEFAULT_TARGETS, data.as_of))


@pytest.mark.parametrize("query", QUERIES)
def test_bqp001_every_query_on_bigquery_equals_duckdb_on_the_demo(bq_data, query):
    demo = bq_data["demo"]
    duck, bq = duck_frame(demo, query), bq_frame(demo, query)
    assert_same_frame(bq, duck)
    # Beyond normalisation, BigQueryWarehouse hands back DuckDB's own dtypes (arrow_frame), so the
    # pages, the API and the frame store see one frame shape whatever the backend. (Except text
    # columns of an empty result, `object` in DuckDB and `str` from Arrow, and integer width:
    # DuckDB types an integer literal INTEGER, int32, where BigQuery has only INT64.)
    if len(duck):
        assert raw_dtypes(bq) == raw_dtypes(duck)


def raw_dtypes(df: pd.DataFrame) -> dict[str, str]:
    return {c: "int64" if str(t) == "int32" else str(t) for c, t in df.dtypes.items()}


def test_bqp002_seed_queries_with_rows_match_and_the_others_fail_alike(bq_data):
    """On the seeds (odd, real Fivetran data): every query with rows on DuckDB gives the same
    frame on BigQuery; a query DuckDB cannot run (its table is not in the seeds) is NotFound on
    BigQuery. Queries with an empty result are left to the demo run (time: ~1.5 s a query)."""
    seeds = bq_data["seeds"]
    compared, failed_alike = [], []
    for query in QUERIES:
        try:
            duck = duck_frame(seeds, query)
        except QueryError:
            with pytest.raises(QueryError, match=r"NotFound: (table \w+ not found in dataset|dataset \w+ not found)"):
                seeds.bq.run(query, query_params(Settings(), DEFAULT_TARGETS, seeds.as_of))
            failed_alike.append(query)
            continue
        if len(duck):
            try:
                assert_same_frame(bq_frame(seeds, query), duck)
            except AssertionError as e:
                raise AssertionError(f"{query}: {e}") from e
            compared.append(query)
    assert len(compared) >= 10, compared
    assert {"company_health/revenue_ytd", "company_health/win_rate", "company_health/revenue_by_month"} <= set(compared)
    assert all(source_tables(q) - SEED_TABLES for q in failed_alike)


def test_bqp003_the_comparison_has_something_to_compare(bq_data):
    """The demo gives the Company Health cards values on both backends and the seeds have
    revenue, so the parity above is not a comparison of empty frames."""
    demo, seeds = bq_data["demo"], bq_data["seeds"]
    for metric in ("revenue_ytd", "pipeline_coverage", "win_rate", "avg_deal_size", "sales_cycle_days", "nrr",
                   "grr", "customer_concentration"):
        frame = bq_frame(demo, load_catalog().metrics[metric].query)
        assert len(frame) == 1 and pd.notna(frame["value"].iloc[0]), metric
    assert bq_frame(demo, "company_health/open_deals")["deal_id"].nunique() >= 5
    # the seeds: five live invoices in Feb 2021 (README: Revenue YTD $51.2K), no pipeline deals
    assert bq_frame(seeds, "company_health/revenue_ytd")["value"].iloc[0] == pytest.approx(51_200, rel=0.01)
    win = bq_frame(seeds, "company_health/win_rate")  # no closed deal: NULL rate, zero counts
    assert pd.isna(win["value"].iloc[0]) and (win["won_count"].iloc[0], win["lost_count"].iloc[0]) == (0, 0)


def test_bqp004_every_table_arrived_whole(bq_data):
    """The emulator holds as many rows per table as the DuckDB reference (loads are Parquet)."""
    for data in bq_data.values():
        con = data.duck.connect()
        for key, rows in data.rows.items():
            dataset, table = key.split(".")
            assert rows == con.execute(f'select count(*) from "{dataset}"."{table}"').fetchone()[0], key
    assert {"hubspot.deal", "quickbooks.invoice_line"} <= set(bq_data["demo"].rows)
    assert set(bq_data["seeds"].rows) == {f"seed_{s}.{t}" for s, t in SEED_TABLES}
