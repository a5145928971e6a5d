"""Renewal writes through the real callback POST: viewers are refused on the server and nothing is
written; a manager's save is audited under their email; whatever a manager's form sends is saved as a
valid renewal or refused with a message, never half-written (hypothesis); a customer name with HTML is
sent as text, never markup."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access.customers import DIRECTORY_QUERY, sync_customers
from data_access.db import AuditEvent, Renewal, session_scope
from data_access.refresh import query_params
from data_access.renewals import check_renewal, create_renewal
from tests.conftest import migrated_sqlite
from tests.fixtures.auth_files import auth_runtime, post_callback
from tests.integration.test_security_writes import _as

FIELDS = ("customer_id", "renewal_date", "status", "risk_level", "current_value_usd", "proposed_value_usd", "owner",
          "hubspot_deal_id", "notes")
GOOD = {"customer_id": "101", "renewal_date": "2027-01-15", "status": "open", "risk_level": "high",
        "current_value_usd": "3,500", "proposed_value_usd": "", "owner": "Dana AM", "hubspot_deal_id": "",
        "notes": ""}
REFUSED = "Only managers and admins can change renewals."


@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    url = migrated_sqlite(tmp_path)
    rt = auth_runtime(tmp_path, "proxy", database_url=url)
    directory = rt.warehouse().run(DIRECTORY_QUERY, query_params(rt.settings, rt.targets().targets, rt.today()))
    directory.loc[directory["customer_id"] == "102", "customer_name"] = "<img src=x onerror=alert(1)>"
    sync_customers(rt.db(), directory)
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _pattern(kind: str, field: str) -> dict:
    return {"type": kind, "field": field}


def _save(client, values: dict, editing=None, email="mgr@x.com"):
    outputs = [{"id": "renewal-modal", "property": "is_open"},
               [{"id": _pattern("renewal-feedback", f), "property": "children"} for f in FIELDS],
               {"id": "renewal-form-message", "property": "children"},
               {"id": "renewals-table", "property": "children"},
               {"id": "renewals-message", "property": "children"}]
    state = [[{"id": _pattern("renewal-field", f), "property": "value", "value": values.get(f)} for f in FIELDS],
             {"id": "renewal-editing", "property": "data", "value": editing},
             {"id": "renewals-status-filter", "property": "value", "value": "all"},
             {"id": "renewals-window", "property": "value", "value": "all"},
             {"id": "renewals-search", "property": "value", "value": None}]
    return post_callback(client, "renewal-save", "n_clicks", [{"id": "renewal-save", "property": "n_clicks",
                                                                 "value": 1}], state, outputs=outputs, **_as(email))


def _rows(rt) -> tuple[int, int]:
    with session_scope(rt.db()) as s:
        return (s.scalar(select(func.count()).select_from(Renewal)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_srn001_a_viewer_cannot_create_or_edit_a_renewal(proxy):
    client, rt = proxy
    renewal = create_renewal(rt.db(), check_renewal(GOOD, rt.db()), "mgr@x.com")
    before = _rows(rt)
    for editing in (None, {"id": renewal.id, "version": renewal.version}):
        r = _save(client, {**GOOD, "status": "churned"}, editing, "viewer@x.com")
        assert r.status_code == 200 and REFUSED in r.get_data(as_text=True)
    outputs = [{"id": "renewal-modal", "property": "is_open"}, {"id": "renewal-title", "property": "children"},
               {"id": "renewal-editing", "property": "data"},
               [{"id": _pattern("renewal-field", f), "property": "value"} for f in FIELDS],
               [{"id": _pattern("renewal-feedback", f), "property": "children"} for f in FIELDS],
               {"id": "renewal-form-message", "property": "children"},
               {"id": _pattern("renewal-field", "customer_id"), "property": "options"}]
    opened = post_callback(client, "renewal-add", "n_clicks",
                           [{"id": "renewal-add", "property": "n_clicks", "value": 1},
                            [{"id": {"type": "renewal-edit", "renewal": renewal.id}, "property": "n_clicks",
                              "value": None}]], outputs=outputs, output="renewal-modal.is_open", **_as("viewer@x.com"))
    response = opened.get_json()["response"]
    assert response["renewal-modal"]["is_open"] is False and "Acme" not in opened.get_data(as_text=True)
    assert _rows(rt) == before
    with session_scope(rt.db()) as s:
        assert s.get(Renewal, renewal.id).status == "open"


def test_srn002_a_manager_saves_and_the_audit_names_them(proxy):
    client, rt = proxy
    r = _save(client, GOOD)
    assert "Added the renewal of Acme Drinks (open, Jan 15, 2027)." in r.get_data(as_text=True)
    with session_scope(rt.db()) as s:
        (row,) = s.scalars(select(Renewal)).all()
        (event,) = s.scalars(select(AuditEvent)).all()
        assert (row.created_by, event.actor, event.action, row.current_value_usd) == \
            ("mgr@x.com", "mgr@x.com", "create", 3500)
    assert "renewals_due_90_days_usd" in rt.coordinator.pop_requests()  # the cards are recomputed
    r = _save(client, {**GOOD, "status": "committed"}, {"id": row.id, "version": 1})
    assert "Saved the renewal of Acme Drinks (committed" in r.get_data(as_text=True)
    r = _save(client, {**GOOD, "status": "churned"}, {"id": row.id, "version": 1})  # loaded before the last save
    assert "changed by someone else — reload" in str(r.get_json()["response"]["renewal-form-message"])
    assert _rows(rt) == (1, 2)


def test_srn003_html_in_a_customer_name_is_sent_as_text(proxy):
    client, rt = proxy
    r = _save(client, {**GOOD, "customer_id": "102"})
    body = r.get_json()["response"]
    assert "<img src=x onerror=alert(1)>" in str(body["renewals-message"])  # a string child: React renders it inert
    table = r.get_data(as_text=True)
    assert '"dangerously_allow_html"' not in table and "html.Iframe" not in table


VALUE = st.one_of(st.none(), st.text(max_size=30), st.integers(-5, 10**10), st.booleans(),
                  st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=2),
                  st.sampled_from(["101", "999", "open", "renewed", "high", "2027-03-01", "2027-02-30", "1,000.50",
                                   "$12", "1e400", "<script>alert(1)</script>", "' OR 1=1 --"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.fixed_dictionaries({f: VALUE for f in FIELDS}))
def test_srn004_any_form_a_manager_posts_is_saved_valid_or_refused_with_a_message(proxy, values):
    client, rt = proxy
    before = _rows(rt)
    r = _save(client, values)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    response = r.get_json()["response"]
    after = _rows(rt)
    if "Added the renewal" in str(response.get("renewals-message")):
        assert after == (before[0] + 1, before[1] + 1)
        with session_scope(rt.db()) as s:
            row = s.scalars(select(Renewal).order_by(Renewal.id.desc())).first()
            assert row.customer_id in {"101", "102", "103", "104"} and row.current_value_usd >= 0
    else:
        assert after == before
        message = str(response.get("renewal-form-message"))
        assert "Nothing saved" in message or "does not match a renewal" in message
        if "fix the fields" in message:
            feedback = [v["children"] for k, v in response.items() if "renewal-feedback" in k]
            assert any(isinstance(m, str) and m for m in feedback), response


def test_rnw205_the_customer_csv_is_every_filtered_customer_and_formula_safe(proxy):
    """Download CSV through the real POST: every customer matching the filters (not one page), in the
    table's order, with formula-looking names neutralised and ARR as a number."""
    import csv
    import io
    import json

    from data_access.db import CustomerProfile

    client, rt = proxy
    with session_scope(rt.db()) as s:
        s.get(CustomerProfile, "103").name = '=HYPERLINK("http://evil.example","x")'
    state = [{"id": i, "property": "value", "value": v}
             for i, v in (("customers-search", None), ("customers-segment", "any"), ("customers-owner", "any"),
                          ("customers-renews", "any"), ("customers-health", "any"))]
    state.append({"id": "customers-table", "property": "sort_by", "value": [{"column_id": "arr_usd",
                                                                              "direction": "desc"}]})
    r = post_callback(client, "customers-export", "n_clicks", [{"id": "customers-export", "property": "n_clicks",
                                                                "value": 1}], state, **_as("viewer@x.com"))
    assert r.status_code == 200
    sent = json.loads(r.get_data(as_text=True))["response"]["customers-download"]["data"]
    assert sent["filename"] == "pulse-customers-2026-11-21.csv"
    rows = list(csv.DictReader(io.StringIO(sent["content"], newline="")))
    assert [row["customer_id"] for row in rows] == ["101", "102", "103", "104"]  # ARR, largest first
    assert [row["arr_usd"] for row in rows] == ["3500.0", "1500.0", "1000.0", "0.0"]
    assert rows[1]["customer"] == "<img src=x onerror=alert(1)>"  # text in a CSV cell, inert
    assert rows[2]["customer"] == "'" + '=HYPERLINK("http://evil.example","x")'
    state[1]["value"] = "Beverage"
    r = post_callback(client, "customers-export", "n_clicks", [{"id": "customers-export", "property": "n_clicks",
                                                                "value": 2}], state, **_as("viewer@x.com"))
    content = json.loads(r.get_data(as_text=True))["response"]["customers-download"]["data"]["content"]
    assert [row["customer"] for row in csv.DictReader(io.StringIO(content, newline=""))] == ["Acme Drinks", "Dune Co"]


