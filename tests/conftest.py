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
from tests.fixtures import known_company, known_pages  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "data" / "fivetran"


def migrated_sqlite(folder: Path) -> str:
    """The URL of a Pulse database at the migrations' head: SQLite ``folder/pulse.db``."""
    from data_access.db import make_engine, upgrade

    url = f"sqlite:///{folder / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session", autouse=True)
def pulse_database(tmp_path_factory):
    """Pulse's own database for the whole run: a migrated SQLite file (``PULSE_DATABASE_URL``), so
    refreshes evaluate alert rules against it and nothing touches ``var/pulse.db``. Tests that need an
    empty one of their own use ``tests/db``'s fixtures (SQLite and PostgreSQL)."""
    import os

    url = migrated_sqlite(tmp_path_factory.mktemp("pulse_db"))
    previous = os.environ.get("PULSE_DATABASE_URL")
    os.environ["PULSE_DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("PULSE_DATABASE_URL", None)
    else:
        os.environ["PULSE_DATABASE_URL"] = previous


@pytest.fixture
def seeds_dir() -> Path:
    """The Fivetran integration-test seeds beside the checkout (``../shared/data/fivetran``)."""
    if not SEEDS.is_dir():
        pytest.fail(f"Fivetran seeds not found at {SEEDS}: the checkout must sit beside shared/")
    return SEEDS


@pytest.fixture(scope="session")
def seeds_file(tmp_path_factory) -> Path:
    """The Fivetran HubSpot, QuickBooks and Zendesk seeds loaded with the loader into one DuckDB file
    (every source dataset under its own name). Tests that change it copy it first."""
    from data_access.config import SOURCES
    from data_access.load import load_folder

    if not SEEDS.is_dir():
        pytest.fail(f"Fivetran seeds not found at {SEEDS}: the checkout must sit beside shared/")
    path = tmp_path_factory.mktemp("seeds") / "seeds.duckdb"
    wh = DuckDBWarehouse(path, {source: source for source in SOURCES})
    load_folder(wh, "hubspot", SEEDS / "dbt_hubspot")
    load_folder(wh, "quickbooks", SEEDS / "dbt_quickbooks")
    load_folder(wh, "zendesk", SEEDS / "dbt_zendesk")
    wh.close()
    return path


def known_runtime(tmp_dir: Path, **settings) -> runtime.Runtime:
    """A runtime on the hand-built company (as of 2026-11-21, plan 2,000 USD/month), not yet refreshed.

    Extra keyword arguments become settings (e.g. ``redis_url=...``).
    """
    path = tmp_dir / "known.duckdb"
    if not path.exists():
        wh = DuckDBWarehouse(path, {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"})
        wh.replace_tables("hubspot", known_company.hubspot())
        wh.replace_tables("quickbooks", known_company.quickbooks())
        known_pages.add_page_tables(wh)  # stage history, meetings, books, inventory, budget
        wh.close()
    targets = tmp_dir / "targets.json"
    if not targets.exists():
        targets.write_text('{"revenue_plan": {"monthly_usd": 2000}, "metrics": {}}')
    s = config.Settings(duckdb_path=path, as_of_date=known_company.AS_OF, targets_path=targets, **settings)
    return runtime.Runtime.from_settings(s)


@pytest.fixture(scope="session")
def pulse_app(tmp_path_factory):
    """The Pulse app on the hand-built company, refreshed once. One per session: Dash pages
    register callbacks globally. Tests that need another runtime install it with
    ``runtime.set_runtime`` and must put this one back (fixture ``swap_runtime``)."""
    rt = known_runtime(tmp_path_factory.mktemp("app"))
    results = rt.refresh_everything()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    previous = runtime.set_runtime(rt)

    import app as app_module

    yield app_module.create_app(start_scheduler=False)
    runtime.set_runtime(previous)


@pytest.fixture
def swap_runtime():
    """Install runtimes for one test; the session's runtime comes back afterwards."""
    saved = runtime.get_runtime() if runtime._current is not None else None
    yield runtime.set_runtime
    runtime.set_runtime(saved)


@pytest.fixture
def overrides_dir(tmp_path, monkeypatch):
    """An empty override folder set as PULSE_SQL_OVERRIDES_DIR (settings cache cleared around)."""
    folder = tmp_path / "pulse_sql"
    (folder / "staging").mkdir(parents=True)
    monkeypatch.setenv("PULSE_SQL_OVERRIDES_DIR", str(folder))
    config.get_settings.cache_clear()
    yield folder
    config.get_settings.cache_clear()


class SmtpInbox:
    """An aiosmtpd handler keeping every message it receives (``email.message.Message``)."""

    def __init__(self):
        from aiosmtpd.handlers import Message

        class _Keep(Message):
            def handle_message(inner, message):  # noqa: N805
                self.messages.append(message)

        self.messages: list = []
        self.handler = _Keep()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port: ``(port, inbox)``; stopped after the test."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox.handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``), the BigQuery tests share
    one worker (one emulator and one demo export per run) and so do the browser tests (one
    Chromium at a time, so their waits are not starved of CPU); every other test is spread."""
    for item in items:
        parts = item.path.relative_to(PROJECT_ROOT).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in ("bigquery", "browser"):
            item.add_marker(pytest.mark.xdist_group(parts[1]))
