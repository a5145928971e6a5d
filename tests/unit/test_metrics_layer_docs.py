"""The example queries of docs/metrics_layer.md run on a fixture history and answer what it holds."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlglot

from data_access.history import DuckDBHistory

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics_layer.md"
DAY = dt.date(2026, 11, 21)


def _blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _row(day, metric, value, status, domain="sales", tier="tier_1"):
    return {"metric_date": day, "domain": domain, "metric_id": metric, "entity_type": "company", "entity_id": "",
            "entity_name": metric, "value": value, "unit": "ratio", "target": 0.3, "status": status,
            "importance_tier": tier, "details": "{}", "refreshed_at": dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)}


@pytest.fixture
def con(tmp_path):
    h = DuckDBHistory(tmp_path / "m.duckdb")
    for day, rows in {
        DAY - dt.timedelta(days=365): [_row(DAY - dt.timedelta(days=365), "win_rate", 0.2, "red")],
        dt.date(2026, 10, 21): [_row(dt.date(2026, 10, 21), "win_rate", 0.25, "yellow")],
        DAY: [_row(DAY, "win_rate", 0.3, "green"), _row(DAY, "nrr", 0.9, "red", "customer_success"),
              _row(DAY, "opex_vs_budget", 1.2, "red", "finance", "tier_2")],
    }.items():
        h.write(pd.DataFrame(rows))
    c = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    yield c
    c.close()


def _run(con, sql: str) -> list[tuple]:
    return con.execute(sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]).fetchall()


def test_mld001_every_example_query_runs_and_answers_the_fixture(con):
    blocks = _blocks()
    assert len(blocks) == 4
    critical, overview, series, movers = (_run(con, b) for b in blocks)
    assert critical == [("nrr", 0.9, 0.3, "red"), ("win_rate", 0.3, 0.3, "green")]  # tier 2 left out, red first
    assert overview == [("customer_success", 1, 1), ("finance", 1, 1), ("sales", 1, 0)]
    assert series == [(DAY, 0.3, None, None)]
    top = {r[0]: r for r in movers}
    assert top["win_rate"][2] == 0.25 and top["win_rate"][4] == pytest.approx(0.2)  # 0.25 → 0.30: +20 %
    assert top["win_rate"][5] == pytest.approx(0.5)  # a year ago 0.2: +50 %
    assert top["nrr"][2] is None and top["nrr"][4] is None  # no prior month: no growth, not 0
