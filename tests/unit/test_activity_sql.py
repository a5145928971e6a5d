"""Rep activity by channel (issue 13) on the hand-built engagements of tests/fixtures/known_activity.py
(whose docstring works every answer out by hand), filtered in memory as the Sales page does."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access.catalog import load_catalog
from data_access.config import SOURCES, Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import UNASSIGNED_OWNER, owner_options, snapshot, view_frame
from data_access.refresh import refresh_all
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_activity

AS_OF = known_activity.AS_OF
ANA, BEN = known_activity.ANA, known_activity.BEN
NOV = dt.date(2026, 11, 1)
QUERIES = ["sales/activities_last_30_days", "sales/meetings_held_last_30_days", "sales/rep_activity_by_channel"]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("activity") / "known.duckdb", {s: s for s in SOURCES})
    wh.replace_tables("hubspot", known_activity.hubspot())
    store, catalog = MemoryFrameStore(), load_catalog()
    results = refresh_all(wh, store, catalog, Settings(), DEFAULT_TARGETS, as_of=AS_OF, queries=QUERIES)
    assert [(r.query, r.error) for r in results if not r.ok] == []
    yield store, catalog
    wh.close()


def _snap(refreshed, metric_id):
    store, catalog = refreshed
    return snapshot(catalog.metrics[metric_id], store, DEFAULT_TARGETS, AS_OF)


def _view(refreshed, view_id, **filters):
    store, catalog = refreshed
    v = catalog.metrics["activities_last_30_days"].view(view_id)
    return view_frame(v, store.get(v.query).frame, **filters)


def _rows(df: pd.DataFrame, cols: list[str]) -> dict:
    keys = [c for c in ("owner_name", "month", "channel") if c in df.columns]
    return {tuple(r[k] for k in keys): tuple(int(r[c]) for c in cols) for _, r in df.iterrows()}


def test_act001_activities_in_the_30_days_by_channel(refreshed):
    """12 = 5 calls (101 102 103 105 106: the window's first and last minute in, Oct 31 23:59,
    the deleted and the December call out) + 4 sent emails (bounced 204 and the replies out) +
    3 meetings booked (301 302 304; cancelled, scheduled and October ones out)."""
    snap = _snap(refreshed, "activities_last_30_days")
    assert snap.value == 12
    assert {k: snap.extras[k] for k in ("call_count", "email_count", "meeting_count")} == \
        {"call_count": 5, "email_count": 4, "meeting_count": 3}


def test_act002_meetings_held_in_the_30_days(refreshed):
    """2 held (301, 304 COMPLETED) of 3 booked (302 a no-show)."""
    snap = _snap(refreshed, "meetings_held_last_30_days")
    assert (snap.value, snap.extras["booked_count"]) == (2, 3)


def test_act003_counts_responses_and_conversions_by_rep_month_and_channel(refreshed):
    """(activities, responses, contacts touched, converted) per rep, month and channel, as the
    fixture's docstring works them out; the frame as cached, before any filter."""
    store, _ = refreshed
    frame = store.get("sales/rep_activity_by_channel").frame
    got = _rows(frame, ["activity_count", "response_count", "contacts_touched", "converted_contacts"])
    oct_ = dt.date(2026, 10, 1)
    assert {(o, pd.Timestamp(m).date(), c): v for (o, m, c), v in got.items()} == {
        ("Ana Lopez", NOV, "call"): (2, 1, 2, 1),
        ("Ana Lopez", NOV, "email"): (2, 1, 2, 1),
        ("Ana Lopez", NOV, "meeting"): (2, 1, 2, 1),
        ("Ben Kim", NOV, "call"): (2, 2, 2, 1),
        ("Ben Kim", NOV, "email"): (1, 0, 1, 0),
        ("Ben Kim", oct_, "call"): (1, 0, 1, 0),
        ("Ben Kim", oct_, "meeting"): (1, 1, 1, 0),
        ("Unassigned", NOV, "call"): (1, 0, 1, 0),
        ("Unassigned", NOV, "email"): (1, 1, 1, 0),
        ("Unassigned", NOV, "meeting"): (1, 1, 1, 1),
    }


def test_act004_response_rates_by_rep_in_november(refreshed):
    """Month filter November: Ana answers 1 of 2 on every channel (a connected call, a replied
    email, a held meeting); Ben's calls 2/2 (106's rep comes from its engagement), his email 0/1
    (the thread's incoming email came before it); Unassigned email 1/1, call 0/1, meeting 1/1."""
    df = _view(refreshed, "rep_activity_by_channel", start=NOV, end=NOV)
    rates = {(r.owner_name, r.channel): r.response_rate for r in df.itertuples()}
    assert rates == {("Ana Lopez", "call"): 0.5, ("Ana Lopez", "email"): 0.5, ("Ana Lopez", "meeting"): 0.5,
                     ("Ben Kim", "call"): 1.0, ("Ben Kim", "email"): 0.0,
                     ("Unassigned", "call"): 0.0, ("Unassigned", "email"): 1.0, ("Unassigned", "meeting"): 1.0}


