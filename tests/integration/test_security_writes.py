"""Writes are decided on the server: hand-made callback POSTs from viewers and managers change nothing."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auth
from data_access.target_store import audit_path, section_revision
from data_access.targets import SupportSlaTargets
from tests.fixtures.auth_files import Recorder, auth_runtime, post_callback, refresh_page, save_request

TRUSTED_IP = "10.1.2.3"
SAVE_90 = {"win_rate": (90, 15)}
REFRESH = ([{"id": "refresh-now", "property": "n_clicks", "value": 1}],
           [{"id": "drilldown-state", "property": "data", "value": {"metric": "win_rate"}}])


@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    rt = auth_runtime(tmp_path, "proxy")
    rt.coordinator = Recorder()
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _as(email):
    return {"environ_base": {"REMOTE_ADDR": TRUSTED_IP}, "headers": {"X-Forwarded-Email": email}}


def _files(rt) -> tuple[bytes, bytes | None]:
    audit = audit_path(rt.settings.targets_path)
    return rt.settings.targets_path.read_bytes(), audit.read_bytes() if audit.exists() else None


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt001_non_admin_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    inputs, state = save_request(SAVE_90)
    r = post_callback(client, "settings-save", "n_clicks", inputs, state, **_as(email))
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert body["settings-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-message"}  # the form, history and file status are not touched
    assert _files(rt) == before and before[1] is None
    assert rt.targets().targets.metrics == {}


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt002_non_admin_refresh_now_is_refused(proxy, email):
    client, rt = proxy
    before = _files(rt)
    r = post_callback(client, "refresh-now", "n_clicks", *REFRESH, **_as(email))
    assert r.status_code == 200
    assert r.get_json()["response"]["refresh-notice"]["children"] == "Only admins can request a refresh."
    assert rt.coordinator.requests == [] and _files(rt) == before


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt003_non_admin_reads_of_settings_are_refused(proxy, email):
    client, rt = proxy
    (rt.settings.targets_path.parent / "audit.jsonl").write_text(
        json.dumps({"at": "2026-11-21T10:00:00Z", "user": "secret-admin@x.com", "metric": "win_rate",
                    "effective_from": "2026-11-01", "old": {"target": 0.3}, "new": {"target": 0.4}}) + "\n")
    history = post_callback(client, "settings-interval", "n_intervals",
                            [{"id": "settings-interval", "property": "n_intervals", "value": 1}], **_as(email))
    form = post_callback(client, "settings-effective", "value",
                         [{"id": "settings-effective", "property": "value", "value": "2026-11-01"}], **_as(email))
    page = post_callback(client, "_pages_location", "pathname",
                         [{"id": "_pages_location", "property": "pathname", "value": "/settings"},
                          {"id": "_pages_location", "property": "search", "value": ""}], **_as(email))
    for r in (history, form, page):
        assert r.status_code == 200 and "secret-admin@x.com" not in r.get_data(as_text=True)
    assert "Settings are for admins." in page.get_data(as_text=True)
    assert "Only admins can change targets." in form.get_data(as_text=True)
    layout = client.get("/_dash-layout", **_as(email)).get_data(as_text=True)
    assert "settings" not in layout.lower()  # no Settings link


def test_wrt004_admin_save_and_refresh_work(proxy):
    client, rt = proxy
    inputs, state = save_request(SAVE_90)
    r = post_callback(client, "settings-save", "n_clicks", inputs, state, **_as("admin@x.com"))
    assert "Saved 1 change (Win Rate (90 days)), applying from November 2026." in r.get_data(as_text=True)
    assert rt.targets().targets.metrics["win_rate"].target == 0.9
    audit = [json.loads(x) for x in audit_path(rt.settings.targets_path).read_text().splitlines()]
    assert [(a["user"], a["metric"], a["old"], a["new"]) for a in audit] == [
        ("admin@x.com", "win_rate", {"target": 0.3}, {"target": 0.9})]
    r = post_callback(client, "refresh-now", "n_clicks", *REFRESH, **_as("admin@x.com"))
    assert rt.coordinator.requests == ["win_rate"] and "Refresh requested" in r.get_data(as_text=True)
    # the history lists the change for admins
    history = post_callback(client, "settings-interval", "n_intervals",
                            [{"id": "settings-interval", "property": "n_intervals", "value": 1}], **_as("admin@x.com"))
    text = history.get_data(as_text=True)
    assert "admin@x.com" in text and "target 30.0% \\u2192 90.0%" in text


def test_wrt005_cross_site_save_by_an_admin_is_refused(proxy):
    client, rt = proxy
    before = _files(rt)
    inputs, state = save_request(SAVE_90)
    kw = _as("admin@x.com")
    kw["headers"]["Origin"] = "https://evil.example"
    r = post_callback(client, "settings-save", "n_clicks", inputs, state, **kw)
    assert r.status_code == 403 and _files(rt) == before


@pytest.mark.parametrize("state_patch, message", [
    ({"effective": "2020-01-01"}, "Choose the month the change applies from."),
    ({"effective": None}, "Choose the month the change applies from."),
    ({"values": {"no_such_metric": (1, 1)}}, "The form does not match the catalog; reload the page."),
    ({"values": {}}, "The form does not match the catalog; reload the page."),
])
def test_wrt006_malformed_save_requests_write_nothing(proxy, state_patch, message):
    client, rt = proxy
    before = _files(rt)
    inputs, state = save_request(state_patch.get("values", SAVE_90), state_patch.get("effective", "2026-11-01"))
    r = post_callback(client, "settings-save", "n_clicks", inputs, state, **_as("admin@x.com"))
    assert message in r.get_data(as_text=True) and _files(rt) == before


AMOUNT_LIKE = re.compile(r"\s*\$?\s*[0-9.,]*\s*")  # may be a well-formed amount, which a USD target takes
JUNK = st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")), st.just(-1),
                 st.floats(min_value=1.01e12, max_value=1e300), st.integers(min_value=10**13, max_value=10**40),
                 st.text(max_size=10).filter(lambda s: not AMOUNT_LIKE.fullmatch(s)),
                 st.sampled_from(["1.2.3", "abc", "1e400", "12,34", "-5", "NaN", "$", "2,000,000,000,000"]),
                 st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metric=st.sampled_from(["win_rate", "revenue_ytd", "avg_deal_size", "sales_cycle_days", "nrr"]),
       bad=JUNK, field=st.sampled_from(["target", "band"]))
def test_wrt007_fuzzed_save_posts_by_an_admin_are_rejected(proxy, metric, bad, field):
    """NaN, ±inf, huge, negative, text (malformed amounts too), unicode, booleans, null, lists, objects in a
    hand-made Save POST:
    "Nothing saved" and a reason, the file and the audit log unchanged, the targets in force unchanged."""
    client, rt = proxy
    before, in_force = _files(rt), rt.targets().targets
    values = {metric: (bad, 10) if field == "target" else (50, bad)}
    inputs, state = save_request(values)
    # NaN and Infinity as JSON tokens, as a hand-made request may send them
    body = {"output": None, "outputs": None, "inputs": inputs, "state": state,
            "changedPropIds": ["settings-save.n_clicks"]}
    from tests.fixtures.auth_files import _outputs, dependency

    dep = dependency(client, "settings-save", "n_clicks", **_as("admin@x.com"))
    body["output"], body["outputs"] = dep["output"], _outputs(dep["output"])
    r = client.post("/_dash-update-component", data=json.dumps(body, allow_nan=True),
                    content_type="application/json", **_as("admin@x.com"))
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert "Nothing saved. Fix these first:" in text
    assert _files(rt) == before and rt.targets().targets == in_force


def test_wrt008_managers_drilldowns_start_on_their_team(proxy):
    """The callback that sets the rep filter of a newly opened drill-down answers a manager with their team."""
    client, rt = proxy
    refresh_page(rt)
    deps = client.get("/_dash-dependencies", **_as("mgr@x.com")).get_json()
    dep = next(d for d in deps if "filter-rep.value" in d["output"] and "@" not in d["output"].split("filter-rep.value")[1][:1])
    values = {("drilldown-state", "data"): {"metric": "win_rate", "view": "win_rate_by_rep", "nonce": "t1"},
              ("drilldown-tabs", "active_tab"): "win_rate_by_rep",
              ("drilldown-filters-ready", "data"): {"nonce": "t1", "view": "win_rate_by_rep"}}

    def item(spec):
        return {"id": spec["id"], "property": spec["property"], "value": values.get((spec["id"], spec["property"]))}

    def outputs():
        from tests.fixtures.auth_files import _outputs

        outs = _outputs(dep["output"])
        outs = outs if isinstance(outs, list) else [outs]
        return [o if not o["id"].startswith("{") else
                [{"id": {"type": "filter-col", "dim": d}, "property": "style"} for d in ("owner", "segment", "start", "end")]
                for o in outs]

    def rep_value(email):
        body = {"output": dep["output"], "outputs": outputs() if dep["output"].startswith("..") else outputs()[0],
                "inputs": [item(i) for i in dep["inputs"]], "state": [item(s) for s in dep["state"]],
                "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
        r = client.post("/_dash-update-component", json=body, **_as(email))
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        return r.get_json()["response"]["filter-rep"]["value"]

    assert rep_value("mgr@x.com") == [11]
    assert rep_value("viewer@x.com") == []
    assert rep_value("admin@x.com") == []


def test_wrt009_has_role_orders_roles():
    assert auth.User("a@x.com", "admin").can("manager") and auth.User("m@x.com", "manager").can("viewer")
    assert not auth.User("v@x.com", "viewer").can("manager") and not auth.User("m@x.com", "manager").can("admin")


def test_wrt010_a_revenue_plan_change_asks_for_pipeline_coverage_to_be_recomputed(proxy):
    """The plan is a SQL parameter of Pipeline Coverage: saving it queues that metric's refresh now."""
    client, rt = proxy
    inputs, state = save_request({"revenue_ytd": (3000, 10)})
    r = post_callback(client, "settings-save", "n_clicks", inputs, state, **_as("admin@x.com"))
    text = json.dumps(r.get_json()["response"]["settings-message"])
    assert "Pipeline Coverage is being recomputed with the new plan" in text
    assert rt.coordinator.requests == ["pipeline_coverage"]
    assert rt.targets().targets.revenue_plan.entry_on(rt.today()).monthly_usd == 3000
    inputs, state = save_request({"win_rate": (35, 15)})  # any other target: nothing to recompute
    post_callback(client, "settings-save", "n_clicks", inputs, state, **_as("admin@x.com"))
    assert rt.coordinator.requests == ["pipeline_coverage"]


