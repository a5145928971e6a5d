"""Weighted pipeline scenarios on the hand-built company (answers worked by hand).

Open deals closing in Q4 2026 (as of 2026-11-21; tests/fixtures/known_company.py):
  deal 1  Ana (11)   Proposal  p 0.5  10,000 USD  Dec
  deal 2  Ben (12)   Qualified p 0.2   5,000 USD  Oct (slipped)
  deal 10 —          Qualified p 0.2   4,000 USD  Dec (unassigned)
base  = 5,000 + 1,000 + 800                              = 6,800
commit (threshold 0.7) = 0; (threshold 0.5: Proposal exactly at it) = 5,000
best  (default 1.25): 10,000 × 0.625 + 9,000 × 0.25     = 8,500
worst (default 0.75): 10,000 × 0.375 + 9,000 × 0.15     = 5,100
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import view_frame
from data_access.refresh import query_params, refresh_query
from data_access.scenarios import (SCENARIO_METRIC, STAGE_FRAME, by_stage, formula, scenario_card_value,
                                   scenario_totals)
from data_access.target_store import EditError, apply_scenarios, save_scenarios, scenarios_revision
from data_access.targets import PipelineScenarios, RevenuePlan, Targets, parse_targets
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_company

DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> pd.DataFrame:
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("wh") / "known.duckdb", DATASETS)
    wh.replace_tables("hubspot", known_company.hubspot())
    store = MemoryFrameStore()
    result = refresh_query(wh, store, STAGE_FRAME, query_params(Settings(), TARGETS, known_company.AS_OF))
    assert result.ok, result.error
    wh.close()
    return store.get(STAGE_FRAME).frame


def test_scen001_totals_on_known_deals(stages):
    totals = scenario_totals(stages, PipelineScenarios())
    assert totals == pytest.approx({"base": 6800, "commit": 0, "best": 8500, "worst": 5100})


def test_scen002_commit_threshold_boundary_is_included(stages):
    assert scenario_totals(stages, PipelineScenarios(commit_threshold=0.5))["commit"] == pytest.approx(5000)
    assert scenario_totals(stages, PipelineScenarios(commit_threshold=0.5000001))["commit"] == pytest.approx(0)
    assert scenario_totals(stages, PipelineScenarios(commit_threshold=0.2))["commit"] == pytest.approx(6800)


def test_scen003_per_stage_weights_capped_at_the_amount(stages):
    s = PipelineScenarios(best_weights={"Proposal": 3.0, "Qualified": 1.0}, worst_weights={"Qualified": 0.0})
    totals = scenario_totals(stages, s)
    assert totals["best"] == pytest.approx(10000 + 1800)  # 0.5 × 3 capped at 1
    assert totals["worst"] == pytest.approx(3750)  # Qualified at 0, Proposal default 0.75
    table = by_stage(stages, s, "best")
    assert table["stage_label"].tolist() == ["Qualified", "Proposal"]
    assert table["scenario_usd"].tolist() == pytest.approx([1800, 10000])
    assert "Proposal 3" in formula(s, "best")


def test_scen004_base_equals_the_weighted_pipeline_card(stages):
    assert stages["weighted_usd"].sum() == pytest.approx(6800)
    assert scenario_totals(None, PipelineScenarios())["base"] is None
    assert scenario_totals(stages.iloc[0:0], PipelineScenarios())["base"] == 0


def test_scen005_drilldown_side_by_side_by_rep_and_month(stages):
    metric = load_catalog().metrics["weighted_pipeline_usd"]
    targets = TARGETS.model_copy(update={"pipeline_scenarios": PipelineScenarios(commit_threshold=0.5)})
    by_rep = view_frame(metric.view("scenarios_by_rep"), stages, targets=targets)
    rows = {r.owner_name: (r.base_usd, r.commit_usd, r.best_usd, r.worst_usd) for r in by_rep.itertuples()}
    assert rows["Ana Lopez"] == pytest.approx((5000, 5000, 6250, 3750))
    assert rows["Ben Kim"] == pytest.approx((1000, 0, 1250, 750))
    assert rows["Unassigned"] == pytest.approx((800, 0, 1000, 600))
    by_month = view_frame(metric.view("scenarios_by_month"), stages, targets=targets)
    months = {f"{pd.Timestamp(r.month):%Y-%m}": (r.base_usd, r.commit_usd) for r in by_month.itertuples()}
    assert months == {"2026-10": pytest.approx((1000, 0)), "2026-12": pytest.approx((5800, 5000))}
    assert "owner_id" not in by_month.columns
    only_ben = view_frame(metric.view("scenarios_by_month"), stages, targets=targets, owners=[12])
    assert only_ben["base_usd"].sum() == pytest.approx(1000)


def test_scen006_malformed_weight_rejected_nothing_lost(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "targets.json"
    good = save_scenarios(path, catalog, {"commit_threshold": 0.6, "best_weights": {"Proposal": 1.5},
                                          "worst_weights": {}}, None, "admin@x.com", TARGETS)
    assert good.changes and good.targets.pipeline_scenarios.commit_threshold == 0.6
    before = path.read_bytes()
    revision = scenarios_revision(good.targets)
    for bad in ({"commit_threshold": 1.5}, {"best_weights": {"Proposal": -1}},
                {"best_weights": {"Proposal": "1.2"}}, {"worst_weights": {"Proposal": float("nan")}},
                {"best_weights": {"Proposal": 11}}):
        with pytest.raises(EditError):
            save_scenarios(path, catalog, {**good.targets.pipeline_scenarios.model_dump(), **bad}, revision,
                           "admin@x.com", TARGETS)
        assert path.read_bytes() == before
    assert parse_targets(before, catalog).pipeline_scenarios.best_weights == {"Proposal": 1.5}
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(audit) == 1 and audit[0]["metric"] == "weighted_pipeline_usd"
    assert audit[0]["new"]["pipeline_scenarios"]["commit_threshold"] == 0.6


def test_scen007_stale_edit_refused(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "targets.json"
    opened = scenarios_revision(TARGETS)  # two admins open the form
    save_scenarios(path, catalog, {"commit_threshold": 0.6, "best_weights": {}, "worst_weights": {}}, opened,
                   "a@x.com", TARGETS)
    before = path.read_bytes()
    with pytest.raises(EditError, match="someone else"):
        save_scenarios(path, catalog, {"commit_threshold": 0.8, "best_weights": {}, "worst_weights": {}}, opened,
                       "b@x.com", TARGETS)
    assert path.read_bytes() == before


def test_scen008_apply_keeps_targets(tmp_path):
    catalog = load_catalog()
    new, changes = apply_scenarios(TARGETS, catalog, {"commit_threshold": 0.7, "best_weights": {},
                                                      "worst_weights": {}})
    assert changes == [] and new is TARGETS  # the defaults: nothing to save


def test_scen009_grouped_bar_draws_the_scenarios_side_by_side(stages):
    from components.figures import view_figure

    metric = load_catalog().metrics["weighted_pipeline_usd"]
    v = metric.view("scenarios_by_rep")
    fig = view_figure(v.chart, view_frame(v, stages, targets=TARGETS), v.title)
    assert fig["layout"]["barmode"] == "group"
    assert [t["name"] for t in fig["data"]] == ["Base (USD)", "Commit (USD)", "Best (USD)", "Worst (USD)"]
    assert sum(fig["data"][2]["y"]) == pytest.approx(8500)


def test_scen010_grid_card_value_and_status_under_each_scenario(stages):
    """Target 6,000 (band 0.2 from the catalog: yellow from 4,800): base 6,800 is on target, commit
    (threshold 0.5) 5,000 is near it, commit at the default 0.7 (0) is off it."""
    catalog = load_catalog()
    metric = catalog.metrics[SCENARIO_METRIC]
    targets = parse_targets(json.dumps({"revenue_plan": {"monthly_usd": 2000},
                                        "metrics": {SCENARIO_METRIC: {"target": 6000}},
                                        "pipeline_scenarios": {"commit_threshold": 0.5}}), catalog)
    s = targets.pipeline_scenarios

    def card(scenario, frame=stages, settings=s):
        return scenario_card_value(frame, settings, scenario, metric, targets, known_company.AS_OF)

    base, commit = card("base"), card("commit")
    assert (base.value_usd, base.target_usd, base.status) == (pytest.approx(6800), 6000, "green")
    assert (commit.value_usd, commit.target_usd, commit.status) == (pytest.approx(5000), 6000, "yellow")
    assert card("commit", settings=PipelineScenarios()).status == "red"  # 0 < 4,800
    assert (card("best").value_usd, card("best").status) == (pytest.approx(8500), "green")
    assert (card("worst").value_usd, card("worst").status) == (pytest.approx(5100), "yellow")
    before = card("commit", frame=None)
    assert (before.value_usd, before.status) == (None, "nodata")
    assert card("commit", frame=stages.iloc[0:0]).value_usd == 0
    with pytest.raises(KeyError):
        card("stretch")
