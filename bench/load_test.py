"""50 simulated users opening drill-downs against gunicorn (2 workers) + Redis + the worker.

    .venv/bin/python bench/load_test.py [--scale 1] [--users 50] [--period-s 2] [--duration-s 60]

Starts, on loopback only and on free ports: a redis-server, one ``python worker.py`` and
``gunicorn -w 2 app:server`` (both with ``PULSE_REDIS_URL``, the bench demo file and its as-of
date), waits until the worker has filled the cache (a refresh outcome in Redis for every frame of
the Company Health cards), then runs the users for exactly ``--duration-s`` seconds and stops every process it
started, by pid, also on failure or Ctrl-C.

A user opens a drill-down every ``--period-s`` seconds (first opens spread evenly over the first
period): a random Company Health card, as the browser does it. What a click sends is recorded
once per card before the clock starts by a small stand-in for dash-renderer (``MiniRenderer``:
state from ``/_dash-layout``, callbacks from ``/_dash-dependencies``, triggered in waves by the
props each response sets), so the flow follows the app's callbacks as they are today — e.g.
``open_drilldown``, then the header/tabs and filter callbacks, then ``render_view`` (the table and
chart). Users replay those requests wave by wave (each wave's requests concurrently).
With ``--flow body`` a user sends only ``render_view`` (one request per drill-down).
Latency is measured by the client (httpx, asyncio) on loopback.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
BODY = "drilldown-body.children"  # render_view: the table and chart of the active tab


# ------------------------------------------------------------------------------------------
# The renderer's requests for opening a drill-down (recorded once per card, then replayed)
# ------------------------------------------------------------------------------------------

def _sid(ident) -> str:
    """Dash's string form of a component id (dict ids: JSON with sorted keys, no spaces)."""
    return ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True, separators=(",", ":"))


