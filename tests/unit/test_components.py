"""Pure pieces: formatting, target status, the KPI card and drill-down builders, the frame codec."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from components import drilldown, formatting, ids
from components.kpi_card import kpi_card
from data_access.catalog import load_catalog
from data_access.frame_store import CachedFrame, FrameMeta, frame_from_bytes, frame_to_bytes
from data_access.metrics import UNASSIGNED_OWNER, owner_options, view_frame
from data_access.targets import RevenuePlan, load_targets, status


@pytest.mark.parametrize(
    "value, unit, text",
    [(1_240_000, "usd", "$1.24M"), (842_300, "usd", "$842K"), (950, "usd", "$950"), (-12_500, "usd", "-$12.5K"),
     (0.342, "ratio", "34.2%"), (3.14, "multiple", "3.1×"), (42, "days", "42 days"), (1, "days", "1 day"),
     (1234, "count", "1,234"), (None, "usd", "—"), (float("nan"), "ratio", "—")],
)
def test_fmt001_values_in_their_units(value, unit, text):
    assert formatting.value(value, unit) == text


def test_fmt002_as_of_with_age_and_local_time():
    at = dt.datetime(2026, 11, 22, 2, 5, tzinfo=dt.timezone.utc)
    now = at + dt.timedelta(hours=2, minutes=10)
    assert formatting.as_of_text(dt.date(2026, 11, 21), at, now) == "As of Nov 21, 2026 · updated 2 h ago"
    assert formatting.as_of_text(None, None) == "Waiting for the first refresh"
    assert formatting.age_text(at, at + dt.timedelta(seconds=30)) == "just now"
    assert formatting.age_text(at, at + dt.timedelta(minutes=12)) == "12 min ago"
    assert formatting.age_text(at, at + dt.timedelta(days=3)) == "3 days ago"
    assert formatting.local_time(at, "America/New_York") == "Nov 21 21:05 EST"


@pytest.mark.parametrize(
    "value, target, direction, band, expected",
    [(3.0, 3.0, "higher", 0.2, "green"), (2.5, 3.0, "higher", 0.2, "yellow"), (2.39, 3.0, "higher", 0.2, "red"),
     (0.30, 0.30, "lower", 0.15, "green"), (0.34, 0.30, "lower", 0.15, "yellow"), (0.35, 0.30, "lower", 0.15, "red"),
     (None, 3.0, "higher", 0.2, "nodata"), (float("nan"), 3.0, "higher", 0.2, "nodata")],
)
def test_kpi004_status_against_target(value, target, direction, band, expected):
    assert status(value, target, direction, band) == expected


def test_kpi005_revenue_plan_ytd_and_quarter():
    plan = RevenuePlan(monthly_usd=100, months={"2026-11": 300})
    assert plan.ytd_usd(dt.date(2026, 11, 15)) == pytest.approx(1000 + 300 * 15 / 30)
    assert plan.quarter_usd(dt.date(2026, 11, 15)) == pytest.approx(100 + 300 + 100)


def test_kpi006_malformed_targets_file_keeps_last_good(tmp_path):
    p = tmp_path / "targets.json"
    p.write_text(json.dumps({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"target": 0.4}}}))
    good = load_targets(p)
    assert good.error is None and good.targets.metrics["win_rate"].target == 0.4
    p.write_text('{"revenue_plan": {"monthly_usd": -1}}')
    bad = load_targets(p, good.targets)
    assert bad.targets == good.targets
    assert "invalid" in bad.error and "targets.json" in bad.error
    p.write_text("{ truncated")
    assert load_targets(p, good.targets).targets == good.targets


def test_kpi007_card_shows_value_target_status_and_id():
    metric = load_catalog().metrics["pipeline_coverage"]
    card = kpi_card(metric, 3.14, 3.0, "green", "As of Nov 21, 2026")
    text = str(card)
    assert card.id == ids.kpi_tip("pipeline_coverage")  # the tooltip's target: the card and its "i"
    assert card.children[0].id == ids.kpi_card("pipeline_coverage")  # the clickable card
    assert card.children[1].children == "i" and card.children[2].target == ids.kpi_tip("pipeline_coverage")
    assert "3.1×" in text and "Target ≥ 3.0×" in text and "On target" in text and "As of Nov 21, 2026" in text
    assert "kpi-green" in text
    nodata = str(kpi_card(metric, None, 3.0, "nodata", "Waiting for the first refresh"))
    assert "No data" in nodata and "kpi-nodata" in nodata
    stale = str(kpi_card(metric, 3.14, 3.0, "green", "As of …", stale_sla="2 h",
                         failure="Last refresh failed Nov 21 14:05 EST (BadRequest); last success Nov 21 09:00 EST"))
    assert "Stale · older than 2 h" in stale and "3.1×" in stale  # the last good value stays
    assert "⚠" in stale and "last success Nov 21 09:00 EST" in stale


def test_dd001_empty_view_says_no_data():
    view = load_catalog().metrics["win_rate"].views[0]
    body = drilldown.view_body(view, pd.DataFrame(columns=["owner_id", "owner_name", "won_count"]))
    assert "No data for this period" in str(body)
    assert "Graph" not in str(body)


def test_dd002_month_options_fill_gaps():
    opts = drilldown.month_options([dt.date(2026, 1, 1), dt.date(2026, 3, 1)])
    assert [o["value"] for o in opts] == ["2026-01", "2026-02", "2026-03"]
    assert opts[1]["label"] == "Feb 2026"


def test_dd003_view_frame_filters_then_reaggregates():
    view = load_catalog().metrics["win_rate"].view("win_rate_by_rep")
    frame = pd.DataFrame({
        "owner_id": [1, 1, 2], "owner_name": ["A", "A", "B"],
        "month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-01"]),
        "won_count": [1, 3, 0], "lost_count": [1, 1, 2], "won_usd": [10.0, 30.0, 0.0],
    })
    df = view_frame(view, frame)
    assert df[["owner_name", "won_count", "lost_count"]].values.tolist() == [["A", 4, 2], ["B", 0, 2]]
    assert df["win_rate"].tolist() == pytest.approx([4 / 6, 0.0])
    oct_ = view_frame(view, frame, start=dt.date(2026, 10, 1))
    assert oct_["win_rate"].tolist() == pytest.approx([0.75, 0.0])
    only_b = view_frame(view, frame, owners=[2])
    assert only_b["owner_name"].tolist() == ["B"]
    assert len(frame) == 3  # the cached frame is never mutated


def test_fs001_arrow_round_trip_keeps_dtypes_and_meta():
    frame = pd.DataFrame({
        "owner_id": pd.array([1, None], dtype="Int64"),
        "owner_name": ["Ana", None],
        "amount_usd": [1.5, float("nan")],
        "month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
        "is_won": pd.array([True, None], dtype="boolean"),
        "close_date": [dt.date(2026, 10, 1), dt.date(2026, 11, 2)],
    })
    meta = FrameMeta("q", dt.date(2026, 11, 21), dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc), 0.25, 2)
    back = frame_from_bytes(frame_to_bytes(CachedFrame(frame, meta)))
    pd.testing.assert_frame_equal(back.frame, frame)
    assert back.meta == meta


def test_dd004_tables_and_exports_show_no_internal_columns():
    """Sort helpers never leave the server; ids are ids; money has cents; plurals are right."""
    from data_access.export import export_frame, to_csv

    df = pd.DataFrame({"stage_label": ["Qualified", "Proposal"], "stage_order": [1, 2], "bucket_order": [3, 4],
                       "owner_id": [40152321.0, float("nan")], "invoice_id": [22154, 7],
                       "amount_usd": [314117.60000000003, 0.1 + 0.2], "deal_count": [2, 3]})
    assert drilldown.shown_columns(df) == ["stage_label", "invoice_id", "amount_usd", "deal_count"]
    cols = {c["id"]: c for c in (drilldown._column(c, df[c].dtype) for c in df.columns)}
    assert cols["invoice_id"]["type"] == "text" and "format" not in cols["invoice_id"]  # 22154, not 22,154
    hours = drilldown._column("first_reply_hours", pd.Series([1.5]).dtype)
    assert hours["type"] == "numeric" and hours["format"].to_plotly_json()["specifier"] == ",.1f"  # 1.5 h, not 2
    assert drilldown.totals_text(df) == "2 rows · Amount (USD) $314K · Deal (count) 5"
    assert drilldown.totals_text(df.head(1)).startswith("1 row ·")
    assert drilldown.totals_text(df, not_additive=("deal_count",)) == "2 rows · Amount (USD) $314K"  # a funnel
    out = export_frame(df)
    assert list(out.columns) == ["stage_label", "owner_id", "invoice_id", "amount_usd", "deal_count"]
    lines = to_csv(out).splitlines()
    assert lines[1] == "Qualified,40152321,22154,314117.6,2" and lines[2] == "Proposal,,7,0.3,3"


def test_dd005_charts_offer_only_download_as_png():
    catalog = load_catalog()
    view = catalog.metrics["pipeline_coverage"].view("open_deals")
    df = pd.DataFrame({"deal_name": ["A"], "amount_usd": [10.0], "owner_id": [1]})
    graph = next(c for c in drilldown.view_body(view, df) if type(c).__name__ == "Graph")
    assert graph.config["modeBarButtons"] == [["toImage"]] and graph.config["displaylogo"] is False


def test_dd006_charts_show_status_colours_and_the_target_line():
    from components.figures import STATUS_FILL, Reference, view_figure

    catalog = load_catalog()
    green, yellow, red = STATUS_FILL["green"], STATUS_FILL["yellow"], STATUS_FILL["red"]
    # OpEx by category: actual ÷ budget against 100 %, lower is better, 5 % band
    opex = catalog.metrics["opex_vs_budget"].view("opex_by_category")
    df = pd.DataFrame({"category": ["Travel", "Marketing", "Software"], "actual_vs_budget_ratio": [0.89, 1.16, 1.03]})
    fig = view_figure(opex.chart, df, "By category", Reference(1.0, "lower", 0.05))
    bars = fig["data"][0]
    assert dict(zip(bars["y"], bars["marker"]["color"])) == {"Travel": green, "Marketing": red, "Software": yellow}
    (line,) = fig["layout"]["shapes"]
    assert (line["x0"], line["x1"], line["yref"]) == (1.0, 1.0, "paper")
    assert fig["layout"]["annotations"][0]["text"] == "Target 100.0%"
    # Bills paid on time by month: a 95 % line across the months
    bills = catalog.metrics["bill_payment_timeliness"].view("bill_timeliness_by_month")
    months = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01"]), "on_time_rate": [0.97, 0.80]})
    fig = view_figure(bills.chart, months, "By month", Reference(0.95, "higher", 0.05))
    assert fig["layout"]["shapes"][0]["y0"] == 0.95 and fig["data"][0]["marker"]["color"] == [green, red]
    # Contract health: each health in its own status colour, no target needed
    health = catalog.metrics["contract_spend_pct"].view("contract_health")
    states = pd.DataFrame({"health": ["On track", "At risk", "Overdue"], "unspent_usd": [5.0, 3.0, 1.0]})
    fig = view_figure(health.chart, states, "Health", None)
    assert fig["data"][0]["marker"]["color"] == [green, yellow, red] and "shapes" not in fig["layout"]
    # Revenue by month vs plan: each month's bar against its own plan
    by_month = catalog.metrics["revenue_ytd"].view("revenue_by_month")
    rev = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01"]), "revenue_usd": [2100.0, 1000.0],
                        "target_usd": [2000.0, 1400.0]})
    fig = view_figure(by_month.chart, rev, "By month", Reference(21400.0, "higher", 0.1))
    assert fig["data"][0]["marker"]["color"] == [green, red]
    # the title says the period
    assert drilldown.view_title(by_month, rev) == "By month vs target, Oct–Nov 2026"
    assert formatting.period_text(pd.to_datetime(["2025-12-01", "2026-11-01"])) == "Dec 2025–Nov 2026"
    assert formatting.period_text([]) is None


def test_dd007_rep_filter_offers_unassigned_and_filters_on_it():
    view = load_catalog().metrics["win_rate"].view("win_rate_by_rep")
    frame = pd.DataFrame({
        "owner_id": pd.array([2, None, 1, None], dtype="Int64"), "owner_name": ["Bo", "Unassigned", "Al", "Unassigned"],
        "month": pd.to_datetime(["2026-10-01"] * 4),
        "won_count": [1, 2, 3, 4], "lost_count": [0, 1, 1, 1], "won_usd": [1.0, 2.0, 3.0, 4.0],
    })
    assert owner_options(frame) == [{"label": "Al", "value": 1}, {"label": "Bo", "value": 2},
                                    {"label": "Unassigned", "value": UNASSIGNED_OWNER}]
    assert owner_options(frame.dropna(subset=["owner_id"]))[-1]["label"] == "Bo"  # no owner-less rows: not offered
    nobody = view_frame(view, frame, owners=[UNASSIGNED_OWNER])
    assert nobody[["owner_name", "won_count", "lost_count"]].values.tolist() == [["Unassigned", 6, 2]]
    both = view_frame(view, frame, owners=[UNASSIGNED_OWNER, 1])
    assert sorted(both["owner_name"]) == ["Al", "Unassigned"]
    name = drilldown.export_name("win_rate", "win_rate_by_rep", {"rep": [UNASSIGNED_OWNER, 1]}, "2026-12-05", "csv")
    assert name == "win_rate__win_rate_by_rep__rep-unassigned-1__as-of-2026-12-05.csv"


def test_dd008_month_filter_explains_its_range_and_header_says_unfiltered():
    few = drilldown.month_options(pd.to_datetime(["2026-10-01", "2026-12-01"]).tolist())
    assert drilldown.month_hint(few) == ("Months with data: Oct–Dec 2026 (3 months), the metric's window "
                                         "(the card's tooltip says which).")
    year = drilldown.month_options(pd.date_range("2025-12-01", "2026-11-01", freq="MS").tolist())
    assert drilldown.month_hint(year) == "Months with data: Dec 2025–Nov 2026 (12 months)."
    assert drilldown.month_hint([]) == ""
    assert drilldown.scope_text({"rep": [], "segment": [], "start": None, "end": None}, True) == ""
    assert "unfiltered total" in drilldown.scope_text({"rep": [3], "segment": [], "start": None, "end": None}, True)
    assert "unfiltered total" in drilldown.scope_text({"rep": [], "segment": [], "start": "2026-10", "end": None}, True)
    assert drilldown.scope_text({"rep": [3]}, False) == ""  # a view without filters: nothing to say


def test_st001_status_says_one_message_per_frame_whole_and_problems_first():
    from data_access.status import STATE_ORDER, state_message
    from components.status import MESSAGE_SHOWN, message

    row = {"state": "failing", "last_success": None, "error_class": "BadRequest", "sla_minutes": 120,
           "error": "Syntax error: Unexpected identifier 'reveune_usd' at [12:5] " + "in a long query " * 12,
           "messages": []}
    text = state_message(row)
    assert text.startswith("Last refresh failed (no value yet): BadRequest: Syntax error")
    assert "Waiting" not in text  # one message, not the never-refreshed one beside it
    shown = message({**row, "message": text})
    summary, full = shown.children
    assert summary.children.endswith(" … more") and len(summary.children) <= MESSAGE_SHOWN
    assert text.startswith(summary.children[:-len(" … more")])  # cut between words
    assert full.children == text  # the whole error behind "more"
    assert state_message({**row, "last_success": "2026-12-01T00:00:00+00:00"}).startswith(
        "Last refresh failed (the last good value stays on screen)")
    assert state_message({**row, "state": "stale"}) == ("Last success is older than its freshness SLA of 2 h; "
                                                        "the value shown is the last good one.")
    assert state_message({**row, "state": "never"}) == "Waiting for the first refresh."
    assert state_message({**row, "state": "ok", "messages": ["2 accounts skipped."]}) == "2 accounts skipped."
    assert sorted(STATE_ORDER, key=STATE_ORDER.get) == ["failing", "stale", "not_connected", "never", "ok"]


def test_kpi008_a_card_that_never_refreshed_and_failed_says_one_thing():
    metric = load_catalog().metrics["win_rate"]
    card = str(kpi_card(metric, None, 0.3, "nodata", "Waiting for the first refresh",
                        failure="Refresh failed Dec 6 09:00 EST (BadRequest); no value yet"))
    assert "Waiting for the first refresh" not in card and "no value yet" in card
    later = str(kpi_card(metric, 0.25, 0.3, "red", "As of Dec 6, 2026 · updated 2 h ago",
                         failure="Last refresh failed Dec 6 09:00 EST (BadRequest); last success Dec 6 07:00 EST"))
    assert "As of Dec 6, 2026" in later and "last success Dec 6 07:00 EST" in later