def _health_save(client, values: dict, version: int, email: str):
    from data_access import health

    keys = [(n, p) for n in health.LABEL for p in health.PARTS]
    outputs = [[{"id": {"type": "health-config-feedback", "indicator": n, "part": p}, "property": "children"}
                for n, p in keys],
               {"id": "health-config-message", "property": "children"},
               {"id": "health-config-version", "property": "data"},
               {"id": "health-config-versions", "property": "children"}]
    state = [[{"id": {"type": "health-config-field", "indicator": n, "part": p}, "property": "value",
               "value": values.get((n, p))} for n, p in keys],
             {"id": "health-config-version", "property": "data", "value": version}]
    r = post_callback(client, "health-config-save", "n_clicks", [{"id": "health-config-save", "property": "n_clicks",
                                                                   "value": 1}], state, outputs=outputs, **_as(email))
    assert r.status_code == 200
    return json.loads(r.get_data(as_text=True))["response"]


def test_rnw206_settings_health_score_saves_a_new_version_for_admins_only(proxy):
    """Settings › Health score through the real POST: a viewer or a manager is refused on the server;
    an admin's malformed weights are refused field by field and nothing is written; a good form adds
    version 3 (audited; migrations ship versions 1 and 2) and a form loaded at version 2 is then refused
    as stale."""
    from data_access import health
    from data_access.db import HealthScoreConfig

    client, rt = proxy
    good = {("revenue_trend", "weight"): "50", ("revenue_trend", "full_at"): "1", ("revenue_trend", "zero_at"): "0.5",
            ("invoice_recency", "weight"): "25", ("invoice_recency", "full_at"): "30",
            ("invoice_recency", "zero_at"): "120", ("contract_pace", "weight"): "15 %",
            ("contract_pace", "full_at"): "0", ("contract_pace", "zero_at"): "-0.5",
            ("meeting_recency", "weight"): "10", ("meeting_recency", "full_at"): "30",
            ("meeting_recency", "zero_at"): "90"}

    def versions():
        with session_scope(rt.db()) as s:
            return s.scalar(select(func.count(func.distinct(HealthScoreConfig.version))))

    for email in ("viewer@x.com", "mgr@x.com"):
        refused = _health_save(client, good, 2, email)
        message = json.dumps(refused["health-config-message"], ensure_ascii=False)
        assert "Only admins can change the health score." in message
    bad = {**good, ("revenue_trend", "weight"): "lots", ("invoice_recency", "zero_at"): "30",
           ("contract_pace", "full_at"): "nan"}
    sent = _health_save(client, bad, 2, "admin@x.com")
    text = json.dumps(sent, ensure_ascii=False)
    assert "not a number" in text and "the zero mark must differ from the full mark" in text
    assert "Nothing saved" in text and versions() == 2
    off = _health_save(client, {**good, ("revenue_trend", "weight"): "60"}, 2, "admin@x.com")
    assert "the weights add up to 110 %, not 100 %" in json.dumps(off, ensure_ascii=False) and versions() == 2

    saved = _health_save(client, good, 2, "admin@x.com")
    assert "Saved version 3" in json.dumps(saved["health-config-message"], ensure_ascii=False)
    assert saved["health-config-version"]["data"] == 3
    config = health.current_config(rt.db())
    assert config.version == 3 and [(i.name, i.weight, i.zero_at) for i in config.indicators] == \
        [("revenue_trend", 0.5, 0.5), ("invoice_recency", 0.25, 120.0), ("contract_pace", 0.15, -0.5),
         ("meeting_recency", 0.1, 90.0)]
    with session_scope(rt.db()) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "health_score_config")).one()
        assert (event.actor, event.entity_id, event.before["revenue_trend"]["weight"]) == ("admin@x.com", "3", 0.32)
    stale = _health_save(client, good, 2, "admin@x.com")
    assert "changed by someone else — reload" in json.dumps(stale, ensure_ascii=False) and versions() == 3


