"""The activity timeline's SQL (``sql/customers/activity.sql``; not a catalog query, so
``test_parity`` does not run it) through ``BigQueryWarehouse`` on bqemulator gives the frame
``DuckDBWarehouse`` gives on the demo company, and ``activity.shard_frames`` makes the same shards
of both."""
from __future__ import annotations

from data_access import activity
from tests.bigquery.test_parity import assert_same_frame, bq_frame, duck_frame


def test_bqp101_activity_on_bigquery_equals_duckdb_on_the_demo(bq_data):
    demo = bq_data["demo"]
    duck, bq = duck_frame(demo, activity.QUERY), bq_frame(demo, activity.QUERY)
    assert_same_frame(bq, duck)
    assert set(duck["kind"]) == set(activity.KINDS)  # every kind of event compared, not an empty frame
    assert duck.groupby("customer_id").size().max() == activity.MAX_EVENTS  # the cap is exercised
    bq_shards, duck_shards = activity.shard_frames(bq), activity.shard_frames(duck)
    for n in range(activity.SHARDS):
        assert dict(bq_shards[n].dtypes.astype(str)) == activity.COLUMNS
        assert bq_shards[n].equals(duck_shards[n]), n
