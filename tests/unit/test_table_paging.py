"""Drill-down tables are paged and sorted on the server: only one page of rows reaches the browser."""
from __future__ import annotations

import json

import pandas as pd

from components import drilldown, ids


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "deal_id": range(n),
        "deal_name": [f"Deal {i}" for i in range(n)],
        "amount_usd": [float(i * 100) if i % 5 else None for i in range(n)],  # every 5th amount missing
        "close_date": pd.date_range("2026-01-01", periods=n, freq="D"),
    })


def test_pag001_a_page_is_its_slice_without_hidden_columns_and_with_dates_as_text():
    rows = drilldown.table_page(_frame(30), page=1, page_size=12)
    assert [r["deal_name"] for r in rows] == [f"Deal {i}" for i in range(12, 24)]
    assert set(rows[0]) == {"deal_name", "amount_usd", "close_date"}  # deal_id is hidden
    assert rows[0]["close_date"] == "2026-01-13" and rows[0]["amount_usd"] == 1200.0
    assert rows[3]["amount_usd"] is None  # Deal 15: missing stays missing (null), never NaN
    assert [r["deal_name"] for r in drilldown.table_page(_frame(30), page=2, page_size=12)] == \
        [f"Deal {i}" for i in range(24, 30)]
    assert drilldown.table_page(_frame(30), page=3, page_size=12) == []


def test_pag002_sorting_covers_the_whole_frame_and_puts_missing_values_last():
    df = _frame(30)
    desc = drilldown.table_page(df, 0, [{"column_id": "amount_usd", "direction": "desc"}], page_size=3)
    assert [r["amount_usd"] for r in desc] == [2900.0, 2800.0, 2700.0]
    asc = drilldown.table_page(df, 0, [{"column_id": "amount_usd", "direction": "asc"}], page_size=3)
    assert [r["amount_usd"] for r in asc] == [100.0, 200.0, 300.0]
    last = drilldown.table_page(df, 2, [{"column_id": "amount_usd", "direction": "asc"}], page_size=12)
    assert [r["amount_usd"] for r in last] == [None] * 6  # the six missing amounts close the table
    # a hidden or unknown column in sort_by is ignored, not an error
    assert drilldown.table_page(df, 0, [{"column_id": "deal_id", "direction": "desc"}], page_size=1)[0][
        "deal_name"] == "Deal 0"


def test_pag003_the_table_holds_only_its_first_page_and_knows_the_page_count():
    from dash import dash_table

    from data_access.catalog import load_catalog

    view = load_catalog().metrics["pipeline_coverage"].view("open_deals")
    frame = _frame(30).assign(owner_id=11, owner_name="Ana Lopez", stage_label="Proposal", weighted_usd=1.0,
                              company_name="Acme", month=pd.Timestamp("2026-01-01"), age_days=3)
    table = next(c for c in drilldown.view_body(view, frame) if isinstance(c, dash_table.DataTable))
    assert len(table.data) == drilldown.PAGE_SIZE and table.page_count == 3
    assert table.page_action == "custom" and table.sort_action == "custom"
    assert table.id == ids.drill_table("open_deals")


