"""Cost and safety of ``BigQueryWarehouse`` with a stand-in client (no network): the byte cap
fails cleanly and is not retried, every job carries labels, location, the cap and a timeout,
results come through the Storage Read API only against real BigQuery (REST otherwise, or
when the API is refused), and frames have DuckDB's dtypes."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import decimal

import pandas as pd
import pyarrow as pa
import pytest
from google.api_core import exceptions as gexc
from google.cloud.bigquery.job.base import _error_result_to_exception

from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.refresh import is_transient, query_params, refresh_query
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import (
    BigQueryWarehouse,
    BytesBilledLimitExceeded,
    QueryError,
    QueryTimeout,
    arrow_frame,
)

DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}
AS_OF = dt.date(2026, 11, 21)
PARAMS = query_params(Settings(), DEFAULT_TARGETS, AS_OF)
WIN_RATE = "company_health/win_rate"
ONE_ROW = pa.table({"value": [0.5], "won_count": pa.array([2], pa.int64()), "lost_count": pa.array([2], pa.int64())})


class FakeRows:
    def __init__(self, table: pa.Table, storage_error: Exception | None = None):
        self.table, self.storage_error, self.calls = table, storage_error, []

    def to_arrow(self, create_bqstorage_client: bool):
        self.calls.append(create_bqstorage_client)
        if create_bqstorage_client and self.storage_error is not None:
            raise self.storage_error
        return self.table


class FakeJob:
    total_bytes_processed = 123_456

    def __init__(self, rows: FakeRows | None = None, error: BaseException | None = None):
        self.rows, self.error, self.cancelled = rows, error, False

    def result(self, timeout=None, retry=None):
        if self.error is not None:
            raise self.error
        return self.rows

    def cancel(self, retry=None):
        self.cancelled = True


class FakeClient:
    def __init__(self, job: FakeJob):
        self.job, self.queries = job, []

    def query(self, sql, job_config=None, location=None, retry=None):
        self.queries.append({"sql": sql, "config": job_config, "location": location})
        return self.job

    def get_table(self, ref, retry=None):
        """Table metadata (the optional-input lookup): every table exists with schema.TABLES' columns."""
        from types import SimpleNamespace

        from data_access import schema

        _, dataset, table = ref.split(".")
        source = next((s for s, d in DATASETS.items() if d == dataset), dataset)
        return SimpleNamespace(schema=[SimpleNamespace(name=c) for c in schema.columns(source, table)])


def warehouse(job: FakeJob, **kwargs) -> tuple[BigQueryWarehouse, FakeClient]:
    wh = BigQueryWarehouse("pulse-test", DATASETS, **kwargs)
    wh._client = FakeClient(job)
    return wh, wh._client


def byte_cap_error() -> gexc.GoogleAPICallError:
    """What google-cloud-bigquery raises at ``job.result()`` for a job over the byte cap."""
    return _error_result_to_exception({"reason": "bytesBilledLimitExceeded", "location": "query",
                                       "message": "Query exceeded limit for bytes billed: 1000. 10485760 or higher required."})


def test_bqc001_byte_cap_fails_cleanly_and_is_not_retried():
    raw = byte_cap_error()
    # the client maps the unknown reason to a 500, which the refresh would retry as transient …
    assert isinstance(raw, gexc.InternalServerError) and is_transient(raw)
    wh, client = warehouse(FakeJob(error=raw), maximum_bytes_billed=1000)
    with pytest.raises(BytesBilledLimitExceeded) as caught:
        wh.run(WIN_RATE, PARAMS)
    # … so the warehouse raises its own error, with no transient cause to retry on
    assert caught.value.__cause__ is None and not is_transient(caught.value)
    assert str(caught.value) == (f"query {WIN_RATE!r} failed: BytesBilledLimitExceeded: the query would bill more "
                                 "than maximum_bytes_billed=1000 (PULSE_BIGQUERY_MAXIMUM_BYTES_BILLED); not retried")

    client.queries.clear()
    store = MemoryFrameStore()
    result = refresh_query(wh, store, WIN_RATE, PARAMS, Settings())
    assert (result.ok, result.error_class) == (False, "BytesBilledLimitExceeded")
    assert len(client.queries) == 1  # one attempt: not retried
    assert store.get_outcome(WIN_RATE)["error_class"] == "BytesBilledLimitExceeded"


def test_bqc002_other_server_errors_stay_retryable():
    raw = _error_result_to_exception({"reason": "backendError", "message": "Backend error"})
    wh, _ = warehouse(FakeJob(error=raw))
    with pytest.raises(QueryError) as caught:
        wh.run(WIN_RATE, PARAMS)
    assert not isinstance(caught.value, BytesBilledLimitExceeded)
    assert isinstance(caught.value.__cause__, gexc.InternalServerError) and is_transient(caught.value)


