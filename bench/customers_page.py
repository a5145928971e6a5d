"""Server time of the Customers page's queries on 35k customers (issue 15, Performance).

    .venv/bin/python bench/customers_page.py [--customers 35000] [--runs 50] [--postgres URL | --no-postgres]

Pulse's database is filled the way the worker fills it: ``sync_customers`` copies a customer
directory (the frame ``sql/customers/customer_directory.sql`` returns; here a synthetic one of
``--customers`` rows, the size of the scale-200 demo: 20 owners, 4 segments, ARR 0–250k USD) into a
fresh, migrated database, one open renewal is written for every fourth customer, and every customer
gets today's health score (the health job below), as the page joins it. Then each query
the page sends runs ``--runs`` times (``data_access.customers.customer_page``, the function the page's
callback calls; the first run of each is a warm-up and not counted):

  * first page: 25 customers, ARR largest first, no filter (what /customers opens on);
  * search: a name fragment (``"acme 12"``, case-insensitive, bound), ARR order;
  * filtered: a segment and an owner, sorted by name;
  * renews in 90 days: customers with an unresolved renewal dated within 90 days;
  * page 100: the same first-page query, 100 pages in (offset 2,500).

Then the daily health job's own work for every customer (``health.score_customers`` on synthetic
inputs in the shape of ``sql/customers/health_indicators.sql``, and ``health.write_scores`` of the
day; the warehouse query itself is timed by ``refresh_scale.py``'s kind of run, not here), and the
playbook rules that follow it in the same job (``playbooks.run_playbooks`` with the shipped rules: the
first run opens an action for every customer below 50 and every renewal due within 60 days; a second
run the same day opens none).

Run on SQLite (a temporary file: the embedded default) and on PostgreSQL (the local server, in a
schema of its own dropped afterwards; skipped with a note when it does not answer). Goals: first page
≤ 50 ms, search ≤ 100 ms. Not a test: nothing fails on the goals.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = C.DEMO_AS_OF
SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "Unclassified")
WORDS = ("Acme", "Bloom", "Crest", "Dune", "Ember", "Fjord", "Grove", "Harbor", "Iris", "Juniper")


def directory(n: int, seed: int = 7):
    """A customer directory frame of ``n`` customers (the columns ``sync_customers`` reads)."""
    import pandas as pd

    rng = random.Random(seed)
    return pd.DataFrame({
        "customer_id": [str(100_000 + i) for i in range(n)],
        "customer_name": [f"{WORDS[i % len(WORDS)]} {i} {rng.choice(('Foods', 'Labs', 'Co', 'Drinks'))}"
                          for i in range(n)],
        "segment": [rng.choice(SEGMENTS) for _ in range(n)],
        "arr_usd": [round(rng.uniform(0, 250_000), 2) for _ in range(n)],
        "last_invoice_date": [TODAY - dt.timedelta(days=rng.randint(0, 400)) for _ in range(n)],
        "owner_name": [f"Rep {rng.randint(1, 20):02d}" for _ in range(n)],
    })


@contextlib.contextmanager
def sqlite_engine() -> Iterator:
    from data_access.db import make_engine

    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'pulse.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextlib.contextmanager
def postgres_engine(url: str) -> Iterator:
    from sqlalchemy import text

    from data_access.db import make_engine

    schema = f"pulse_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill(engine, n: int) -> tuple[float, float]:
    """Migrate, sync ``n`` customers and write a renewal for every fourth; returns (sync s, renewals s)."""
    from sqlalchemy import insert

    from data_access.customers import sync_customers
    from data_access.db import Renewal, session_scope, upgrade, utcnow

    upgrade(engine)
    frame = directory(n)
    t0 = time.perf_counter()
    result = sync_customers(engine, frame)
    sync_s = time.perf_counter() - t0
    assert result.inserted == n, result
    rng = random.Random(11)
    now = utcnow()
    rows = [{"customer_id": cid, "status": rng.choice(("open", "in_negotiation", "committed")),
             "renewal_date": TODAY + dt.timedelta(days=rng.randint(-30, 365)), "current_value_usd": 1000,
             "risk_level": rng.choice(("low", "medium", "high")), "owner": None, "notes": "",
             "created_by": "bench", "version": 1, "created_at": now, "updated_at": now}
            for cid in frame["customer_id"][::4]]
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        for i in range(0, len(rows), 2000):
            s.execute(insert(Renewal), rows[i:i + 2000])
    return sync_s, time.perf_counter() - t0


QUERIES = [
    ("first page (ARR desc)", {}),
    ("search 'acme 12'", {"search": "acme 12"}),
    ("segment + owner, by name", {"segment": "SMB", "owner": "Rep 07", "sort": "name", "descending": False}),
    ("renews in 90 days", {"renews_within_days": 90}),
    ("page 100 (ARR desc)", {"page": 100}),
]


def measure(engine, runs: int) -> list[list]:
    from data_access.customers import customer_page

    out = []
    for label, kwargs in QUERIES:
        times, total = [], 0
        for i in range(runs + 1):
            t0 = time.perf_counter()
            page = customer_page(engine, TODAY, **kwargs)
            if i:
                times.append(time.perf_counter() - t0)
            total = page.total
        out.append([label, f"{total:,}", C.ms(C.pct(times, 50)), C.ms(C.pct(times, 95)), C.ms(max(times))])
    return out


def health_job(engine, n: int) -> tuple[float, float, int]:
    """The health job's scoring and write for ``n`` customers (synthetic inputs in the shape of
    ``sql/customers/health_indicators.sql``): (score s, write s, rows)."""
    import pandas as pd

    from data_access import health

    rng = random.Random(5)
    ids = [str(100_000 + i) for i in range(n)]
    inputs = pd.DataFrame({
        "customer_id": ids, "revenue_recent_usd": [rng.uniform(0, 100_000) for _ in ids],
        "revenue_prior_usd": [rng.uniform(0, 100_000) for _ in ids],
        "days_since_invoice": pd.array([rng.choice([None, *range(0, 360)]) for _ in ids], dtype="Int64"),
        "contract_pace_gap": [rng.choice([None, rng.uniform(-0.8, 0.3)]) for _ in ids]})
    config = health.current_config(engine)
    t0 = time.perf_counter()
    scores = health.score_customers(inputs, config)
    score_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = health.write_scores(engine, TODAY, scores, config.version)
    return score_s, time.perf_counter() - t0, rows


def playbook_job(engine) -> tuple[float, int, float]:
    """The shipped playbook rules run twice for today: (first run s, actions opened, second run s)."""
    from data_access import playbooks

    t0 = time.perf_counter()
    opened = playbooks.run_playbooks(engine, TODAY).opened
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = playbooks.run_playbooks(engine, TODAY).opened
    assert again == 0, again
    return first_s, opened, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=35_000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--postgres", default=POSTGRES_URL, help="PostgreSQL URL (default: the local server)")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args(argv)
    C.quiet_logs()
    C.banner(f"Customers page: {args.customers:,} customers, {args.runs} runs per query "
             "(server time of customer_page; goals: first page ≤ 50 ms, search ≤ 100 ms)")
    backends = [("SQLite", sqlite_engine)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", lambda: postgres_engine(args.postgres)))
    for name, opener in backends:
        try:
            with opener() as engine:
                sync_s, renewals_s = fill(engine, args.customers)
                score_s, write_s, scored = health_job(engine, args.customers)  # the page then shows scores
                rows = measure(engine, args.runs)
                play_s, opened, replay_s = playbook_job(engine)
        except Exception as e:  # noqa: BLE001 - a backend that is absent is reported, not fatal
            if name == "SQLite":
                raise
            print(f"\n{name}: skipped ({type(e).__name__}: {str(e).splitlines()[0][:120]})")
            continue
        C.table(["query", "matches", "p50 ms", "p95 ms", "max ms"], rows,
                title=f"{name}: sync of {args.customers:,} customers {sync_s:.2f} s, "
                      f"{args.customers // 4:,} renewals written in {renewals_s:.2f} s")
        print(f"health job for {scored:,} customers (without the warehouse query): scoring {score_s:.2f} s, "
              f"writing the day {write_s:.2f} s; playbook rules {play_s:.2f} s ({opened:,} actions opened, audited), "
              f"again the same day {replay_s:.2f} s (none) — goal ≤ 30 s for the whole job")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
