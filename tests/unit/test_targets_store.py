"""Safe writes of the targets file: validation first, atomic replace under a lock, an audit line per change,
and two processes saving at once."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data_access.catalog import load_catalog
from data_access.target_store import (Edit, EditError, TargetsBusy, apply_edits, atomic_write, audit_path,
                                      default_targets, form_values, read_audit, save_edits, targets_lock)
from data_access.targets import DEFAULT_TARGETS, load_targets, parse_targets, target_for

CATALOG = load_catalog()
NOV = dt.date(2026, 11, 1)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(tmp_path) -> Path:
    p = tmp_path / "live" / "targets.json"
    p.parent.mkdir()
    p.write_text('{"revenue_plan": {"monthly_usd": 2000}, "metrics": {}}')
    return p


def test_tgs001_save_writes_dated_entries_and_audits(live):
    r = save_edits(live, CATALOG, {"win_rate": Edit(0.35, 0.15), "revenue_ytd": Edit(2500, 0.1),
                                   "nrr": Edit(1.1, 0.1)}, NOV, "ops@x.com", DEFAULT_TARGETS,
                   now=dt.datetime(2026, 11, 21, 19, 5, tzinfo=dt.timezone.utc))
    assert [(c.metric, c.old, c.new) for c in r.changes] == [
        ("win_rate", {"target": 0.3}, {"target": 0.35}),
        ("revenue_ytd", {"monthly_plan_usd": 2000.0}, {"monthly_plan_usd": 2500.0}),
    ]  # NRR's values equal the catalog's: no change, no entry, no audit line
    t = load_targets(live).targets
    assert target_for(CATALOG.metrics["win_rate"], t, dt.date(2026, 10, 31)) == (0.3, 0.15)  # history kept
    assert target_for(CATALOG.metrics["win_rate"], t, dt.date(2026, 11, 21)) == (0.35, 0.15)
    assert t.revenue_plan.month_usd(2026, 10) == 2000 and t.revenue_plan.month_usd(2026, 11) == 2500
    assert "nrr" not in t.metrics
    lines = audit_path(live).read_text().splitlines()
    assert [json.loads(x) for x in lines] == [
        {"at": "2026-11-21T19:05:00Z", "user": "ops@x.com", "metric": "win_rate", "effective_from": "2026-11-01",
         "old": {"target": 0.3}, "new": {"target": 0.35}},
        {"at": "2026-11-21T19:05:00Z", "user": "ops@x.com", "metric": "revenue_ytd", "effective_from": "2026-11-01",
         "old": {"monthly_plan_usd": 2000.0}, "new": {"monthly_plan_usd": 2500.0}},
    ]
    assert read_audit(live)[0]["metric"] == "revenue_ytd"  # newest first
    # no temp files left beside the live file; the lock file is hidden
    assert sorted(p.name for p in live.parent.iterdir()) == [".targets.json.lock", "audit.jsonl", "targets.json"]


def test_tgs002_second_save_same_month_updates_the_entry(live):
    save_edits(live, CATALOG, {"win_rate": Edit(0.35, 0.15)}, NOV, "a@x.com", DEFAULT_TARGETS)
    r = save_edits(live, CATALOG, {"win_rate": Edit(0.35, 0.2)}, NOV, "b@x.com", DEFAULT_TARGETS)
    assert [(c.old, c.new) for c in r.changes] == [({"yellow_band": 0.15}, {"yellow_band": 0.2})]
    entries = json.loads(live.read_text())["metrics"]["win_rate"]["entries"]
    assert entries == [{"effective_from": "2026-11-01", "target": 0.35, "yellow_band": 0.2}]
    save_edits(live, CATALOG, {"win_rate": Edit(0.4, 0.2)}, dt.date(2026, 12, 1), "b@x.com", DEFAULT_TARGETS)
    t = load_targets(live).targets
    assert target_for(CATALOG.metrics["win_rate"], t, dt.date(2026, 11, 30))[0] == 0.35
    assert target_for(CATALOG.metrics["win_rate"], t, dt.date(2026, 12, 1))[0] == 0.4
    assert len(read_audit(live)) == 3


def test_tgs003_new_entries_carry_month_targets_and_quotas(live):
    live.write_text(json.dumps({"revenue_plan": {"monthly_usd": 2000, "months": {"2027-01": 9000}},
                                "metrics": {"win_rate": {"target": 0.3, "rep_quotas": {"11": 0.4}}}}))
    save_edits(live, CATALOG, {"win_rate": Edit(0.5, 0.15), "revenue_ytd": Edit(3000, 0.1)}, NOV, "a@x.com",
               DEFAULT_TARGETS)
    doc = json.loads(live.read_text())
    assert doc["metrics"]["win_rate"]["entries"][1] == {"effective_from": "2026-11-01", "target": 0.5,
                                                        "yellow_band": 0.15, "rep_quotas": {"11": 0.4}}
    assert doc["revenue_plan"]["entries"][1] == {"effective_from": "2026-11-01", "monthly_usd": 3000.0,
                                                 "months": {"2027-01": 9000.0}}


def test_tgs004_invalid_edits_write_nothing(live):
    before = live.read_bytes()
    for edits in ({"win_rate": Edit(5.0, 0.1)}, {"no_such_metric": Edit(1, 0.1)}, {"win_rate": Edit(0.3, 1.0)},
                  {"avg_deal_size": Edit(-1, 0.1)}, {"avg_deal_size": Edit(float("nan"), 0.1)}):
        with pytest.raises(EditError):
            save_edits(live, CATALOG, edits, NOV, "a@x.com", DEFAULT_TARGETS)
    assert live.read_bytes() == before and not audit_path(live).exists()


def test_tgs005_malformed_file_is_kept_aside_and_replaced_by_a_valid_one(live):
    live.write_text('{"revenue_plan": {"monthly_usd": 2000}, "metrics": {"win_rate": {"target": 30}}}')
    fallback = parse_targets('{"revenue_plan": {"monthly_usd": 4000}, "metrics": {}}', CATALOG)
    r = save_edits(live, CATALOG, {"avg_deal_size": Edit(60000, 0.15)}, NOV, "a@x.com", fallback)
    assert r.replaced_invalid is not None and '"target": 30' in r.replaced_invalid.read_text()
    t = load_targets(live)
    assert t.error is None and t.targets.revenue_plan.monthly_usd == 4000  # built on the last valid targets


def test_tgs006_atomic_write_bumps_mtime_and_keeps_mode(tmp_path):
    p = tmp_path / "t.json"
    p.write_text("{}")
    os.chmod(p, 0o640)
    future = time.time_ns() + 5 * 10**9
    os.utime(p, ns=(future, future))
    atomic_write(p, '{"a": 1}')
    assert p.read_text() == '{"a": 1}'
    assert p.stat().st_mtime_ns > future and (p.stat().st_mode & 0o777) == 0o640


def test_tgs007_lock_times_out_when_held(tmp_path):
    p = tmp_path / "targets.json"
    with targets_lock(p):
        child = subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from data_access.target_store import targets_lock, TargetsBusy\n"
             "try:\n    ctx = targets_lock(Path(sys.argv[1]), timeout_s=0.3); ctx.__enter__()\n"
             "except TargetsBusy as e:\n    print('busy:', e); sys.exit(3)\n", str(p)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert child.returncode == 3 and "busy: targets file busy" in child.stdout
    with targets_lock(p, timeout_s=0.3):  # released
        pass
    assert issubclass(TargetsBusy, RuntimeError)


def test_tgs008_form_values_and_defaults():
    assert form_values(CATALOG.metrics["revenue_ytd"], DEFAULT_TARGETS, NOV) == Edit(2_000_000, 0.1)
    assert form_values(CATALOG.metrics["win_rate"], DEFAULT_TARGETS, NOV) == Edit(0.3, 0.15)
    assert default_targets().metrics == DEFAULT_TARGETS.metrics  # the shipped file (it adds the demo's rep quotas)
    assert default_targets().revenue_plan.monthly_usd == 2_000_000
    with pytest.raises(EditError, match="unknown metric"):
        apply_edits(DEFAULT_TARGETS, CATALOG, {"x": Edit(1, 0)}, NOV)


WRITER = r"""
import datetime as dt, sys
from pathlib import Path
from data_access.catalog import load_catalog
from data_access.target_store import Edit, save_edits
from data_access.targets import DEFAULT_TARGETS
path, metric, who, n = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
catalog = load_catalog()
for i in range(n):
    target = 1000 + i if metric == "avg_deal_size" else 10 + i
    r = save_edits(path, catalog, {metric: Edit(float(target), 0.1)}, dt.date(2026, 11, 1), who, DEFAULT_TARGETS)
    assert len(r.changes) == 1, r
