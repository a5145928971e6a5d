"""Targets as governed data: dated entries, per-month targets, rep quotas, strict parsing, fuzzing."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.catalog import load_catalog
from data_access.targets import (DEFAULT_TARGETS, RevenuePlan, Targets, load_targets, parse_targets, rep_quotas,
                                 target_for)

CATALOG = load_catalog()
WIN = CATALOG.metrics["win_rate"]
REV = CATALOG.metrics["revenue_ytd"]
NRR = CATALOG.metrics["nrr"]

GOOD = {
    "revenue_plan": {"entries": [
        {"effective_from": None, "monthly_usd": 1000, "months": {"2026-02": 5000}},
        {"effective_from": "2026-07-01", "monthly_usd": 2000, "months": {"2026-12": 9000}},
    ]},
    "metrics": {
        "win_rate": {"entries": [
            {"effective_from": None, "target": 0.25, "yellow_band": 0.1},
            {"effective_from": "2026-06-01", "target": 0.35, "months": {"2026-08": 0.4},
             "rep_quotas": {"11": 0.5, "12": 0.3}},
        ]},
        "nrr": {"target": 1.2},  # the flat form: one undated entry
    },
}


def _parse(doc) -> Targets:
    return parse_targets(json.dumps(doc), CATALOG)


def test_tgt001_target_in_force_on_the_as_of_date():
    t = _parse(GOOD)
    assert target_for(WIN, t, dt.date(2026, 5, 31)) == (0.25, 0.1)
    assert target_for(WIN, t, dt.date(2026, 6, 1)) == (0.35, WIN.yellow_band)  # band back to the catalog's
    assert target_for(WIN, t, dt.date(2026, 8, 15)) == (0.4, WIN.yellow_band)  # per-month target
    assert target_for(NRR, t, dt.date(2020, 1, 1)) == (1.2, NRR.yellow_band)
    # a metric without entries keeps the catalog's target and band
    assert target_for(CATALOG.metrics["grr"], t, dt.date(2026, 11, 21)) == (0.9, 0.05)


def test_tgt002_revenue_plan_history_and_months():
    plan = _parse(GOOD).revenue_plan
    assert plan.month_usd(2026, 1) == 1000 and plan.month_usd(2026, 2) == 5000
    assert plan.month_usd(2026, 7) == 2000 and plan.month_usd(2026, 12) == 9000
    # YTD to Jul 31: Jan–Jun on the old plan (1000×5 + 5000), July on the new one
    assert plan.ytd_usd(dt.date(2026, 7, 31)) == pytest.approx(10_000 + 2000)
    assert plan.quarter_usd(dt.date(2026, 11, 1)) == pytest.approx(2000 + 2000 + 9000)
    assert target_for(REV, _parse(GOOD), dt.date(2026, 3, 31)) == (pytest.approx(1000 + 5000 + 1000), 0.1)
    # callers without a date see the latest entry
    assert (plan.monthly_usd, plan.months) == (2000, {"2026-12": 9000})


def test_tgt003_legacy_flat_form_still_reads():
    t = _parse({"revenue_plan": {"monthly_usd": 5, "months": {"2026-11": 7}}, "metrics": {"win_rate": {"target": 0.4}}})
    assert t.metrics["win_rate"].target == 0.4 and t.revenue_plan.month_usd(2026, 11) == 7
    assert RevenuePlan(monthly_usd=100).month_usd(2030, 1) == 100
    assert DEFAULT_TARGETS.revenue_plan.monthly_usd == 2_000_000


def test_tgt004_rep_quotas_in_force():
    t = _parse(GOOD)
    assert rep_quotas(WIN, t, dt.date(2026, 9, 1)) == {11: 0.5, 12: 0.3}
    assert rep_quotas(WIN, t, dt.date(2026, 1, 1)) == {}
    assert rep_quotas(NRR, t, dt.date(2026, 9, 1)) == {}


def test_tgt005_shipped_file_is_valid_and_in_the_new_form(tmp_path):
    from data_access.target_store import SHIPPED_TARGETS

    loaded = load_targets(SHIPPED_TARGETS)
    assert loaded.error is None
    # the in-code defaults, plus the demo company's quarterly rep quotas (Pipeline Coverage by rep)
    assert loaded.targets.metrics == DEFAULT_TARGETS.metrics
    assert loaded.targets.revenue_plan.monthly_usd == DEFAULT_TARGETS.revenue_plan.monthly_usd == 2_000_000
    quotas = loaded.targets.revenue_plan.rep_quarter_quotas(dt.date(2026, 11, 21))
    assert len(quotas) == 9 and sum(quotas.values()) == 7_700_000
    assert "entries" in json.loads(SHIPPED_TARGETS.read_text())["revenue_plan"]


@pytest.mark.parametrize("doc, message", [
    ({"metrics": {}}, "revenue_plan: Field required"),
    ({"revenue_plan": {"monthly_usd": "5"}}, "monthly_usd: Input should be a valid number"),
    ({"revenue_plan": {"monthly_usd": True}}, "monthly_usd: Input should be a valid number"),
    ({"revenue_plan": {"monthly_usd": -1}}, "greater than or equal to 0"),
    ({"revenue_plan": {"monthly_usd": 1e13}}, "less than or equal to 1000000000000"),
    ({"revenue_plan": {"monthly_usd": 5, "months": {"2026-13": 1}}}, "month '2026-13' must be YYYY-MM"),
    ({"revenue_plan": {"monthly_usd": 5, "months": {"٢٠٢٦-01": 1}}}, "must be YYYY-MM"),
    ({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"target": 30}}}, "30.0 is above 1"),
    ({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"yellow_band": 1}}}, "less than 1"),
    ({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"entries": []}}}, "at least 1 item"),
    ({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"entries": [
        {"effective_from": "2026-01-01", "target": 0.1}, {"effective_from": "2026-01-01", "target": 0.2}]}}},
     "same effective_from"),
    ({"revenue_plan": {"entries": [{"monthly_usd": 5, "effective_from": "2026-02-30"}]}}, "day is out of range"),
    ({"revenue_plan": {"entries": [{"monthly_usd": 5, "effective_from": 1700000000}]}}, "valid date"),
    ({"revenue_plan": {"monthly_usd": 5}, "metrics": {"win_rate": {"rep_quotas": {"ana": 1}}}}, "owner id"),
    ({"revenue_plan": {"monthly_usd": 5}, "extra": 1}, "extra: Extra inputs are not permitted"),
])
def test_tgt006_invalid_files_are_rejected_with_the_entry_named(doc, message):
    with pytest.raises(ValueError, match=None) as e:
        _parse(doc)
    assert message in str(e.value)


def test_tgt007_nan_inf_and_huge_json_tokens_are_rejected():
    for token in ("NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400):
        with pytest.raises(ValueError, match="monthly_usd"):
            parse_targets('{"revenue_plan": {"monthly_usd": %s}}' % token, CATALOG)


def test_tgt008_unknown_metric_ids_are_ignored_not_fatal():
    t = _parse({"revenue_plan": {"monthly_usd": 5}, "metrics": {"retired_metric": {"target": 50}}})
    assert "retired_metric" in t.metrics


# ---------------------------------------------------------------- fuzzing the file

BAD_NUMBERS = st.one_of(
    st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
    st.floats(min_value=1.000001e12, max_value=1e300), st.integers(min_value=10**13, max_value=10**30),
    st.floats(max_value=-1e-9, min_value=-1e300), st.integers(max_value=-1, min_value=-10**9),
    st.text(min_size=0, max_size=8), st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
# paths to a number the schema requires to be a finite, non-negative JSON number below 1e12
NUMBER_PATHS = [
    ("revenue_plan", "entries", 0, "monthly_usd"),
    ("revenue_plan", "entries", 1, "monthly_usd"),
    ("revenue_plan", "entries", 0, "months", "2026-02"),
    ("metrics", "win_rate", "entries", 1, "months", "2026-08"),
    ("metrics", "win_rate", "entries", 1, "rep_quotas", "11"),
]
REQUIRED = [("revenue_plan",), ("revenue_plan", "entries"), ("revenue_plan", "entries", 0, "monthly_usd"),
            ("metrics", "win_rate", "entries")]


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _dumps(doc) -> str:
    return json.dumps(doc, allow_nan=True)  # NaN / Infinity tokens, as a hand edit might write


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(NUMBER_PATHS), bad=BAD_NUMBERS)
def test_tgt009_fuzzed_numbers_are_rejected_and_last_good_stays(tmp_path, path, bad):
    good = _parse(GOOD)
    doc = json.loads(json.dumps(GOOD))
    _set(doc, path, bad)
    p = tmp_path / "targets.json"
    p.write_text(_dumps(doc), encoding="utf-8")
    loaded = load_targets(p, good, CATALOG)
    assert loaded.targets == good
    assert loaded.error and "invalid" in loaded.error and "targets.json" in loaded.error


@settings(max_examples=60, deadline=None)
@given(bad=BAD_NUMBERS, which=st.sampled_from(["target", "yellow_band"]))
def test_tgt010_fuzzed_metric_target_and_band_are_rejected(bad, which):
    doc = json.loads(json.dumps(GOOD))
    doc["metrics"]["win_rate"]["entries"][0][which] = bad
    if bad is None:  # null means "the catalog's value": allowed
        assert _parse(doc).metrics["win_rate"].entries[0].model_dump()[which] is None
        return
    with pytest.raises(ValueError):
        _parse(doc)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_tgt011_truncated_files_and_missing_keys_are_rejected(data):
    text = json.dumps(GOOD)
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    with pytest.raises(ValueError):
        parse_targets(text[:cut], CATALOG)
    doc = json.loads(text)
    path = data.draw(st.sampled_from(REQUIRED))
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(ValueError):
        _parse(doc)


@settings(max_examples=60, deadline=None)
@given(junk=st.one_of(st.text(max_size=40), st.binary(max_size=40)))
def test_tgt012_arbitrary_text_and_bytes_never_crash_the_reader(tmp_path_factory, junk):
    p = tmp_path_factory.mktemp("junk") / "targets.json"
    p.write_bytes(junk.encode("utf-8", "surrogatepass") if isinstance(junk, str) else junk)
    loaded = load_targets(p, DEFAULT_TARGETS, CATALOG)
    assert loaded.targets == DEFAULT_TARGETS and loaded.error  # nothing short is a valid targets file


def test_tgt013_runtime_keeps_last_valid_targets_and_reports(tmp_path):
    from tests.conftest import known_runtime

    rt = known_runtime(tmp_path)
    path = rt.settings.targets_path
    path.write_text(json.dumps({"revenue_plan": {"monthly_usd": 7}, "metrics": {"win_rate": {"target": 0.5}}}))
    assert rt.targets().error is None and rt.targets().targets.metrics["win_rate"].target == 0.5
    good = rt.targets().targets
    path.write_text('{"revenue_plan": {"monthly_usd": 7}, "metrics": {"win_rate": {"target": NaN}}}')
    import os

    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    loaded = rt.targets()
    assert loaded.targets == good
    assert "metrics.win_rate.entries.0.target: Input should be a finite number" in loaded.error
    from data_access.status import status_report

    assert status_report(rt)["targets_error"] == loaded.error
    assert not math.isnan(target_for(WIN, loaded.targets, dt.date(2026, 11, 21))[0])


def test_tgt014_readme_targets_example_and_example_files_are_valid():
    import re
    from pathlib import Path

    import auth

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    deploying = readme[readme.index("## Deploying"):]
    block = re.search(r"The file's shape:\n```json\n(.*?)```", deploying, re.S).group(1)
    t = parse_targets(block, CATALOG)
    assert target_for(WIN, t, dt.date(2027, 3, 5)) == (0.35, WIN.yellow_band)
    assert rep_quotas(WIN, t, dt.date(2027, 3, 5)) == {11: 0.35}
    roles = auth.RolesFile.model_validate_json((root / "targets" / "roles.example.json").read_bytes()).root
    assert roles["sam.manager@example.com"].team == [11, 12, 13] and roles["*"].role == "viewer"
    users = auth.UsersFile.model_validate_json((root / "targets" / "users.example.json").read_bytes()).root
    assert set(users) == {"ops@example.com", "ceo@example.com"}
