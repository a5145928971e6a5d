"""Pipeline Coverage by rep: open pipeline ÷ (the rep's quarterly quota − won this quarter), on the known company."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from data_access.metrics import view_frame
from data_access.refresh import query_params
from data_access.targets import parse_targets
from tests.conftest import known_runtime

QUERY = "company_health/pipeline_coverage_by_rep"


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    return known_runtime(tmp_path_factory.mktemp("cov"))


def _sql(rt, as_of):
    df = rt.warehouse().run(QUERY, query_params(rt.settings, rt.targets().targets, as_of))
    return [(None if o is None or (isinstance(o, float) and math.isnan(o)) else int(o), n, p, c, w)
            for o, n, p, c, w in df.astype(object).where(df.notna(), None).itertuples(index=False)]


def test_cbr001_sql_open_pipeline_and_won_this_quarter_per_rep(rt):
    # Q4 as of 2026-11-21: open deals closing in Q4 — Deal 1 (Ana) $10,000, Deal 2 (Ben) $5,000,
    # Deal 10 (no owner) $4,000; nothing won since Oct 1
    assert _sql(rt, dt.date(2026, 11, 21)) == [(11, "Ana Lopez", 10000.0, 1, 0.0), (12, "Ben Kim", 5000.0, 1, 0.0),
                                               (None, "Unassigned", 4000.0, 1, 0.0)]
    # Q3 as of 2026-09-30: no open deal closes in Q3; Deal 4 (Ana, $20,000, 09-30) and Deal 12 (cara, $10,000)
    # were won — the reps appear through the won side of the join
    assert _sql(rt, dt.date(2026, 9, 30)) == [(11, "Ana Lopez", 0.0, 0, 20000.0), (13, "cara@x.com", 0.0, 0, 10000.0)]


def _view(rt, as_of, targets: dict):
    metric = rt.catalog.metrics["pipeline_coverage"]
    view = metric.view("coverage_by_rep")
    frame = rt.warehouse().run(QUERY, query_params(rt.settings, rt.targets().targets, as_of))
    df = view_frame(view, frame, targets=parse_targets(json.dumps(targets)), metric=metric, as_of=as_of)
    return {n: (q, c, t, s) for n, q, c, t, s in
            zip(df["owner_name"], df["quota_usd"], df["coverage_multiple"], df["rep_target_multiple"], df["vs_target"])}


def test_cbr002_coverage_against_each_reps_quota_and_target(rt):
    rows = _view(rt, dt.date(2026, 11, 21), {
        "revenue_plan": {"monthly_usd": 2000, "rep_quotas": {"11": 12000, "12": 5000}},
        "metrics": {"pipeline_coverage": {"target": 3.0, "yellow_band": 0.2, "rep_quotas": {"11": 0.5}}}})
    q, c, t, s = rows["Ana Lopez"]
    assert (q, t, s) == (12000.0, 0.5, "On target") and c == pytest.approx(10000 / 12000)
    assert rows["Ben Kim"] == (5000.0, 1.0, 3.0, "Off target")  # 1.0× < 2.4× (3.0 − 20 %)
    q, c, t, s = rows["Unassigned"]
    assert math.isnan(q) and math.isnan(c) and s == "No quota"


def test_cbr003_a_quota_already_met_says_so(rt):
    rows = _view(rt, dt.date(2026, 9, 30), {"revenue_plan": {"monthly_usd": 2000, "rep_quotas": {"11": 15000, "13": 40000}},
                                           "metrics": {}})
    assert rows["Ana Lopez"][3] == "Quota met"  # won $20,000 of $15,000
    q, c, t, s = rows["cara@x.com"]  # $30,000 left, no open pipeline: 0×
    assert (q, c, s) == (40000.0, 0.0, "Off target")


def test_cbr004_quotas_follow_the_plan_entry_in_force(rt):
    plan = parse_targets(json.dumps({"revenue_plan": {"entries": [
        {"effective_from": None, "monthly_usd": 2000, "rep_quotas": {"11": 1000}},
        {"effective_from": "2027-01-01", "monthly_usd": 2000, "rep_quotas": {"11": 9000}}]}}))
    assert plan.revenue_plan.rep_quarter_quotas(dt.date(2026, 11, 21)) == {11: 1000.0}
    assert plan.revenue_plan.rep_quarter_quotas(dt.date(2027, 2, 1)) == {11: 9000.0}
    with pytest.raises(ValueError, match="owner id"):
        parse_targets(json.dumps({"revenue_plan": {"monthly_usd": 1, "rep_quotas": {"ana": 5}}}))


def test_cbr005_a_new_plan_entry_from_settings_keeps_the_rep_quotas(rt):
    from data_access.target_store import Edit, apply_edits

    base = parse_targets(json.dumps({"revenue_plan": {"monthly_usd": 2000, "rep_quotas": {"11": 12000}}}))
    after, changes = apply_edits(base, rt.catalog, {"revenue_ytd": Edit(3000, 0.1)}, dt.date(2026, 12, 1))
    assert [c.metric for c in changes] == ["revenue_ytd"]
    assert after.revenue_plan.entry_on(dt.date(2026, 12, 1)).monthly_usd == 3000
    assert after.revenue_plan.rep_quarter_quotas(dt.date(2026, 12, 1)) == {11: 12000.0}
