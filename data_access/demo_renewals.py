"""The demo company's renewals, in Pulse's own database (``make run`` does this after ``make demo``):

    python -m data_access.demo_renewals [--seed 7]

Syncs the demo warehouse's customers into ``customer_profile`` (``customers.refresh_customers``), then,
when the database holds no renewal yet, writes one renewal per customer invoiced in the last 365 days —
dated between 10 months ago and 12 months ahead, valued at its ARR (rounded to USD 100), owned by its
account owner. Past renewals are resolved (about 85 % renewed), those due soon are mostly in
negotiation or committed, later ones open; about 1 in 8 is high risk. A customer whose renewal is
still to come gets a tier by its ARR and a one-year contract ending on the renewal date. Each write is
audited as ``demo@pulse.local``. A database with renewals is left alone (never overwrites people's work). Then the
health history: every 7th day of the last 13 weeks without a score is scored as of that day
(``health.backfill``), and today's playbook actions (``playbooks.run_playbooks``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import sys

import numpy as np
from sqlalchemy import Engine, func, select

from data_access.db import CustomerProfile, Renewal, insert_audited, session_scope, update_audited

DEMO_ACTOR = "demo@pulse.local"


def _status(rng: np.random.Generator, days: int, risk: str) -> str:
    if days < 0:
        churn = {"low": 0.05, "medium": 0.15, "high": 0.45}[risk]
        return "churned" if rng.random() < churn else "renewed"
    if days < 30:
        return str(rng.choice(["in_negotiation", "committed", "open"], p=[0.45, 0.4, 0.15]))
    if days < 90:
        return str(rng.choice(["open", "in_negotiation", "committed"], p=[0.45, 0.35, 0.2]))
    return str(rng.choice(["open", "in_negotiation"], p=[0.9, 0.1]))


def seed_demo_renewals(engine: Engine, as_of: dt.date, seed: int = 7) -> int:
    """Write the demo renewals (see the module docstring) unless the database has renewals already.
    Returns how many were written (0 when left alone)."""
    rng = np.random.default_rng([seed, 15])
    with session_scope(engine) as s:
        if s.scalar(select(func.count()).select_from(Renewal)):
            return 0
        customers = list(s.execute(select(CustomerProfile.customer_id, CustomerProfile.arr_usd, CustomerProfile.owner)
                                   .where(CustomerProfile.arr_usd > 0, CustomerProfile.in_warehouse.is_(True))
                                   .order_by(CustomerProfile.customer_id)))
        written = 0
        for customer_id, arr, owner in customers:
            days = int(rng.integers(-300, 366))
            risk = str(rng.choice(["low", "medium", "high"], p=[0.6, 0.27, 0.13]))
            status = _status(rng, days, risk)
            current = max(decimal.Decimal(100), (decimal.Decimal(arr) / 100).quantize(decimal.Decimal(1)) * 100)
            proposed = None
            if status in ("in_negotiation", "committed", "renewed"):
                proposed = (current * decimal.Decimal(str(round(1 + rng.uniform(-0.05, 0.15), 3)))).quantize(
                    decimal.Decimal("0.01"))
            renews = as_of + dt.timedelta(days=days)
            insert_audited(s, Renewal(customer_id=customer_id, status=status,
                                      renewal_date=renews, current_value_usd=current,
                                      proposed_value_usd=proposed, risk_level=risk, owner=owner or "", notes="",
                                      created_by=DEMO_ACTOR), DEMO_ACTOR)
            if status not in ("renewed", "churned"):  # the contract this renewal renews: a year ending then
                update_audited(s, s.get(CustomerProfile, customer_id),
                               {"tier": _tier(arr), "contract_start": renews - dt.timedelta(days=365),
                                "contract_end": renews}, DEMO_ACTOR)
            written += 1
        return written


def _tier(arr_usd: decimal.Decimal) -> str:
    """The demo's tier of a customer by its ARR (USD): Strategic ≥ 250k, Enterprise ≥ 100k, Mid-market
    ≥ 25k, SMB below."""
    return next(t for floor, t in ((250_000, "Strategic"), (100_000, "Enterprise"), (25_000, "Mid-market"),
                                   (0, "SMB")) if arr_usd >= floor)


def main(argv: list[str] | None = None) -> int:
    from data_access.config import get_settings
    from data_access.customers import refresh_customers
    from data_access.db import NotMigrated, check_migrated
    from data_access.runtime import Runtime

    parser = argparse.ArgumentParser(prog="python -m data_access.demo_renewals", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rt = Runtime.from_settings(get_settings())
    try:
        check_migrated(rt.db())
    except NotMigrated as e:
        print(e, file=sys.stderr)
        return 2
    synced = refresh_customers(rt)
    if synced is None:
        print("customer sync failed; see the log above", file=sys.stderr)
        return 1
    n = seed_demo_renewals(rt.db(), rt.today(), args.seed)
    from data_access.health import backfill

    days = backfill(rt)  # the health history: every 7th day of the last 13 weeks, today included
    from data_access.playbooks import run_playbooks

    opened = run_playbooks(rt.db(), rt.today()).opened  # today's playbook actions (none twice)
    print(f"customers: {synced.inserted} new, {synced.updated} refreshed; demo renewals written: {n}"
          + ("" if n else " (the database has renewals already)") + f"; health scored for {days} days; "
          f"playbook actions opened: {opened}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
