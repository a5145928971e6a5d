"""The refresh worker: runs every metric on its cadence into the frame store.

    python worker.py          run the schedule (blocks); production: with PULSE_REDIS_URL
    python worker.py --once   refresh everything once and exit (non-zero if any refresh failed)

Each metric is one job (its value and its views) on its cadence in the company time
zone, with coalescing, one instance per job, a misfire grace time and jitter. Several
workers may run: a claim in Redis makes each scheduled refresh run once. The worker
also records a heartbeat, serves admins' "refresh now" requests (pushed through Redis
by the web process) and cleans frames of catalog versions no longer deployed.

Without Redis the web process runs the same schedule in-process (``start_embedded``),
because an in-memory frame store is only visible to its own process.
"""
from __future__ import annotations

import argparse
import logging
import sys

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from data_access.coordination import RefreshRound
from data_access.refresh import api_source, refresh_metric
from data_access.runtime import Runtime, get_runtime

log = logging.getLogger("pulse.worker")

HEARTBEAT_S = 15
REQUEST_POLL_S = 3
STARTUP_CLAIM_S = 120  # two workers starting together fill the cache once
REFILL_S = 60  # how often the worker looks for frames the cache lost (Redis restarted empty)


def guarded(job):
    """Run a job so that an outage (Redis or warehouse) is one log line, never a dead worker."""
    import functools

    @functools.wraps(job)
    def run(*args, **kwargs):
        try:
            return job(*args, **kwargs)
        except Exception as e:  # the next run tries again; the last good frames stay
            log.warning("%s failed: %s: %s", job.__name__, type(e).__name__, str(e).splitlines()[0][:200])
            return None

    return run


def executors() -> dict:
    """Refreshes run one at a time (one warehouse connection; durations stay honest);
    heartbeat and refresh-now polling run beside them."""
    return {"default": ThreadPoolExecutor(2), "refresh": ThreadPoolExecutor(1)}


def startup_round(rt: Runtime) -> None:
    """Fill the cache at start: every metric once across all workers, recorded as the refresh
    round, so cards say "Refreshing… (12 of 26 metrics done)" meanwhile. A metric counts when the
    worker that claimed it has refreshed it; the worker that started the round also counts the ones
    it skips (refreshed by a worker just before: their claim is younger than ``STARTUP_CLAIM_S``).
    A metric counts once however many workers say it; the last one ends the round."""
    owner = bool(rt.record_round("start_round", len(rt.catalog.metrics), RefreshRound.ABANDONED_S))
    for metric_id in rt.catalog.metrics:
        ran = True
        try:
            ran = refresh_metric(rt, metric_id, claim_ttl_s=STARTUP_CLAIM_S) is not None
        finally:
            if ran or owner:
                rt.record_round("step_round", metric_id)


def fill_missing(rt: Runtime) -> list[str]:
    """Refresh every metric whose frames the cache has lost without a trace: no frame and no
    refresh outcome (Redis restarted empty, flushed, or evicted keys). A metric whose last refresh
    failed has an outcome and waits for its cadence. Claims keep two workers from both running it.
    Returns the metrics refreshed here."""
    done = []
    for metric in rt.catalog.metrics.values():
        if metric.source != "warehouse" and not api_source(metric.source).is_connected(rt.settings):
            continue  # an API that is not configured has nothing to fill
        if any(rt.store.get_meta(f) is None and rt.store.get_outcome(f) is None for f in metric.frames()):
            log.info("refill: %s has no frame in the cache", metric.id)
            if refresh_metric(rt, metric.id, claim_ttl_s=STARTUP_CLAIM_S) is not None:
                done.append(metric.id)
    return done


def serve_requests(rt: Runtime) -> int:
    """Run every pending "refresh now" request (forced: no claim) and every past-day drill-down
    request (``refresh.compute_past``). Returns how many ran."""
    from data_access.refresh import compute_past, parse_past_request

    done = 0
    for metric_id in rt.coordinator.pop_requests():
        past = parse_past_request(metric_id)
        if past is not None and past[0] in rt.catalog.metrics:
            log.info("past day: %s as of %s", *past)
            compute_past(rt, *past)
            done += 1
        elif metric_id in rt.catalog.metrics:
            log.info("refresh now: %s", metric_id)
            refresh_metric(rt, metric_id, force=True)
            done += 1
    return done


def heartbeat(rt: Runtime) -> None:
    """Record that this worker is alive (and, with Redis, that its catalog version is in use)."""
    rt.coordinator.beat()
    if rt.redis is not None:
        from data_access.frame_store import clean_old_versions

        clean_old_versions(rt.redis, rt.catalog.version)


def send_alerts(rt: Runtime) -> int:
    """Send the queued threshold alerts that are due (``alert_outbox.send_pending``); a database
    error is logged, and the queue waits for the next poll."""
    from sqlalchemy.exc import SQLAlchemyError

    from data_access.alert_outbox import send_pending

    try:
        return send_pending(rt)
    except SQLAlchemyError as e:
        log.warning("queued alerts not sent: %s", type(e).__name__)
        return 0