def _usd_request(save: str, kind: str, key: str, values: dict[str, object], effective: str) -> tuple[list, list]:
    """``inputs`` and ``state`` of a Settings save callback over USD inputs ``{"type": kind, key: …}``."""
    fields = [{"id": {"type": kind, key: k}, "property": "value", "value": v} for k, v in values.items()]
    return ([{"id": save, "property": "n_clicks", "value": 1}],
            [fields, {"id": "settings-effective", "property": "value", "value": effective}])


def quota_request(values: dict[str, object], effective: str = "2026-11-01") -> tuple[list, list]:
    """``inputs`` and ``state`` of the Save quotas callback for ``{owner id: value}``."""
    return _usd_request("settings-quotas-save", "settings-quota", "owner", values, effective)


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt011_non_admin_quota_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    r = post_callback(client, "settings-quotas-save", "n_clicks", *quota_request({"11": 5000}), **_as(email))
    body = r.get_json()["response"]
    assert body["settings-quotas-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-quotas-message"}
    assert _files(rt) == before and rt.targets().targets.revenue_plan.rep_quarter_quotas(rt.today()) == {}
    form = post_callback(client, "settings-effective", "value",
                         [{"id": "settings-effective", "property": "value", "value": "2026-11-01"}],
                         output="settings-quotas.children", **_as(email))
    assert "Only admins can change targets." in form.get_data(as_text=True)


