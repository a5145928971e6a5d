"""Renewal deals in the drill-down deal lists (issue 15) on the hand-built company and a migrated Pulse
database: renewals linked to known deals are published into the frame store, and the real drill-down
callbacks (body, table pages, export) and the view API mark exactly those deals; saving a renewal on
/renewals republishes at once; with Redis down nothing fails.

Known deals (tests/fixtures/known_company.py): open Deal 1 $10,000 (Ana), Deal 2 $5,000 (Ben), Deal 10
$4,000 (unassigned), Deal 14 $3,500, Deal 13 $2,500 (no close date); won in the 365 days Deal 4 $20,000,
Deal 6 $30,000, Deal 12 $10,000."""
from __future__ import annotations

import csv
import io
import json

import pytest
from dash import dash_table

from components import ids
from data_access.customers import DIRECTORY_QUERY, sync_customers
from data_access.refresh import query_params
from data_access.renewal_deals import publish_renewal_deals, read_renewal_deals
from data_access.renewals import check_renewal, create_renewal
from tests.conftest import known_runtime, migrated_sqlite
from tests.fixtures.auth_files import post_callback
from tests.integration.test_security_renewals import FIELDS

FRAMES = ["company_health/open_deals", "company_health/won_deals", "sales/undated_deals",
          "company_health/revenue_by_customer"]
RENEWAL = {"customer_id": "101", "renewal_date": "2027-01-15", "status": "open", "risk_level": "high",
           "current_value_usd": "3,500", "proposed_value_usd": "", "owner": "Dana AM", "notes": ""}


def _runtime(tmp_path, **settings):
    rt = known_runtime(tmp_path, database_url=migrated_sqlite(tmp_path), **settings)
    results = rt.refresh(queries=FRAMES)
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]
    directory = rt.warehouse().run(DIRECTORY_QUERY, query_params(rt.settings, rt.targets().targets, rt.today()))
    sync_customers(rt.db(), directory)
    return rt


@pytest.fixture
def company(tmp_path, swap_runtime, pulse_app):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _link(rt, deal_id: str, customer_id: str = "101"):
    return create_renewal(rt.db(), check_renewal({**RENEWAL, "customer_id": customer_id, "hubspot_deal_id": deal_id},
                                                 rt.db()), "mgr@x.com")


def _state(metric: str, view: str) -> dict:
    return {"metric": metric, "view": view, "nonce": "n"}


def _body_names(metric: str, view: str) -> list[str]:
    """The deal names of the first table page the real ``render_view`` draws."""
    from pages import drilldown as page

    render = getattr(page.render_view, "__wrapped__", page.render_view)
    body = render(view, [], [], None, None, None, _state(metric, view))
    table = next(c for c in body if isinstance(c, dash_table.DataTable))
    return [r["deal_name"] for r in table.data]


