"""Playbooks in Pulse's database, on SQLite and PostgreSQL: the shipped rules open actions for exactly the
customers of the hand-built company whose trigger holds (never twice, not again within the rule's quiet
period), actions are marked done by their assignee or a manager only, stale changes are refused, and
rule writes are validated, audited and version-checked."""
from __future__ import annotations

import datetime as dt
import decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import health, playbooks, renewals
from data_access.db import AuditEvent, CustomerProfile, PlaybookAction, PlaybookRule, StaleEdit, session_scope
from data_access.playbooks import ActionError, RuleError, check_rule

AS_OF = dt.date(2026, 11, 21)
D = decimal.Decimal
OWNERS = {"101": "ana@x.com", "102": "ben@x.com", "103": "", "104": "dora@x.com"}


@pytest.fixture
def scored(customers, indicators):
    """The four known customers with owners, today's health scores (Acme 100, Bloom 41, Crest 37, Dune 0:
    tests/db/test_renewals.py rnw014) and those of 30 days before (100, 70, 40, 0), an open renewal of
    Acme due in 30 days (owner rita@x.com) and a committed one of Crest due in 10."""
    with session_scope(customers) as s:
        for cid, owner in OWNERS.items():
            s.get(CustomerProfile, cid).owner = owner or None
    scores = health.score_customers(indicators, health.current_config(customers))
    health.write_scores(customers, AS_OF - dt.timedelta(days=30), scores.assign(score=[100, 70, 40, 0]), 1)
    health.write_scores(customers, AS_OF, scores, 1)
    for cid, days, status, owner in (("101", 30, "open", "rita@x.com"), ("103", 10, "committed", "")):
        renewals.create_renewal(customers, check_renewal_input(customers, cid, days, status, owner), "mgr@x.com")
    return customers


def check_renewal_input(engine, customer_id, days, status, owner):
    return renewals.check_renewal({"customer_id": customer_id, "renewal_date": (AS_OF + dt.timedelta(days=days)).isoformat(),
                                   "current_value_usd": "1000", "status": status, "owner": owner}, engine)


def _actions(engine) -> list[tuple[str, str, str, str]]:
    with session_scope(engine) as s:
        return sorted((a.rule_name, a.customer_id, a.assignee, a.due_date.isoformat())
                      for a in s.scalars(select(PlaybookAction)))


def _rule(engine, name: str) -> PlaybookRule:
    with session_scope(engine) as s:
        return s.scalars(select(PlaybookRule).where(PlaybookRule.name == name)).one()


def test_pbk001_the_shipped_rules_open_an_action_for_each_customer_whose_trigger_holds(scored):
    """Health below 50: Bloom 41, Crest 37, Dune 0 (due in 7 days); health falling ≥ 15 points: Bloom
    (70 → 41; Crest fell only 3), due in 5; renewal not committed within 60 days: Acme's open renewal
    in 30 days (its owner rita, not the customer's ana), due in 14 — Crest's committed one is not."""
    assert [r.name for r in playbooks.list_rules(scored)] == ["Health below 50", "Health falling",
                                                                "Renewal not committed"]
    result = playbooks.run_playbooks(scored, AS_OF)
    assert (result.opened, result.rules) == (5, 3)
    assert _actions(scored) == [
        ("Health below 50", "102", "ben@x.com", "2026-11-28"), ("Health below 50", "103", "", "2026-11-28"),
        ("Health below 50", "104", "dora@x.com", "2026-11-28"), ("Health falling", "102", "ben@x.com", "2026-11-26"),
        ("Renewal not committed", "101", "rita@x.com", "2026-12-05")]
    bloom = playbooks.customer_actions(scored, "102")
    assert [(a.action, a.trigger) for a in bloom] == [
        ("Call the customer's sponsor to find out what changed", "Health score fell 29 points in 30 days, to 41 on Nov 21, 2026"),
        ("Schedule an executive check-in", "Health score 41 on Nov 21, 2026 is below 50")]
    acme = playbooks.customer_actions(scored, "101")[0]
    assert acme.trigger == "Renewal on Dec 21, 2026 (in 30 days) is open, not committed"
    with session_scope(scored) as s:
        audited = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "playbook_action")).all()
    assert len(audited) == 5 and {e.actor for e in audited} == {"pulse"}
    assert {e.after["customer_id"] for e in audited} == {"101", "102", "103", "104"}

    assert playbooks.run_playbooks(scored, AS_OF).opened == 0  # a rerun opens nothing twice
    assert playbooks.run_playbooks(scored, AS_OF + dt.timedelta(days=1)).opened == 0  # still open: not again