def test_wrt012_an_admin_sets_a_reps_quota_and_coverage_by_rep_uses_it(proxy):
    client, rt = proxy
    refresh_page(rt)
    admin = _as("admin@x.com")
    form = post_callback(client, "settings-effective", "value",
                         [{"id": "settings-effective", "property": "value", "value": "2026-11-01"}],
                         output="settings-quotas.children", **admin).get_data(as_text=True)
    assert "Ana Lopez" in form and "no quota" in form and '"owner":"11"' in form

    bad = post_callback(client, "settings-quotas-save", "n_clicks", *quota_request({"11": -5, "12": "x"}), **admin)
    assert "Nothing saved" in bad.get_data(as_text=True) and not rt.settings.targets_path.with_name("audit.jsonl").exists()

    bad = post_callback(client, "settings-quotas-save", "n_clicks", *quota_request({"11": "4.000,00"}), **admin)
    assert "Nothing saved" in bad.get_data(as_text=True) and "Ana Lopez: Not an amount" in bad.get_data(as_text=True)
    r = post_callback(client, "settings-quotas-save", "n_clicks", *quota_request({"11": "$4,000", "12": ""}), **admin)
    assert "Saved 1 quota change, applying from November 2026." in r.get_data(as_text=True)
    assert '"value":"4,000"' in json.dumps(r.get_json()["response"]["settings-quotas"], separators=(",", ":"))
    assert "quota of Ana Lopez none \\u2192 $4.00K" in r.get_data(as_text=True)  # the history, by name
    assert rt.targets().targets.revenue_plan.rep_quarter_quotas(rt.today()) == {11: 4000}
    audit = [json.loads(x) for x in audit_path(rt.settings.targets_path).read_text().splitlines()]
    assert [(a["user"], a["metric"], a["new"]) for a in audit] == [
        ("admin@x.com", "pipeline_coverage", {"rep_quotas": {"11": 4000.0}})]

    rows = client.get("/api/metrics/pipeline_coverage/views/coverage_by_rep", **admin).get_json()["rows"]
    ana = next(row for row in rows if row["owner_id"] == 11)
    assert ana["quota_usd"] == 4000.0 and ana["remaining_quota_usd"] == 4000.0 - ana["won_qtd_usd"]
    assert all(row["quota_usd"] is None for row in rows if row["owner_id"] != 11)


