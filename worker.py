"""The refresh worker: runs every catalog query on its metric's cadence.

    python worker.py          run the schedule (blocks); production: with PULSE_REDIS_URL
    python worker.py --once   refresh everything once and exit (non-zero if any query failed)

Without Redis the web process runs the same schedule in-process (``start_embedded``),
because an in-memory frame store is only visible to its own process.
"""
from __future__ import annotations

import argparse
import logging
import sys

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from data_access.runtime import Runtime, get_runtime

log = logging.getLogger("pulse.worker")


def add_jobs(scheduler: BaseScheduler, rt: Runtime) -> None:
    """One job per metric: its value query and its views' queries, on the metric's cadence."""
    tz = rt.settings.timezone
    for metric in rt.catalog.metrics.values():
        queries = [metric.query] + [v.query for v in metric.views]
        c = metric.cadence
        trigger = (CronTrigger.from_crontab(c.cron, timezone=tz) if c.cron
                   else IntervalTrigger(minutes=c.interval_minutes, timezone=tz))
        scheduler.add_job(rt.refresh, trigger, kwargs={"queries": queries}, id=f"refresh:{metric.id}",
                          name=f"refresh {metric.id}", coalesce=True, max_instances=1, misfire_grace_time=600,
                          replace_existing=True)


def start_embedded(rt: Runtime | None = None) -> BackgroundScheduler | None:
    """In-process schedule for the embedded default (no Redis): refresh now, then on cadence.

    Returns ``None`` (and does nothing) when Redis is configured: the worker process refreshes then.
    """
    rt = rt or get_runtime()
    if rt.settings.redis_url is not None:
        return None
    scheduler = BackgroundScheduler(timezone=rt.settings.timezone, daemon=True)
    add_jobs(scheduler, rt)
    if rt.settings.refresh_on_start:
        scheduler.add_job(rt.refresh, id="refresh:startup", name="initial refresh", max_instances=1)
    scheduler.start()
    return scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="refresh every query once and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = get_runtime()
    if args.once:
        results = rt.refresh()
        for r in results:
            status = f"{r.rows:>7} rows {r.duration_s * 1000:7.0f} ms" if r.ok else f"FAILED {r.error_class}: {r.error}"
            print(f"{r.query:<45} {status}")
        failed = sum(not r.ok for r in results)
        print(f"{len(results) - failed}/{len(results)} queries refreshed for {rt.today()}")
        return 1 if failed else 0
    scheduler = BlockingScheduler(timezone=rt.settings.timezone)
    add_jobs(scheduler, rt)
    scheduler.add_job(rt.refresh, id="refresh:startup", name="initial refresh")
    log.info("worker started with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
