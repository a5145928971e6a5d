"""Per-rep quotas from the targets file reach the drill-down: each rep's target and status."""
from __future__ import annotations

import json

from data_access.metrics import view_frame
from tests.conftest import known_runtime


def _by_rep(tmp_path, metrics: dict) -> list[tuple]:
    rt = known_runtime(tmp_path)
    rt.settings.targets_path.write_text(json.dumps({"revenue_plan": {"monthly_usd": 2000}, "metrics": metrics}))
    rt.refresh(["company_health/win_rate_by_rep"])
    metric = rt.catalog.metrics["win_rate"]
    view = metric.view("win_rate_by_rep")
    cached = rt.store.get(view.query)
    df = view_frame(view, cached.frame, targets=rt.targets().targets, metric=metric, as_of=cached.meta.as_of)
    return sorted(zip(df["owner_name"], df["win_rate"], df["rep_target_rate"], df["vs_target"]))


def test_rqt001_a_reps_quota_replaces_the_metric_target_for_that_rep_only(tmp_path):
    # the known company's 90-day closes: Ana Lopez 1 won · cara@x.com 1 won · Ben Kim 1 lost
    rows = _by_rep(tmp_path, {"win_rate": {"target": 0.4, "yellow_band": 0.25, "rep_quotas": {"11": 0.9}}})
    assert rows == [("Ana Lopez", 1.0, 0.9, "On target"), ("Ben Kim", 0.0, 0.4, "Off target"),
                    ("cara@x.com", 1.0, 0.4, "On target")]


def test_rqt002_without_quotas_every_rep_has_the_catalog_target(tmp_path):
    rows = _by_rep(tmp_path, {})
    assert [r[2] for r in rows] == [0.30, 0.30, 0.30]  # win_rate's default target in catalog.yml
    assert [r[3] for r in rows] == ["On target", "Off target", "On target"]


def test_rqt003_a_quota_dated_later_is_not_in_force_yet(tmp_path):
    rows = _by_rep(tmp_path, {"win_rate": {"entries": [
        {"effective_from": None, "target": 0.5},
        {"effective_from": "2027-01-01", "target": 0.5, "rep_quotas": {"11": 0.99}}]}})
    assert rows[0][:3] == ("Ana Lopez", 1.0, 0.5)