def plan_request(values: dict[str, object], effective: str = "2026-11-01") -> tuple[list, list]:
    """``inputs`` and ``state`` of the Save plan callback for ``{YYYY-MM: value}``."""
    return _usd_request("settings-plan-save", "settings-plan-month", "month", values, effective)


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt014_non_admin_plan_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    r = post_callback(client, "settings-plan-save", "n_clicks", *plan_request({"2026-12": 9000}), **_as(email))
    body = r.get_json()["response"]
    assert body["settings-plan-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-plan-message"}
    assert _files(rt) == before and rt.coordinator.requests == []
    form = post_callback(client, "settings-effective", "value",
                         [{"id": "settings-effective", "property": "value", "value": "2026-11-01"}],
                         output="settings-plan.children", **_as(email))
    assert "Only admins can change targets." in form.get_data(as_text=True)
    # the inline validation callbacks answer a non-admin with nothing (and no server error)
    month = {"id": {"type": "settings-plan-month", "month": "2026-12"}, "property": "value", "value": 5}
    pattern = '{"month":["ALL"],"type":"settings-plan-month"}'  # how /_dash-dependencies names the input
    checked = post_callback(client, pattern, "value", [[month]], output="settings-plan-save.disabled",
                            outputs=[[{"id": {"type": "settings-plan-month", "month": "2026-12"}, "property": "invalid"}],
                                     [{"id": {"type": "settings-plan-hint", "month": "2026-12"}, "property": "children"}],
                                     {"id": "settings-plan-save", "property": "disabled"}], **_as(email))
    assert checked.status_code == 200 and checked.get_json()["response"] == {"settings-plan-save": {"disabled": True}}


