"""Playbook writes through the real callback POST: a viewer who is not the assignee cannot close an
action (refused on the server, nothing written), the assignee and managers can (audited under their
email); only admins save rules; whatever an admin's rule form sends is saved as a valid rule or refused
with a message, never half-written (hypothesis); a hostile rule name is sent as text, never markup."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import health, playbooks
from data_access.customers import DIRECTORY_QUERY, sync_customers
from data_access.db import AuditEvent, CustomerProfile, PlaybookAction, PlaybookRule, session_scope
from data_access.refresh import query_params
from tests.conftest import migrated_sqlite
from tests.fixtures.auth_files import auth_runtime, dependency, post_callback
from tests.integration.test_security_writes import _as

RULE_FIELDS = playbooks.FIELDS
GOOD_RULE = {"name": "Health below 30", "trigger_kind": "health_below", "threshold": "30", "action": "Escalate",
             "due_in_days": 3, "repeat_after_days": 14, "enabled": True}
ADMINS_ONLY = "Only admins can change playbook rules."
ACTION_PATTERN = '{"action":["ALL"],"status":["ALL"],"type":"playbook-action-set","version":["ALL"]}'


@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    """The known company (Acme 100, Bloom 41, Crest 37, Dune 0) with the shipped rules run: one open
    "Health below 50" action each for Bloom (owner ben@x.com), Crest (viewer@x.com) and Dune (no owner)."""
    rt = auth_runtime(tmp_path, "proxy", database_url=migrated_sqlite(tmp_path))
    sync_customers(rt.db(), rt.warehouse().run(DIRECTORY_QUERY, query_params(rt.settings, rt.targets().targets,
                                                                              rt.today())))
    with session_scope(rt.db()) as s:
        for cid, owner in (("101", "ana@x.com"), ("102", "ben@x.com"), ("103", "viewer@x.com"), ("104", None)):
            s.get(CustomerProfile, cid).owner = owner
    assert health.refresh_health(rt) == 4
    assert playbooks.run_playbooks(rt.db(), rt.today()).opened == 3
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _action(rt, customer_id: str) -> playbooks.ActionRow:
    return playbooks.customer_actions(rt.db(), customer_id)[0]


def _set(client, action: playbooks.ActionRow, status: str, email: str):
    """Click Done / Dismiss / Reopen of ``action`` on its customer's page, as the renderer posts it."""
    button = {"action": action.id, "status": status, "type": "playbook-action-set", "version": action.version}
    dep = dependency(client, ACTION_PATTERN, "n_clicks", **_as(email))
    body = {"output": dep["output"],
            "outputs": [{"id": "customer-actions", "property": "children"},
                        {"id": "customer-actions-message", "property": "children"}],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [{"id": "customer-id", "property": "data", "value": action.customer_id}],
            "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]}
    return client.post("/_dash-update-component", json=body, **_as(email))


def _audits(rt) -> int:
    with session_scope(rt.db()) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def test_spb001_only_the_assignee_or_a_manager_closes_an_action(proxy):
    client, rt = proxy
    bloom, crest = _action(rt, "102"), _action(rt, "103")
    before = _audits(rt)
    refused = _set(client, bloom, "done", "viewer@x.com")  # a viewer, not Bloom's owner
    assert refused.status_code == 200
    assert "Only the action's assignee, managers and admins can change it" in refused.get_data(as_text=True)
    assert _action(rt, "102").status == "open" and _audits(rt) == before

    own = _set(client, crest, "done", "viewer@x.com")  # the viewer owns Crest: their own action
    assert "Marked done: Schedule an executive check-in." in json.dumps(own.get_json(), ensure_ascii=False)
    assert (_action(rt, "103").status, _action(rt, "103").completed_by) == ("done", "viewer@x.com")

    managed = _set(client, bloom, "dismissed", "mgr@x.com")
    assert managed.status_code == 200 and _action(rt, "102").status == "dismissed"
    stale = _set(client, bloom, "open", "mgr@x.com")  # the page still holds version 1
    assert "changed by someone else" in json.dumps(stale.get_json(), ensure_ascii=False)
    assert _action(rt, "102").status == "dismissed"
    with session_scope(rt.db()) as s:
        actors = [e.actor for e in s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "playbook_action")
                                             .order_by(AuditEvent.id))]
    assert actors == ["pulse"] * 3 + ["viewer@x.com", "mgr@x.com"]


def _save_rule(client, values: dict, email: str, editing=None):
    pattern = lambda kind, f: {"type": kind, "field": f}  # noqa: E731
    outputs = [{"id": "playbook-rule-modal", "property": "is_open"},
               [{"id": pattern("playbook-rule-feedback", f), "property": "children"} for f in RULE_FIELDS],
               {"id": "playbook-rule-form-message", "property": "children"},
               {"id": "playbook-rules", "property": "children"},
               {"id": "playbook-rules-message", "property": "children"}]
    state = [[{"id": pattern("playbook-rule-field", f), "property": "value", "value": values.get(f)} for f in RULE_FIELDS],
             {"id": "playbook-rule-editing", "property": "data", "value": editing}]
    return post_callback(client, "playbook-rule-save", "n_clicks",
                         [{"id": "playbook-rule-save", "property": "n_clicks", "value": 1}], state, outputs=outputs,
                         **_as(email))


def _rules(rt) -> int:
    with session_scope(rt.db()) as s:
        return s.scalar(select(func.count()).select_from(PlaybookRule))


def test_spb002_only_admins_save_rules_and_a_hostile_name_is_text(proxy):
    client, rt = proxy
    for email in ("viewer@x.com", "mgr@x.com"):
        r = _save_rule(client, GOOD_RULE, email)
        assert r.status_code == 200 and ADMINS_ONLY in r.get_data(as_text=True)
    assert _rules(rt) == 3
    hostile = "<img src=x onerror=alert(1)>"
    saved = _save_rule(client, {**GOOD_RULE, "name": hostile}, "admin@x.com")
    body = saved.get_json()["response"]
    assert body["playbook-rule-modal"]["is_open"] is False and _rules(rt) == 4
    table = json.dumps(body["playbook-rules"], ensure_ascii=False)
    assert f'"children": "{hostile}"' in table  # a string child: React renders it as text
    assert "dangerously" not in table.lower() and "Markdown" not in table
    rule = next(r for r in playbooks.list_rules(rt.db()) if r.name == hostile)
    assert (rule.threshold, rule.due_in_days, rule.repeat_after_days) == (30, 3, 14)


_value = st.one_of(st.none(), st.text(max_size=10), st.integers(-5, 500), st.booleans(),
                   st.sampled_from(["50", "renewal_due", "health_drop", "7", "1e400", "NaN", " 12 "]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({f: _value for f in RULE_FIELDS}))
def test_spb003_any_rule_form_is_saved_whole_or_refused_with_a_message(proxy, values):
    client, rt = proxy
    before = _rules(rt)
    r = _save_rule(client, values, "admin@x.com")
    assert r.status_code == 200
    text = json.dumps(r.get_json(), ensure_ascii=False)
    if _rules(rt) == before:
        assert "Nothing saved" in text
    else:
        assert _rules(rt) == before + 1 and "Added the rule" in text
        with session_scope(rt.db()) as s:
            newest = s.scalars(select(PlaybookRule).order_by(PlaybookRule.id.desc())).first()
            assert newest.threshold > 0 and 1 <= newest.due_in_days <= 90 and newest.name.strip()
    with session_scope(rt.db()) as s:  # actions are never touched by a rule form
        assert s.scalar(select(func.count()).select_from(PlaybookAction)) == 3
