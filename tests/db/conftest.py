"""Pulse's own database under test, on both backends it supports: SQLite (a file per test) and the
PostgreSQL server of these machines (127.0.0.1:5432, trust auth, database ``test``; override with
PULSE_TEST_POSTGRES_URL). Each PostgreSQL test gets its own schema, dropped afterwards, so runs
never see each other's rows. A missing server fails the PostgreSQL tests loudly: it is not a skip."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

import pandas as pd

from data_access.db import make_engine

POSTGRES_URL = os.environ.get("PULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL on an empty database of each backend (``(url, connect_args)``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pulse.db'}", {}
        return
    schema = f"pulse_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # pragma: no cover - the machine's server is down
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({e}); these machines start it at "
                    "127.0.0.1:5432 — start it or set PULSE_TEST_POSTGRES_URL")
    try:
        yield POSTGRES_URL, {"options": f"-csearch_path={schema}"}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_engine(db_url):
    """An engine on an empty database (not migrated)."""
    url, connect_args = db_url
    engine = make_engine(url, connect_args=connect_args)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(db_engine):
    """An engine on a database at the migrations' head."""
    from data_access.db import upgrade

    upgrade(db_engine)
    return db_engine


# ---- the hand-built company's customers (tests/fixtures/known_company.py), shared by the customer tests


def _known_frame(tmp_path_factory, query: str) -> pd.DataFrame:
    from data_access.refresh import query_params
    from tests.conftest import known_runtime

    rt = known_runtime(tmp_path_factory.mktemp("known"))
    return rt.warehouse().run(query, query_params(rt.settings, rt.targets().targets, rt.today()))


@pytest.fixture(scope="module")
def directory(tmp_path_factory) -> pd.DataFrame:
    """The hand-built company's customer directory (the SQL the worker runs), computed once."""
    from data_access.customers import DIRECTORY_QUERY

    return _known_frame(tmp_path_factory, DIRECTORY_QUERY)


@pytest.fixture
def customers(migrated, directory):
    """``migrated`` with the hand-built company's four customers synced (101 Acme … 104 Dune)."""
    from data_access.customers import sync_customers

    sync_customers(migrated, directory)
    return migrated


@pytest.fixture(scope="module")
def indicators(tmp_path_factory) -> pd.DataFrame:
    """The hand-built company's health inputs (``sql/customers/health_indicators.sql``), computed once."""
    from data_access.health import INDICATORS_QUERY

    return _known_frame(tmp_path_factory, INDICATORS_QUERY)