def test_wrt015_an_admin_sets_a_months_plan_and_revenue_by_month_uses_it(proxy):
    client, rt = proxy
    refresh_page(rt)
    admin = _as("admin@x.com")
    monthly = rt.targets().targets.revenue_plan.monthly_usd
    form = post_callback(client, "settings-effective", "value",
                         [{"id": "settings-effective", "property": "value", "value": "2026-11-01"}],
                         output="settings-plan.children", **admin).get_data(as_text=True)
    assert form.count('"type":"settings-plan-month"') == 12  # November 2026 … October 2027
    assert '"month":"2026-11"' in form and '"month":"2027-10"' in form and "(monthly plan)" in form

    bad = post_callback(client, "settings-plan-save", "n_clicks", *plan_request({"2026-12": -5, "2027-01": "x"}),
                        **admin)
    assert "Nothing saved" in bad.get_data(as_text=True) and "Dec 2026: Money can" in bad.get_data(as_text=True)
    assert not audit_path(rt.settings.targets_path).exists()
    outside = post_callback(client, "settings-plan-save", "n_clicks", *plan_request({"2026-10": 5}), **admin)
    assert "Nothing saved: month &#x27;2026-10&#x27;" in outside.get_data(as_text=True) \
        or "Nothing saved: month '2026-10'" in outside.get_json()["response"]["settings-plan-message"]["children"][
            "props"]["children"]

    malformed = post_callback(client, "settings-plan-save", "n_clicks", *plan_request({"2026-12": "1.2.3"}), **admin)
    assert "Dec 2026: Not an amount: write it like 2,000,000 or 1,234.50." in malformed.get_data(as_text=True)
    assert not audit_path(rt.settings.targets_path).exists()
    r = post_callback(client, "settings-plan-save", "n_clicks",
                      *plan_request({"2026-11": None, "2026-12": f"{2 * monthly:,.0f}", "2027-01": " "}), **admin)
    text = r.get_data(as_text=True)
    assert "Saved the plan for 1 month (Dec 2026), applying from November 2026." in text
    shown = json.dumps(r.get_json()["response"]["settings-plan"], separators=(",", ":"))
    assert f'"value":"{2 * monthly:,.0f}"' in shown  # the month's plan shown back with separators
    assert rt.coordinator.requests == ["pipeline_coverage"]  # its SQL takes the quarter's plan
    plan = rt.targets().targets.revenue_plan
    assert plan.month_usd(2026, 12) == 2 * monthly and plan.month_usd(2026, 11) == monthly
    audit = [json.loads(x) for x in audit_path(rt.settings.targets_path).read_text().splitlines()]
    assert [(a["user"], a["metric"], a["old"], a["new"]) for a in audit] == [
        ("admin@x.com", "revenue_ytd", {"plan_months": {"2026-12": monthly}}, {"plan_months": {"2026-12": 2 * monthly}})]
    rows = client.get("/api/metrics/revenue_ytd/views/revenue_by_month", **admin).get_json()["rows"]
    targets = {row["month"][:7]: row["target_usd"] for row in rows}
    assert targets.get("2026-10") == monthly  # the months around it keep the monthly plan…
    assert targets.get("2026-11") == pytest.approx(monthly * 21 / 30)  # …the as-of month pro-rated (Nov 21)
    again = post_callback(client, "settings-plan-save", "n_clicks", *plan_request({"2026-12": 2 * monthly}), **admin)
    assert "No changes to save." in again.get_data(as_text=True)