def test_pbk002_a_closed_action_comes_back_only_after_the_quiet_period(scored):
    playbooks.run_playbooks(scored, AS_OF)
    dune = playbooks.customer_actions(scored, "104")[0]
    playbooks.set_action_status(scored, dune.id, dune.version, "done", "dora@x.com", is_manager=False)
    assert playbooks.run_playbooks(scored, AS_OF + dt.timedelta(days=29)).opened == 0  # opened 29 days ago
    result = playbooks.run_playbooks(scored, AS_OF + dt.timedelta(days=30))  # 30 days: the quiet period is over
    assert result.opened == 1
    assert [(a.status, a.opened_on) for a in playbooks.customer_actions(scored, "104")] == [
        ("open", AS_OF + dt.timedelta(days=30)), ("done", AS_OF)]


def test_pbk003_only_the_assignee_or_a_manager_changes_an_action_and_a_stale_change_loses_nothing(scored):
    playbooks.run_playbooks(scored, AS_OF)
    action = next(a for a in playbooks.customer_actions(scored, "102") if a.rule_name == "Health below 50")
    with pytest.raises(ActionError, match="assignee, managers and admins"):
        playbooks.set_action_status(scored, action.id, action.version, "done", "viewer@x.com", is_manager=False)
    done = playbooks.set_action_status(scored, action.id, action.version, "done", "BEN@x.com", is_manager=False,
                                       now=dt.datetime(2026, 11, 22, 9, tzinfo=dt.timezone.utc))
    assert (done.status, done.completed_by, done.version) == ("done", "BEN@x.com", 2)
    assert done.completed_at == dt.datetime(2026, 11, 22, 9, tzinfo=dt.timezone.utc)
    with pytest.raises(StaleEdit):  # a second browser still shows version 1
        playbooks.set_action_status(scored, action.id, action.version, "dismissed", "mgr@x.com", is_manager=True)
    reopened = playbooks.set_action_status(scored, action.id, 2, "open", "mgr@x.com", is_manager=True)
    assert (reopened.status, reopened.completed_at, reopened.completed_by) == ("open", None, None)
    with pytest.raises(ActionError, match="status"):
        playbooks.set_action_status(scored, action.id, 3, "deleted", "mgr@x.com", is_manager=True)
    with pytest.raises(ActionError, match="no longer exists"):
        playbooks.set_action_status(scored, 99_999, 1, "done", "mgr@x.com", is_manager=True)
    changes = playbooks.action_changes(scored, [action.id])
    assert [(c.actor, c.after["status"]) for c in changes] == [("mgr@x.com", "open"), ("BEN@x.com", "done"),
                                                               ("pulse", "open")]
    listed, total, overdue = playbooks.open_actions(scored, AS_OF + dt.timedelta(days=5), limit=2)
    assert (total, overdue) == (5, 0) and [a.due_date for a in listed] == [dt.date(2026, 11, 26), dt.date(2026, 11, 28)]
    assert playbooks.open_actions(scored, AS_OF + dt.timedelta(days=8))[1:] == (5, 4)  # 4 due by 11-28
    assert [a.customer_name for a in playbooks.open_actions(scored, AS_OF, assignee=" Ben@X.com ")[0]] == \
        ["Bloom Beauty", "Bloom Beauty"]


