"""The company health score (``data_access.health_score``): component scores against targets, weights
that renormalise over the components with data, the bands, and the frames the worker stores."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access.catalog import CatalogError, load_catalog, parse_catalog
from data_access.frame_store import CachedFrame, FrameMeta, MemoryFrameStore
from data_access.health_score import component_score, frames, health_band, refresh
from data_access.targets import ComponentWeights, parse_targets

AS_OF = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc)
NO_TARGETS = '{"revenue_plan": {"monthly_usd": 2000}, "metrics": {}}'


def _put(store, name, value, day=AS_OF):
    df = pd.DataFrame({"value": [value]}).astype("float64")
    store.put(name, CachedFrame(df, FrameMeta(name, day, NOW, 0.1, 1)))


def _store(**values):
    """Component values by metric id (``None``: a frame whose value is missing; absent: no frame)."""
    catalog = load_catalog()
    store = MemoryFrameStore()
    for mid, v in values.items():
        _put(store, catalog.metrics[mid].query, v)
    return catalog, store


def test_hs001_component_scores_are_capped_at_the_target():
    """Higher is better: 0.45 against 0.5 scores 90; above the target 100, never more; negative values 0.
    Lower is better: 20 days against a 15-day target scores 75; at or under the target 100."""
    assert component_score(0.45, 0.5, "higher") == pytest.approx(90.0)
    assert component_score(0.8, 0.5, "higher") == 100.0
    assert component_score(-1.0, 0.5, "higher") == 0.0
    assert component_score(20.0, 15.0, "lower") == pytest.approx(75.0)
    assert component_score(10.0, 15.0, "lower") == 100.0
    assert component_score(0.0, 15.0, "lower") == 100.0
    assert component_score(None, 0.5, "higher") is None
    assert component_score(float("nan"), 0.5, "higher") is None
    assert component_score(0.4, 0.0, "higher") is None  # nothing to score against


def test_hs002_bands_follow_the_seed():
    """Excellent ≥ 85, Good ≥ 70, Fair ≥ 50, Poor below; missing → No data."""
    assert [health_band(v) for v in (100, 85, 84.9, 70, 69.9, 50, 49.9, 0)] == \
        ["Excellent", "Excellent", "Good", "Good", "Fair", "Fair", "Poor", "Poor"]
    assert health_band(None) == "No data"
    assert health_band(float("nan")) == "No data"


def test_hs003_the_score_is_the_weighted_mean_of_the_five_components():
    """Defaults (targets): contract spend 0.5, coverage 3.0×, win rate 0.30, SLA 0.90, CSAT 0.85.
    Values 0.40 / 3.6 / 0.24 / 0.90 / 0.68 score 80 / 100 / 80 / 100 / 80 → mean 88 (Excellent)."""
    catalog, store = _store(contract_spend_pct=0.40, pipeline_coverage=3.6, win_rate=0.24,
                            ticket_sla_compliance=0.90, csat_score=0.68)
    metric = catalog.metrics["health_score"]
    out = frames(metric, catalog, store, parse_targets(NO_TARGETS), AS_OF)
    value = out["derived/health_score"].iloc[0]
    assert value["value"] == pytest.approx(88.0)
    assert value["band"] == "Excellent"
    assert (value["components_used"], value["components_total"]) == (5, 5)
    comps = out["derived/health_score_components"]
    assert comps["component"].tolist() == ["Contract Spend", "Pipeline Coverage", "Win Rate (90 days)",
                                           "Ticket SLA Compliance (30 days)", "CSAT (30 days)"]
    assert comps["value"].tolist() == ["40.0%", "3.6×", "24.0%", "90.0%", "68.0%"]
    assert comps["target"].tolist() == ["≥ 50.0%", "≥ 3.0×", "≥ 30.0%", "≥ 90.0%", "≥ 85.0%"]
    assert comps["metric"].tolist() == ["contract_spend_pct", "pipeline_coverage", "win_rate",
                                           "ticket_sla_compliance", "csat_score"]
    assert comps["score"].tolist() == pytest.approx([80, 100, 80, 100, 80])
    assert comps["weight_share_pct"].tolist() == pytest.approx([0.2] * 5)
    assert comps["points"].sum() == pytest.approx(88.0)
    assert str(comps["score"].dtype) == "float64"


def test_hs004_a_component_without_data_is_left_out_and_the_weights_renormalise():
    """No CSAT response (value missing) and no SLA frame at all: the score is the mean of the other
    three, 80 / 100 / 80 → 86.67; the two left out have weight share 0 and no points."""
    catalog, store = _store(contract_spend_pct=0.40, pipeline_coverage=3.6, win_rate=0.24, csat_score=None)
    metric = catalog.metrics["health_score"]
    out = frames(metric, catalog, store, parse_targets(NO_TARGETS), AS_OF)
    value = out["derived/health_score"].iloc[0]
    assert value["value"] == pytest.approx(260 / 3)
    assert (value["components_used"], value["components_total"]) == (3, 5)
    comps = out["derived/health_score_components"].set_index("metric")
    assert comps.loc[["ticket_sla_compliance", "csat_score"], "weight_share_pct"].tolist() == [0.0, 0.0]
    assert comps.loc["ticket_sla_compliance", "as_of"] is pd.NaT
    assert comps.loc[["ticket_sla_compliance", "csat_score"], "value"].tolist() == ["No data", "No data"]
    assert comps.loc[["contract_spend_pct", "pipeline_coverage", "win_rate"], "weight_share_pct"].tolist() == \
        pytest.approx([1 / 3] * 3)


def test_hs005_no_component_with_data_is_no_data_not_zero():
    catalog, store = _store()
    out = frames(catalog.metrics["health_score"], catalog, store, parse_targets(NO_TARGETS), AS_OF)
    value = out["derived/health_score"].iloc[0]
    assert pd.isna(value["value"]) and value["band"] == "No data" and value["components_used"] == 0


def test_hs006_targets_in_force_and_weights_count():
    """A governed win-rate target of 0.48 makes 0.24 score 50; with weights 3 / 1 / 1 / 1 / 1 on
    contract spend (80) the score is (3×80 + 100 + 50 + 100 + 80) ÷ 7 = 81.43."""
    raw = load_catalog_text().replace("      - {metric: contract_spend_pct, weight: 1}",
                                      "      - {metric: contract_spend_pct, weight: 3}")
    catalog = parse_catalog(raw)
    store = MemoryFrameStore()
    for mid, v in dict(contract_spend_pct=0.40, pipeline_coverage=3.6, win_rate=0.24,
                       ticket_sla_compliance=0.90, csat_score=0.68).items():
        _put(store, catalog.metrics[mid].query, v)
    targets = parse_targets(NO_TARGETS.replace('"metrics": {}', '"metrics": {"win_rate": {"target": 0.48}}'))
    out = frames(catalog.metrics["health_score"], catalog, store, targets, AS_OF)
    assert out["derived/health_score"]["value"].iloc[0] == pytest.approx(570 / 7)
    comps = out["derived/health_score_components"].set_index("metric")
    assert comps.loc["win_rate", ["target", "score"]].tolist() == ["≥ 48.0%", 50.0]


def test_hs007_refresh_stores_both_frames_and_a_failure_keeps_the_last_good_value():
    catalog, store = _store(contract_spend_pct=0.5, pipeline_coverage=3.0, win_rate=0.3,
                            ticket_sla_compliance=0.9, csat_score=0.85)
    metric = catalog.metrics["health_score"]
    targets = parse_targets(NO_TARGETS)
    results = refresh([metric], catalog, store, targets, AS_OF)
    assert [(r.query, r.ok, r.rows) for r in results] == [("derived/health_score", True, 1),
                                                          ("derived/health_score_components", True, 5),
                                                          ("derived/health_score_by_segment", True, 0)]
    assert store.get("derived/health_score").frame["value"].iloc[0] == pytest.approx(100.0)

    class Broken(MemoryFrameStore):
        def get(self, name):
            if name.startswith("derived/"):
                return super().get(name)
            raise ConnectionError("cache down")

    broken = Broken()
    broken._frames = dict(store._frames)
    results = refresh([metric], catalog, broken, targets, AS_OF)
    assert [r.ok for r in results] == [False, False, False]
    assert broken.get("derived/health_score").frame["value"].iloc[0] == pytest.approx(100.0)
    assert broken.get_outcome("derived/health_score")["error_class"] == "ConnectionError"


def load_catalog_text() -> str:
    from data_access.catalog import CATALOG_PATH

    return CATALOG_PATH.read_text(encoding="utf-8")


def test_hs008_the_catalog_refuses_bad_components():
    raw = load_catalog_text()
    with pytest.raises(CatalogError, match="not a catalog metric"):
        parse_catalog(raw.replace("{metric: win_rate, weight: 1}", "{metric: win_rates, weight: 1}"))
    with pytest.raises(CatalogError, match="greater than 0"):
        parse_catalog(raw.replace("{metric: win_rate, weight: 1}", "{metric: win_rate, weight: 0}"))
    with pytest.raises(CatalogError, match="derived metric lists its components"):
        parse_catalog(raw.replace("    source: derived\n    query: derived/health_score\n",
                                  "    query: derived/health_score\n"))


def test_hs009_every_metric_has_an_owner_and_a_criticality():
    """Owners default to the page's team; the seed's critical metrics are critical; /status lists a failing
    critical frame before a failing medium one, and a stale critical one before a failing low one."""
    catalog = load_catalog()
    assert all(m.owner and m.criticality in ("critical", "high", "medium", "low") for m in catalog.metrics.values())
    assert catalog.metrics["ticket_sla_compliance"].owner == "Customer Success"
    assert catalog.metrics["win_rate"].owner == "Sales Operations"
    assert catalog.metrics["open_tickets"].owner == "Customer Success"  # the Support page's owner
    assert {m: catalog.metrics[m].criticality for m in ("health_score", "ticket_sla_compliance",
                                                          "weighted_pipeline_usd", "avg_deal_size")} == \
        {"health_score": "critical", "ticket_sla_compliance": "critical", "weighted_pipeline_usd": "critical",
         "avg_deal_size": "medium"}


def test_hs010_status_sorts_problems_by_criticality(tmp_path):
    from data_access.refresh import record_failure
    from data_access.status import frame_statuses
    from tests.conftest import known_runtime

    rt = known_runtime(tmp_path)
    crit, medium, low = (rt.catalog.metrics[m].query for m in ("revenue_ytd", "avg_deal_size",
                                                               "open_deals_without_close_date"))
    for name in (low, medium, crit):
        record_failure(rt.store, name, RuntimeError("boom"), 0.0, NOW)
    rows = frame_statuses(rt, now=NOW)
    failing = [(r["frame"], r["criticality"]) for r in rows if r["state"] == "failing"]
    assert failing[:3] == [(crit, "critical"), (medium, "medium"), (low, "low")]
    assert rows[0]["owners"] == ["Executive Leadership"]


def test_hs010_weights_governed_on_settings_replace_the_catalogs():
    """Values of hs003 (80 / 100 / 80 / 100 / 80). Settings weights contract spend 3 and CSAT 0 (the
    others keep the catalog's 1): (3×80 + 100 + 80 + 100) ÷ 6 = 86.67, CSAT left out like a component
    without data; all five at 0 is refused when the file is read."""
    catalog, store = _store(contract_spend_pct=0.40, pipeline_coverage=3.6, win_rate=0.24,
                            ticket_sla_compliance=0.90, csat_score=0.68)
    base = parse_targets(NO_TARGETS)
    targets = base.model_copy(update={"health_score_weights": ComponentWeights(
        weights={"contract_spend_pct": 3, "csat_score": 0})})
    out = frames(catalog.metrics["health_score"], catalog, store, targets, AS_OF)
    value = out["derived/health_score"].iloc[0]
    assert value["value"] == pytest.approx(520 / 6) and value["components_used"] == 4
    comps = out["derived/health_score_components"].set_index("metric")
    assert comps["weight"].tolist() == [3, 1, 1, 1, 0]
    assert comps.loc["csat_score", "weight_share_pct"] == 0 and comps.loc["csat_score", "score"] == 80
    assert comps["weight_share_pct"].sum() == pytest.approx(1.0)
    only_csat = base.model_copy(update={"health_score_weights": ComponentWeights(
        weights={m: 0 for m in ("contract_spend_pct", "pipeline_coverage", "win_rate", "ticket_sla_compliance")})})
    assert frames(catalog.metrics["health_score"], catalog, store, only_csat,
                  AS_OF)["derived/health_score"]["value"].iloc[0] == pytest.approx(80.0)
    zero = NO_TARGETS[:-1] + ', "health_score_weights": {"weights": {"contract_spend_pct": 0, "pipeline_coverage": 0, ' \
        '"win_rate": 0, "ticket_sla_compliance": 0, "csat_score": 0}}}'
    with pytest.raises(ValueError, match="at least one component needs a weight above 0"):
        parse_targets(zero, catalog)
    with pytest.raises(ValueError, match="not a component of the Company Health Score"):
        parse_targets(NO_TARGETS[:-1] + ', "health_score_weights": {"weights": {"nrr": 1}}}', catalog)


def _put_frame(store, name, frame):
    store.put(name, CachedFrame(frame, FrameMeta(name, AS_OF, NOW, 0.1, len(frame))))


def test_hs011_score_by_segment_over_the_components_that_split():
    """Contract spend A 40/100 → 80, B 60/100 → 100 (two contracts each); win rate A 3 of 10 → 100,
    B none closed (no data), 'No customer' 1 of 2 → 100; CSAT A 17/20 = 0.85 → 100, B 1/2 → 58.82
    (targets 0.5 / 0.30 / 0.85). Equal weights: A (80 + 100 + 100) ÷ 3 = 93.33, B (100 + 58.82) ÷ 2 =
    79.41, No customer 100 (one component). Coverage and SLA have no segment: left out."""
    catalog, store = _store(contract_spend_pct=0.5, win_rate=0.3, csat_score=0.85)
    _put_frame(store, "demand_am/contract_spend_by_customer", pd.DataFrame(
        {"segment": ["A", "A", "B", "B"], "spend_usd": [20.0, 20, 30, 30], "contract_usd": [50.0, 50, 50, 50]}))
    _put_frame(store, "company_health/win_rate_by_segment", pd.DataFrame(
        {"segment": ["A", "B", "No customer"], "won_count": [3, 0, 1], "lost_count": [7, 0, 1]}))
    _put_frame(store, "support/csat_by_segment", pd.DataFrame(
        {"segment": ["A", "B"], "response_count": [20, 2], "satisfied_count": [17, 1]}))
    out = frames(catalog.metrics["health_score"], catalog, store, parse_targets(NO_TARGETS), AS_OF)
    seg = out["derived/health_score_by_segment"]
    assert seg["segment"].tolist() == ["No customer", "A", "B"]
    assert seg["score"].tolist() == pytest.approx([100, 280 / 3, (100 + 50 / 0.85) / 2])
    assert seg["band"].tolist() == ["Excellent", "Excellent", "Good"]
    assert seg["components_used"].tolist() == [1, 3, 2]
    assert list(seg.columns) == ["segment", "score", "band", "components_used", "contract_spend_score",
                                 "win_rate_score", "csat_score"]
    b = seg.set_index("segment").loc["B"]
    assert b["contract_spend_score"] == 100 and pd.isna(b["win_rate_score"])
    assert b["csat_score"] == pytest.approx(50 / 0.85)
    weighted = parse_targets(NO_TARGETS).model_copy(update={"health_score_weights": ComponentWeights(
        weights={"csat_score": 0, "contract_spend_pct": 3})})
    seg = frames(catalog.metrics["health_score"], catalog, store, weighted, AS_OF)["derived/health_score_by_segment"]
    assert seg.set_index("segment")["score"].to_dict() == pytest.approx({"A": (240 + 100) / 4, "B": 100,
                                                                         "No customer": 100})
    empty = frames(catalog.metrics["health_score"], catalog, MemoryFrameStore(), parse_targets(NO_TARGETS), AS_OF)
    assert empty["derived/health_score_by_segment"].empty
