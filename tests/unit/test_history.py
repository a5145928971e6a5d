"""KPI history (issue 14): the long table, its idempotent MERGE, backfill, trends and card deltas."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from components import formatting
from components.kpi_card import sparkline
from data_access import backfill as bf
from data_access.frame_store import CachedFrame, FrameMeta, MemoryFrameStore
from data_access.history import (COLUMNS, COMPANY, HISTORY_FRAME, DuckDBHistory, HistoryError, merge_sql,
                                 snapshot_rows)
from data_access.refresh import refresh_all
from data_access.trends import change, trend
from tests.conftest import known_runtime
from tests.fixtures.known_company import AS_OF

D = dt.date


def _row(day, metric="win_rate", entity_type=COMPANY, entity_id="", value=0.5, **kw):
    return {"metric_date": day, "domain": "sales", "metric_id": metric, "entity_type": entity_type,
            "entity_id": entity_id, "entity_name": kw.get("name", metric), "value": value, "unit": "ratio",
            "target": 0.3, "status": "green", "importance_tier": "tier_1", "details": "{}",
            "refreshed_at": dt.datetime(2026, 11, 21, 9, tzinfo=dt.timezone.utc)}


def test_his001_writing_a_day_twice_keeps_one_row_per_key_and_replaces_that_day(tmp_path):
    h = DuckDBHistory(tmp_path / "m.duckdb")
    day, other = D(2026, 11, 21), D(2026, 11, 20)
    h.write(pd.DataFrame([_row(other, value=0.1)]))
    rows = pd.DataFrame([_row(day, value=0.5), _row(day, entity_type="rep", entity_id="7", value=0.4)])
    assert h.write(rows) == 2
    assert h.write(rows) == 2  # the same day again
    got = h.read(D(2026, 1, 1), day)
    assert list(got.columns) == list(COLUMNS)
    assert len(got) == 3 and not got.duplicated(["metric_date", "metric_id", "entity_type", "entity_id"]).any()
    # re-running the day with rep 7 gone and a new value: the day is replaced, the other day stays
    h.write(pd.DataFrame([_row(day, value=0.55)]))
    got = h.read(D(2026, 1, 1), day).set_index("metric_date")
    assert got.loc[day, "value"] == 0.55 and got.loc[other, "value"] == 0.1 and len(got) == 2
    assert h.dates(["win_rate", "nrr"]) == {"win_rate": {day, other}, "nrr": set()}


def test_his002_a_bad_write_is_refused_and_changes_nothing(tmp_path):
    h = DuckDBHistory(tmp_path / "m.duckdb")
    day = D(2026, 11, 21)
    h.write(pd.DataFrame([_row(day, value=0.5)]))
    with pytest.raises(HistoryError, match="duplicate keys"):
        h.write(pd.DataFrame([_row(day, value=0.6), _row(day, value=0.7)]))
    with pytest.raises(HistoryError, match="one date at a time"):
        h.write(pd.DataFrame([_row(day, value=0.6), _row(D(2026, 11, 20), value=0.7)]))
    assert h.read(day, day)["value"].tolist() == [0.5]
    # the MERGE is written once, in BigQuery's dialect, and scoped to the pairs written
    sql = merge_sql("p.pulse_metrics.metric_daily", "p.pulse_metrics.incoming")
    assert "WHEN NOT MATCHED BY SOURCE AND t.metric_date IN UNNEST(@dates)" in sql


def test_his003_backfill_of_ten_days_equals_ten_single_day_refreshes(tmp_path):
    rt = known_runtime(tmp_path)
    days = bf.days_between(AS_OF - dt.timedelta(days=9), AS_OF)
    result = bf.run_backfill(rt.settings, days[0], days[-1], show_progress=False, warehouse=rt.warehouse(),
                             history=rt.history(), catalog=rt.catalog, targets=rt.targets().targets)
    ids = bf.backfill_metrics(rt.catalog)
    assert (result.days_done, result.failures) == (10, [])
    stored = rt.history().read(days[0], days[-1])
    assert result.rows == len(stored) and (stored.entity_type == COMPANY).sum() == 10 * len(ids)
    queries = [q for m in ids for q in rt.catalog.metrics[m].frames()]  # a refresh: values and every view
    key = ["metric_id", "entity_type", "entity_id"]
    for day in days:
        store = MemoryFrameStore()
        assert all(r.ok for r in refresh_all(rt.warehouse(), store, rt.catalog, rt.settings, rt.targets().targets,
                                             as_of=day, queries=queries))
        one = snapshot_rows([rt.catalog.metrics[m] for m in ids], store, rt.targets().targets, day)
        mine = stored[stored.metric_date == day].set_index(key).sort_index()
        one = one.set_index(key).sort_index()
        assert mine.index.tolist() == one.index.tolist()
        pd.testing.assert_series_equal(mine["value"], one["value"])
        assert mine["status"].tolist() == one["status"].tolist()
        pd.testing.assert_series_equal(mine["target"], one["target"])
    # known values on the as-of day: the win rate is 2 won of 3 closed; per rep Ana won her one deal,
    # Ben lost his, rep 13 won; each rep against the metric's 30 % target
    on_day = stored[(stored.metric_date == AS_OF) & (stored.metric_id == "win_rate")].set_index("entity_id")
    assert on_day.loc["", "value"] == pytest.approx(2 / 3) and on_day.loc["", "entity_type"] == COMPANY
    reps = on_day[on_day.entity_type == "rep"]
    assert reps["value"].to_dict() == {"11": 1.0, "12": 0.0, "13": 1.0}
    assert reps.loc["11", "entity_name"] == "Ana Lopez" and reps["target"].tolist() == [0.3, 0.3, 0.3]
    assert reps["status"].tolist() == ["green", "red", "green"]
    segments = stored[(stored.metric_date == AS_OF) & (stored.entity_type == "segment")].set_index("entity_id")
    assert segments["value"].to_dict() == {"Beauty": 1500.0, "Beverage": 3500.0, "Unclassified": 300.0}


def test_his004_backfill_resumes_and_force_recomputes(tmp_path):
    rt = known_runtime(tmp_path)
    kw = dict(show_progress=False, warehouse=rt.warehouse(), history=rt.history(), catalog=rt.catalog,
              targets=rt.targets().targets)
    first = bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=2), AS_OF, ["win_rate"], **kw)
    again = bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=4), AS_OF, ["win_rate"], **kw)
    forced = bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=4), AS_OF, ["win_rate"], force=True, **kw)
    assert (first.days_done, again.days_done, again.days_skipped, forced.days_done) == (3, 2, 3, 5)
    with pytest.raises(ValueError, match="cash_position comes from the simplefin API"):
        bf.backfill_metrics(rt.catalog, ["cash_position"])
    with pytest.raises(ValueError, match="before"):
        bf.days_between(AS_OF, AS_OF - dt.timedelta(days=1))


def test_his005_demo_history_is_daily_for_100_days_then_weekly_for_18_months():
    days = bf.demo_days(D(2026, 12, 6), 18)
    assert days[-100:] == bf.days_between(D(2026, 8, 29), D(2026, 12, 6))
    older = days[:-100]
    assert older[0] >= D(2025, 6, 6) and older[0] - dt.timedelta(days=7) < D(2025, 6, 6)
    assert {(b - a).days for a, b in zip(older, older[1:] + [D(2026, 8, 29)])} == {7}


def _history_store(points: dict[dt.date, float], metric="m") -> MemoryFrameStore:
    store = MemoryFrameStore()
    frame = pd.DataFrame({"metric_date": list(points), "metric_id": metric, "entity_type": COMPANY,
                          "value": list(points.values()), "target": 1.0, "status": "green"})
    store.put(HISTORY_FRAME, CachedFrame(frame, FrameMeta(HISTORY_FRAME, AS_OF, dt.datetime.now(dt.timezone.utc),
                                                          0.0, len(frame))))
    return store


def test_his006_period_comparisons_on_known_values():
    as_of = D(2026, 11, 21)
    store = _history_store({D(2025, 11, 21): -100.0, D(2026, 8, 21): 40.0, D(2026, 10, 19): 80.0,
                            D(2026, 11, 14): 90.0, D(2026, 11, 20): 95.0, as_of: 50.0})
    assert trend(store, "m", as_of, "day").previous == 95.0
    assert trend(store, "m", as_of, "week").previous == 90.0
    month = trend(store, "m", as_of, "month")  # Oct 21 has no snapshot: Oct 19 is within 3 days before
    assert (month.previous, month.previous_date) == (80.0, D(2026, 10, 19))
    assert trend(store, "m", as_of, "quarter").previous == 40.0
    year = trend(store, "m", as_of, "year")
    assert year.previous == -100.0
    assert change(50.0, year.previous, "usd") == pytest.approx(150.0)  # negative to positive: +150 %
    assert change(3.0, -5.0, "count") == 8.0
    assert change(0.25, 0.2, "ratio") == pytest.approx(5.0)  # percentage points
    assert change(10.0, 0.0, "usd") is None  # no growth from zero, not infinity
    # a missing prior month: no growth, not 0
    gap = _history_store({D(2026, 10, 10): 80.0, as_of: 50.0})
    assert trend(gap, "m", as_of, "month").previous is None
    assert change(50.0, None, "usd") is None and formatting.delta_text(None, "usd", "last month") is None
    assert trend(MemoryFrameStore(), "m", as_of).points == []  # no history at all
    # the sparkline: the last 90 days, oldest first
    # the sparkline: the last 90 days (Aug 24 – Nov 21), oldest first
    assert [d for d, _ in trend(store, "m", as_of).points] == [D(2026, 10, 19), D(2026, 11, 14), D(2026, 11, 20), as_of]


def test_his007_delta_text_and_tone():
    assert formatting.delta_text(2.14, "ratio", "last month") == "▲ 2.1 pts vs last month"
    assert formatting.delta_text(-4.26, "usd", "last week") == "▼ 4.3% vs last week"
    assert formatting.delta_text(3, "count", "previous day") == "▲ 3 vs previous day"
    assert formatting.delta_text(-1.5, "days", "last quarter") == "▼ 1.5 days vs last quarter"
    assert formatting.delta_text(0.01, "count", "last month") == "No change vs last month"
    assert formatting.delta_tone(-1.5, "lower") == "good" and formatting.delta_tone(2.0, "lower") == "bad"
    assert formatting.delta_tone(2.0, "higher") == "good" and formatting.delta_tone(0, "higher") == "flat"
    img = sparkline([1.0, 3.0, 2.0])
    assert img.src.startswith("data:image/svg+xml;utf8,") and "polyline" in img.src
    assert sparkline([1.0]) is None


def test_his008_refresh_writes_history_and_cards_show_the_delta(tmp_path, swap_runtime, pulse_app):
    from pages import _kpi

    rt = known_runtime(tmp_path)
    month_ago = D(2026, 10, 21)
    rt.history().write(pd.DataFrame([_row(month_ago, value=0.5)]))  # win rate a month ago: 50 %
    assert all(r.ok for r in rt.refresh_everything())
    today = rt.history().read(AS_OF, AS_OF)
    # every metric with a value: the warehouse's and Pulse's database's (SimpleFIN is not connected here)
    assert set(today["metric_id"]) == {m for m, x in rt.catalog.metrics.items() if x.source not in ("simplefin", "smartlead")}
    assert rt.store.get_outcome(HISTORY_FRAME)["ok"] is True
    swap_runtime(rt)
    cards = {c.children.id["metric"]: c.children for c in _kpi.kpi_grid("company_health") if hasattr(c, "children")
             and hasattr(c.children, "id")}
    win = str(cards["win_rate"])
    assert "▲ 16.7 pts vs last month" in win and "kpi-delta-good" in win  # 66.7 % − 50 %
    assert "vs last month" not in str(cards["nrr"])  # no history a month back: no delta, not 0
    assert "▲" not in str(_kpi.kpi_grid("company_health", "year"))  # nothing a year back


def test_his009_a_history_failure_never_fails_the_refresh(tmp_path):
    (tmp_path / "blocked").mkdir()
    rt = known_runtime(tmp_path, metrics_duckdb_path=tmp_path / "blocked")  # a directory: cannot be opened
    results = rt.refresh_everything()
    assert results and all(r.ok for r in results)
    outcome = rt.store.get_outcome(HISTORY_FRAME)
    assert outcome["ok"] is False and "metric_daily" in outcome["error"]
    assert rt.store.get(rt.catalog.metrics["win_rate"].query) is not None  # the values are served


def test_his010_backfill_cli_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit) as e:
        bf.main(["--from", "2026-11-21", "--to", "2026-11-01", "--quiet"])
    assert e.value.code == 2 and "before" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bf.main(["--from", "2026-11-01", "--metrics", "nope", "--quiet"])
    assert "unknown metric 'nope'" in capsys.readouterr().err


@pytest.fixture
def history_client(tmp_path, swap_runtime, pulse_app):
    """The app on the known company with three days of KPI history (Nov 19–21) in its cache."""
    rt = known_runtime(tmp_path)
    bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=2), AS_OF, show_progress=False, warehouse=rt.warehouse(),
                    history=rt.history(), catalog=rt.catalog, targets=rt.targets().targets)
    assert all(r.ok for r in rt.refresh_everything())
    swap_runtime(rt)
    return rt, pulse_app.server.test_client()


def test_his011_history_api_round_trips_json_csv_and_parquet(history_client):
    import io

    rt, client = history_client
    want = rt.history().read(AS_OF - dt.timedelta(days=2), AS_OF, ["win_rate", "nrr"], entity_type=COMPANY)
    q = "/api/metrics/history?metric=win_rate,nrr&from=2026-11-19&to=2026-11-21&entity_type=company"
    body = client.get(q + "&limit=4").get_json()
    assert body["total_rows"] == 6 and body["next_offset"] == 4 and body["columns"] == list(COLUMNS)
    rest = client.get(q + "&limit=4&offset=4").get_json()
    rows = pd.DataFrame(body["rows"] + rest["rows"])
    assert rows["value"].tolist() == pytest.approx(want["value"].tolist())
    assert rows["metric_date"].tolist() == [d.isoformat() for d in want["metric_date"]]
    csv = pd.read_csv(io.StringIO(client.get(q + "&format=csv").get_data(as_text=True)))
    assert csv["value"].tolist() == pytest.approx(want["value"].tolist()) and list(csv.columns) == list(COLUMNS)
    r = client.get(q + "&format=parquet")
    assert r.mimetype == "application/vnd.apache.parquet"
    pq = pd.read_parquet(io.BytesIO(r.get_data()))
    pd.testing.assert_frame_equal(pq.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
    # per-rep values are entities of the same table
    reps = client.get("/api/metrics/history?metric=win_rate&from=2026-11-21&to=2026-11-21&entity_type=rep").get_json()
    assert reps["total_rows"] >= 1 and {r["entity_type"] for r in reps["rows"]} == {"rep"}
    # bad input: a clear 400/404, nothing else
    assert client.get("/api/metrics/history?format=xml").status_code == 400
    assert client.get("/api/metrics/history?from=2026-13-01").status_code == 400
    assert client.get("/api/metrics/history?from=2026-11-21&to=2026-11-01").status_code == 400
    assert client.get("/api/metrics/history?metric=nope").status_code == 404


def test_his012_a_metric_as_of_a_past_day(history_client):
    rt, client = history_client
    body = client.get("/api/metrics/win_rate?as_of=2026-11-19").get_json()
    stored = rt.history().read(D(2026, 11, 19), D(2026, 11, 19), ["win_rate"])
    assert body["as_of"] == "2026-11-19" and body["source"] == "history"
    assert body["value"] == pytest.approx(stored["value"].iloc[0]) and body["status"] == stored["status"].iloc[0]
    assert client.get("/api/metrics/win_rate?as_of=2020-01-01").status_code == 404
    assert client.get("/api/metrics/win_rate?as_of=yesterday").status_code == 400


def test_his013_metrics_api_view_gives_growth_with_gaps_and_sign_changes(tmp_path):
    import duckdb

    h = DuckDBHistory(tmp_path / "m.duckdb")
    for day, value in [(D(2025, 11, 21), -100.0), (D(2026, 10, 21), 80.0), (D(2026, 11, 20), 40.0),
                       (D(2026, 11, 21), 50.0), (D(2026, 12, 21), 60.0)]:
        h.write(pd.DataFrame([_row(day, value=value)]))
    con = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    got = con.execute("select metric_date, prev_value_dod, growth_dod, growth_mom, growth_mom_pct, growth_yoy_pct, "
                      "prev_value_qoq from pulse_metrics.metrics_api order by metric_date").fetchall()
    con.close()
    row = dict(zip(["date", "dod", "g_dod", "g_mom", "g_mom_pct", "g_yoy_pct", "qoq"], got[3]))
    assert row["date"] == D(2026, 11, 21) and row["dod"] == 40.0 and row["g_dod"] == 10.0
    assert row["g_mom"] == -30.0 and row["g_mom_pct"] == pytest.approx(-0.375)
    assert row["g_yoy_pct"] == pytest.approx(1.5)  # −100 → 50: +150 %
    assert row["qoq"] is None  # no row on Aug 21: no growth, not 0
    assert got[4][3] == 10.0  # Dec 21 vs Nov 21
    assert got[2][3] is None  # Nov 20 has no Oct 20 row


def test_his014_a_page_as_of_a_past_day_shows_what_was_recorded(history_client):
    from pages import _kpi

    rt, _ = history_client
    day = D(2026, 11, 19)
    assert _kpi.as_of_from_query({"as_of": "2026-11-19"}, AS_OF) == (day, None)
    assert _kpi.as_of_from_query({"as_of": "2026-11-21"}, AS_OF) == (None, None)  # today is today
    assert "not a day" in _kpi.as_of_from_query({"as_of": "yesterday"}, AS_OF)[1]
    assert "has not happened yet" in _kpi.as_of_from_query({"as_of": "2027-01-01"}, AS_OF)[1]
    text = str(_kpi.kpi_grid("company_health", as_of=day))
    # revenue YTD on Nov 19 is today's 5,300 less the 2,000 invoiced on Nov 21
    assert "$3.30K" in text and "$5.30K" not in text and "Recorded for Nov 19, 2026" in text
    assert "▲" not in text  # nothing recorded a month before Nov 19: no delta
    page = str(_kpi.kpi_page("company_health", {"as_of": "2026-11-19"}))
    assert "Showing Nov 19, 2026" in page and "Back to today" in page
    empty = str(_kpi.kpi_grid("company_health", as_of=D(2026, 1, 5)))
    assert "No value recorded for Jan 5, 2026" in empty
