"""Shared pytest fixtures for Pulse."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from data_access import config, runtime  # noqa: E402
from data_access.warehouse import DuckDBWarehouse  # noqa: E402
from tests.fixtures import known_company  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "data" / "fivetran"


@pytest.fixture
def seeds_dir() -> Path:
    """The Fivetran integration-test seeds beside the checkout (``../shared/data/fivetran``)."""
    if not SEEDS.is_dir():
        pytest.fail(f"Fivetran seeds not found at {SEEDS}: the checkout must sit beside shared/")
    return SEEDS


@pytest.fixture(scope="session")
def pulse_app(tmp_path_factory):
    """The Pulse app on the hand-built company, refreshed once (as of 2026-11-21, plan 2,000 USD/month).

    One per session: Dash pages register callbacks globally."""
    path = tmp_path_factory.mktemp("browser") / "known.duckdb"
    wh = DuckDBWarehouse(path, {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"})
    wh.replace_tables("hubspot", known_company.hubspot())
    wh.replace_tables("quickbooks", known_company.quickbooks())
    wh.close()
    targets = path.parent / "targets.json"
    targets.write_text('{"revenue_plan": {"monthly_usd": 2000}, "metrics": {}}')
    mp = pytest.MonkeyPatch()
    mp.setenv("PULSE_TARGETS_PATH", str(targets))
    mp.setenv("PULSE_DUCKDB_PATH", str(path))
    mp.setenv("PULSE_AS_OF_DATE", known_company.AS_OF.isoformat())
    mp.delenv("PULSE_REDIS_URL", raising=False)
    mp.delenv("REDIS_URL", raising=False)
    config.get_settings.cache_clear()
    runtime.get_runtime.cache_clear()
    results = runtime.get_runtime().refresh()
    assert all(r.ok for r in results), [r for r in results if not r.ok]

    import app as app_module

    yield app_module.create_app(start_scheduler=False)
    mp.undo()
    config.get_settings.cache_clear()
    runtime.get_runtime.cache_clear()