def test_wrt016_reset_fills_the_shipped_defaults_and_saves_nothing(proxy):
    client, rt = proxy
    before = _files(rt)
    outputs = [[{"id": {"type": "settings-target", "metric": "win_rate"}, "property": "value"}],
               [{"id": {"type": "settings-band", "metric": "win_rate"}, "property": "value"}],
               [{"id": {"type": "settings-quota", "owner": "11"}, "property": "value"}],
               [{"id": {"type": "settings-plan-month", "month": "2026-12"}, "property": "value"}],
               [{"id": {"type": "settings-rep-target", "owner": "11"}, "property": "value"}],
               {"id": "settings-message", "property": "children"}]
    state = [{"id": "settings-effective", "property": "value", "value": "2026-11-01"},
             {"id": "settings-rep-metric", "property": "value", "value": "win_rate"}]
    body = post_callback(client, "settings-reset", "n_clicks", [{"id": "settings-reset", "property": "n_clicks",
                                                                 "value": 1}],
                         state, outputs=outputs, **_as("admin@x.com")).get_json()["response"]
    from data_access.target_store import default_targets

    shipped = default_targets().revenue_plan.entry_on(dt.date(2026, 11, 1))
    values = {k: v["value"] for k, v in body.items() if "value" in v}  # pattern outputs, keyed by their id
    assert values['{"metric":"win_rate","type":"settings-target"}'] == 30  # the catalog's 30 %, shown in percent
    from components import formatting

    assert values['{"owner":"11","type":"settings-quota"}'] == formatting.usd_input(shipped.rep_quotas.get("11"))
    assert values['{"month":"2026-12","type":"settings-plan-month"}'] == formatting.usd_input(
        shipped.months.get("2026-12"))  # amounts as the text fields show them: "2,000,000"
    assert values['{"owner":"11","type":"settings-rep-target"}'] is None  # no shipped rep target: the metric's
    assert "Defaults filled in" in str(body["settings-message"])
    assert _files(rt) == before  # filling the form writes nothing
    viewer = post_callback(client, "settings-reset", "n_clicks", [{"id": "settings-reset", "property": "n_clicks",
                                                                   "value": 1}],
                           state, outputs=outputs, **_as("viewer@x.com")).get_json()["response"]
    assert set(viewer) == {"settings-message"}


def rep_target_request(values: dict[str, object], metric: str = "win_rate",
                       effective: str = "2026-11-01") -> tuple[list, list]:
    """``inputs`` and ``state`` of the Save rep targets callback for ``{owner id: value}`` (display units)."""
    inputs, state = _usd_request("settings-rep-targets-save", "settings-rep-target", "owner", values, effective)
    return inputs, [state[0], {"id": "settings-rep-metric", "property": "value", "value": metric}, state[1]]


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt017_non_admin_rep_target_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    r = post_callback(client, "settings-rep-targets-save", "n_clicks", *rep_target_request({"11": 50}), **_as(email))
    body = r.get_json()["response"]
    assert body["settings-rep-targets-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-rep-targets-message"} and _files(rt) == before


def test_wrt018_an_admin_sets_a_reps_win_rate_target_and_the_by_rep_view_uses_it(proxy):
    client, rt = proxy
    refresh_page(rt)
    admin = _as("admin@x.com")
    form = post_callback(client, "settings-rep-metric", "value",
                         [{"id": "settings-rep-metric", "property": "value", "value": "win_rate"},
                          {"id": "settings-effective", "property": "value", "value": "2026-11-01"}],
                         output="settings-rep-targets.children", **admin).get_json()
    form = json.dumps(form, ensure_ascii=False)
    assert "Ana Lopez" in form and "30.0% (the metric's target)" in form and '"owner": "11"' in form

    for bad, why in (({"11": 150}, "A percentage between 0 and 100."), ({"11": "x"}, "Must be a number.")):
        r = post_callback(client, "settings-rep-targets-save", "n_clicks", *rep_target_request(bad), **admin)
        assert "Nothing saved" in r.get_data(as_text=True) and why in r.get_data(as_text=True)
    other = post_callback(client, "settings-rep-targets-save", "n_clicks", *rep_target_request({"11": 5}, "nrr"),
                          **admin)
    assert "Choose a metric with per-rep targets." in other.get_data(as_text=True)
    assert not audit_path(rt.settings.targets_path).exists()

    r = post_callback(client, "settings-rep-targets-save", "n_clicks", *rep_target_request({"11": 80, "12": None}),
                      **admin)
    text = r.get_data(as_text=True)
    assert "Saved 1 Win Rate (90 days) rep target, applying from November 2026." in text
    history = json.dumps(r.get_json()["response"]["settings-history"], ensure_ascii=False)
    assert "target of Ana Lopez the metric's → 80.0%" in history  # the history, by name
    audit = [json.loads(x) for x in audit_path(rt.settings.targets_path).read_text().splitlines()]
    assert [(a["metric"], a["new"]) for a in audit] == [("win_rate", {"rep_targets": {"11": 0.8}})]
    rows = client.get("/api/metrics/win_rate/views/win_rate_by_rep", **admin).get_json()["rows"]
    ana = next(row for row in rows if row["owner_id"] == 11)
    assert ana["rep_target_rate"] == 0.8  # her own target; the others keep the metric's 30 %
    assert all(row["rep_target_rate"] == 0.3 for row in rows if row["owner_id"] != 11)
    assert ana["vs_target"] == ("On target" if ana["win_rate"] >= 0.8 else
                                "Near target" if ana["win_rate"] >= 0.8 * 0.85 else "Off target")


