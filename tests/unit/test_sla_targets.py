"""Support SLA targets governed on Settings: the model's rules, the form's checks, the section save
(validated, stale edits refused, audited, the file untouched on any error) and the history line."""
from __future__ import annotations

import json

import pytest

from data_access.catalog import load_catalog
from data_access.target_form import check_sla_targets
from data_access.target_store import EditError, parse_targets, render, save_section, section_revision
from data_access.targets import RevenuePlan, SupportSlaTargets, Targets

TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))
SECTION = "support_sla_targets"


def _form(overrides: dict | None = None) -> dict:
    """The form as the defaults fill it, with ``overrides`` ((priority, part) → raw value)."""
    raw = {(p, part): v for p, row in SupportSlaTargets().model_dump().items() for part, v in row.items()}
    return {**raw, **(overrides or {})}


def test_sla001_defaults_are_the_seed_and_bind_as_business_minutes():
    params = SupportSlaTargets().sql_params()
    assert params == {"sla_urgent_first_reply_minutes": 60.0, "sla_urgent_resolution_minutes": 240.0,
                      "sla_high_first_reply_minutes": 120.0, "sla_high_resolution_minutes": 1440.0,
                      "sla_normal_first_reply_minutes": 240.0, "sla_normal_resolution_minutes": 4320.0,
                      "sla_low_first_reply_minutes": 480.0, "sla_low_resolution_minutes": 7200.0}
    assert all(isinstance(v, float) for v in params.values())  # FLOAT64 on BigQuery, like DuckDB
    assert "support_sla_targets" not in json.loads(render(TARGETS))  # the defaults live in code


def test_sla002_form_checks_each_value():
    values, problems = check_sla_targets(_form())
    assert problems == [] and SupportSlaTargets.model_validate(values) == SupportSlaTargets()
    _, problems = check_sla_targets(_form({("urgent", "first_reply_hours"): 0,
                                            ("high", "resolution_hours"): "abc",
                                            ("low", "first_reply_hours"): None,
                                            ("normal", "resolution_hours"): 2}))
    assert problems == ["Urgent first reply: Business hours above 0 and at most 8,760.",
                        "High resolution: Must be a number.",
                        "Normal: the resolution target (2 h) is shorter than the first reply target (4 h).",
                        "Low first reply: Enter a number."]


def test_sla003_save_audits_refuses_bad_and_stale_edits(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "targets.json"
    values, _ = check_sla_targets(_form({("urgent", "first_reply_hours"): 0.5}))
    opened = section_revision(TARGETS, SECTION)
    good = save_section(path, catalog, SECTION, values, opened, "admin@x.com", TARGETS)
    assert good.targets.support_sla_targets.urgent.first_reply_hours == 0.5
    assert parse_targets(path.read_text(), catalog).support_sla_targets.sql_params()[
        "sla_urgent_first_reply_minutes"] == 30
    before = path.read_bytes()
    with pytest.raises(EditError, match="support SLA targets were changed by someone else"):
        save_section(path, catalog, SECTION, values, opened, "b@x.com", TARGETS)  # opened before the save
    fresh = section_revision(good.targets, SECTION)
    for bad in ({"first_reply_hours": 0, "resolution_hours": 4}, {"first_reply_hours": 5, "resolution_hours": 4},
                {"first_reply_hours": "1", "resolution_hours": 4}, {"first_reply_hours": 1}):
        with pytest.raises(EditError):
            save_section(path, catalog, SECTION, {**values, "urgent": bad}, fresh, "admin@x.com", TARGETS)
        assert path.read_bytes() == before
    assert save_section(path, catalog, SECTION, values, fresh, "admin@x.com", TARGETS).changes == []
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(audit) == 1 and audit[0]["metric"] == "ticket_sla_compliance"
    assert audit[0]["old"][SECTION]["urgent"] == {"first_reply_hours": 1.0, "resolution_hours": 4.0}
    assert audit[0]["new"][SECTION]["urgent"]["first_reply_hours"] == 0.5


def test_sla004_history_line_names_what_changed(pulse_app):
    from pages.settings import _sla_change_text

    old = SupportSlaTargets().model_dump()
    new = json.loads(json.dumps(old))
    new["high"]["resolution_hours"] = 16
    assert _sla_change_text(old, new) == ["high resolution 24 h → 16 h"]
    assert _sla_change_text(old, old) == ["support SLA targets unchanged"]