def _parse_outputs(output: str) -> list[tuple[str, str]]:
    """``..a.b...c.d..`` / ``a.b`` → [(id string, property incl. any @hash)]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for p in parts:
        if p.startswith("{"):
            i = p.rindex("}")
            out.append((p[:i + 1], p[i + 2:]))
        else:
            ident, prop = p.split(".", 1)
            out.append((ident, prop))
    return out


def _is_pattern(ident: str) -> bool:
    return ident.startswith("{") and '["ALL"]' in ident.replace(" ", "")


def _matches(pattern: str, concrete: str) -> bool:
    if not (pattern.startswith("{") and concrete.startswith("{")):
        return False
    pat, con = json.loads(pattern), json.loads(concrete)
    return set(pat) == set(con) and all(v == ["ALL"] or con[k] == v for k, v in pat.items())


class MiniRenderer:
    """Just enough of dash-renderer to replay what a browser sends when a card is clicked.

    State starts from ``/_dash-layout`` (plus the cards); a click triggers the callbacks whose
    inputs changed, in waves: a triggered callback waits while another triggered one outputs one
    of its inputs (as the renderer does), each wave's requests go out together, and the props in
    the responses trigger the next wave. Clientside callbacks and callbacks fired by components
    inserted into the page are not replayed. The recorded waves are then replayed as they are.
    """

    def __init__(self, post, deps: list[dict], layout: dict, cards: list[str], path: str = "/"):
        self.post = post
        self.deps = [d for d in deps if not d.get("clientside_function")]
        self.state: dict[tuple[str, str], object] = {}
        self.known_ids: set[str] = set()
        self._walk(layout)
        self._load_page(path)
        for c in cards:  # normally in the page already
            cid = _sid({"metric": c, "type": "kpi-card"})
            if cid not in self.known_ids:
                self.known_ids.add(cid)
                self.state[(cid, "n_clicks")] = None

    def _load_page(self, path: str) -> None:
        """Dash pages render the page (cards, modal) by a callback on the URL: run it once."""
        dep = next((d for d in self.deps if "_pages_content.children" in d["output"]), None)
        if dep is None:
            return
        self.state[("_pages_location", "pathname")] = path
        self.state[("_pages_location", "search")] = self.state.get(("_pages_location", "search")) or ""
        changed = [f"_pages_location.{it['property']}" for it in dep["inputs"] if it["id"] == "_pages_location"]
        status, resp = self.post(self._body(dep, changed[:1] or ["_pages_location.pathname"]))
        if status != 200:
            raise RuntimeError(f"page {path}: HTTP {status} {str(resp)[:300]}")
        for sid, props in (resp.get("response") or {}).items():
            for k, v in props.items():
                if k == "children":
                    self._walk(v)
                else:
                    self.state[(sid, k)] = v

    def _walk(self, node) -> None:
        if isinstance(node, list):
            for n in node:
                self._walk(n)
        elif isinstance(node, dict) and "props" in node:
            props = node["props"]
            if "id" in props:
                sid = _sid(props["id"])
                self.known_ids.add(sid)
                for k, v in props.items():
                    if k != "children":
                        self.state[(sid, k)] = v
            self._walk(props.get("children"))

    def _ids(self, ident: str) -> list[str]:
        return sorted(i for i in self.known_ids if _matches(ident, i)) if _is_pattern(ident) else [ident]

    def _vals(self, items: list[dict]) -> list:
        out = []
        for it in items:
            ident = it["id"]
            if _is_pattern(ident):
                out.append([{"id": json.loads(i), "property": it["property"], "value": self.state.get((i, it["property"]))}
                            for i in self._ids(ident)])
            else:
                out.append({"id": ident, "property": it["property"], "value": self.state.get((ident, it["property"]))})
        return out

    def _inputs_of(self, dep) -> set[tuple[str, str]]:
        return {(i, it["property"]) for it in dep["inputs"] for i in self._ids(it["id"])}

    def _outputs_of(self, dep) -> set[tuple[str, str]]:
        return {(i, prop.split("@")[0]) for ident, prop in _parse_outputs(dep["output"]) for i in self._ids(ident)}

    def _subsequent(self, i: int) -> set[tuple[str, str]]:
        """Every prop callback ``i`` may change, directly or through the callbacks it triggers."""
        touched, frontier = set(), [i]
        seen = {i}
        while frontier:
            outs = set().union(*(self._outputs_of(self.deps[k]) for k in frontier)) - touched
            touched |= outs
            frontier = [k for k, d in enumerate(self.deps) if k not in seen and self._inputs_of(d) & outs]
            seen.update(frontier)
        return touched

    def _body(self, dep, changed: list[str]) -> bytes:
        outs = []
        for ident, prop in _parse_outputs(dep["output"]):
            if _is_pattern(ident):
                outs.append([{"id": json.loads(i), "property": prop} for i in self._ids(ident)])
            else:
                outs.append({"id": ident, "property": prop})
        return json.dumps({
            "output": dep["output"], "outputs": outs if dep["output"].startswith("..") else outs[0],
            "inputs": self._vals(dep["inputs"]), "changedPropIds": changed,
            "parsedChangedPropsIds": [json.loads(c[:c.rindex("}") + 1]) if c.startswith("{") else c for c in changed],
            "state": self._vals(dep["state"]) if dep["state"] else [],
        }).encode()

    def click(self, metric: str, max_waves: int = 8) -> list[list[tuple[str, bytes]]]:
        """Click a card; returns the waves of (callback name, body) the browser would send."""
        cid = _sid({"metric": metric, "type": "kpi-card"})
        self.state[(cid, "n_clicks")] = 1
        changed = {(cid, "n_clicks")}
        waves, pending = [], {}
        for _ in range(max_waves):
            for i, dep in enumerate(self.deps):
                hit = self._inputs_of(dep) & changed
                if hit:
                    pending.setdefault(i, set()).update(hit)
            if not pending:
                break
            # as dash-renderer's getReadyCallbacks: wait while another pending callback, or anything
            # downstream of it, may still change one of your inputs
            later = {i: self._subsequent(i) for i in pending}
            ready = [i for i in pending
                     if not any(self._inputs_of(self.deps[i]) & later[j] for j in pending if j != i)]
            ready = ready or list(pending)
            wave, changed = [], set()
            for i in ready:
                dep = self.deps[i]
                ids_changed = [f"{a}.{b}" for a, b in sorted(pending.pop(i))]
                body = self._body(dep, ids_changed)
                status, resp = self.post(body)
                if status not in (200, 204):
                    raise RuntimeError(f"{_name(dep)}: HTTP {status} {str(resp)[:300]}")
                wave.append((_name(dep), body))
                if status == 200:
                    for sid, props in (resp.get("response") or {}).items():
                        for k, v in props.items():
                            self.state[(sid, k)] = v
                            changed.add((sid, k))
            waves.append(wave)
        self.state[(cid, "n_clicks")] = None
        return waves


def _name(dep) -> str:
    """A short name for a callback: its first output (and how many more)."""
    outs = _parse_outputs(dep["output"])
    ident, prop = outs[0]
    if ident.startswith("{"):
        ident = json.loads(ident).get("type", ident)
    return f"{ident}.{prop.split('@')[0]}" + (f" +{len(outs) - 1}" if len(outs) > 1 else "")


# ------------------------------------------------------------------------------------------
# Processes
# ------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return float("nan")


def runqueue_wait_s(pid: int) -> float:
    """Seconds the threads of ``pid`` spent runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        return float("nan")
    return total / 1e9


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def tail(path: Path, n: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def wait_ready(base: str, redis_url: str, catalog, frames: list[str], timeout_s: float, procs: dict) -> list[str]:
    """Until /healthz is 200 and the worker has recorded an outcome (success or failure) for every
    frame the page's cards read. Returns the frames whose refresh failed."""
    import httpx
    import redis

    from data_access.frame_store import RedisFrameStore

    store = RedisFrameStore(redis.Redis.from_url(redis_url), catalog.version)
    deadline = time.perf_counter() + timeout_s
    pending = list(frames)
    while time.perf_counter() < deadline:
        for name, p in procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode} during start-up")
        pending = [f for f in pending if store.get_outcome(f) is None]
        if not pending:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    return [f for f in frames if not (store.get_outcome(f) or {}).get("ok")]
            except httpx.TransportError:
                pass
        time.sleep(0.5)
    raise RuntimeError(f"not ready after {timeout_s:g} s (no refresh outcome yet for: {pending[:5]})")