def _profile_save(client, values: dict, version, email: str, customer_id: str = "101"):
    fields = ("tier", "owner", "contract_start", "contract_end", "notes")
    outputs = [{"id": "customer-profile-modal", "property": "is_open"},
               [{"id": _pattern("customer-profile-feedback", f), "property": "children"} for f in fields],
               {"id": "customer-profile-message", "property": "children"},
               {"id": "customer-detail", "property": "children"}, {"id": "customer-detail-more", "property": "children"}]
    state = [[{"id": _pattern("customer-profile-field", f), "property": "value", "value": values.get(f)} for f in fields],
             {"id": "customer-profile-version", "property": "data", "value": version},
             {"id": "customer-id", "property": "data", "value": customer_id}]
    return post_callback(client, "customer-profile-save", "n_clicks",
                         [{"id": "customer-profile-save", "property": "n_clicks", "value": 1}], state, outputs=outputs,
                         **_as(email))


def test_rnw207_only_managers_and_admins_edit_a_customers_profile(proxy):
    from data_access.db import CustomerProfile

    client, rt = proxy

    def profile():
        with session_scope(rt.db()) as s:
            p = s.get(CustomerProfile, "101")
            return p.version, p.tier, p.contract_end

    version = profile()[0]
    refused = _profile_save(client, {"tier": "Strategic"}, version, "viewer@x.com")
    assert "Only managers and admins can edit a customer's profile." in refused.get_data(as_text=True)
    assert profile() == (version, None, None)
    bad = _profile_save(client, {"contract_start": "2027-01-01", "contract_end": "2026-01-01"}, version, "mgr@x.com")
    assert "the contract cannot end before it starts" in bad.get_data(as_text=True).lower()
    assert profile() == (version, None, None)
    saved = _profile_save(client, {"tier": "Strategic", "contract_end": "2027-03-31", "notes": "<b>VIP</b>"}, version,
                          "mgr@x.com").get_json()["response"]
    assert saved["customer-profile-modal"]["is_open"] is False
    assert "Tier Strategic" in json.dumps(saved["customer-detail"], ensure_ascii=False)
    assert '"children": "<b>VIP</b>"' in json.dumps(saved["customer-detail"], ensure_ascii=False)  # text
    import datetime as dt

    assert profile() == (version + 1, "Strategic", dt.date(2027, 3, 31))
    stale = _profile_save(client, {"tier": "SMB"}, version, "admin@x.com")
    assert "changed by someone else" in stale.get_data(as_text=True) and profile()[1] == "Strategic"


