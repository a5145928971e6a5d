"""The Settings form's validation: display units, bounds, band vs direction, fuzzed input."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.catalog import load_catalog
from components import formatting
from data_access.target_form import (NOT_AN_AMOUNT, check_row, check_usd, parse_amount, parse_number, shown_band,
                                     shown_input, shown_target, target_spec, zone_text)
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


# Text made only of digits, separators, "$" and spaces may be a well-formed amount, which a USD field
# accepts (test_frm008); any other text is refused by every field.
AMOUNT_LIKE = re.compile(r"\s*\$?\s*[0-9.,]*\s*")
MALFORMED_AMOUNTS = ["1.2.3", "abc", "1e400", "1e6", "12,34", "NaN", "Infinity", "$", "1 000", "٣", "0x10", "1_000",
                     "-5", "$-5", "-$5"]
INVALID = st.one_of(
    st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
    st.floats(max_value=-1e-6, allow_nan=False), st.integers(max_value=-1),
    st.integers(min_value=10**13), st.floats(min_value=1.01e12, allow_infinity=False),
    st.text(max_size=12).filter(lambda s: not AMOUNT_LIKE.fullmatch(s)), st.sampled_from(MALFORMED_AMOUNTS),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(metric=st.sampled_from(sorted(M)), bad=INVALID, good_band=st.floats(0, 99, allow_nan=False),
       band_first=st.booleans())
def test_frm004_fuzzed_values_are_rejected_with_a_message(metric, bad, good_band, band_first):
    """NaN, ±inf, huge, negative, text (malformed amounts too), unicode, booleans, null, lists, objects:
    never an Edit."""
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
    for raw in (True, [1], {"a": 1}):
        assert check_usd(raw) == (None, "Must be a number.")
    assert check_usd(float("nan")) == (None, "Must be a finite number.")
    assert check_usd(1e300)[1].startswith("Too large")
    assert check_usd("  ") == (None, None)  # a field emptied down to a space: blank too


@pytest.mark.parametrize("typed, usd", [
    ("2,000,000", 2_000_000), ("$1,234.50", 1234.5), (" $ 1,234.5 ", 1234.5), ("2000000", 2_000_000),
    ("1234.567", 1234.57), (".5", 0.5), ("0", 0), ("$0.00", 0), ("1,000,000,000,000", 1e12),
])
def test_frm008_amounts_typed_with_thousands_separators(typed, usd):
    """What a USD text field holds, read by babel (en_US): separators, a leading "$", cents."""
    assert check_usd(typed) == (usd, None)


@pytest.mark.parametrize("typed, message", [
    ("1.2.3", NOT_AN_AMOUNT), ("abc", NOT_AN_AMOUNT), ("1e400", NOT_AN_AMOUNT), ("NaN", NOT_AN_AMOUNT),
    ("Infinity", NOT_AN_AMOUNT), ("1 000", NOT_AN_AMOUNT), ("٣", NOT_AN_AMOUNT), ("$-5", "Money can't be negative."),
    ("-5", "Money can't be negative."), ("$", "Enter an amount."),
    ("12,34", "Not an amount: did you mean 1,234 or 12.34? Write it like 2,000,000 or 1,234.50."),
    ("1,000,000,000,001", "Too large (at most $1000B)."), ("9" * 40, "Too large (at most $1000B)."),
    ("99,999,999,999,999,999,999,999,999,999", "Too large (at most $1000B)."),
])
def test_frm009_malformed_amounts_say_why(typed, message):
    assert check_usd(typed) == (None, message)


def test_frm010_usd_targets_read_text_other_units_do_not():
    """The target of a USD metric is a text field (blank is an error there: a target is required);
    a percentage, multiple or count still takes JSON numbers only."""
    assert check_row(M["revenue_ytd"], "2,000,000", 10) == (Edit(2_000_000, 0.1), {})
    assert check_row(M["avg_deal_size"], "$50,000", 5) == (Edit(50_000, 0.05), {})
    assert check_row(M["avg_deal_size"], "1.2.3", 5) == (None, {"target": NOT_AN_AMOUNT})
    assert check_row(M["avg_deal_size"], "-5", 5) == (None, {"target": "Money can't be negative."})
    assert check_row(M["revenue_ytd"], " ", 10) == (None, {"target": "Enter an amount."})
    assert check_row(M["avg_deal_size"], 50_000, "15") == (None, {"band": "Must be a number."})  # a band is a number
    assert check_row(M["pipeline_coverage"], "3", 20) == (None, {"target": "Must be a number."})
    assert parse_amount(2.5) == parse_number(2.5) and parse_amount(True) == parse_number(True)  # a hand-made request


def test_frm011_usd_values_are_shown_with_thousands_separators():
    assert shown_input(M["revenue_ytd"], 2_000_000.0) == "2,000,000"
    assert shown_input(M["avg_deal_size"], 1234.5) == "1,234.50"
    assert shown_input(M["win_rate"], 0.3) == 30 and shown_input(M["pipeline_coverage"], 3.25) == 3.25
    assert [formatting.usd_input(v) for v in (0, 999.999, 1234.5, 1e12, -12, -0.001, None, float("nan"))] == [
        "0", "1,000", "1,234.50", "1,000,000,000,000", "-12", "0", None, None]


@settings(max_examples=300, deadline=None)
@given(usd=st.floats(0, 1e12))
def test_frm012_a_shown_amount_reads_back_to_the_cent(usd):
    assert check_usd(formatting.usd_input(usd)) == (round(usd, 2), None)


def test_frm013_the_settings_form_shows_usd_with_separators(pulse_app):
    """The rendered inputs: USD fields are text fields holding "2,000,000" (a number field would show
    2000000), every other unit a number field."""
    import json

    from pages import settings as page

    def inputs(tree) -> dict[str, dict]:
        found = {}

        def walk(node):
            if isinstance(node, dict):
                if node.get("type") == "Input":
                    found[json.dumps(node["props"]["id"], sort_keys=True)] = node["props"]
                for v in node.get("props", {}).values():
                    walk(v)
            elif isinstance(node, list):
                for n in node:
                    walk(n)
        walk(json.loads(json.dumps(tree, default=lambda c: c.to_plotly_json())))
        return found

    def field(kind, **key):
        return json.dumps({"type": kind, **key}, sort_keys=True)

    row = inputs(page.metric_row(M["revenue_ytd"], "", shown_input(M["revenue_ytd"], 2_000_000.0), 10))
    target = row[field("settings-target", metric="revenue_ytd")]
    assert {k: target.get(k) for k in ("type", "value", "inputmode", "step")} == {
        "type": "text", "value": "2,000,000", "inputmode": "decimal", "step": None}
    assert row[field("settings-band", metric="revenue_ytd")]["type"] == "number"
    win = inputs(page.metric_row(M["win_rate"], "", shown_input(M["win_rate"], 0.3), 15))
    assert win[field("settings-target", metric="win_rate")]["type"] == "number"
    assert win[field("settings-target", metric="win_rate")]["value"] == 30

    quotas = inputs(page.quota_form([("11", "Ana Lopez", 1_234.5), ("12", "Bo", None)]))
    assert quotas[field("settings-quota", owner="11")]["value"] == "1,234.50"
    assert quotas[field("settings-quota", owner="11")]["type"] == "text"
    assert quotas[field("settings-quota", owner="12")].get("value") is None
    plan = inputs(page.plan_form([("2026-11", 2_000_000.0, True), ("2026-12", 50_000.0, False)], 50_000.0))
    assert plan[field("settings-plan-month", month="2026-11")]["value"] == "2,000,000"
    assert plan[field("settings-plan-month", month="2026-12")].get("value") is None
    assert plan[field("settings-plan-month", month="2026-12")]["placeholder"] == "50,000 (monthly plan)"


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
