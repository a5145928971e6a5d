"""The metrics API on the hand-built company: values, 404, 400, CSV."""
from __future__ import annotations

import csv
import io

import pytest

import api


@pytest.fixture
def client(pulse_app):
    return pulse_app.server.test_client()


def test_api001_list_metrics(client):
    r = client.get("/api/metrics")
    assert r.status_code == 200
    metrics = {m["id"]: m for m in r.get_json()["metrics"]}
    assert len(metrics) == 40  # 29, the six Support metrics, the health score, MQL → SQL, the two rep activity metrics (issue 13) and the Smartlead lead queue runway (issue 17)
    assert metrics["lead_queue_runway_days"]["value"] is None  # Smartlead not connected in tests
    assert metrics["renewal_rate"]["value"] is None  # no renewal resolved in Pulse's database
    assert metrics["renewals_due_90_days_usd"]["value"] == 0
    assert metrics["cash_position"]["value"] is None  # SimpleFIN not connected in tests: no value, no error
    assert metrics["revenue_ytd"]["value"] == pytest.approx(5300)
    assert metrics["revenue_ytd"]["unit"] == "usd"
    assert metrics["win_rate"]["value"] == pytest.approx(2 / 3)
    assert metrics["win_rate"]["status"] == "green"
    assert metrics["win_rate"]["target"] == pytest.approx(0.30)
    assert metrics["win_rate"]["as_of"] == "2026-11-21"
    assert metrics["win_rate"]["details"] == {"won_count": 2, "lost_count": 1}
    # health score: contract spend 0 (0 points), coverage 5.8× and win rate 0.67 (100 each); no tickets or
    # survey responses, so those two are left out: (0 + 100 + 100) ÷ 3
    assert metrics["health_score"]["value"] == pytest.approx(200 / 3)
    assert metrics["health_score"]["details"] == {"band": "Fair", "components_used": 3, "components_total": 5}


def test_api002_one_metric_and_unknown(client):
    r = client.get("/api/metrics/grr")
    assert r.status_code == 200 and r.get_json()["value"] == pytest.approx(0.75)
    r = client.get("/api/metrics/ebitda")
    assert r.status_code == 404 and "unknown metric" in r.get_json()["error"]
    r = client.get("/api/metrics/grr/views/nope")
    assert r.status_code == 404 and "no view" in r.get_json()["error"]


def test_api003_view_with_filters(client):
    r = client.get("/api/metrics/pipeline_coverage/views/open_deals?rep=11")
    body = r.get_json()
    assert r.status_code == 200
    assert [row["deal_name"] for row in body["rows"]] == ["Deal 1", "Deal 14"]  # 14: no close date
    assert body["rows"][0]["amount_usd"] == 10000
    assert body["rows"][0]["close_date"] == "2026-12-15"
    r = client.get("/api/metrics/revenue_ytd/views/revenue_by_customer?start=2026-10&end=2026-11")
    rows = {row["customer_name"]: row["revenue_usd"] for row in r.get_json()["rows"]}
    assert rows == {"Acme Drinks": 2000, "Bloom Beauty": 400, "Crest Foods": 300}


@pytest.mark.parametrize(
    "query, message",
    [
        ("?rep=abc", "rep must be"),
        ("?start=2026-13", "YYYY-MM"),
        ("?start=Nov", "YYYY-MM"),
        ("?start=2026-11&end=2026-01", "start must not be after end"),
        ("?format=xml", "format must be"),
    ],
)
def test_api004_bad_parameters_are_400(client, query, message):
    r = client.get(f"/api/metrics/pipeline_coverage/views/open_deals{query}")
    assert r.status_code == 400
    assert message in r.get_json()["error"]


def test_api005_dimension_the_view_lacks_is_400(client):
    r = client.get("/api/metrics/nrr/views/churned_customers?rep=11")
    assert r.status_code == 400 and "no rep dimension" in r.get_json()["error"]


def test_api006_csv(client):
    r = client.get("/api/metrics/nrr/views/churned_customers?format=csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert 'filename="nrr__churned_customers__2026-11-21.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["customer_name"] == "Dune Co"
    assert float(rows[0]["prior_usd"]) == 1000
    assert rows[0]["last_invoice_date"].startswith("2025-03-01")


def test_api007_json_pages_with_limit_and_offset(client, monkeypatch):
    url = "/api/metrics/pipeline_coverage/views/open_deals"
    body = client.get(f"{url}?limit=2").get_json()
    assert [r["deal_name"] for r in body["rows"]] == ["Deal 1", "Deal 2"]
    assert (body["total_rows"], body["offset"], body["limit"], body["next_offset"]) == (5, 0, 2, 2)
    body = client.get(f"{url}?limit=2&offset=2").get_json()
    assert [r["deal_name"] for r in body["rows"]] == ["Deal 10", "Deal 14"] and body["total_rows"] == 5
    body = client.get(f"{url}?limit=2&offset=4").get_json()
    assert [r["deal_name"] for r in body["rows"]] == ["Deal 13"] and body["next_offset"] is None  # the last page
    assert client.get(f"{url}?offset=5").get_json()["rows"] == []
    body = client.get(url).get_json()  # no limit: the default page, here every row
    assert (len(body["rows"]), body["limit"], body["next_offset"]) == (5, api.DEFAULT_LIMIT, None)
    monkeypatch.setattr(api, "DEFAULT_LIMIT", 2)  # a view longer than the default page
    body = client.get(url).get_json()
    assert ([r["deal_name"] for r in body["rows"]], body["total_rows"], body["next_offset"]) == (["Deal 1", "Deal 2"], 5, 2)
    csv_text = client.get(f"{url}?format=csv").get_data(as_text=True)
    assert csv_text.count("Deal ") == 5  # CSV: every row
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["owner_id"] for r in rows] == ["11", "12", "", "11", "12"]  # whole ids (Deal 10 has no owner)
    for bad in ("limit=0", "limit=10001", "offset=-1", "limit=two"):
        r = client.get(f"{url}?{bad}")
        assert r.status_code == 400 and "limit" in r.get_json()["error"], bad


def test_api008_segment_filter(client):
    url = "/api/metrics/churned_customers/views/churned_customers"
    every = client.get(url).get_json()["rows"]
    assert [r["customer_name"] for r in every] == ["Dune Co"]
    seg = every[0]["segment"]
    assert [r["customer_name"] for r in client.get(f"{url}?segment={seg}").get_json()["rows"]] == ["Dune Co"]
    assert client.get(f"{url}?segment=No+such+segment").get_json()["rows"] == []
    r = client.get("/api/metrics/pipeline_coverage/views/open_deals?segment=Beverage")
    assert r.status_code == 400 and "no segment dimension" in r.get_json()["error"]