_profile_value = st.one_of(st.none(), st.text(max_size=12),
                           st.sampled_from(["2026-02-30", "2027-01-31", "1999-01-01", "Enterprise", " ", "<b>x</b>"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({f: _profile_value for f in ("tier", "owner", "contract_start", "contract_end",
                                                           "notes")}))
def test_rnw208_any_profile_form_is_saved_whole_or_refused_with_a_message(proxy, values):
    from data_access.db import CustomerProfile

    client, rt = proxy
    with session_scope(rt.db()) as s:
        before = s.get(CustomerProfile, "102")
        version, kept = before.version, (before.tier, before.owner, before.contract_start, before.contract_end)
    r = _profile_save(client, values, version, "mgr@x.com", customer_id="102")
    assert r.status_code == 200
    body = r.get_json()["response"]
    with session_scope(rt.db()) as s:
        after = s.get(CustomerProfile, "102")
        if "Nothing saved" in json.dumps(body, ensure_ascii=False):
            assert after.version == version and (after.tier, after.owner, after.contract_start,
                                                 after.contract_end) == kept
        else:
            assert body["customer-profile-modal"]["is_open"] is False
            assert after.contract_end is None or after.contract_start is None or after.contract_end >= after.contract_start
            assert after.tier is None or (after.tier.strip() and len(after.tier) <= 50)