def _page(client, metric: str, view: str, page: int, sort_by: list, page_size: int = 2) -> list[dict]:
    table = ids.drill_table(view)
    tid = json.dumps(table, separators=(",", ":"), sort_keys=True)
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if "drilldown-table" in d["output"])
    body = {"output": dep["output"],
            "outputs": [{"id": table, "property": "data"}, {"id": table, "property": "page_current"}],
            "inputs": [{"id": table, "property": "page_current", "value": page},
                       {"id": table, "property": "sort_by", "value": sort_by}],
            "state": [{"id": table, "property": "page_size", "value": page_size},
                      *({"id": i, "property": "value", "value": v} for i, v in
                        ((ids.FILTER_REP, []), (ids.FILTER_SEGMENT, []), (ids.FILTER_START, None),
                         (ids.FILTER_END, None))),
                      {"id": ids.DRILLDOWN_STATE, "property": "data", "value": _state(metric, view)}],
            "changedPropIds": [f"{tid}.page_current"]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["response"][tid]["data"]


def _export(client, metric: str, view: str) -> list[dict]:
    state = [{"id": ids.DRILLDOWN_TABS, "property": "active_tab", "value": view},
             *({"id": i, "property": "value", "value": v} for i, v in
               ((ids.FILTER_REP, []), (ids.FILTER_SEGMENT, []), (ids.FILTER_START, None), (ids.FILTER_END, None))),
             {"id": ids.DRILLDOWN_STATE, "property": "data", "value": _state(metric, view)}]
    r = post_callback(client, ids.EXPORT_CSV, "n_clicks", [{"id": ids.EXPORT_CSV, "property": "n_clicks", "value": 1},
                                                           {"id": ids.EXPORT_XLSX, "property": "n_clicks",
                                                            "value": None}], state)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    content = r.get_json()["response"][ids.EXPORT_DOWNLOAD]["data"]["content"]
    return list(csv.DictReader(io.StringIO(content, newline="")))


def _save(client, values: dict, editing=None):
    """Save the renewal form through the real POST (auth mode none: the local admin)."""
    field = lambda kind, f: {"type": kind, "field": f}  # noqa: E731
    outputs = [{"id": "renewal-modal", "property": "is_open"},
               [{"id": field("renewal-feedback", f), "property": "children"} for f in FIELDS],
               {"id": "renewal-form-message", "property": "children"},
               {"id": "renewals-table", "property": "children"},
               {"id": "renewals-message", "property": "children"}]
    state = [[{"id": field("renewal-field", f), "property": "value", "value": values.get(f)} for f in FIELDS],
             {"id": "renewal-editing", "property": "data", "value": editing},
             {"id": "renewals-status-filter", "property": "value", "value": "all"},
             {"id": "renewals-window", "property": "value", "value": "all"},
             {"id": "renewals-search", "property": "value", "value": None}]
    r = post_callback(client, "renewal-save", "n_clicks", [{"id": "renewal-save", "property": "n_clicks", "value": 1}],
                      state, outputs=outputs)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r


def _api(client, metric: str, view: str, query: str = "") -> dict:
    r = client.get(f"/api/metrics/{metric}/views/{view}{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_rdl101_the_deal_lists_mark_the_deals_renewals_link_and_no_other(company):
    client, rt = company
    _link(rt, "1")  # open Deal 1
    _link(rt, "0004", customer_id="102")  # won Deal 4, typed with leading zeros
    _link(rt, "999")  # a deal in no frame: never shown, never an error
    published = publish_renewal_deals(rt)
    assert published.deal_ids == {"1", "4", "999"}
    assert rt.store.get_outcome("system/renewal_deals") == {"deal_ids": ["1", "4", "999"], "at": published.at}

    # the drill-down body (first page), another page and sort order, the export: one path, one answer
    assert _body_names("pipeline_coverage", "open_deals") == ["Deal 1 · Renewal", "Deal 2", "Deal 10", "Deal 14",
                                                              "Deal 13"]
    asc = [{"column_id": "amount_usd", "direction": "asc"}]
    assert [(r["deal_name"], r.get("renewal")) for r in _page(client, "pipeline_coverage", "open_deals", 2, asc)] == \
        [("Deal 1 · Renewal", True)]
    assert [r["deal_name"] for r in _page(client, "pipeline_coverage", "open_deals", 0, asc)] == ["Deal 13", "Deal 14"]
    assert _body_names("avg_deal_size", "won_deals") == ["Deal 4 · Renewal", "Deal 12", "Deal 6"]
    assert not any("Renewal" in n for n in _body_names("open_deals_without_close_date", "undated_deals"))
    exported = _export(client, "pipeline_coverage", "open_deals")
    assert [(r["deal_name"], r["renewal"]) for r in exported] == [
        ("Deal 1", "True"), ("Deal 2", "False"), ("Deal 10", "False"), ("Deal 14", "False"), ("Deal 13", "False")]

    # the API: a renewal column, true/false, on JSON pages and in CSV
    body = _api(client, "pipeline_coverage", "open_deals")
    assert body["columns"][-1] == "renewal"
    assert {r["deal_id"]: r["renewal"] for r in body["rows"]} == {1: True, 2: False, 10: False, 14: False, 13: False}
    assert [r["renewal"] for r in _api(client, "pipeline_coverage", "open_deals", "?offset=1&limit=2")["rows"]] == \
        [False, False]
    won = _api(client, "avg_deal_size", "won_deals")["rows"]
    assert [r["deal_id"] for r in won if r["renewal"]] == [4]
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/metrics/pipeline_coverage/views/open_deals?format=csv").get_data(as_text=True))))
    assert [r["deal_id"] for r in rows if r["renewal"] == "True"] == ["1"]
    by_customer = _api(client, "revenue_ytd", "revenue_by_customer")  # not a deal list: as before
    assert "renewal" not in by_customer["columns"] and "renewal" not in by_customer["rows"][0]


def test_rdl102_before_the_first_publish_nothing_is_marked_and_nothing_fails(company):
    client, rt = company
    _link(rt, "2")  # saved straight to the database: not published yet
    assert _body_names("pipeline_coverage", "open_deals") == ["Deal 1", "Deal 2", "Deal 10", "Deal 14", "Deal 13"]
    assert not any(r["renewal"] for r in _api(client, "pipeline_coverage", "open_deals")["rows"])
    publish_renewal_deals(rt)  # the daily job: the cached body is drawn again with the mark
    assert _body_names("pipeline_coverage", "open_deals")[1] == "Deal 2 · Renewal"


def test_rdl103_saving_a_renewal_on_the_page_republishes_and_the_deal_lists_show_it_at_once(company):
    client, rt = company
    assert _body_names("pipeline_coverage", "open_deals")[:2] == ["Deal 1", "Deal 2"]  # drawn and kept
    r = _save(client, {**RENEWAL, "hubspot_deal_id": "2"})
    assert "Added the renewal of Acme Drinks" in r.get_data(as_text=True)
    assert "deal lists mark" not in r.get_data(as_text=True)  # published: no warning
    assert read_renewal_deals(rt.store).deal_ids == {"2"}
    assert _body_names("pipeline_coverage", "open_deals")[:2] == ["Deal 1", "Deal 2 · Renewal"]
    (saved,) = [row for row in _api(client, "pipeline_coverage", "open_deals")["rows"] if row["renewal"]]
    assert saved["deal_id"] == 2
    from data_access.renewals import list_renewals

    (renewal,) = list_renewals(rt.db())
    r = _save(client, {**RENEWAL, "hubspot_deal_id": "10"}, {"id": renewal.id, "version": renewal.version})
    assert "Saved the renewal of Acme Drinks" in r.get_data(as_text=True)  # an edit moves the link
    assert read_renewal_deals(rt.store).deal_ids == {"10"}
    assert _body_names("pipeline_coverage", "open_deals")[:3] == ["Deal 1", "Deal 2", "Deal 10 · Renewal"]


def test_rdl104_with_redis_down_the_lists_serve_the_last_set_read_or_none_and_never_fail(tmp_path, swap_runtime,
                                                                                        pulse_app, redis_server):
    worker = _runtime(tmp_path, redis_url=redis_server.url)
    web = known_runtime(tmp_path, database_url=worker.settings.database_url, redis_url=redis_server.url,
                        cache_retry_after_s=0.01)
    swap_runtime(web)
    client = pulse_app.server.test_client()
    _link(worker, "1")
    assert not any(r["renewal"] for r in _api(client, "pipeline_coverage", "open_deals")["rows"])  # not published
    publish_renewal_deals(worker)
    redis_server.stop()  # the web process never read the set: it marks nothing, and serves the frames it holds
    assert not any(r["renewal"] for r in _api(client, "pipeline_coverage", "open_deals")["rows"])
    assert _body_names("pipeline_coverage", "open_deals")[0] == "Deal 1"
    redis_server.start()  # appendonly: the published set survived the restart
    import time

    time.sleep(0.05)  # past cache_retry_after_s: the store is asked again
    assert [r["deal_id"] for r in _api(client, "pipeline_coverage", "open_deals")["rows"] if r["renewal"]] == [1]
    redis_server.stop()  # down again: the last set read still marks
    assert [r["deal_id"] for r in _api(client, "pipeline_coverage", "open_deals")["rows"] if r["renewal"]] == [1]
    assert _body_names("pipeline_coverage", "open_deals")[0] == "Deal 1 · Renewal"


def test_rdl105_a_save_whose_republish_fails_stands_and_says_the_lists_catch_up_later(company, monkeypatch):
    from pages import renewals as page

    client, rt = company

    def unreachable(_rt):
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(page, "publish_renewal_deals", unreachable)
    r = _save(client, {**RENEWAL, "hubspot_deal_id": "2"})
    text = r.get_data(as_text=True)
    assert "Added the renewal of Acme Drinks" in text and "after the next daily sync" in text
    assert read_renewal_deals(rt.store).deal_ids == frozenset()  # nothing published, nothing marked
    assert _body_names("pipeline_coverage", "open_deals")[1] == "Deal 2"
