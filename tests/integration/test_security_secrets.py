"""No secret in any HTTP response, signed in as an admin in password mode: every page, the Dash layout and
dependencies, every server callback (for every metric, view and page) and every API response.

Secrets: the session secret key, the users file's password hashes, the Redis password and the
SimpleFIN access URL — each a canary value."""
from __future__ import annotations

import json
from urllib.parse import quote

import dash
import pytest

from data_access.metrics import display_frame  # noqa: F401  (the API's own formatting is exercised below)
from tests.fixtures.auth_files import PASSWORDS, SECRET_KEY, auth_runtime, password_hashes, post_callback, save_request
from tests.integration.conftest import RedisServer

REDIS_SECRET = "Redis-Secret-Canary-6602"
SFIN_SECRET = "Sfin-Secret-Canary-4417"
SMARTLEAD_SECRET = "Smartlead-Secret-Canary-5518"
DIMS = ("owner", "segment", "start", "end")


@pytest.fixture
def admin(tmp_path, swap_runtime, pulse_app):
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis", password=REDIS_SECRET).start()
    sfin = f"http://pulse:{quote(SFIN_SECRET)}@127.0.0.1:9/simplefin"  # nothing listens on port 9
    rt = auth_runtime(tmp_path, "password", refresh=True, redis_url=server.url, simplefin_access_url=sfin,
                      smartlead_api_key=SMARTLEAD_SECRET, smartlead_base_url="http://127.0.0.1:9/api/v1")
    swap_runtime(rt)
    client = pulse_app.server.test_client()
    r = client.post("/login", data={"email": "admin@x.com", "password": PASSWORDS["admin@x.com"]})
    assert r.status_code == 302
    yield client, rt
    server.stop()


def _secrets() -> list[str]:
    out = [SECRET_KEY, REDIS_SECRET, SFIN_SECRET, quote(SFIN_SECRET), SMARTLEAD_SECRET]
    for h in password_hashes().values():
        out += [h, h.rsplit("$", 1)[-1], h.rsplit("$", 2)[-2]]  # the whole hash, its digest, its salt
    return out