def test_wrt013_dash_validation_layout_holds_every_pages_ids_whoever_came_first(proxy, pulse_app):
    """Dash builds the validation layout it sends to every browser once, during the first request's own
    hooks: auth runs those hooks as an admin (layouts read no data), then the request is the user's."""
    client, rt = proxy
    hooks = [getattr(f, "__name__", "") for f in pulse_app.server.before_request_funcs[None]]
    assert hooks[0] == "_layout_pass_start" and hooks[-2:] == ["_layout_pass_end", "guard"]
    assert set(hooks[1:-2]) == {"_setup_server", "router_sync"}  # only Dash's first-request hooks in between

    import dash

    with pulse_app.server.test_request_context("/", **_as("viewer@x.com")):
        auth._layout_pass_start()  # what Dash's hooks see on a viewer's first request
        settings_page = next(p for p in dash.page_registry.values() if p["path"] == "/settings")
        skeleton = json.dumps(settings_page["layout"]().to_plotly_json(), default=lambda o: o.to_plotly_json())
        shell = json.dumps(pulse_app.layout().to_plotly_json(), default=lambda o: o.to_plotly_json())
        auth._layout_pass_end()
        assert not auth.has_role("admin") and auth.current_user().email == "viewer@x.com"  # then: the viewer
    for ident in ("settings-form", "settings-quotas", "settings-history", "settings-save", "settings-effective"):
        assert f'"{ident}"' in skeleton
    assert '"Settings"' in shell  # the navbar link, as an admin has it
    for ident in ("settings-form", "settings-quotas"):  # what this app sends, whoever came first
        assert f'"{ident}"' in json.dumps(pulse_app.validation_layout.to_plotly_json(),
                                          default=lambda o: o.to_plotly_json())
    r = post_callback(client, "settings-save", "n_clicks", *save_request(SAVE_90), **_as("viewer@x.com"))
    assert "Only admins can change targets." in r.get_data(as_text=True)


# ---------------------------------------------------------------- Settings › Support SLA and Company health

SUPPORT_SLA_METRICS = ["ticket_sla_compliance", "first_reply_time_hours"]  # their SQL reads the sla_ parameters


def _post_section(client, rt, section: str, save_id: str, fields: list[tuple[dict, object]], revision_id: dict,
                  email: str, revision=None):
    """POST a whole-section Save of Settings: ``fields`` (pattern id, value typed) and the form's revision
    store ``revision_id`` (``revision``; default the fingerprint of ``section`` in force)."""
    state = [[{"id": ident, "property": "value", "value": v} for ident, v in fields],
             [{"id": revision_id, "property": "data",
               "value": revision if revision is not None else section_revision(rt.targets().targets, section)}]]
    inputs = [{"id": save_id, "property": "n_clicks", "value": 1}]
    r = post_callback(client, save_id, "n_clicks", inputs, state, **_as(email))
    assert r.status_code == 200
    return r.get_json()["response"]