CUSTOMER_SYNC_CRON = {"hour": 2, "minute": 45}  # daily, company time zone


def sync_customers(rt: Runtime) -> bool:
    """Copy the warehouse's customers into Pulse's database (``customers.refresh_customers``), then
    score their health for today and run the playbook rules (``customers.sync_and_score``; only after
    a sync that worked), once across workers (a claim). Returns True when this worker did it all."""
    from data_access.customers import sync_and_score

    if not rt.coordinator.claim("customers:sync", ttl_s=3600):
        return False
    return sync_and_score(rt)


def add_jobs(scheduler: BaseScheduler, rt: Runtime) -> None:
    """One job per metric on its cadence, plus heartbeat and refresh-now polling."""
    tz = rt.settings.timezone
    for metric in rt.catalog.metrics.values():
        c = metric.cadence
        if c.cron:
            trigger = CronTrigger.from_crontab(c.cron, timezone=tz)
            trigger.jitter = 120  # from_crontab takes no jitter; spread workers' nightly load
        else:
            trigger = IntervalTrigger(minutes=c.interval_minutes, timezone=tz, jitter=30)
        scheduler.add_job(guarded(refresh_metric), trigger, args=[rt, metric.id], id=f"refresh:{metric.id}",
                          name=f"refresh {metric.id}", coalesce=True, max_instances=1, misfire_grace_time=900,
                          replace_existing=True, executor="refresh")
    scheduler.add_job(guarded(heartbeat), IntervalTrigger(seconds=HEARTBEAT_S), args=[rt], id="heartbeat",
                      coalesce=True, max_instances=1, replace_existing=True, next_run_time=_now())
    scheduler.add_job(guarded(serve_requests), IntervalTrigger(seconds=REQUEST_POLL_S), args=[rt], id="requests",
                      coalesce=True, max_instances=1, replace_existing=True, executor="refresh")
    scheduler.add_job(guarded(fill_missing), IntervalTrigger(seconds=REFILL_S), args=[rt], id="refill",
                      coalesce=True, max_instances=1, replace_existing=True, executor="refresh")
    from data_access.alert_outbox import SEND_POLL_S

    scheduler.add_job(guarded(send_alerts), IntervalTrigger(seconds=SEND_POLL_S), args=[rt], id="alerts",
                      name="send queued alerts", coalesce=True, max_instances=1, replace_existing=True)
    from data_access.digest import DIGEST_CRON, send_digest

    scheduler.add_job(guarded(send_digest), CronTrigger(timezone=tz, **DIGEST_CRON), args=[rt], id="digest",
                      name="weekly digest", coalesce=True, max_instances=1, misfire_grace_time=3600,
                      replace_existing=True)
    scheduler.add_job(guarded(sync_customers), CronTrigger(timezone=tz, **CUSTOMER_SYNC_CRON), args=[rt],
                      id="customers", name="sync customers", coalesce=True, max_instances=1,
                      misfire_grace_time=3600, replace_existing=True, executor="refresh")


def _now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def start_embedded(rt: Runtime | None = None) -> BackgroundScheduler | None:
    """In-process schedule for the embedded default (no Redis): refresh now, then on cadence.

    Returns ``None`` (and does nothing) when Redis is configured: the worker process refreshes then.
    """
    rt = rt or get_runtime()
    if rt.settings.redis_url is not None:
        return None
    scheduler = BackgroundScheduler(timezone=rt.settings.timezone, daemon=True, executors=executors())
    add_jobs(scheduler, rt)
    if rt.settings.refresh_on_start:
        scheduler.add_job(guarded(rt.refresh_everything), id="refresh:startup", name="initial refresh", max_instances=1,
                          next_run_time=_now(), executor="refresh")
    scheduler.start()
    return scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="refresh everything once and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs two INFO lines per job run (every 3 s for refresh-now polling): keep its warnings
    # (misfires, errors) and let Pulse's own lines say what was refreshed
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    rt = get_runtime()
    from data_access.db import NotMigrated, check_migrated

    try:
        check_migrated(rt.db())  # alert rules and their queue live there
    except NotMigrated as e:
        print(f"the worker will not start: {e}", file=sys.stderr)
        return 2
    if args.once:
        results = rt.refresh_everything()
        for r in results:
            status = f"{r.rows:>7} rows {r.duration_s * 1000:7.0f} ms" if r.ok else f"FAILED {r.error_class}: {r.error}"
            print(f"{r.query:<45} {status}")
        failed = sum(not r.ok for r in results)
        print(f"{len(results) - failed}/{len(results)} frames refreshed for {rt.today()}")
        return 1 if failed else 0
    scheduler = BlockingScheduler(timezone=rt.settings.timezone, executors=executors())
    add_jobs(scheduler, rt)
    scheduler.add_job(guarded(startup_round), args=[rt], id="startup", next_run_time=_now(), executor="refresh")
    log.info("worker started with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
