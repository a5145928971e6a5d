"""Refresh: frames stored with metadata; a failing query keeps the last good frame; worker --once."""
from __future__ import annotations

import os
import subprocess
import sys

from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.refresh import refresh_all
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import DuckDBWarehouse
from tests.conftest import PROJECT_ROOT
from tests.fixtures import known_company, known_pages

DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}


def _warehouse(path):
    wh = DuckDBWarehouse(path, DATASETS)
    wh.replace_tables("hubspot", known_company.hubspot())
    wh.replace_tables("quickbooks", known_company.quickbooks())
    known_pages.add_page_tables(wh)  # the new pages' tables, so every catalog query runs
    return wh


def test_ref001_failure_keeps_last_good_frame_and_records_error(tmp_path):
    wh = _warehouse(tmp_path / "w.duckdb")
    store, catalog = MemoryFrameStore(), load_catalog()
    q = "company_health/win_rate"
    # a query on the sales pipeline's deals is refreshed with the pipelines frame (data_access.pipelines)
    ok, pipelines = refresh_all(wh, store, catalog, Settings(), DEFAULT_TARGETS, as_of=known_company.AS_OF,
                                queries=[q])
    assert ok.ok and ok.rows == 1 and pipelines.query == "system/hubspot_pipelines" and pipelines.ok
    good = store.get(q)
    assert good.meta.as_of == known_company.AS_OF and good.meta.rows == 1
    wh.connect().execute("drop table hubspot.deal")  # the source disappears
    failed, _ = refresh_all(wh, store, catalog, Settings(), DEFAULT_TARGETS, as_of=known_company.AS_OF, queries=[q])
    assert not failed.ok and failed.error_class == "CatalogException"
    assert "company_health/win_rate" in failed.error
    assert store.get(q) is good  # last good frame still served
    outcome = store.get_outcome(q)
    assert outcome["ok"] is False and outcome["error_class"] == "CatalogException"
    wh.close()


def test_ref002_worker_once_refreshes_everything(tmp_path):
    _warehouse(tmp_path / "w.duckdb").close()
    env = {**os.environ, "PULSE_DUCKDB_PATH": str(tmp_path / "w.duckdb"), "PULSE_AS_OF_DATE": "2026-11-21",
           "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PULSE_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    r = subprocess.run([sys.executable, "worker.py", "--once"], cwd=PROJECT_ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    catalog = load_catalog()  # the warehouse's queries and the frames of Pulse's database (SimpleFIN is not set)
    n = len(catalog.queries()) + len({f for m in catalog.metrics.values() if m.source in ("pulse_db", "derived") for f in m.frames()})
    assert f"{n}/{n} frames refreshed for 2026-11-21" in r.stdout


def test_ref010_worker_and_app_refuse_an_unmigrated_database_with_the_fix(tmp_path):
    env = {**os.environ, "PULSE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "PYTHONPATH": str(PROJECT_ROOT),
           "PULSE_PORT": "8799"}
    for command in (["worker.py", "--once"], ["app.py"]):
        r = subprocess.run([sys.executable, *command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode != 0 and "is not migrated" in r.stderr, (command, r.stderr[-500:])
        assert "run: python -m data_access.db upgrade" in r.stderr


def test_ref003_embedded_scheduler_refreshes_at_start(tmp_path):
    from tests.conftest import known_runtime
    from worker import start_embedded

    rt = known_runtime(tmp_path)
    scheduler = start_embedded(rt)
    try:
        jobs = {j.id for j in scheduler.get_jobs()}
        assert {f"refresh:{m}" for m in rt.catalog.metrics} <= jobs and {"heartbeat", "requests"} <= jobs
        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and rt.store.get("company_health/nrr") is None:
            time.sleep(0.1)
        assert rt.store.get("company_health/nrr").frame["value"].iloc[0] == 5000 / 6000
        cron = scheduler.get_job("refresh:nrr").trigger
        assert cron.jitter == 120 and str(cron.timezone) == "America/New_York"
        digest = scheduler.get_job("digest").trigger  # the weekly digest: Mondays 08:00 company time
        assert str(digest) == "cron[day_of_week='mon', hour='8', minute='0']" and str(digest.timezone) == "America/New_York"
    finally:
        scheduler.shutdown(wait=False)
