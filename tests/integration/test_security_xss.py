"""Hostile names stay data: JSON strings, never markup; CSV cells never formulas."""
from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from data_access.export import to_csv
from tests.fixtures import evil_company as evil
from tests.fixtures.auth_files import post_callback


@pytest.fixture(scope="module")
def evil_rt(tmp_path_factory):
    return evil.evil_runtime(tmp_path_factory.mktemp("evil"))


@pytest.fixture
def client(evil_rt, swap_runtime, pulse_app):
    swap_runtime(evil_rt)
    return pulse_app.server.test_client()


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("plain", "plain"), ("", ""),
])
def test_xss001_csv_text_cells_are_neutralised(value, cell):
    rows = list(csv.reader(io.StringIO(to_csv(pd.DataFrame({"deal_name": [value]})), newline="")))
    assert rows == [["deal_name"], [cell]]


def test_xss002_csv_numbers_stay_numbers_and_headers_are_cells_too():
    df = pd.DataFrame({"amount_usd": [-1200.5, 3.0], "n": pd.array([-3, None], dtype="Int64"),
                       "mixed": pd.Series([-7, "=x"], dtype=object), "=evil": ["a", "b"]})
    text = to_csv(df)
    assert text.splitlines()[0] == "amount_usd,n,mixed,'=evil"
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["amount_usd"] for r in rows] == ["-1200.5", "3.0"]
    assert [r["n"] for r in rows] == ["-3", ""] and [r["mixed"] for r in rows] == ["-7", "'=x"]


def test_xss003_api_csv_of_hostile_names_is_neutralised(client):
    r = client.get("/api/metrics/pipeline_coverage/views/open_deals?format=csv")
    assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True), newline="")))
    by_name = {row["deal_name"]: row for row in rows}
    assert "'" + evil.PLUS in by_name and evil.IMG in by_name  # markup is not a formula: left as text
    assert not any(row["deal_name"].startswith(("=", "+", "-", "@")) for row in rows)
    assert all(not v.startswith(("=", "+", "@")) for row in rows for v in row.values())
    won = list(csv.DictReader(io.StringIO(client.get(
        "/api/metrics/avg_deal_size/views/won_deals?format=csv").get_data(as_text=True), newline="")))
    assert {"'" + evil.MINUS, evil.SVG} <= {row["deal_name"] for row in won}
    customers = list(csv.DictReader(io.StringIO(client.get(
        "/api/metrics/revenue_ytd/views/revenue_by_customer?format=csv").get_data(as_text=True), newline="")))
    assert "'" + evil.FORMULA in {row["customer_name"] for row in customers}


def test_xss004_api_json_carries_names_as_strings(client):
    r = client.get("/api/metrics/pipeline_coverage/views/open_deals")
    assert r.mimetype == "application/json"
    names = {row["deal_name"] for row in r.get_json()["rows"]}
    assert {evil.IMG, evil.PLUS} <= names  # the exact text, for the client to render as text


def _callback_json(client, *args, **kw) -> str:
    r = post_callback(client, *args, **kw)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_data(as_text=True)


def test_xss005_callbacks_send_names_as_text_props_not_components(client):
    body = _callback_json(client, "drilldown-tabs", "active_tab",
                          [{"id": "drilldown-tabs", "property": "active_tab", "value": "open_deals"},
                           {"id": "filter-rep", "property": "value", "value": []},
                           {"id": "filter-segment", "property": "value", "value": []},
                           {"id": "filter-start", "property": "value", "value": None},
                           {"id": "filter-end", "property": "value", "value": None},
                           {"id": "pulse-theme", "property": "data", "value": None}],
                          [{"id": "drilldown-state", "property": "data", "value": {"metric": "pipeline_coverage"}}],
                          output="drilldown-body.children")
    data = json.loads(body)
    text = json.dumps(data)
    assert json.dumps(evil.IMG)[1:-1] in text  # present, as an escaped JSON string …
    types = set()

    def walk(node):
        if isinstance(node, dict):
            if "type" in node and "namespace" in node:
                types.add((node["namespace"], node["type"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(data)
    # … and never as an element: no html.Img / Script / Iframe / Markdown / dangerously set HTML
    assert not {t for t in types if t[1] in ("Img", "Script", "Iframe", "Markdown", "DangerouslySetInnerHTML")}
    assert "dangerously" not in text.lower() and '"presentation": "markdown"' not in text


def test_xss006_drilldown_export_is_neutralised(client):
    body = _callback_json(client, "export-csv", "n_clicks",
                          [{"id": "export-csv", "property": "n_clicks", "value": 1},
                           {"id": "export-xlsx", "property": "n_clicks", "value": None}],
                          [{"id": "drilldown-tabs", "property": "active_tab", "value": "open_deals"},
                           {"id": "filter-rep", "property": "value", "value": []},
                           {"id": "filter-segment", "property": "value", "value": []},
                           {"id": "filter-start", "property": "value", "value": None},
                           {"id": "filter-end", "property": "value", "value": None},
                           {"id": "drilldown-state", "property": "data", "value": {"metric": "pipeline_coverage"}}])
    content = json.loads(body)["response"]["export-download"]["data"]["content"]
    names = {row["deal_name"] for row in csv.DictReader(io.StringIO(content, newline=""))}
    assert "'" + evil.PLUS in names and not any(n.startswith(("=", "+", "-", "@")) for n in names)
