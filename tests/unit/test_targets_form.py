"""The Settings form's validation: display units, bounds, band vs direction, fuzzed input."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.catalog import load_catalog
from data_access.target_form import check_row, parse_number, shown_band, shown_target, target_spec, zone_text
from data_access.target_store import Edit

M = load_catalog().metrics


@pytest.mark.parametrize("metric, target, band, edit", [
    ("win_rate", 30, 15, Edit(0.3, 0.15)),
    ("win_rate", 0, 0, Edit(0.0, 0.0)),
    ("win_rate", 100, 99.9, Edit(1.0, 0.999)),
    ("nrr", 150, 10, Edit(1.5, 0.1)),  # a retention ratio may pass 100 %
    ("revenue_ytd", 2_500_000, 10, Edit(2_500_000, 0.1)),  # the monthly plan, in USD
    ("avg_deal_size", 0, 5, Edit(0.0, 0.05)),
    ("pipeline_coverage", 3.5, 20, Edit(3.5, 0.2)),
    ("sales_cycle_days", 45, 20, Edit(45.0, 0.2)),
    ("customer_concentration", 25, 20, Edit(0.25, 0.2)),  # red from 30 %: fine
])
def test_frm001_valid_rows_become_edits_in_stored_units(metric, target, band, edit):
    got, errors = check_row(M[metric], target, band)
    assert errors == {} and got == edit


@pytest.mark.parametrize("metric, target, band, errors", [
    ("win_rate", 130, 15, {"target": "A percentage between 0 and 100."}),
    ("win_rate", -1, 15, {"target": "A percentage between 0 and 100."}),
    ("nrr", 1001, 10, {"target": "A percentage between 0 and 1000."}),
    ("avg_deal_size", -5, 15, {"target": "Money can't be negative."}),
    ("revenue_ytd", 2e12, 10, {"target": "Too large (at most $1000B)."}),
    ("pipeline_coverage", -1, 20, {"target": "Can't be negative."}),
    ("sales_cycle_days", 4000, 20, {"target": "Too large (at most 3,650)."}),
    ("win_rate", 30, 100, {"band": "A band from 0 up to (not including) 100 % of the target."}),
    ("win_rate", 30, -1, {"band": "A band from 0 up to (not including) 100 % of the target."}),
    ("customer_concentration", 90, 15,
     {"band": "Red would start above 103.5%, past 100%: lower the band or the target."}),
    ("win_rate", None, "", {"target": "Enter a number.", "band": "Enter a number."}),
    ("win_rate", "30", True, {"target": "Must be a number.", "band": "Must be a number."}),
    ("win_rate", float("nan"), float("inf"), {"target": "Must be a finite number.", "band": "Must be a finite number."}),
])
def test_frm002_invalid_rows_say_why(metric, target, band, errors):
    got, errs = check_row(M[metric], target, band)
    assert got is None and errs == errors


def test_frm003_display_units_and_zones():
    assert shown_target(M["win_rate"], 0.3) == 30 and shown_target(M["nrr"], 1.1) == 110
    assert shown_target(M["revenue_ytd"], 2_000_000.0) == 2_000_000 and shown_band(0.15) == 15
    assert shown_target(M["pipeline_coverage"], 3.25) == 3.25
    assert (target_spec(M["win_rate"]).suffix, target_spec(M["revenue_ytd"]).label) == ("%", "Monthly plan")
    assert zone_text(M["win_rate"], Edit(0.3, 0.15)) == "Green ≥ 30.0% · yellow 25.5%–30.0% · red below 25.5%"
    assert zone_text(M["sales_cycle_days"], Edit(60, 0.2)) == "Green ≤ 60 days · yellow 60 days–72 days · red above 72 days"
    assert zone_text(M["avg_deal_size"], Edit(50000, 0)) == "Green ≥ $50.0K · red below"


INVALID = st.one_of(
    st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
    st.floats(max_value=-1e-6, allow_nan=False), st.integers(max_value=-1),
    st.integers(min_value=10**13), st.floats(min_value=1.01e12, allow_infinity=False),
    st.text(max_size=12), st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(metric=st.sampled_from(sorted(M)), bad=INVALID, good_band=st.floats(0, 99, allow_nan=False),
       band_first=st.booleans())
def test_frm004_fuzzed_values_are_rejected_with_a_message(metric, bad, good_band, band_first):
    """NaN, ±inf, huge, negative, text, unicode, booleans, null, lists, objects: never an Edit."""
    m = M[metric]
    fine_target = target_spec(m).high / 4
    edit, errors = (check_row(m, fine_target, bad) if band_first else check_row(m, bad, good_band))
    assert edit is None
    assert set(errors) == {"band" if band_first else "target"}
    assert errors["band" if band_first else "target"].endswith(".")


@settings(max_examples=200, deadline=None)
@given(metric=st.sampled_from(sorted(M)), frac=st.floats(0, 1), band=st.floats(0, 99.99))
def test_frm005_every_in_range_value_is_accepted_and_round_trips(metric, frac, band):
    m = M[metric]
    spec = target_spec(m)
    value = spec.low + frac * (spec.high - spec.low)
    edit, errors = check_row(m, value, band)
    if errors:  # only the lower-is-better percentage may refuse, when red would pass 100 %
        assert m.unit == "ratio" and m.direction == "lower" and set(errors) == {"band"}
        return
    assert math.isclose(shown_target(m, edit.target), value, rel_tol=1e-6, abs_tol=1e-6)
    assert 0 <= edit.yellow_band < 1


def test_frm006_parse_number():
    assert parse_number(3) == (3.0, None) and parse_number(2.5) == (2.5, None)
    assert parse_number(10**400) == (None, "Too large.")
    assert parse_number("٣") == (None, "Must be a number.")


def test_frm007_every_catalog_default_passes_the_form():
    """The form must accept what the catalog ships (a new metric with a default the form refuses
    would lock Save for every admin)."""
    import datetime as dt

    from data_access.target_store import form_values
    from data_access.targets import DEFAULT_TARGETS

    for m in M.values():
        e = form_values(m, DEFAULT_TARGETS, dt.date(2026, 11, 21))
        edit, errors = check_row(m, shown_target(m, e.target), shown_band(e.yellow_band))
        assert errors == {} and edit == e, m.id


def test_frm_quota_values_from_the_form():
    from data_access.target_form import check_usd

    assert check_usd(None) == (None, None) and check_usd("") == (None, None)  # blank: no quota
    assert check_usd(1_100_000) == (1_100_000.0, None) and check_usd(0) == (0.0, None)
    assert check_usd(-5) == (None, "Money can't be negative.")
    for raw in ("12", True, [1], {"a": 1}):
        assert check_usd(raw) == (None, "Must be a number.")
    assert check_usd(float("nan")) == (None, "Must be a finite number.")
    assert check_usd(1e300)[1].startswith("Too large")


def test_frm_rep_targets_in_the_metrics_unit():
    from data_access.catalog import load_catalog
    from data_access.target_form import check_rep_target

    catalog = load_catalog()
    win, cov = catalog.metrics["win_rate"], catalog.metrics["pipeline_coverage"]
    assert check_rep_target(win, None) == (None, None) and check_rep_target(win, "") == (None, None)
    assert check_rep_target(win, 35) == (0.35, None)  # a percentage in the form, a fraction stored
    assert check_rep_target(win, 101) == (None, "A percentage between 0 and 100.")
    assert check_rep_target(cov, 3.5) == (3.5, None)  # a multiple as it is
    assert check_rep_target(cov, -1) == (None, "Can't be negative.")
    assert check_rep_target(cov, "3") == (None, "Must be a number.")
    assert check_rep_target(win, float("inf"))[1] is not None