def test_act005_conversion_boundary_day_14_in_day_15_out(refreshed):
    """Contact 1001's deal is created 14 days after call 101 (converted), contact 1005's 15 days
    after call 105 (not converted), contact 1006's the same day as call 106 (converted); contact
    1007's deal came before the email (not converted). Calls overall: 2 of 6 contacts."""
    df = _view(refreshed, "activity_conversion_by_channel")
    conv = {r.channel: (int(r.converted_contacts), int(r.contacts_touched)) for r in df.itertuples()}
    assert conv == {"meeting": (2, 4), "call": (2, 6), "email": (1, 4)}
    unassigned_calls = _view(refreshed, "rep_activity_by_channel", owners=[UNASSIGNED_OWNER])
    assert dict(zip(unassigned_calls["channel"], unassigned_calls["converted_contacts"]))["call"] == 0


def test_act006_channels_ranked_by_conversion(refreshed):
    """meeting 0.5 > call 1/3 > email 0.25; owner ids are a key, never summed."""
    df = _view(refreshed, "activity_conversion_by_channel")
    ranked = df.sort_values("conversion_rate", ascending=False)
    assert list(ranked["channel"]) == ["meeting", "call", "email"]
    assert list(ranked["conversion_rate"].round(4)) == [0.5, round(1 / 3, 4), 0.25]
    assert "owner_id" not in df.columns


def test_act007_engagements_without_an_owner_are_unassigned_and_filterable(refreshed):
    """Call 105, email 205 and meeting 304 (no engagement row) have no owner: rep "Unassigned",
    offered by the rep filter, which keeps only them (3 activities)."""
    store, _ = refreshed
    frame = store.get("sales/rep_activity_by_channel").frame
    assert {"label": "Unassigned", "value": UNASSIGNED_OWNER} in owner_options(frame)
    df = _view(refreshed, "rep_activity_by_channel", owners=[UNASSIGNED_OWNER])
    assert set(df["owner_name"]) == {"Unassigned"} and int(df["activity_count"].sum()) == 3


def test_act008_rep_and_month_filters_apply_in_memory(refreshed):
    """Ben in November: calls 2 (both connected) and 1 email; in October: 1 call, 1 meeting.
    Ben across channels ranks meeting 0/1, call 1/3, email 0/1 by conversion."""
    nov = _view(refreshed, "rep_activity_by_channel", owners=[BEN], start=NOV, end=NOV)
    assert _rows(nov, ["activity_count", "response_count"]) == {("Ben Kim", "call"): (2, 2), ("Ben Kim", "email"): (1, 0)}
    oct_ = _view(refreshed, "rep_activity_by_channel", owners=[BEN],
                 start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1))
    assert _rows(oct_, ["activity_count", "response_count"]) == {("Ben Kim", "call"): (1, 0), ("Ben Kim", "meeting"): (1, 1)}
    by_channel = _view(refreshed, "activity_conversion_by_channel", owners=[BEN])
    assert {r.channel: (int(r.converted_contacts), int(r.contacts_touched)) for r in by_channel.itertuples()} == \
        {"call": (1, 3), "email": (0, 1), "meeting": (0, 1)}


@pytest.mark.parametrize("table, activities", [
    ("engagement_call", 7),  # 12 − 5 calls
    ("engagement_email", 8),  # 12 − 4 emails
    ("engagement_meeting", 9),  # 12 − 3 meetings
    ("engagement", 12),  # every activity still counts; meetings and call 106 lose their rep
    ("engagement_contact", 12),
    ("deal_contact", 12),
])
def test_act009_each_optional_table_gone_still_runs(tmp_path, table, activities):
    """A portal that syncs no calls, emails, meetings, parent engagements or associations
    (sources.yml: optional) still gets the cards: the missing table reads as empty."""
    wh = DuckDBWarehouse(tmp_path / "gone.duckdb", {s: s for s in SOURCES})
    wh.replace_tables("hubspot", {t: f for t, f in known_activity.hubspot().items() if t != table})
    store, catalog = MemoryFrameStore(), load_catalog()
    results = refresh_all(wh, store, catalog, Settings(), DEFAULT_TARGETS, as_of=AS_OF, queries=QUERIES)
    assert [(r.query, r.error) for r in results if not r.ok] == []
    assert snapshot(catalog.metrics["activities_last_30_days"], store, DEFAULT_TARGETS, AS_OF).value == activities
    frame = store.get("sales/rep_activity_by_channel").frame
    if table in ("engagement_contact", "deal_contact"):
        assert int(frame["converted_contacts"].sum()) == 0
    if table == "engagement":
        meetings = frame[frame["channel"] == "meeting"]
        assert set(meetings["owner_name"]) == {"Unassigned"}
    wh.close()