def test_bqc003_job_carries_labels_location_cap_parameters_and_timeout():
    wh, client = warehouse(FakeJob(FakeRows(ONE_ROW)), location="EU", maximum_bytes_billed=10 * 1024**3,
                           timeout_s=300)
    frame = wh.run(WIN_RATE, PARAMS)
    assert frame.to_dict("list") == {"value": [0.5], "won_count": [2], "lost_count": [2]}
    assert wh.last_bytes_processed == 123_456
    [sent] = client.queries
    config = sent["config"]
    assert sent["location"] == "EU"
    assert config.labels == {"app": "pulse", "query": "company_health-win_rate"}
    assert config.maximum_bytes_billed == 10 * 1024**3
    assert int(config.job_timeout_ms) == 330_000  # BigQuery's own backstop, 30 s after Pulse cancels
    params = {p.name: p for p in config.query_parameters}
    assert sorted(params) == ["as_of_date", "sales_pipeline_ids"]
    assert (params["as_of_date"].type_, params["as_of_date"].value) == ("DATE", AS_OF)
    assert (params["sales_pipeline_ids"].array_type, params["sales_pipeline_ids"].values) == ("STRING", ["default"])
    assert "`pulse-test`.hubspot.deal" in sent["sql"] and "@as_of_date" in sent["sql"]
    assert "/*" not in sent["sql"] and "--" not in sent["sql"]  # comments are not sent

    dry = wh.job_config(WIN_RATE, PARAMS, dry_run=True)
    assert (dry.dry_run, dry.use_query_cache, dry.maximum_bytes_billed) == (True, False, 10 * 1024**3)
    assert wh.dry_run(WIN_RATE, PARAMS) == 123_456


def test_bqc004_storage_read_api_only_against_real_bigquery():
    rows = FakeRows(ONE_ROW)
    wh, _ = warehouse(FakeJob(rows))
    assert wh.use_bqstorage  # google-cloud-bigquery-storage is in requirements.txt
    wh.run(WIN_RATE, PARAMS)
    assert rows.calls == [True]

    rows = FakeRows(ONE_ROW)
    emulator, _ = warehouse(FakeJob(rows), api_endpoint="http://127.0.0.1:9050")
    assert not emulator.use_bqstorage
    emulator.run(WIN_RATE, PARAMS)
    assert rows.calls == [False]


def test_bqc005_storage_read_api_refused_falls_back_to_rest():
    """Without ``bigquery.readsessions.create`` (BigQuery Read Session User) the Storage API
    refuses; the result is read over REST, and the warehouse stops trying the API."""
    rows = FakeRows(ONE_ROW, storage_error=gexc.Forbidden("permission bigquery.readsessions.create denied"))
    wh, _ = warehouse(FakeJob(rows))
    assert wh.run(WIN_RATE, PARAMS)["won_count"].tolist() == [2]
    assert rows.calls == [True, False]
    assert not wh.use_bqstorage


def test_bqc006_timeout_cancels_the_job_and_is_not_retried():
    job = FakeJob(error=concurrent.futures.TimeoutError())
    wh, _ = warehouse(job, timeout_s=5)
    with pytest.raises(QueryTimeout, match=r"cancelled after 5 s \(per-query timeout\)"):
        wh.run(WIN_RATE, PARAMS)
    assert job.cancelled


def test_bqc007_missing_parameter_and_bad_dataset_fail_before_any_job():
    wh, client = warehouse(FakeJob(FakeRows(ONE_ROW)))
    with pytest.raises(QueryError, match=r"missing parameters \['as_of_date'\]"):
        wh.run(WIN_RATE, {"sales_pipeline_ids": ("default",)})
    bad, bad_client = warehouse(FakeJob(FakeRows(ONE_ROW)))
    bad.datasets = {**DATASETS, "hubspot": "hubspot`; drop table x; --"}
    with pytest.raises(ValueError, match="not a valid identifier"):
        bad.run(WIN_RATE, PARAMS)
    assert client.queries == [] and bad_client.queries == []


def test_bqc008_arrow_results_get_duckdbs_dtypes():
    table = pa.table({
        "n": pa.array([1, 2], pa.int64()),
        "n_null": pa.array([1, None], pa.int64()),
        "flag": pa.array([True, False]),
        "flag_null": pa.array([True, None]),
        "x": pa.array([1.5, None], pa.float64()),
        "amount": pa.array([decimal.Decimal("1.25"), decimal.Decimal("2.50")], pa.decimal128(38, 9)),
        "day": pa.array([dt.date(2026, 11, 1), None], pa.date32()),
        "at": pa.array([dt.datetime(2026, 11, 21, 15, 30), None], pa.timestamp("us", tz="UTC")),
        "name": pa.array(["a", None]),
    })
    df = arrow_frame(table)
    assert dict(df.dtypes.astype(str)) == {
        "n": "int64", "n_null": "Int64", "flag": "bool", "flag_null": "boolean", "x": "float64",
        "amount": "float64", "day": "datetime64[us]", "at": "datetime64[us]", "name": "str"}
    assert df["amount"].tolist() == [1.25, 2.5]
    assert df["day"].iloc[0] == pd.Timestamp("2026-11-01") and pd.isna(df["day"].iloc[1])
    assert df["at"].iloc[0] == pd.Timestamp("2026-11-21 15:30")  # naive UTC, like DuckDB's TIMESTAMP
    assert df["n_null"].isna().tolist() == [False, True]