def _save_sla(client, rt, hours: dict, email: str, revision=None):
    """POST the Save with the defaults and ``hours`` ((priority, part) → value) typed over them."""
    typed = {(p, part): v for p, row in SupportSlaTargets().model_dump().items() for part, v in row.items()}
    typed.update(hours)
    fields = [({"type": "settings-sla-field", "priority": p, "part": part}, v) for (p, part), v in typed.items()]
    return _post_section(client, rt, "support_sla_targets", "settings-sla-save", fields,
                         {"type": "settings-sla-revision", "form": "sla"}, email, revision)


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_wrt019_sla_non_admin_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    body = _save_sla(client, rt, {("urgent", "first_reply_hours"): 2}, email)
    assert body["settings-sla-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-sla-message"}
    assert _files(rt) == before and rt.coordinator.requests == []
    assert rt.targets().targets.support_sla_targets == SupportSlaTargets()


def test_wrt020_sla_admin_saves_recomputes_and_bad_input_loses_nothing(proxy):
    client, rt = proxy
    body = _save_sla(client, rt, {("high", "first_reply_hours"): 2.5}, "admin@x.com")
    message = str(body["settings-sla-message"])
    assert "Saved the support SLA targets" in message and "recomputed with the new SLA targets" in message
    assert rt.targets().targets.support_sla_targets.high.first_reply_hours == 2.5
    assert sorted(rt.coordinator.requests) == sorted(SUPPORT_SLA_METRICS)
    assert "high first reply 2 h → 2.5 h" in str(body["settings-history"])
    before = _files(rt)
    for hours, problem in (({("low", "first_reply_hours"): "abc"}, "Low first reply: Must be a number."),
                           ({("urgent", "resolution_hours"): 0.5}, "Urgent: the resolution target"),
                           ({("normal", "first_reply_hours"): -1}, "Normal first reply: Business hours above 0")):
        text = str(_save_sla(client, rt, {("high", "first_reply_hours"): 2.5, **hours}, "admin@x.com")["settings-sla-message"])
        assert "Nothing saved" in text and problem in text
        assert _files(rt) == before
    body = _save_sla(client, rt, {("high", "first_reply_hours"): 3}, "admin@x.com", revision="stale-0000000000")
    assert "changed by someone else" in str(body["settings-sla-message"])
    assert _files(rt) == before and rt.targets().targets.support_sla_targets.high.first_reply_hours == 2.5


def _save_weights(client, rt, weights: dict, email: str, revision=None):
    fields = [({"type": "settings-health-weight", "metric": m}, v) for m, v in weights.items()]
    return _post_section(client, rt, "health_score_weights", "settings-health-weights-save", fields,
                         {"type": "settings-health-weights-revision", "form": "health"}, email, revision)


ALL_ZERO = {m: 0 for m in ("contract_spend_pct", "pipeline_coverage", "win_rate", "ticket_sla_compliance", "csat_score")}


def test_wrt021_health_weights_admin_only_validated_and_recomputed(proxy):
    client, rt = proxy
    before = _files(rt)
    body = _save_weights(client, rt, {"win_rate": 3}, "viewer@x.com")
    assert set(body) == {"settings-health-weights-message"} and _files(rt) == before
    body = _save_weights(client, rt, {"win_rate": 3, "csat_score": "", "nrr": 5}, "admin@x.com")  # nrr: not offered
    assert "Saved the health score weights" in str(body["settings-health-weights-message"])
    assert rt.targets().targets.health_score_weights.weights == {"win_rate": 3}
    assert rt.coordinator.requests == ["health_score"]
    assert "weight of Win Rate (90 days) default → 3" in str(body["settings-history"])
    assert "43%" in str(body["settings-health-weights"])  # 3 of 7: win rate's share in force
    before = _files(rt)
    for weights, problem in (({"win_rate": 11}, "Win Rate (90 days): A weight from 0 to 10."),
                             ({"win_rate": "x"}, "Win Rate (90 days): Must be a number."),
                             (ALL_ZERO, "at least one component needs a weight above 0")):
        text = str(_save_weights(client, rt, weights, "admin@x.com")["settings-health-weights-message"])
        assert "Nothing saved" in text and problem in text
        assert _files(rt) == before
    body = _save_weights(client, rt, {"win_rate": 1}, "admin@x.com", revision="stale-0000000000")
    assert "health score weights were changed by someone else" in str(body["settings-health-weights-message"])
    assert _files(rt) == before