class Crawl:
    """Builds renderer-shaped callback requests from ``/_dash-dependencies`` for a scenario
    (metric, view, page) and records every response."""

    def __init__(self, client, rt):
        self.client, self.rt = client, rt
        self.bodies: dict[str, str] = {}
        self.statuses: dict[str, int] = {}
        from data_access.target_store import form_values
        from data_access.target_form import shown_band, shown_input

        today = rt.today()  # the form's values as the inputs hold them (USD as text: "2,000")
        self.form = {m.id: (shown_input(m, form_values(m, rt.targets().targets, today).target),
                            shown_band(form_values(m, rt.targets().targets, today).yellow_band))
                     for m in rt.catalog.metrics.values()}

    def expand(self, pattern: dict, sc: dict) -> list[dict]:
        kind = pattern.get("type")
        if kind in ("settings-target", "settings-band", "settings-hint"):
            return [{"type": kind, "metric": m} for m in self.rt.catalog.metrics]
        if kind == "kpi-card":
            return [{"type": kind, "metric": m.id} for m in self.rt.catalog.metrics_on(sc["page_id"])]
        if kind in ("kpi-grid", "grid-interval", "delta-period", "page-as-of"):
            return [{"type": kind, "page": sc["page_id"]}]
        if kind == "drilldown-table":
            return [{"type": kind, "view": sc["view"]}]
        if kind == "filter-col":
            return [{"type": kind, "dim": d} for d in DIMS]
        return []  # drill-graph, crumb: none on screen

    def value(self, ident, prop: str, sc: dict):
        if isinstance(ident, dict):
            if ident["type"] == "settings-target":
                return self.form[ident["metric"]][0]
            if ident["type"] == "settings-band":
                return self.form[ident["metric"]][1]
            if ident["type"] == "kpi-card":
                return 1 if ident["metric"] == sc["metric"] else 0
            if ident["type"] == "delta-period":
                return "month"
            return 1 if prop in ("n_clicks", "n_intervals") else None
        table = {("settings-effective", "value"): "2026-11-01",
                 ("drilldown-state", "data"): {"metric": sc["metric"], "view": sc["view"]},
                 ("drilldown-tabs", "active_tab"): sc["view"],
                 ("filter-rep", "value"): [], ("filter-segment", "value"): [],
                 ("_pages_location", "pathname"): sc["path"], ("_pages_location", "search"): "",
                 ("auth-corner", "id"): "auth-corner", ("drilldown-modal", "is_open"): True}
        if (ident, prop) in table:
            return table[(ident, prop)]
        return 1 if prop in ("n_clicks", "n_intervals") else None

    def items(self, spec: dict, sc: dict, with_value: bool = True):
        ident, prop = spec["id"], spec["property"]
        if ident.startswith("{"):
            pattern = json.loads(ident)
            concrete = self.expand(pattern, sc)
            make = (lambda c: {"id": c, "property": prop, "value": self.value(c, prop, sc)}) if with_value else \
                (lambda c: {"id": c, "property": prop})
            if any(v == ["MATCH"] for v in pattern.values()):
                return make(concrete[0])
            return [make(c) for c in concrete]
        return {"id": ident, "property": prop, **({"value": self.value(ident, prop, sc)} if with_value else {})}

    def outputs(self, output: str, sc: dict):
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        outs = []
        for part in parts:
            ident, prop = part.rsplit(".", 1)
            outs.append(self.items({"id": ident, "property": prop.split("@")[0]}, sc, with_value=False))
        return outs if output.startswith("..") else outs[0]

    def run(self, dep: dict, sc: dict) -> None:
        body = {"output": dep["output"], "outputs": self.outputs(dep["output"], sc),
                "inputs": [self.items(i, sc) for i in dep["inputs"]],
                "state": [self.items(s, sc) for s in dep["state"]],
                "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
        name = f"{dep['output'][:60]} {sc['metric']}/{sc['view']} {sc['path']}"
        r = self.client.post("/_dash-update-component", json=body)
        self.bodies[name] = r.get_data(as_text=True) + json.dumps(dict(r.headers))
        self.statuses[name] = r.status_code


def test_sec101_no_secret_in_any_response_signed_in_as_admin(admin):
    client, rt = admin
    # a real change first, so the history and audit log have something to show
    inputs, state = save_request({"win_rate": (35, 15)})
    saved = post_callback(client, "settings-save", "n_clicks", inputs, state)
    assert "Saved 1 change" in saved.get_data(as_text=True)

    bodies: dict[str, str] = {}
    pages = [p["relative_path"] for p in dash.page_registry.values()]
    for path in ["/", "/login", "/_dash-layout", "/_dash-dependencies", "/api/metrics", "/api/status", "/healthz",
                 *pages]:
        r = client.get(path)
        assert r.status_code in (200, 302), path
        bodies[path] = r.get_data(as_text=True) + json.dumps(dict(r.headers))
    for metric in rt.catalog.metrics.values():
        bodies[f"api {metric.id}"] = client.get(f"/api/metrics/{metric.id}").get_data(as_text=True)
        for view in metric.views:
            for fmt in ("json", "csv"):
                r = client.get(f"/api/metrics/{metric.id}/views/{view.id}?format={fmt}")
                bodies[f"api {metric.id}/{view.id}.{fmt}"] = r.get_data(as_text=True)

    crawl = Crawl(client, rt)
    page_ids = {p.path: pid for pid, p in rt.catalog.pages.items()}
    scenarios = [{"metric": m.id, "view": v.id, "path": rt.catalog.pages[m.page].path, "page_id": m.page}
                 for m in rt.catalog.metrics.values() for v in (m.views or [])]
    scenarios += [{"metric": "win_rate", "view": "win_rate_by_rep", "path": p, "page_id": page_ids.get(p, "company_health")}
                  for p in pages]
    deps = [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    for dep in deps:
        for sc in scenarios:
            crawl.run(dep, sc)
    bodies.update(crawl.bodies)

    # the crawl really rendered data, settings and history
    everything = "\n".join(bodies.values())
    assert "Deal 1" in everything and "Acme Drinks" in everything
    assert "admin@x.com" in everything and "target 30.0% \\u2192 35.0%" in everything
    assert "settings-target" in everything and "Only admins" not in everything
    # most callbacks answered (204: one that had nothing to do — PreventUpdate, e.g. a form's buttons
    # re-rendered without a click; the crawl's made-up inputs make a few of the form callbacks fail)
    ok = sum(1 for s in crawl.statuses.values() if s in (200, 204))
    assert len(deps) >= 15 and ok >= 0.9 * len(crawl.statuses), {k: v for k, v in crawl.statuses.items()
                                                                  if v not in (200, 204)}

    for name, text in bodies.items():
        for secret in _secrets():
            assert secret not in text, f"secret leaked in {name}"
    assert len(bodies) > 300
