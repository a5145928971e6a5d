"""KPI history on the BigQuery path (bqemulator): the table is created partitioned and clustered,
a write loads a scratch table and MERGEs it (the same day twice keeps one row per key, a rewrite
replaces the day), reads come back with the long table's columns."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from data_access.history import COLUMNS, BigQueryHistory
from tests.bigquery.conftest import bq_warehouse

DAY, OTHER = dt.date(2026, 11, 21), dt.date(2026, 11, 20)


def _row(day, entity_type="company", entity_id="", value=0.5):
    return {"metric_date": day, "domain": "sales", "metric_id": "win_rate", "entity_type": entity_type,
            "entity_id": entity_id, "entity_name": "Win rate", "value": value, "unit": "ratio", "target": 0.3,
            "status": "green", "importance_tier": "tier_1", "details": '{"won_count": 2}',
            "refreshed_at": dt.datetime(2026, 11, 21, 9, tzinfo=dt.timezone.utc)}


def test_bqh001_merge_is_idempotent_and_replaces_the_day(bq_emulator, bq_client):
    h = BigQueryHistory(bq_warehouse(bq_emulator, {}), "pulse_metrics_test")
    h.write(pd.DataFrame([_row(OTHER, value=0.1)]))
    rows = pd.DataFrame([_row(DAY), _row(DAY, "rep", "7", 0.4)])
    h.write(rows)
    h.write(rows)
    got = h.read(dt.date(2026, 1, 1), DAY)
    assert list(got.columns) == list(COLUMNS) and len(got) == 3
    h.write(pd.DataFrame([_row(DAY, value=0.55)]))  # rep 7 gone, a new value
    got = h.read(dt.date(2026, 1, 1), DAY).set_index("metric_date")
    assert len(got) == 2 and got.loc[DAY, "value"] == 0.55 and got.loc[OTHER, "value"] == 0.1
    assert h.dates(["win_rate"]) == {"win_rate": {DAY, OTHER}}
    # no scratch table is left behind: the dataset holds the table and the metrics layer's view only
    tables = sorted(t.table_id for t in bq_client.list_tables("pulse_metrics_test"))
    assert tables == ["metric_daily", "metrics_api"]
