"""RedisFrameStore against a real redis-server started on a free port."""
from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd

from data_access.frame_store import CachedFrame, FrameMeta, RedisFrameStore


def test_redis001_frames_round_trip_with_meta_and_versioned_keys(redis_client):
    store = RedisFrameStore(redis_client, "v1")
    frame = pd.DataFrame({
        "owner_id": pd.array([11, None], dtype="Int64"),
        "amount_usd": [10.0, 2.5],
        "month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
        "close_date": [dt.date(2026, 10, 1), None],
        "seen_at": pd.to_datetime(["2026-11-21 14:05:00", "2026-11-21 15:00:00"]).tz_localize("America/New_York"),
        "balance_usd": [decimal.Decimal("100.23"), decimal.Decimal("24302.22")],
        "owner_name": pd.array(["Ana", None], dtype="string"),
        "is_won": pd.array([True, None], dtype="boolean"),
        "flag": [True, False],
    })
    meta = FrameMeta("company_health/open_deals", dt.date(2026, 11, 21),
                     dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc), 0.1, 2)
    store.put("company_health/open_deals", CachedFrame(frame, meta))
    got = store.get("company_health/open_deals")
    pd.testing.assert_frame_equal(got.frame, frame)
    assert got.meta == meta
    assert redis_client.exists("pulse:v1:frame:company_health/open_deals")
    assert redis_client.ttl("pulse:v1:frame:company_health/open_deals") == -1  # no expiry
    assert not redis_client.get("pulse:v1:frame:company_health/open_deals").startswith(b"\x80")  # not a pickle
    # another catalog version never sees these frames
    assert RedisFrameStore(redis_client, "v2").get("company_health/open_deals") is None


def test_redis002_outcomes(redis_client):
    store = RedisFrameStore(redis_client, "v1")
    assert store.get_outcome("q") is None
    store.put_outcome("q", {"ok": False, "error_class": "BadRequest"})
    assert store.get_outcome("q") == {"ok": False, "error_class": "BadRequest"}