print("done", n)
"""


def test_tgs009_two_processes_saving_at_once_lose_nothing(live):
    """Two writers in a loop while this process reads: the file always parses, and the audit log
    holds every change as an unbroken chain (each old value is the previous new one)."""
    n = 40
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(live), metric, who, str(n)], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for metric, who in (("avg_deal_size", "a@x.com"), ("sales_cycle_days", "b@x.com"))]
    reads = 0
    while any(p.poll() is None for p in procs):
        parse_targets(live.read_bytes(), CATALOG)  # raises if a reader ever saw a partial file
        reads += 1
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert reads > 0
    audit = [json.loads(x) for x in audit_path(live).read_text().splitlines()]
    assert len(audit) == 2 * n
    for metric, who, first_old, base in (("avg_deal_size", "a@x.com", 50000.0, 1000), ("sales_cycle_days", "b@x.com", 60.0, 10)):
        mine = [a for a in audit if a["metric"] == metric]
        assert [a["new"]["target"] for a in mine] == [float(base + i) for i in range(n)]
        assert [a["old"]["target"] for a in mine] == [first_old] + [float(base + i) for i in range(n - 1)]
        assert {a["user"] for a in mine} == {who}
    t = load_targets(live).targets
    assert target_for(CATALOG.metrics["avg_deal_size"], t, NOV)[0] == 1000 + n - 1
    assert target_for(CATALOG.metrics["sales_cycle_days"], t, NOV)[0] == 10 + n - 1


def test_tgs011_before_the_first_save_the_shipped_targets_are_in_force_and_the_save_creates_the_live_file(tmp_path):
    from data_access import config, runtime
    from data_access.targets import SHIPPED_TARGETS

    shipped_bytes = SHIPPED_TARGETS.read_bytes()
    live = tmp_path / "state" / "pulse" / "targets.json"  # neither the file nor its folder exists yet
    assert config.Settings(_env_file=None).targets_path == PROJECT_ROOT / "var" / "targets" / "targets.json"  # not in git
    rt = runtime.Runtime.from_settings(config.Settings(targets_path=live, duckdb_path=tmp_path / "x.duckdb"))
    loaded = rt.targets()
    assert loaded.error is None and loaded.targets == default_targets()
    assert loaded.targets.revenue_plan.entries[0].rep_quotas  # the shipped file, not the built-in defaults

    r = save_edits(live, CATALOG, {"win_rate": Edit(0.4, 0.15)}, NOV, "ops@x.com", loaded.targets)
    assert [c.metric for c in r.changes] == ["win_rate"] and live.exists() and audit_path(live).exists()
    after = rt.targets()
    assert after.error is None and target_for(CATALOG.metrics["win_rate"], after.targets, NOV)[0] == 0.4
    assert after.targets.revenue_plan == loaded.targets.revenue_plan  # the rest carried over from the shipped file
    assert SHIPPED_TARGETS.read_bytes() == shipped_bytes  # the code folder is never written

    live.unlink()  # deleted while running: the last valid targets stay, and the error says so
    gone = rt.targets()
    assert gone.targets == after.targets and "not found" in gone.error


def test_tgs012_rep_quotas_are_a_dated_plan_entry_with_an_audit_line(live):
    from data_access.target_store import QUOTA_METRIC, save_rep_quotas

    live.write_text(json.dumps({"revenue_plan": {"entries": [
        {"effective_from": None, "monthly_usd": 2000, "months": {"2026-12": 3000}, "rep_quotas": {"11": 900, "12": 500}}]},
        "metrics": {}}))
    at = dt.datetime(2026, 11, 21, 19, 5, tzinfo=dt.timezone.utc)
    r = save_rep_quotas(live, CATALOG, {11: 1000.0, 12: 500.0, 13: 700.0}, dt.date(2026, 10, 1), "ops@x.com",
                        DEFAULT_TARGETS, now=at)
    assert [(c.metric, c.old, c.new) for c in r.changes] == [
        (QUOTA_METRIC, {"rep_quotas": {"11": 900.0, "13": None}}, {"rep_quotas": {"11": 1000.0, "13": 700.0}})]
    plan = load_targets(live).targets.revenue_plan
    assert plan.rep_quarter_quotas(dt.date(2026, 9, 30)) == {11: 900, 12: 500}  # the quarter before keeps its quotas
    assert plan.rep_quarter_quotas(dt.date(2026, 11, 21)) == {11: 1000, 12: 500, 13: 700}
    assert plan.month_usd(2026, 12) == 3000 and plan.month_usd(2026, 10) == 2000  # the plan itself is carried over
    assert read_audit(live) == [{"at": "2026-11-21T19:05:00Z", "user": "ops@x.com", "metric": "pipeline_coverage",
                                 "effective_from": "2026-10-01", "old": {"rep_quotas": {"11": 900.0, "13": None}},
                                 "new": {"rep_quotas": {"11": 1000.0, "13": 700.0}}}]

    # None removes a quota; the same values again change nothing and write nothing
    r = save_rep_quotas(live, CATALOG, {12: None}, dt.date(2026, 10, 1), "ops@x.com", DEFAULT_TARGETS)
    assert r.changes[0].new == {"rep_quotas": {"12": None}}
    assert load_targets(live).targets.revenue_plan.rep_quarter_quotas(dt.date(2026, 11, 21)) == {11: 1000, 13: 700}
    before = live.read_bytes(), audit_path(live).read_bytes()
    assert save_rep_quotas(live, CATALOG, {11: 1000.0, 13: 700.0}, dt.date(2026, 10, 1), "ops@x.com",
                           DEFAULT_TARGETS).changes == []
    assert (live.read_bytes(), audit_path(live).read_bytes()) == before


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), 1e300])
def test_tgs013_a_bad_quota_is_refused_and_nothing_is_written(live, bad):
    from data_access.target_store import save_rep_quotas

    before = live.read_bytes()
    with pytest.raises(EditError):
        save_rep_quotas(live, CATALOG, {11: bad}, NOV, "ops@x.com", DEFAULT_TARGETS)
    assert live.read_bytes() == before and not audit_path(live).exists()


def test_tgs014_plan_months_are_a_dated_plan_entry_that_keeps_quotas_and_history(live):
    from data_access.target_store import PLAN_METRIC, plan_months, save_plan_months

    live.write_text(json.dumps({"revenue_plan": {"entries": [
        {"effective_from": None, "monthly_usd": 2000, "months": {"2026-12": 3000}, "rep_quotas": {"11": 900}},
        {"effective_from": "2027-03-01", "monthly_usd": 2500}]}, "metrics": {}}))
    targets = load_targets(live).targets
    # the form's months: from November up to the later entry (March 2027 is edited from its own date)
    assert plan_months(targets, NOV) == [("2026-11", 2000.0, False), ("2026-12", 3000.0, True),
                                         ("2027-01", 2000.0, False), ("2027-02", 2000.0, False)]
    assert len(plan_months(targets, dt.date(2027, 3, 1))) == 12
    at = dt.datetime(2026, 11, 21, 19, 5, tzinfo=dt.timezone.utc)
    r = save_plan_months(live, CATALOG, {"2026-12": None, "2027-01": 2600.0, "2026-11": None}, NOV, "ops@x.com",
                         DEFAULT_TARGETS, now=at)
    assert [(c.metric, c.old, c.new) for c in r.changes] == [
        (PLAN_METRIC, {"plan_months": {"2026-12": 3000.0, "2027-01": 2000.0}},
         {"plan_months": {"2026-12": 2000.0, "2027-01": 2600.0}})]
    plan = load_targets(live).targets.revenue_plan
    assert [plan.month_usd(2026, m) for m in (10, 11, 12)] == [2000, 2000, 2000]
    assert plan.month_usd(2027, 1) == 2600 and plan.month_usd(2027, 3) == 2500  # the later entry untouched
    assert plan.rep_quarter_quotas(dt.date(2026, 11, 21)) == {11: 900}  # quotas carried into the new entry
    assert plan.entry_on(dt.date(2026, 10, 1)).months == {"2026-12": 3000}  # the entry before keeps its figures
    assert read_audit(live)[0]["metric"] == "revenue_ytd" and read_audit(live)[0]["effective_from"] == "2026-11-01"

    before = live.read_bytes(), audit_path(live).read_bytes()
    assert save_plan_months(live, CATALOG, {"2027-01": 2600.0, "2027-02": None}, NOV, "ops@x.com",
                            DEFAULT_TARGETS).changes == []  # the same again: nothing written
    for bad in ({"2027-03": 1.0}, {"2026-10": 1.0}, {"2027-01": -1.0}, {"2027-01": float("nan")}):
        with pytest.raises(EditError):  # outside the window, or a figure the schema refuses
            save_plan_months(live, CATALOG, bad, NOV, "ops@x.com", DEFAULT_TARGETS)
    assert (live.read_bytes(), audit_path(live).read_bytes()) == before


def test_tgs015_reps_own_targets_are_a_dated_metric_entry_that_keeps_target_band_and_months(live):
    from data_access.target_store import apply_metric_rep_targets, rep_target_metrics, save_metric_rep_targets
    from data_access.targets import rep_quotas

    assert [m.id for m in rep_target_metrics(CATALOG)] == ["pipeline_coverage", "win_rate"]
    live.write_text(json.dumps({"revenue_plan": {"monthly_usd": 2000}, "metrics": {"win_rate": {"entries": [
        {"effective_from": None, "target": 0.32, "yellow_band": 0.1, "months": {"2027-01": 0.4},
         "rep_quotas": {"11": 0.35}}]}}}))
    win = CATALOG.metrics["win_rate"]
    r = save_metric_rep_targets(live, CATALOG, "win_rate", {11: None, 12: 0.5}, NOV, "ops@x.com", DEFAULT_TARGETS)
    assert [(c.metric, c.old, c.new) for c in r.changes] == [
        ("win_rate", {"rep_targets": {"11": 0.35, "12": None}}, {"rep_targets": {"11": None, "12": 0.5}})]
    targets = load_targets(live).targets
    assert rep_quotas(win, targets, dt.date(2026, 10, 31)) == {11: 0.35}  # the month before keeps its targets
    assert rep_quotas(win, targets, dt.date(2026, 11, 21)) == {12: 0.5}
    assert target_for(win, targets, dt.date(2026, 11, 21)) == (0.32, 0.1)  # target and band carried
    assert target_for(win, targets, dt.date(2027, 1, 5)) == (0.4, 0.1)  # and the month targets
    assert read_audit(live)[0]["new"] == {"rep_targets": {"11": None, "12": 0.5}}

    before = live.read_bytes(), audit_path(live).read_bytes()
    assert save_metric_rep_targets(live, CATALOG, "win_rate", {12: 0.5}, NOV, "ops@x.com",
                                   DEFAULT_TARGETS).changes == []
    for metric_id, values in (("nrr", {11: 1.2}), ("win_rate", {11: 1.5}), ("win_rate", {11: -0.1})):
        with pytest.raises(EditError):  # no per-rep view; a rate above 100 %; negative
            save_metric_rep_targets(live, CATALOG, metric_id, values, NOV, "ops@x.com", DEFAULT_TARGETS)
    assert (live.read_bytes(), audit_path(live).read_bytes()) == before
    # a metric without an entry yet: the new entry leaves target and band to the catalog
    t, _ = apply_metric_rep_targets(targets, CATALOG, "pipeline_coverage", {11: 4.0}, NOV)
    cov = CATALOG.metrics["pipeline_coverage"]
    assert rep_quotas(cov, t, NOV) == {11: 4.0} and target_for(cov, t, NOV) == (cov.target, cov.yellow_band)
