"""Browser-test fixtures: a Pulse app on the hand-built company, in headless Chromium."""
from __future__ import annotations

import os
import shutil

import pytest

from data_access import config, runtime
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_company

os.environ.setdefault("DASH_TEST_CHROMEPATH", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def pulse_app(tmp_path_factory):
    """One Dash app per session (Dash pages register callbacks globally), refreshed once."""
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
