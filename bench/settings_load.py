"""Server time of opening Settings: the page's layout and the callbacks it fires on load (issue 20.8).

    .venv/bin/python bench/settings_load.py [--runs 30] [--duckdb PATH] [--history 100]

In-process (Flask test client, as in drilldown_latency.py, so the figures are server time: routing,
JSON decoding, the callback, Dash/Flask serialisation; no network, no drawing in a browser), as the
one local admin (``PULSE_AUTH_MODE=none``), on the scale-1 demo in ``var/bench/`` (as of 2026-11-21)
or, with ``--duckdb var/pulse.duckdb``, on the file ``make demo`` built (as of today):

  1. the Dash pages callback for ``/settings`` (it calls ``pages.settings.layout``);
  2. the callbacks the renderer fires for what that inserts, wave by wave: a callback fires when one
     of its inputs or outputs is among the components the previous wave inserted (not
     ``prevent_initial_call``), and waits while another of the wave outputs one of its inputs.
     Wave 1 fills the sections (targets form, revenue plan, quotas, rep targets, change history) and
     runs the inline validation with no rows yet; wave 2 validates the rows wave 1 inserted.

What the browser sends is recorded once by a load (the process's first: cold, printed apart) with
``load_test.MiniRenderer``'s state and request bodies, then replayed ``--runs`` times. Per load:
**serial** server time (the sum of its requests: what one web worker spends on it; the goal's
measure) and the **critical path** (layout + the slowest request of each wave: a browser sends a
wave's requests together, gunicorn may serve them in parallel). Callbacks shared by every page (the
navbar, the theme) are not counted.

The targets file is a temporary copy of ``targets/targets.json`` with ``--history`` changes saved
through the Settings' own save functions (targets, rep quotas, plan months, rotating), so Change
history holds that many rows (100 is all it shows) and the file has the entries they add. Only the
frames Settings reads are refreshed (the revenue plan metric; the by-rep views). Goal: Settings
load ≤ 500 ms. Not a test: nothing fails on the goal.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from load_test import MiniRenderer, _name  # noqa: E402

PATH = "/settings"
GOAL_S = 0.5


class PageLoad(MiniRenderer):
    """``MiniRenderer`` for a page load: records the pages callback's request and the waves of initial
    callbacks for the components the page inserts (the click flow of the load test is not used)."""

    def __init__(self, post, deps: list[dict], layout: dict, path: str):
        self.sent: list[tuple[str, bytes]] = []

        def recording_post(body: bytes):
            self.sent.append(("", body))
            return post(body)

        self.inserted: set[str] = set()
        super().__init__(recording_post, deps, layout, [], path)
        self.page_body = self.sent[0][1]
        self.post = post

    def _load_page(self, path: str) -> None:
        before = set(self.known_ids)
        super()._load_page(path)
        self.inserted = self.known_ids - before

    def _touches(self, dep: dict, ids: set[str]) -> bool:
        props = {i for i, _ in self._inputs_of(dep)} | {i for i, _ in self._outputs_of(dep)}
        plain_inputs = [it["id"] for it in dep["inputs"] if not it["id"].startswith("{")]
        return bool(props & ids) and all(i in self.known_ids for i in plain_inputs)

    def initial_waves(self, max_waves: int = 6) -> list[list[tuple[str, bytes]]]:
        """The waves of initial callbacks, each ``[(callback name, body)]``: a wave's bodies are built
        from the state before any of its responses (the renderer sends them together); the components
        its responses insert make the next wave."""
        waves, new = [], set(self.inserted)
        for _ in range(max_waves):
            pending = [i for i, d in enumerate(self.deps) if not d.get("prevent_initial_call") and self._touches(d, new)]
            if not pending:
                break
            outs = {i: self._outputs_of(self.deps[i]) for i in pending}
            ready = [i for i in pending if not any(self._inputs_of(self.deps[i]) & outs[j] for j in pending if j != i)]
            wave = [(_name(self.deps[i]), self._body(self.deps[i], [])) for i in ready or pending]  # initial calls
            new = set()
            for name, body in wave:
                status, resp = self.post(body)
                if status not in (200, 204):
                    raise RuntimeError(f"{name}: HTTP {status} {str(resp)[:300]}")
                for sid, props in ((resp or {}).get("response") or {}).items() if status == 200 else ():
                    for k, v in props.items():
                        if k == "children":
                            before = set(self.known_ids)
                            self._walk(v)
                            new |= self.known_ids - before
                        else:
                            self.state[(sid, k)] = v
            waves.append(wave)
        return waves


def seed_history(rt, n: int) -> dict[str, int]:
    """``n`` changes saved by the Settings' save functions (rotating: a metric's target, a rep's quota,
    a month's plan), so Change history and the targets file look like a Settings in use."""
    from data_access.target_store import (Edit, form_values, plan_months, save_edits, save_plan_months,
                                          save_rep_quotas)
    from pages.settings import quota_reps

    month = rt.today().replace(day=1)
    metrics = list(rt.catalog.metrics.values())
    reps = [int(o) for o, _, _ in quota_reps(rt.catalog, rt.store, rt.targets().targets, month)] or [1]
    kinds = {"target": 0, "quota": 0, "plan": 0}
    for k in range(n):
        targets, path = rt.targets().targets, rt.settings.targets_path
        if k % 3 == 0:
            m = metrics[k // 3 % len(metrics)]
            e = form_values(m, targets, month)
            save_edits(path, rt.catalog, {m.id: Edit(e.target * (1.01 if m.unit != "ratio" else 0.99), e.yellow_band)},
                       month, "bench@x.com", targets)
            kinds["target"] += 1
        elif k % 3 == 1:
            save_rep_quotas(path, rt.catalog, {reps[k % len(reps)]: 100_000.0 + 1_000 * k}, month, "bench@x.com",
                            targets)
            kinds["quota"] += 1
        else:
            key, usd, _ = plan_months(targets, month)[k % 12]
            save_plan_months(path, rt.catalog, {key: round(usd * 1.02, 2)}, month, "bench@x.com", targets)
            kinds["plan"] += 1
    from data_access.target_store import read_audit

    kinds["rows"] = len(read_audit(rt.settings.targets_path))
    return kinds


def settings_frames(catalog) -> list[str]:
    """The frames Settings reads: the revenue plan metric's value (its as-of date) and the by-rep views."""
    from data_access.target_store import plan_metric

    out = [m.query for m in catalog.metrics.values() if plan_metric(m)]
    out += [v.query for m in catalog.metrics.values() for v in m.views if v.quota_coverage or v.rep_target]
    return list(dict.fromkeys(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30, help="page loads measured after the first (default 30)")
    ap.add_argument("--duckdb", type=Path, default=None,
                    help="warehouse file (default: the scale-1 bench demo in var/bench/, built when missing)")
    ap.add_argument("--history", type=int, default=100, help="changes saved before measuring (default 100)")
    args = ap.parse_args(argv)

    C.quiet_logs()
    C.banner("settings_load: server time of opening Settings (layout + its initial callbacks)")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    from data_access import runtime as runtime_mod
    from data_access.config import Settings
    from data_access.runtime import Runtime
    from data_access.targets import SHIPPED_TARGETS

    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-settings-"))
    try:
        targets_path = tmp / "targets.json"
        shutil.copyfile(SHIPPED_TARGETS, targets_path)
        if args.duckdb is None:
            path, _ = C.ensure_demo(1)
            settings = C.demo_settings(path, targets_path=targets_path)
        else:
            path = args.duckdb.resolve()
            settings = Settings(duckdb_path=path, refresh_on_start=False, targets_path=targets_path)
        rt = Runtime.from_settings(settings)
        queries = settings_frames(rt.catalog)
        t = time.perf_counter()
        bad = [r for r in rt.refresh(queries=queries) if not r.ok]
        print(f"warehouse {path.relative_to(C.ROOT) if path.is_relative_to(C.ROOT) else path}, as of {rt.today()}; "
              f"refreshed {len(queries)} frames Settings reads in {time.perf_counter() - t:.1f} s"
              + (f" ({len(bad)} failed: {', '.join(r.query for r in bad)})" if bad else ""))
        runtime_mod.set_runtime(rt)

        import app as app_module

        app = app_module.create_app(start_scheduler=False)
        client = app.server.test_client()
        t = time.perf_counter()
        kinds = seed_history(rt, args.history)
        print(f"saved {args.history} changes first ({kinds['target']} targets, {kinds['quota']} quotas, "
              f"{kinds['plan']} plan months; {kinds['rows']} history rows) in {time.perf_counter() - t:.1f} s; targets file "
              f"{C.human_bytes(targets_path.stat().st_size)}", flush=True)

        def post(body: bytes):
            r = client.post("/_dash-update-component", data=body, content_type="application/json")
            return r.status_code, (r.get_json() if r.status_code == 200 else r.get_data(as_text=True))

        deps = client.get("/_dash-dependencies").get_json()
        layout = client.get("/_dash-layout").get_json()
        t = time.perf_counter()
        load = PageLoad(post, deps, layout, PATH)
        waves = load.initial_waves()
        first_s = time.perf_counter() - t
        if not any(name.startswith("settings-form.children") for wave in waves for name, _ in wave):
            print("the recorded load does not fill the targets form: is the local admin signed in?")
            return 1

        steps = [[("layout (pages callback)", load.page_body)]] + waves
        times: dict[tuple[int, str], list[float]] = {}
        sizes: dict[tuple[int, str], int] = {}
        serial, critical = [], []
        for _ in range(args.runs):
            total = path_s = 0.0
            for w, wave in enumerate(steps):
                slowest = 0.0
                for name, body in wave:
                    t = time.perf_counter()
                    r = client.post("/_dash-update-component", data=body, content_type="application/json")
                    took = time.perf_counter() - t
                    if r.status_code not in (200, 204):
                        print(f"{name}: HTTP {r.status_code}")
                        return 1
                    times.setdefault((w, name), []).append(took)
                    sizes[(w, name)] = len(r.data)
                    total += took
                    slowest = max(slowest, took)
                path_s += slowest
            serial.append(total)
            critical.append(path_s)

        n_requests = sum(len(w) for w in steps)
        C.table(["wave", "request", "p50 ms", "p95 ms", "response"],
                [[w, name, C.ms(C.pct(v, 50)), C.ms(C.pct(v, 95)), C.human_bytes(sizes[(w, name)])]
                 for (w, name), v in times.items()],
                title=f"Per request ({args.runs} loads; wave 0 = the layout)")
        C.table(["per load", "n", "p50 ms", "p95 ms", "max ms"],
                [["serial (sum of requests)", len(serial), C.ms(C.pct(serial, 50)), C.ms(C.pct(serial, 95)),
                  C.ms(max(serial))],
                 ["critical path (layout + slowest of each wave)", len(critical), C.ms(C.pct(critical, 50)),
                  C.ms(C.pct(critical, 95)), C.ms(max(critical))]],
                title=f"Settings load: {n_requests} requests in {len(steps)} steps; the first load of the process "
                      f"(recorded, cold) {first_s * 1000:.0f} ms")
        p95 = C.pct(serial, 95)
        print(f"\nGoal: Settings load ≤ {GOAL_S * 1000:.0f} ms (serial server time, p95) — "
              f"{'MET' if p95 <= GOAL_S else 'NOT MET'} ({p95 * 1000:.1f} ms)")
        print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        return 0
    finally:
        runtime_mod.set_runtime(None)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
