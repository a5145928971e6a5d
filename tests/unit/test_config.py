"""Config: one settings class; dataset identifiers can never inject SQL."""
from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from data_access.config import Settings, validate_identifier
from data_access.warehouse import render

BAD = ["hubspot; drop table x", "hub-spot", "1hubspot", "hub`spot", "hub.spot", "", "hubspot--", "a b"]


@pytest.mark.parametrize("name", BAD)
def test_cfg001_bad_dataset_names_are_rejected(name, monkeypatch):
    monkeypatch.setenv("PULSE_HUBSPOT_DATASET", name)
    with pytest.raises(ValidationError, match="not a valid identifier"):
        Settings()
    with pytest.raises(ValueError):
        validate_identifier(name)


def test_cfg002_datasets_and_project_reach_the_sql_tree(monkeypatch):
    monkeypatch.setenv("PULSE_HUBSPOT_DATASET", "hubspot_prod")
    monkeypatch.setenv("BIGQUERY_PROJECT", "acme-analytics")
    s = Settings()
    assert s.backend == "bigquery"
    sql = render("company_health/win_rate", "bigquery", s.datasets, s.bigquery_project)
    assert "`acme-analytics`.hubspot_prod.deal" in sql
    assert "@as_of_date" in sql and "CURRENT_DATE" not in sql.upper()


def test_cfg003_defaults_and_as_of(monkeypatch):
    import os

    for k in [k for k in os.environ if k.startswith("PULSE_")] + ["BIGQUERY_PROJECT", "REDIS_URL"]:
        monkeypatch.delenv(k, raising=False)
    s = Settings()
    assert (s.backend, s.duckdb_path.as_posix(), s.timezone, s.port, s.redis_url) == \
        ("duckdb", "var/pulse.duckdb", "America/New_York", 8050, None)
    monkeypatch.setenv("PULSE_AS_OF_DATE", "2026-03-31")
    assert Settings().today() == dt.date(2026, 3, 31)
    monkeypatch.setenv("PULSE_AS_OF_DATE", "31/03/2026")
    with pytest.raises(ValidationError):
        Settings()


def test_cfg004_redis_url_is_secret(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@localhost:6379/0")
    s = Settings()
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