def test_pbk004_rules_are_audited_version_checked_and_their_actions_outlive_them(scored):
    rule = check_rule({"name": "Health below 30", "trigger_kind": "health_below", "threshold": "30",
                       "action": "Escalate to the COO", "due_in_days": "3", "repeat_after_days": "14", "enabled": True})
    saved = playbooks.create_rule(scored, rule, "admin@x.com")
    assert playbooks.rule_text(saved) == "Health score below 30"
    updated = playbooks.update_rule(scored, saved.id, saved.version, rule.model_copy(update={"threshold": 40.0}),
                                    "admin@x.com")
    assert updated.version == 2 and updated.threshold == 40
    with pytest.raises(StaleEdit):
        playbooks.update_rule(scored, saved.id, saved.version, rule, "other@x.com")
    assert playbooks.run_playbooks(scored, AS_OF).opened == 5 + 2  # Crest 37 and Dune 0 are below 40
    playbooks.delete_rule(scored, saved.id, updated.version, "admin@x.com")
    with session_scope(scored) as s:
        kept = s.scalars(select(PlaybookAction).where(PlaybookAction.rule_name == "Health below 30")).all()
    assert len(kept) == 2 and {a.rule_id for a in kept} == {None}
    assert [(c.action, c.actor) for c in playbooks.rule_changes(scored)] == [
        ("delete", "admin@x.com"), ("update", "admin@x.com"), ("create", "admin@x.com")]
    with pytest.raises(RuleError, match="deleted by someone else"):
        playbooks.delete_rule(scored, saved.id, updated.version, "admin@x.com")


def test_pbk005_a_disabled_rule_opens_nothing(scored):
    for row in playbooks.list_rules(scored):
        rule = check_rule({**{k: getattr(row, k) for k in playbooks.FIELDS}, "enabled": row.name != "Health below 50"})
        playbooks.update_rule(scored, row.id, row.version, rule, "admin@x.com")
    assert playbooks.run_playbooks(scored, AS_OF).opened == 2  # Bloom falling, Acme's renewal


@pytest.mark.parametrize(("field", "value", "message"), [
    ("threshold", "0", "more than 0"), ("threshold", "150", "at most 100 points"), ("threshold", "abc", "a number"),
    ("due_in_days", "0", "greater than or equal to 1"), ("due_in_days", "91", "less than or equal to 90"),
    ("due_in_days", "2.5", "whole number"), ("name", "", "Required"), ("action", "Call\x00now", "control characters"),
    ("trigger_kind", "revenue_up", "one of the options"), ("name", "x" * 101, "at most 100"),
])
def test_pbk006_a_malformed_rule_is_refused_with_a_message_and_nothing_written(scored, field, value, message):
    raw = {"name": "Check in", "trigger_kind": "health_below", "threshold": "50", "action": "Call",
           "due_in_days": "7", "repeat_after_days": "30", "enabled": True, field: value}
    before = len(playbooks.list_rules(scored))
    with pytest.raises(RuleError) as e:
        check_rule(raw)
    assert message.lower() in e.value.errors[field].lower()
    assert len(playbooks.list_rules(scored)) == before


def test_pbk007_renewal_windows_are_whole_days_up_to_a_year():
    base = {"name": "Renewal", "trigger_kind": "renewal_due", "action": "Call", "due_in_days": "7"}
    assert check_rule({**base, "threshold": "90"}).threshold == 90
    with pytest.raises(RuleError) as e:
        check_rule({**base, "threshold": "10.5"})
    assert e.value.errors == {"threshold": "Whole days"}
    with pytest.raises(RuleError) as e:
        check_rule({**base, "threshold": "400"})
    assert e.value.errors == {"threshold": "At most 365 days"}


_text = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["50", "-1", "1e9", "nan", "7", "health_below"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({k: _text for k in ("name", "trigger_kind", "threshold", "action", "due_in_days",
                                                  "repeat_after_days")}))
def test_pbk008_any_form_is_a_valid_rule_or_a_message_per_field(migrated, values):
    try:
        rule = check_rule(values)
    except RuleError as e:
        assert e.errors and set(e.errors) <= set(playbooks.FIELDS) | {"form"}
        assert all(isinstance(m, str) and m for m in e.errors.values())
        return
    assert 0 < rule.threshold <= playbooks.MAX_THRESHOLD[rule.trigger_kind] and 1 <= rule.due_in_days <= 90
    with session_scope(migrated) as s:  # what passes, the database accepts
        before = s.scalar(select(func.count()).select_from(PlaybookRule))
    playbooks.create_rule(migrated, rule, "admin@x.com")
    assert len(playbooks.list_rules(migrated)) == before + 1
