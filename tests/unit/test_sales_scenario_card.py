"""The Sales scenario toggle drives the grid's own Weighted Pipeline card (issue 13).

Hand-built company as of 2026-11-21 (tests/unit/test_pipeline_scenarios.py): base 6,800 USD, commit at
threshold 0.5 = 5,000 USD; with a target of 6,000 (catalog band 0.2: yellow from 4,800) base is
"On target" and commit "Near target".
"""
from __future__ import annotations

import json

import plotly
import pytest

from components import ids
from components.kpi_card import kpi_card
from components.scenario_panel import scenario_toggle
from data_access.catalog import load_catalog
from data_access.scenarios import SCENARIO_METRIC
from tests.conftest import known_runtime
from tests.fixtures.auth_files import refresh_page

TARGETS_JSON = json.dumps({"revenue_plan": {"monthly_usd": 2000}, "metrics": {SCENARIO_METRIC: {"target": 6000}},
                           "pipeline_scenarios": {"commit_threshold": 0.5}})


def _key(component_id: dict) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True)


@pytest.fixture
def sales_rt(tmp_path, swap_runtime, pulse_app):
    """The hand-built company with a 6,000 USD Weighted Pipeline target and commit at 0.5, Sales refreshed."""
    (tmp_path / "targets.json").write_text(TARGETS_JSON)
    rt = known_runtime(tmp_path)
    refresh_page(rt, "sales")
    swap_runtime(rt)
    return rt


def _card_callback(client, scenario: str, trigger: str | None, as_of: str | None = None):
    """``show_scenario_card`` through Dash's HTTP endpoint: (status code, the card box's children or None).
    ``trigger``: ``"toggle"``, ``"interval"`` or ``None`` (an initial call: the card is new in the layout)."""
    box, toggle, interval = ids.kpi_tip(SCENARIO_METRIC), ids.SALES_SCENARIO, ids.grid_interval("sales")
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if '"kpi-tip"' in d["output"])
    changed = {"toggle": [f"{toggle}.value"], "interval": [f"{_key(interval)}.n_intervals"], None: []}[trigger]
    body = {"output": dep["output"], "outputs": {"id": box, "property": "children"},
            "inputs": [{"id": toggle, "property": "value", "value": scenario},
                       {"id": interval, "property": "n_intervals", "value": 1}],
            "state": [{"id": ids.delta_period("sales"), "property": "value", "value": "month"},
                      {"id": ids.page_as_of("sales"), "property": "data", "value": as_of}],
            "changedPropIds": changed}
    r = client.post("/_dash-update-component", json=body)
    if r.status_code == 204:
        return 204, None
    assert r.status_code == 200, r.get_data(as_text=True)
    return 200, r.get_json()["response"][_key(box)]["children"]


def test_ssc001_commit_shows_the_scenario_total_its_status_and_a_badge(sales_rt, pulse_app):
    client = pulse_app.server.test_client()
    code, card = _card_callback(client, "commit", "toggle")
    text = json.dumps(card)
    assert code == 200
    assert "$5.00K" in text and "Target \\u2265 $6.00K" in text
    assert "Near target" in text and "kpi-yellow" in text and "Scenario: Commit" in text
    assert "kpi-spark" not in text and "kpi-delta" not in text  # the history is the base figure's
    assert card[0]["props"]["id"] == ids.kpi_card(SCENARIO_METRIC)  # still opens the drill-down


def test_ssc002_back_to_base_is_the_grids_own_card(sales_rt, pulse_app):
    from pages._kpi import kpi_grid

    client = pulse_app.server.test_client()
    code, card = _card_callback(client, "base", "toggle")
    assert code == 200
    text = json.dumps(card)
    assert "$6.80K" in text and "On target" in text and "kpi-green" in text and "Scenario:" not in text
    with pulse_app.server.test_request_context():
        grid = kpi_grid("sales", "month")
    own = next(c.children for c in grid if getattr(c.children, "id", None) == ids.kpi_tip(SCENARIO_METRIC))
    assert json.loads(json.dumps(own.children, cls=plotly.utils.PlotlyJSONEncoder)) == card


def test_ssc003_grid_redraw_keeps_the_scenario_and_base_keeps_the_grids_card(sales_rt, pulse_app):
    client = pulse_app.server.test_client()
    # the grid redrew (its card is new in the layout: an initial call) or its minute interval fired
    for trigger in (None, "interval"):
        code, card = _card_callback(client, "commit", trigger)
        assert code == 200 and "Scenario: Commit" in json.dumps(card) and "$5.00K" in json.dumps(card)
        assert _card_callback(client, "base", trigger) == (204, None)  # the grid's own card is showing


def test_ssc004_a_past_day_keeps_the_recorded_card(sales_rt, pulse_app):
    client = pulse_app.server.test_client()
    for trigger in ("toggle", None):
        assert _card_callback(client, "commit", trigger, as_of="2026-11-01") == (204, None)


def test_ssc005_the_toggle_remembers_its_pick_unless_the_url_names_one(pulse_app):
    from pages import sales

    def layout(**query):
        with pulse_app.server.test_request_context():
            return sales.layout(**query)

    remembered = scenario_toggle("base")
    assert (remembered.persistence, remembered.persistence_type) == (True, "session")

    def toggle(tree):
        return next(c for c in _walk(tree) if getattr(c, "id", None) == ids.SALES_SCENARIO)

    plain = toggle(layout())
    assert plain.value == "base" and plain.persistence is True
    named = toggle(layout(scenario="commit"))
    assert named.value == "commit" and named.persistence is False  # the URL wins over the remembered pick
    junk = toggle(layout(scenario="stretch"))
    assert junk.value == "base" and junk.persistence is True


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def test_ssc006_card_badge_only_when_asked():
    metric = load_catalog().metrics[SCENARIO_METRIC]
    plain = kpi_card(metric, 6800.0, 6000.0, "green", "As of Nov 21, 2026")
    head = plain.children[0].children.children.children[0]
    assert head.className == "kpi-head" and head.children.className == "kpi-title"  # the grid's card, unchanged
    badged = kpi_card(metric, 5000.0, 6000.0, "yellow", "As of Nov 21, 2026", badge="Scenario: Commit")
    assert "Scenario: Commit" in str(badged.children[0].children.children.children[0])
    assert "(Scenario: Commit)" in getattr(badged.children[0], "aria-label")


def test_ssc007_scenario_card_builder_says_no_deals_like_the_grid():
    from components.scenario_panel import scenario_kpi_card
    from data_access.scenarios import ScenarioCardValue

    metric = load_catalog().metrics[SCENARIO_METRIC]
    card = ScenarioCardValue("worst", 5100.0, 6000.0, "yellow")
    text = str(scenario_kpi_card(metric, card, "As of Nov 21, 2026", stale_sla="2 h"))
    assert "Scenario: Worst case" in text and "$5.10K" in text and "Near target" in text
    assert "Stale · older than 2 h" in text
    empty = str(scenario_kpi_card(metric, card, "As of Nov 21, 2026", problem="No open pipeline holds a deal."))
    assert "No deals" in empty and "No open pipeline holds a deal." in empty and "Scenario: Worst case" in empty
