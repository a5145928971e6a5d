"""Where a drill-down miss spends its time (issue 19): pyinstrument over the callback's misses.

    .venv/bin/python bench/profile_miss.py [--scale 1] [--misses 300] [--html out.html]

Builds the demo of ``--scale`` (as ``drilldown_latency.py`` does), refreshes the measured views into a
MemoryFrameStore, then POSTs ``render_view`` for ``--misses`` filter combinations never seen before
(each a miss of the memoized view and of the rendered-body cache), round-robin over the benchmark's
three views, under pyinstrument. Prints the miss latencies (p50/p95) and the profile (time per call
tree, 1 ms sampling; frames under 2 % hidden). Not a test.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
import drilldown_latency as D  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1)
    ap.add_argument("--misses", type=int, default=300)
    ap.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    args = ap.parse_args(argv)
    from pyinstrument import Profiler

    from data_access import runtime as runtime_mod
    from data_access import view_cache
    from data_access.runtime import Runtime

    C.quiet_logs()
    C.banner(f"profile_miss: {args.misses} drill-down misses at scale {args.scale:g} (render_view, in memory)")
    path, _info = C.ensure_demo(args.scale)
    rt = Runtime.from_settings(C.demo_settings(path))
    catalog = rt.catalog
    queries = list(dict.fromkeys(catalog.metrics[m].view(v).query for m, v, _ in D.VIEWS))
    rt.refresh(queries=queries + ["company_health/revenue_by_month"])
    runtime_mod.set_runtime(rt)
    app = D.build_app()
    client = app.server.test_client()
    dep = {d["output"]: d for d in client.get("/_dash-dependencies").get_json()}["drilldown-body.children"]
    view_cache.init_cache(app.server, rt.settings)
    rng = random.Random(1)
    combos = {(m, v): D.combos_for(rt.store.get(catalog.metrics[m].view(v).query).frame, kind, rng)
              for m, v, kind in D.VIEWS}
    for (m, v), cs in combos.items():  # warm: imports, first figure, the unfiltered view of each
        for combo in cs[:3]:
            client.post("/_dash-update-component", data=D.callback_payload(dep, m, v, combo),
                        content_type="application/json")
    cursors = {k: iter(cs[3:]) for k, cs in combos.items()}
    order = list(combos)
    times: list[float] = []
    profiler = Profiler(interval=0.001)
    profiler.start()
    for i in range(args.misses):
        m, v = order[i % len(order)]
        combo = next(cursors[(m, v)], None)
        if combo is None:
            continue
        t = time.perf_counter()
        r = client.post("/_dash-update-component", data=D.callback_payload(dep, m, v, combo),
                        content_type="application/json")
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    profiler.stop()
    print(f"misses: n={len(times)}  p50 {C.ms(C.pct(times, 50))} ms  p95 {C.ms(C.pct(times, 95))} ms  "
          f"max {C.ms(max(times))} ms")
    print(profiler.output_text(unicode=True, color=False, show_all=False, short_mode=True,
                               time="percent_of_total", flat=False, processor_options={"filter_threshold": 0.02}))
    if args.html:
        args.html.write_text(profiler.output_html())
        print(f"HTML report: {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
