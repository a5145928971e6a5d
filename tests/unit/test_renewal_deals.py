"""Renewal deals in the drill-down deal lists (issue 15), on frames and stores built here: the marker on
a frame, on a table page (after slicing and sorting), and reading the published record (missing,
malformed, re-read only when republished, the store down)."""
from __future__ import annotations

import pandas as pd
import pytest

from components import drilldown
from data_access.frame_store import MemoryFrameStore, ResilientStore
from data_access.renewal_deals import (NO_RENEWAL_DEALS, RENEWAL_DEALS, RENEWAL_DEALS_AT, deal_key,
                                       linked_deal_ids, mark_renewal_deals, read_renewal_deals, with_renewals)


def _deals(n: int = 5, dtype: str = "int64") -> pd.DataFrame:
    return pd.DataFrame({"deal_id": pd.Series(range(1, n + 1), dtype=dtype),
                         "deal_name": [f"Deal {i}" for i in range(1, n + 1)],
                         "owner_id": 11, "amount_usd": [float(i * 1000) for i in range(1, n + 1)]})


def test_rdl001_the_marker_on_a_frame_is_true_exactly_for_the_linked_deals():
    marked = mark_renewal_deals(_deals(), frozenset({"2", "4", "999"}))  # 999: in no frame, never shown
    assert marked["renewal"].tolist() == [False, True, False, True, False]
    assert marked["renewal"].dtype == bool and list(marked.columns)[-1] == "renewal"
    assert marked.drop(columns="renewal").equals(_deals())  # nothing else changes
    assert mark_renewal_deals(_deals(), frozenset())["renewal"].tolist() == [False] * 5
    # identifiers as every frame may hold them: nullable ints with a gap, floats with NaN, text
    gap = _deals(3, "Int64")
    gap.loc[1, "deal_id"] = pd.NA
    assert mark_renewal_deals(gap, frozenset({"2", "3"}))["renewal"].tolist() == [False, False, True]
    floats = _deals(3).astype({"deal_id": "float64"})
    floats.loc[0, "deal_id"] = float("nan")
    assert mark_renewal_deals(floats, frozenset({"1", "2"}))["renewal"].tolist() == [False, True, False]
    text = _deals(3).astype({"deal_id": str})
    assert mark_renewal_deals(text, frozenset({"3"}))["renewal"].tolist() == [False, False, True]
    assert mark_renewal_deals(_deals(3), frozenset({str(2**70)}))["renewal"].tolist() == [False] * 3
    # an export's rows (past SMALL_FRAME_ROWS: one vectorised pass) get the same answer as a page
    from data_access.renewal_deals import SMALL_FRAME_ROWS

    long = _deals(SMALL_FRAME_ROWS + 100)
    for dtype in ("int64", "Int64", "float64", str):
        flags = mark_renewal_deals(long.astype({"deal_id": dtype}), frozenset({"7", "555"}))["renewal"]
        assert flags[flags].index.tolist() == [6, 554], dtype
    # a view whose rows are not deals is left as it is
    customers = pd.DataFrame({"customer_id": ["101"], "revenue_usd": [1.0]})
    assert mark_renewal_deals(customers, frozenset({"101"})) is customers
    assert [deal_key(v) for v in ("0042", " 42 ", 42, 42.0, None, float("nan"), "4a", -1)] == \
        ["42", "42", "42", "42", None, None, None, None]


def test_rdl002_a_table_page_marks_the_name_cell_of_its_own_rows_after_sorting_and_slicing():
    df = _deals(30)
    linked = frozenset({"3", "28"})
    first = drilldown.table_page(df, 0, None, 12, linked)
    assert [r["deal_name"] for r in first[1:4]] == ["Deal 2", "Deal 3 · Renewal", "Deal 4"]
    assert [r.get("renewal") for r in first[1:4]] == [None, True, None]  # the flag only on marked rows
    assert set(first[0]) == {"deal_name", "amount_usd"}  # keys stay hidden; no renewal column on screen
    assert sum("Renewal" in r["deal_name"] for r in first) == 1
    by_amount = drilldown.table_page(df, 0, [{"column_id": "amount_usd", "direction": "desc"}], 3, linked)
    assert [r["deal_name"] for r in by_amount] == ["Deal 30", "Deal 29", "Deal 28 · Renewal"]
    sorted_by_name = drilldown.table_page(df, 0, [{"column_id": "deal_name", "direction": "asc"}], 2, linked)
    assert [r["deal_name"] for r in sorted_by_name] == ["Deal 1", "Deal 10"]  # sorts on the real names
    assert drilldown.table_page(df, 0, None, 12) == drilldown.table_page(df, 0, None, 12, frozenset({"999"}))
    unnamed = df.assign(deal_name=None)
    assert drilldown.table_page(unnamed, 0, None, 3, linked)[2]["deal_name"] == "Renewal"