# ------------------------------------------------------------------------------------------
# The users
# ------------------------------------------------------------------------------------------

async def run_users(base: str, flows: dict, metrics: list[str], users: int, period: float,
                    duration: float, flow: str, seed: int) -> dict:
    import httpx

    records: list[tuple[str, float, bool, float]] = []  # (callback, seconds, ok, start offset)
    opens: list[float] = []
    late = 0
    errors_seen: dict[str, int] = {}
    limits = httpx.Limits(max_connections=users * 6, max_keepalive_connections=users * 6)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits,
                                 headers={"Content-Type": "application/json"}) as client:
        t0 = time.perf_counter() + 0.2
        end = t0 + duration

        async def post(name: str, body: bytes) -> None:
            s = time.perf_counter()
            ok = False
            try:
                r = await client.post("/_dash-update-component", content=body)
                ok = r.status_code in (200, 204)
                if not ok:
                    errors_seen[f"{name}: HTTP {r.status_code}"] = errors_seen.get(f"{name}: HTTP {r.status_code}", 0) + 1
            except httpx.HTTPError as e:
                errors_seen[f"{name}: {type(e).__name__}"] = errors_seen.get(f"{name}: {type(e).__name__}", 0) + 1
            records.append((name, time.perf_counter() - s, ok, s - t0))

        async def user(i: int) -> None:
            nonlocal late
            rng = random.Random(seed * 1000 + i)
            nxt = t0 + period * i / users
            while nxt < end:
                delay = nxt - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.perf_counter() >= end:
                    break
                waves = flows[rng.choice(metrics)]
                s = time.perf_counter()
                if flow == "full":
                    for wave in waves:
                        await asyncio.gather(*(post(name, body) for name, body in wave))
                else:
                    await asyncio.gather(*(post(name, body) for wave in waves for name, body in wave
                                           if name == BODY))
                opens.append(time.perf_counter() - s)
                now = time.perf_counter()
                nxt += period
                if now > nxt:  # the open overran: slots that passed meanwhile are skipped, the next starts now
                    late += math.ceil((min(now, end) - nxt) / period) if nxt < end else 0
                    nxt = now

        await asyncio.gather(*(user(i) for i in range(users)))
        wall = time.perf_counter() - t0
    return {"records": records, "opens": opens, "late": late, "errors": errors_seen, "wall": wall}


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1, help="demo scale (default 1 ≈ 5,000 deals)")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--period-s", type=float, default=2.0, help="each user opens a drill-down this often")
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--flow", choices=["full", "body"], default="full",
                    help="full: every callback of opening a drill-down; body: render_view only")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    C.banner(f"load_test: {args.users} users × one drill-down every {args.period_s:g} s for {args.duration_s:g} s — "
             f"gunicorn ({args.workers} workers) + Redis + worker.py, demo scale {args.scale:g}")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    path, info = C.ensure_demo(args.scale)

    from data_access.catalog import load_catalog

    catalog = load_catalog()
    page = catalog.pages["company_health"]
    cards = [m.id for m in catalog.metrics_on("company_health")]
    metrics = [m.id for m in catalog.metrics_on("company_health") if m.source == "warehouse" and m.views]
    frames = list(dict.fromkeys(f for m in metrics for f in catalog.metrics[m].frames()))

    logs = C.BENCH_DIR / "load_test_logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}

    def on_term(signum, frame):  # make SIGTERM run the finally below
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    redis_cm = C.redis_server()
    try:
        url = redis_cm.__enter__()
        port = C.free_port()
        env = {**os.environ, "PULSE_REDIS_URL": url, "PULSE_DUCKDB_PATH": str(path),
               "PULSE_AS_OF_DATE": C.DEMO_AS_OF.isoformat(), "PYTHONPATH": str(C.ROOT),
               "PULSE_HOST": "127.0.0.1"}
        env.pop("REDIS_URL", None)
        py = str(C.ROOT / ".venv" / "bin" / "python")
        gunicorn = [py, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                    "--timeout", "60", "--no-control-socket", "app:server"]
        t = time.perf_counter()
        procs["worker.py"] = subprocess.Popen([py, "worker.py"], cwd=C.ROOT, env=env,
                                              stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT)
        procs["gunicorn"] = subprocess.Popen(gunicorn, cwd=C.ROOT, env=env,
                                             stdout=open(logs / "gunicorn.log", "w"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        print(f"started redis-server ({url}), worker.py (pid {procs['worker.py'].pid}) and "
              f"`gunicorn -w {args.workers} app:server` (pid {procs['gunicorn'].pid}) on {base}", flush=True)
        failed = wait_ready(base, url, catalog, frames, 240, procs)
        print(f"cache filled by the worker after {time.perf_counter() - t:.1f} s: {len(frames) - len(failed)} of "
              f"{len(frames)} frames of the {len(metrics)} Company Health cards with drill-downs"
              + (f" (refresh failed on this demo file, those drill-downs show 'No data': {', '.join(failed)})"
                 if failed else ""), flush=True)

        import httpx

        deps = httpx.get(f"{base}/_dash-dependencies", timeout=10).json()
        layout = httpx.get(f"{base}/_dash-layout", timeout=10).json()

        def post(body):
            r = httpx.post(f"{base}/_dash-update-component", content=body, timeout=30,
                           headers={"Content-Type": "application/json"})
            return r.status_code, (r.json() if r.status_code == 200 else r.text)

        # record, per card, the requests a browser sends when it is clicked (also warms both workers)
        flows = {m: MiniRenderer(post, deps, layout, cards, page.path).click(m) for m in metrics}
        example = flows[metrics[0]]
        print(f"opening a drill-down = {sum(len(w) for w in example)} requests in {len(example)} waves: " +
              " → ".join("[" + ", ".join(n for n, _ in w) + "]" for w in example), flush=True)

        gpids = children(procs["gunicorn"].pid)
        watched = {"gunicorn workers": gpids, "worker.py": [procs["worker.py"].pid]}
        cpu0 = {k: sum(cpu_seconds(p) for p in v) for k, v in watched.items()}
        wait0 = sum(runqueue_wait_s(p) for p in gpids)
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        print(f"running {args.users} users for {args.duration_s:g} s (flow: {args.flow}) …", flush=True)
        res = asyncio.run(run_users(base, flows, metrics, args.users, args.period_s, args.duration_s,
                                    args.flow, args.seed))
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu1 = {k: sum(cpu_seconds(p) for p in v) for k, v in watched.items()}
        waited = sum(runqueue_wait_s(p) for p in gpids) - wait0
        load_during = os.getloadavg()[0]
        alive = {n: ("running" if p.poll() is None else f"EXITED with {p.returncode} during the run")
                 for n, p in procs.items()}
    except KeyboardInterrupt:
        print("interrupted: stopping the processes", flush=True)
        return 130
    except Exception as e:
        print(f"load test FAILED: {type(e).__name__}: {e}")
        for name in ("worker", "gunicorn"):
            print(f"--- {name}.log (tail) ---\n{tail(logs / f'{name}.log')}")
        return 1
    finally:
        for name in ("gunicorn", "worker.py"):
            C.stop_process(procs.get(name))
        redis_cm.__exit__(None, None, None)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    report(args, res, cpu0, cpu1, self0, self1, alive, waited, load_during)
    print("all processes stopped (gunicorn, worker.py, redis-server)")
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


def report(args, res, cpu0, cpu1, self0, self1, alive, waited, load_during) -> None:
    recs = [r for r in res["records"] if r[3] < args.duration_s]  # started inside the window
    dur = args.duration_s
    names = list(dict.fromkeys(r[0] for r in res["records"]))
    rows = []
    for name in names + [None]:
        sel = [r for r in recs if name is None or r[0] == name]
        if not sel:
            continue
        t = [r[1] for r in sel]
        err = sum(not r[2] for r in sel)
        rows.append([(name + " (render_view)" if name == BODY else name) if name else "ALL requests", len(sel), f"{len(sel) / dur:.1f}", C.ms(C.pct(t, 50)),
                     C.ms(C.pct(t, 95)), C.ms(C.pct(t, 99)), C.ms(max(t)), err])
    C.table(["callback", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"], rows,
            title=f"{args.users} users, one drill-down each every {args.period_s:g} s, {dur:g} s "
                  f"(client-side latency on loopback; requests started in the window)")
    opens = res["opens"]
    expected = args.users * dur / args.period_s
    print(f"\ndrill-downs opened: {len(opens)} of {expected:.0f} scheduled ({len(opens) / dur:.1f}/s); "
          f"time to open one (all its callbacks): p50 {C.ms(C.pct(opens, 50))} ms, p95 {C.ms(C.pct(opens, 95))} ms, "
          f"p99 {C.ms(C.pct(opens, 99))} ms; scheduled opens skipped because the user's previous one was still "
          f"running: {res['late']}")
    if res["errors"]:
        print("errors: " + ", ".join(f"{k} ×{v}" for k, v in sorted(res["errors"].items())))
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    gen = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    n = max(1, len(recs))
    print(f"CPU used in the window: gunicorn workers {cpu['gunicorn workers']:.1f} s "
          f"({cpu['gunicorn workers'] / dur:.2f} cores, {cpu['gunicorn workers'] / n * 1000:.1f} ms per request), "
          f"worker.py {cpu['worker.py']:.1f} s, load generator {gen:.1f} s; machine has {os.cpu_count()} cores")
    print(f"gunicorn workers were runnable but waiting for a CPU for {waited:.1f} s in total "
          f"({waited / n * 1000:.1f} ms per request; /proc schedstat) — 1-min load average at the end of the "
          f"window {load_during:.2f} on {os.cpu_count()} cores")
    print("processes at the end of the run: " + ", ".join(f"{k} {v}" for k, v in alive.items()))
    all_t = [r[1] for r in recs]
    errors = sum(not r[2] for r in recs)
    p95 = C.pct(all_t, 95)
    print(f"\nGOAL 50-user run p95 ≤ 100 ms with 0 errors: {'MET' if p95 <= 0.1 and errors == 0 else 'NOT MET'} "
          f"(p95 {C.ms(p95)} ms over {len(all_t)} requests, {errors} errors; render_view p95 "
          f"{C.ms(C.pct([r[1] for r in recs if r[0] == BODY], 95))} ms)")


if __name__ == "__main__":
    sys.exit(main())