def test_pag004_the_page_callback_serves_a_sorted_page_from_the_cached_frame(pulse_app):
    client = pulse_app.server.test_client()
    table = ids.drill_table("open_deals")
    tid = json.dumps(table, separators=(",", ":"), sort_keys=True)
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if "drilldown-table" in d["output"])

    def post(page, sort_by, page_size=2, rep=None, changed="sort_by"):
        body = {
            "output": dep["output"],
            "outputs": [{"id": table, "property": "data"}, {"id": table, "property": "page_current"}],
            "inputs": [{"id": table, "property": "page_current", "value": page},
                       {"id": table, "property": "sort_by", "value": sort_by}],
            "state": [{"id": table, "property": "page_size", "value": page_size},
                      {"id": ids.FILTER_REP, "property": "value", "value": rep or []},
                      {"id": ids.FILTER_SEGMENT, "property": "value", "value": []},
                      {"id": ids.FILTER_START, "property": "value", "value": None},
                      {"id": ids.FILTER_END, "property": "value", "value": None},
                      {"id": ids.DRILLDOWN_STATE, "property": "data",
                       "value": {"metric": "pipeline_coverage", "view": "open_deals", "nonce": "n"}}],
            "changedPropIds": [f"{tid}.{changed}"],
        }
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 200, r.get_data(as_text=True)
        out = r.get_json()["response"][tid]
        return [(row["deal_name"], row["amount_usd"]) for row in out["data"]], out["page_current"]

    by_amount = [{"column_id": "amount_usd", "direction": "desc"}]
    # the known company's open deals: Deal 1 $10,000 · Deal 2 $5,000 · Deal 10 $4,000 · Deal 14 $3,500 ·
    # Deal 13 $2,500 (14 and 13 have no close date)
    assert post(0, by_amount) == ([("Deal 1", 10000.0), ("Deal 2", 5000.0)], 0)
    assert post(1, by_amount, changed="page_current") == ([("Deal 10", 4000.0), ("Deal 14", 3500.0)], 1)
    assert post(1, by_amount, changed="sort_by") == ([("Deal 1", 10000.0), ("Deal 2", 5000.0)], 0)  # new order: page 1
    assert post(0, [{"column_id": "amount_usd", "direction": "asc"}]) == ([("Deal 13", 2500.0), ("Deal 14", 3500.0)], 0)
    assert post(0, by_amount, rep=[12]) == ([("Deal 2", 5000.0), ("Deal 13", 2500.0)], 0)  # the rep filter holds while paging


def test_pag005_a_rendered_body_is_sent_again_until_its_frame_or_filters_change(pulse_app):
    from data_access.runtime import get_runtime
    from pages import drilldown as page

    render = getattr(page.render_view, "__wrapped__", page.render_view)
    state = {"metric": "pipeline_coverage", "view": "open_deals", "nonce": "n"}
    first = render("open_deals", [], [], None, None, None, state)
    assert render("open_deals", [], [], None, None, None, state) is first  # same view, filters, frame: reused
    ana = render("open_deals", [11], [], None, None, None, state)
    assert ana is not first and "2 rows" in str(ana)
    get_runtime().refresh(["company_health/open_deals"])  # a new refresh: a new version, a new body
    again = render("open_deals", [], [], None, None, None, state)
    from dash._utils import to_json

    assert again is not first and to_json(again) == to_json(first)  # same data, rendered anew
    dark = render("open_deals", [], [], None, None, "dark", state)  # the dark theme: its own body and chart
    assert dark is not again and '"paper_bgcolor": "#111827"' in to_json(dark).replace('":"', '": "')


def test_pag006_page_records_equal_display_frame_records_for_every_dtype():
    import decimal

    import numpy as np

    from data_access.metrics import SMALL_PAGE_ROWS, display_frame, display_records

    df = pd.DataFrame({
        "deal_id": [1, 2, 3], "n": pd.array([1, None, 3], dtype="Int64"), "f": [1.5, np.nan, 2.0],
        "s": pd.array(["a", None, "<b>"], dtype="string"), "ok": [True, False, True],
        "close_date": pd.to_datetime(["2026-01-02", None, "2026-03-04"]),
        "month": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
        "week_start": ["2026-01-05", None, "2026-01-12"],  # dates as text are normalised too
        "d": [decimal.Decimal("1.10"), None, decimal.Decimal("2")],
        "ts": pd.to_datetime(["2026-01-02T03:04:05Z", None, "2026-01-02T23:59:59Z"]),
    })
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        fast, slow = display_records(df, fmt), display_frame(df, fmt).to_dict("records")
        assert fast == slow
        assert [[type(v) for v in r.values()] for r in fast] == [[type(v) for v in r.values()] for r in slow]
    assert fast[1] == {"deal_id": 2, "n": None, "f": None, "s": None, "ok": False, "close_date": None,
                       "month": "2026-02", "week_start": None, "d": None, "ts": None}
    assert display_records(df.iloc[0:0]) == []
    long = pd.concat([df] * (SMALL_PAGE_ROWS // 3 + 1), ignore_index=True)  # the display_frame path
    assert display_records(long) == display_frame(long).to_dict("records")