def test_rdl003_the_view_table_styles_and_explains_the_marked_name_cell():
    from dash import dash_table

    from data_access.catalog import load_catalog

    catalog = load_catalog()
    view = catalog.metrics["pipeline_coverage"].view("open_deals")
    table = next(c for c in drilldown.view_body(view, _deals(3), renewal_deals=frozenset({"1"}))
                 if isinstance(c, dash_table.DataTable))
    assert table.data[0]["deal_name"] == "Deal 1 · Renewal" and "renewal" not in {c["id"] for c in table.columns}
    when = {"column_id": "deal_name", "filter_query": "{renewal} is bool"}
    accent = {"if": when, "boxShadow": "inset 3px 0 0 var(--bs-info, #0dcaf0)", "fontWeight": 600}
    assert accent in table.style_data_conditional
    assert table.tooltip_conditional == [{"if": when, "type": "text", "value": drilldown.RENEWAL_TIP}]
    customers = pd.DataFrame({"customer_id": ["101"], "customer_name": ["Acme"], "revenue_usd": [1.0]})
    by_customer = catalog.metrics["revenue_ytd"].view("revenue_by_customer")
    plain = next(c for c in drilldown.view_body(by_customer, customers, renewal_deals=frozenset({"101"}))
                 if isinstance(c, dash_table.DataTable))
    assert plain.tooltip_conditional == [] and all("renewal" not in str(s) for s in plain.style_data_conditional)


class CountingStore(MemoryFrameStore):
    def __init__(self):
        super().__init__()
        self.reads: list[str] = []

    def get_outcome(self, name):
        self.reads.append(name)
        return super().get_outcome(name)


def _publish(store, ids, at):
    store.put_outcome(RENEWAL_DEALS, {"deal_ids": ids, "at": at})
    store.put_outcome(RENEWAL_DEALS_AT, {"at": at})


def test_rdl004_the_published_set_is_read_from_the_store_and_parsed_again_only_when_republished():
    store = CountingStore()
    assert read_renewal_deals(store) == NO_RENEWAL_DEALS  # before the first publish: nothing, no error
    assert with_renewals(store, _deals(2))["renewal"].tolist() == [False, False]
    _publish(store, ["2", "0005"], "2026-11-21T08:00:00+00:00")
    store.reads.clear()
    assert read_renewal_deals(store).deal_ids == {"2", "5"}
    assert read_renewal_deals(store).at == "2026-11-21T08:00:00+00:00"
    assert store.reads == [RENEWAL_DEALS_AT, RENEWAL_DEALS, RENEWAL_DEALS_AT]  # the set once, then the stamp only
    _publish(store, ["3"], "2026-11-21T09:00:00+00:00")
    assert with_renewals(store, _deals(3))["renewal"].tolist() == [False, False, True]
    customers = pd.DataFrame({"customer_id": ["101"]})
    store.reads.clear()
    assert linked_deal_ids(store, customers) == frozenset() and store.reads == []  # not a deal list: no read
    for bad in ({"deal_ids": "3", "at": "x"}, {"at": "y"}, {"deal_ids": [None, "x", 4], "at": "z"}):
        store.put_outcome(RENEWAL_DEALS, bad)
        store.put_outcome(RENEWAL_DEALS_AT, {"at": bad["at"]})
        assert read_renewal_deals(store).deal_ids == ({"4"} if bad["at"] == "z" else frozenset())


class FlakyStore(MemoryFrameStore):
    down = False

    def get_outcome(self, name):
        if self.down:
            raise ConnectionError("store unreachable")
        return super().get_outcome(name)

    def get_meta(self, name):
        if self.down:
            raise ConnectionError("store unreachable")
        return super().get_meta(name)

    def ping(self):
        return not self.down


@pytest.mark.parametrize("read_before", [False, True])
def test_rdl005_the_store_down_marks_what_was_last_read_or_nothing_and_never_fails(read_before):
    inner = FlakyStore()
    _publish(inner, ["1"], "2026-11-21T08:00:00+00:00")
    store = ResilientStore(inner, errors=(ConnectionError,), retry_after_s=60)
    if read_before:
        assert read_renewal_deals(store).deal_ids == {"1"}
    inner.down = True
    assert with_renewals(store, _deals(2))["renewal"].tolist() == [read_before, False]
    assert store.unavailable_since is not None
