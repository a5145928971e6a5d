"""Support metrics (issue 13) on the hand-built support desk (tests/fixtures/known_support.py, whose
docstring works every answer out by hand), on the Fivetran Zendesk seeds, and on the demo company."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_access.catalog import load_catalog
from data_access.config import SOURCES, Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import snapshot, view_frame
from data_access.refresh import refresh_all
from data_access.targets import RevenuePlan, SupportSlaTargets, Targets
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_company, known_pages, known_support

SLA = SupportSlaTargets().sql_params()  # the seed's defaults, in business minutes

DATASETS = {s: s for s in SOURCES}
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))
AS_OF = known_support.AS_OF
SUPPORT = ["ticket_sla_compliance", "first_reply_time_hours", "open_tickets", "csat_score", "nps",
           "zendesk_satisfaction"]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    w = DuckDBWarehouse(tmp_path_factory.mktemp("support") / "known.duckdb", DATASETS)
    w.replace_tables("hubspot", known_company.hubspot())
    w.replace_tables("quickbooks", known_company.quickbooks())
    known_pages.add_page_tables(w)
    w.replace_tables("zendesk", known_support.zendesk())
    w.replace_tables("surveys", known_support.surveys())
    yield w
    w.close()


def _refresh(wh, as_of):
    store, catalog = MemoryFrameStore(), load_catalog()
    queries = [q for q in catalog.queries() if q.startswith("support/")]
    results = refresh_all(wh, store, catalog, Settings(), TARGETS, as_of=as_of, queries=queries)
    assert [(r.query, r.error) for r in results if not r.ok] == []
    return store, catalog


@pytest.fixture(scope="module")
def refreshed(wh):
    return _refresh(wh, AS_OF)


def _snap(refreshed, metric_id, as_of=AS_OF):
    store, catalog = refreshed
    return snapshot(catalog.metrics[metric_id], store, TARGETS, as_of)


def _view(refreshed, metric_id, view_id):
    store, catalog = refreshed
    v = catalog.metrics[metric_id].view(view_id)
    return view_frame(v, store.get(v.query).frame, targets=TARGETS)


@pytest.fixture(scope="module")
def times(wh):
    """Per ticket: business minutes to first reply and resolution, and whether the SLA was met."""
    df = wh.run("intermediate/ticket_business_times", {"as_of_date": AS_OF, **SLA})
    return df.set_index("ticket_id")


def test_support001_business_minutes_by_hand(times):
    fr = times["first_reply_business_minutes"].to_dict()
    res = times["resolution_business_minutes"].dropna().to_dict()
    # 1: Fri 16:00–17:00 ET + Mon 09:00–11:00 (the weekend does not count)
    assert fr[1] == 180 and res[1] == 420
    # 2: Wed 1 h + Thanksgiving (holiday) 0 + Fri 1 h = 120, exactly the high target → met
    assert fr[2] == 120 and res[2] == 300 and times.loc[2, "is_first_reply_met"]
    # 3: one minute over the 120-minute high target → breached
    assert fr[3] == 121 and not times.loc[3, "is_first_reply_met"] and not times.loc[3, "is_sla_met"]
    # 4: created on a Saturday: the clock starts Monday 09:00; the admin's reply counts
    assert fr[4] == 30 and res[4] == 180
    # 5: reopened: resolution runs to the LAST solve (Thu 17:00 ET), not the first (Mon, 120 min)
    assert res[5] == 4 * 480
    # 6: the private agent note (10 min) and the end-user comment (20 min) are not replies
    assert fr[6] == 540 and not times.loc[6, "is_first_reply_met"]
    # 8: DST week: Friday Oct 30 is 13:00–21:00 UTC (EDT), Monday Nov 2 14:00–22:00 UTC (EST)
    assert fr[8] == 120 and res[8] == 540
    # not solved by the as-of date: 9 pending, 10 reopened and open, 13 new; 12 deleted is nowhere
    assert set(res) == {1, 2, 3, 4, 5, 6, 8}
    assert 12 not in times.index and pd.isna(times.loc[13, "first_reply_business_minutes"])


def test_support002_sla_compliance(refreshed):
    snap = _snap(refreshed, "ticket_sla_compliance")
    assert snap.value == pytest.approx(5 / 7)
    assert snap.extras["solved_count"] == 7 and snap.extras["met_count"] == 5
    assert snap.status == "red"  # 71 % against 90 % (yellow band 5 %)


def test_support003_sla_by_priority(refreshed):
    df = _view(refreshed, "ticket_sla_compliance", "sla_by_priority").set_index("priority")
    assert df.index.tolist() == ["urgent", "high", "normal", "low"]
    assert df["solved_count"].tolist() == [1, 2, 3, 1]  # urgent 4; high 2, 3; normal 1, 5, 8; low 6
    assert df["breached_count"].tolist() == [0, 1, 0, 1]
    assert df.loc["high", "compliance_rate"] == pytest.approx(0.5)
    assert df.loc["high", "median_first_reply_minutes"] == pytest.approx(120.5)  # of 120 and 121
    assert df.loc["normal", "median_resolution_hours"] == pytest.approx(540 / 60)  # of 420, 1920, 540
    assert df.loc["urgent", "first_reply_target_minutes"] == 60 and df.loc["low", "resolution_target_hours"] == 120


def test_support004_breached_tickets(refreshed):
    df = _view(refreshed, "ticket_sla_compliance", "breached_tickets")
    assert df["ticket_id"].tolist() == [6, 3]  # worst first: 60 min over, then 1 min over
    six, three = df.iloc[0], df.iloc[1]
    assert six["first_reply_over_minutes"] == 60 and six["resolution_over_minutes"] == 0
    assert six["first_reply_hours"] == pytest.approx(9.0) and six["first_reply_target_hours"] == 8
    assert three["first_reply_over_minutes"] == 1 and three["breached"] == "first reply"
    assert three["agent_name"] == "Ann Agent" and three["subject"] == "Ticket 3"


def test_support005_first_reply_time(refreshed):
    # median of 180, 120, 121, 30, 60, 540, 30, 60 minutes = 90 min
    snap = _snap(refreshed, "first_reply_time_hours")
    assert snap.value == pytest.approx(1.5)
    assert snap.extras == {"created_count": 9, "replied_count": 8}  # 13 has no reply yet
    assert snap.status == "green"


def test_support006_open_tickets(refreshed):
    snap = _snap(refreshed, "open_tickets")
    assert snap.value == 3
    assert (snap.extras["new_count"], snap.extras["open_count"], snap.extras["pending_count"]) == (1, 1, 1)
    listed = _view(refreshed, "open_tickets", "open_ticket_list")
    assert sorted(listed["ticket_id"]) == [9, 10, 13]


def test_support007_zendesk_satisfaction(refreshed):
    snap = _snap(refreshed, "zendesk_satisfaction")
    assert snap.value == pytest.approx(0.5)  # good: 1, 5; bad: 2 (changed its rating), 4
    assert (snap.extras["good_count"], snap.extras["bad_count"]) == (2, 2)


def test_support008_csat_and_nps(refreshed):
    csat = _snap(refreshed, "csat_score")
    assert csat.value == pytest.approx(0.5) and csat.extras["mean_score"] == pytest.approx(3.25)
    assert csat.extras["response_count"] == 4  # the 7 on a 1–5 scale is left out
    nps = _snap(refreshed, "nps")
    assert nps.value == pytest.approx(0.0) and nps.status != "nodata"  # a real 0
    assert (nps.extras["promoter_count"], nps.extras["passive_count"], nps.extras["detractor_count"]) == (2, 1, 2)
    assert nps.extras["previous_nps"] == pytest.approx(100.0)
    responses = _view(refreshed, "nps", "survey_responses")
    assert len(responses) == 9 and set(responses["customer_name"]) == {"Acme Drinks"}


def test_support009_no_responses_no_tickets_is_no_data(wh):
    store, catalog = _refresh(wh, known_support.EMPTY_AS_OF)
    for metric_id in ["csat_score", "nps", "zendesk_satisfaction", "ticket_sla_compliance", "first_reply_time_hours"]:
        snap = snapshot(catalog.metrics[metric_id], store, TARGETS, known_support.EMPTY_AS_OF)
        assert snap.value is None and snap.status == "nodata", metric_id
    # before the first ticket was created there is no backlog to count either
    assert snapshot(catalog.metrics["open_tickets"], store, TARGETS, known_support.EMPTY_AS_OF).value is None


def test_support010_support_page_metrics_in_catalog():
    catalog = load_catalog()
    assert [m.id for m in catalog.metrics_on("support")] == SUPPORT
    assert catalog.pages["support"].path == "/support"
    for metric_id in SUPPORT:
        m = catalog.metrics[metric_id]
        assert m.views and m.tooltip.definition and m.tooltip.edge_cases and m.target is not None


def test_support011_every_support_query_runs_on_the_fivetran_zendesk_seeds(tmp_path):
    """The Fivetran dbt_zendesk seeds (Pacific schedule, 2020 tickets, no satisfaction history) and no
    survey table: every Support query runs; as of 2020-09-15 one seed ticket is open."""
    from data_access.load import load_folder
    from tests.conftest import SEEDS

    w = DuckDBWarehouse(tmp_path / "seeds.duckdb", DATASETS)
    for source in ("hubspot", "quickbooks", "zendesk"):
        load_folder(w, source, SEEDS / f"dbt_{source}")
    store, catalog = _refresh(w, dt.date(2020, 9, 15))
    assert snapshot(catalog.metrics["open_tickets"], store, TARGETS, dt.date(2020, 9, 15)).value == 1
    intervals = w.run("intermediate/support_business_intervals", {"as_of_date": dt.date(2020, 9, 15)})
    weekday = pd.to_datetime(intervals["start_s"], unit="s").dt.dayofweek  # 08:00 PT = 15:00 UTC, Mon–Fri
    assert set(weekday) == {0, 1, 2, 3, 4}
    w.close()


def test_support012_demo_business_minutes_match_its_calendar(tmp_path):
    """The demo draws ticket times in business time of its schedule (numpy calendar); the SQL, from
    the Zendesk schedule, holiday and daylight-time tables it writes, finds the same business minutes
    on every solved ticket, on as-of dates in and out of daylight time."""
    from data_access.demo import build_demo
    from data_access.demo_support import TICKET_HISTORY_DAYS, _Calendar, _holidays

    as_of = dt.date(2026, 12, 7)
    demo = build_demo(0.2, as_of)
    w = DuckDBWarehouse(tmp_path / "demo.duckdb", DATASETS)
    for source, frames in demo.items():
        w.replace_tables(source, frames)
    cal = _Calendar(as_of, -TICKET_HISTORY_DAYS - 60, 60, [d for _, d in _holidays(range(as_of.year - 4, as_of.year + 2))])
    origin = np.datetime64(as_of.isoformat(), "s")
    for day in [as_of, dt.date(2026, 3, 20), dt.date(2026, 11, 10)]:
        bt = w.run("intermediate/ticket_business_times", {"as_of_date": day, **SLA})
        solved = bt[bt["solved_at"].notna()]
        assert len(solved) > 10
        secs = lambda c: (pd.to_datetime(solved[c]).values.astype("datetime64[s]") - origin).astype(np.int64)  # noqa: E731
        expected = (cal.position(secs("solved_at")) - cal.position(secs("created_at"))) / 60
        assert np.abs(expected - solved["resolution_business_minutes"].to_numpy()).max() == 0, day
    w.close()


def test_support013_sla_targets_from_settings_move_compliance(wh):
    """The targets are parameters, not constants: high's first reply at 2.5 h makes ticket 3 (121
    business minutes) met, low's at 9 h makes ticket 6 (540, exactly at it) met → 7 / 7; urgent's
    resolution at 2 h breaches ticket 4 (180 minutes) → 4 / 7 with the other defaults."""
    store, catalog = MemoryFrameStore(), load_catalog()
    queries = [q for q in catalog.queries() if q.startswith("support/")]
    metric = catalog.metrics["ticket_sla_compliance"]
    cases = [({"high": {"first_reply_hours": 2.5, "resolution_hours": 24},
               "low": {"first_reply_hours": 9, "resolution_hours": 120}}, 7, []),
             ({"urgent": {"first_reply_hours": 1, "resolution_hours": 2}}, 4, [4, 6, 3])]
    for sla, met, breached in cases:
        targets = TARGETS.model_copy(update={"support_sla_targets": SupportSlaTargets.model_validate(sla)})
        results = refresh_all(wh, store, catalog, Settings(), targets, as_of=AS_OF, queries=queries)
        assert [(r.query, r.error) for r in results if not r.ok] == []
        snap = snapshot(metric, store, targets, AS_OF)
        assert snap.extras["met_count"] == met and snap.value == pytest.approx(met / 7)
        tickets = view_frame(metric.view("breached_tickets"), store.get("support/breached_tickets").frame,
                             targets=targets)
        assert sorted(tickets["ticket_id"].tolist()) == sorted(breached)
    by_priority = view_frame(metric.view("sla_by_priority"), store.get("support/sla_by_priority").frame,
                             targets=targets).set_index("priority")
    assert by_priority.loc["urgent", "resolution_target_hours"] == pytest.approx(2)
    four = tickets.set_index("ticket_id").loc[4]
    assert four["breached"] == "resolution" and four["resolution_over_minutes"] == 60


def test_support014_by_segment_views(refreshed, wh):
    """CSAT by segment: the four 1–5 responses of the window are Acme Drinks' (Beverage): 2 / 4. Win
    rate by segment (known company, 90 days to 2026-11-21): deal 4 won (Acme Drinks Inc, industry
    Beverage); deals 12 won and 5 lost have no company → 'No company' 1 / 2."""
    csat = _view(refreshed, "csat_score", "csat_by_segment")
    assert csat[["segment", "response_count", "satisfied_count"]].values.tolist() == [["Beverage", 4, 2]]
    assert csat["csat_rate"].tolist() == pytest.approx([0.5])
    store, catalog = MemoryFrameStore(), load_catalog()
    results = refresh_all(wh, store, catalog, Settings(), TARGETS, as_of=known_company.AS_OF,
                          queries=["company_health/win_rate_by_segment"])
    assert all(r.ok for r in results)
    wins = store.get("company_health/win_rate_by_segment").frame.set_index("segment")
    assert wins[["won_count", "lost_count"]].to_dict("index") == {"No company": {"won_count": 1, "lost_count": 1},
                                                                  "Beverage": {"won_count": 1, "lost_count": 0}}
    assert wins["win_rate"].to_dict() == pytest.approx({"No company": 0.5, "Beverage": 1.0})
