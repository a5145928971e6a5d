"""Error mapping on the BigQuery path (bqemulator): a broken SQL file and a missing table or
dataset become failed refresh results that name the query and say what is wrong; the refresh
carries on with the other queries and keeps the last good frame."""
from __future__ import annotations

import shutil

import pytest

from data_access import warehouse
from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.refresh import query_params, refresh_all, refresh_query
from data_access.targets import DEFAULT_TARGETS

BROKEN = "company_health/broken"
MISSING_TABLE = "company_health/missing_table"
MISSING_DATASET = "company_health/missing_dataset"
GOOD = "company_health/revenue_ytd"


@pytest.fixture
def sql_with_bad_files(tmp_path, monkeypatch):
    """The shipped SQL plus three bad files: one BigQuery rejects (a column that does not
    exist), one reading a table that does not exist, one reading a dataset that does not."""
    root = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, root)
    (root / "company_health" / "broken.sql").write_text(
        "select no_such_column as value from quickbooks.invoice where transaction_date <= @as_of_date\n")
    (root / "company_health" / "missing_table.sql").write_text(
        "select count(*) as value from quickbooks.no_such_table where created_at <= @as_of_date\n")
    (root / "company_health" / "missing_dataset.sql").write_text(
        "select count(*) as value from zendesk_archive.ticket\n")  # a dataset no warehouse has
    monkeypatch.setattr(warehouse, "SQL_DIR", root)
    return root


def test_bqe001_broken_sql_is_a_bad_request_naming_the_query(bq_data, sql_with_bad_files):
    data = bq_data["demo"]
    store = MemoryFrameStore()
    params = query_params(Settings(), DEFAULT_TARGETS, data.as_of)
    result = refresh_query(data.bq, store, BROKEN, params, Settings())
    assert not result.ok
    assert result.error_class == "BadRequest"
    assert result.error.startswith(f"query {BROKEN!r} failed: BadRequest: ")
    assert "2026-11-21" not in result.error  # the as-of parameter's value is not in the message
    assert store.get(BROKEN) is None
    assert store.get_outcome(BROKEN)["error_class"] == "BadRequest"


def test_bqe002_missing_table_and_dataset_say_which(bq_data, sql_with_bad_files):
    data = bq_data["demo"]
    params = query_params(Settings(), DEFAULT_TARGETS, data.as_of)
    table = refresh_query(data.bq, MemoryFrameStore(), MISSING_TABLE, params, Settings())
    assert (table.ok, table.error_class) == (False, "NotFound")
    assert table.error == (f"query {MISSING_TABLE!r} failed: NotFound: "
                           "table no_such_table not found in dataset quickbooks")
    dataset = refresh_query(data.bq, MemoryFrameStore(), MISSING_DATASET, params, Settings())
    assert (dataset.ok, dataset.error_class) == (False, "NotFound")
    # (the emulator words a never-created dataset BigQuery's way: assert the class and the name)
    assert dataset.error.startswith(f"query {MISSING_DATASET!r} failed: NotFound: ") and "zendesk_archive" in dataset.error


def test_bqe003_failures_do_not_stop_refresh_all(bq_data, sql_with_bad_files):
    """One refresh with the three bad queries between good ones: no exception, the good ones
    are stored, each bad one is a failed result, and a good frame survives a later failure."""
    data = bq_data["seeds"]
    store = MemoryFrameStore()
    catalog = load_catalog()
    queries = [GOOD, BROKEN, MISSING_TABLE, MISSING_DATASET, "company_health/customer_concentration"]
    results = refresh_all(data.bq, store, catalog, Settings(), DEFAULT_TARGETS, as_of=data.as_of, queries=queries)
    assert [(r.query, r.ok, r.error_class) for r in results] == [
        (GOOD, True, None),
        (BROKEN, False, "BadRequest"),
        (MISSING_TABLE, False, "NotFound"),
        (MISSING_DATASET, False, "NotFound"),
        ("company_health/customer_concentration", True, None),
    ]
    assert store.get(GOOD).meta.rows == 1
    assert store.get(GOOD).frame["value"].iloc[0] == pytest.approx(51_200, rel=0.01)

    # the source table disappears: the next refresh fails with NotFound, the last good frame stays
    good = store.get(GOOD)
    gone = warehouse.BigQueryWarehouse(data.bq.project, {**data.datasets, "quickbooks": "no_such_dataset"},
                                       api_endpoint=data.bq.api_endpoint, retry_deadline_s=30)
    [again] = refresh_all(gone, store, catalog, Settings(), DEFAULT_TARGETS, as_of=data.as_of, queries=[GOOD])
    assert (again.ok, again.error_class) == (False, "NotFound")
    assert again.error.endswith("NotFound: dataset no_such_dataset not found in project pulse-local")
    assert store.get(GOOD) is good
