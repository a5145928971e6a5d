"""Batched refresh on DuckDB: the staging/intermediate models a refresh's queries share are
built once per refresh as TEMP tables (``DuckDBWarehouse.batch``), with the same frames as the
per-query ``run``; a broken query or model fails only the queries it concerns; nothing is left
behind on the connection."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from data_access import warehouse
from data_access.frame_store import MemoryFrameStore
from data_access.refresh import query_params, refresh_all
from data_access.warehouse import MODEL_TABLE_PREFIX, QueryError, expanded_sql, model_table
from tests.conftest import known_runtime

BROKEN = "company_health/broken"
MODEL_PREFIXES = ("staging__", "intermediate__")


class SpyConnection:
    """A DuckDB connection that records every SQL text it executes."""

    def __init__(self, con):
        self._con = con
        self.statements: list[str] = []

    def execute(self, sql, *args, **kwargs):
        self.statements.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)

    def creates(self) -> list[str]:
        """The TEMP tables created, in order (one entry per ``create … temp table`` statement)."""
        out = []
        for sql in self.statements:
            head = sql.lstrip().lower()
            if head.startswith("create or replace temp table"):
                out.append(sql.split('"')[1])
        return out


def _spy(wh) -> SpyConnection:
    spy = SpyConnection(wh.connect())
    wh._con = spy
    return spy


def _temp_tables(wh) -> list[str]:
    return [r[0] for r in wh.connect().execute(
        "select table_name from duckdb_tables() where temporary order by 1").fetchall()]


def models_used(query: str) -> set[str]:
    """Models a query reads, as inlined by the per-query path (``staging/deals``)."""
    with_ = expanded_sql(query).args.get("with_")
    return {c.alias.replace("__", "/", 1) for c in (with_.expressions if with_ else [])
            if c.alias.startswith(MODEL_PREFIXES)}


@pytest.fixture
def rt(tmp_path):
    runtime = known_runtime(tmp_path)
    yield runtime
    if runtime._warehouse is not None:
        runtime._warehouse.close()


def _refresh(rt, queries=None):
    store = MemoryFrameStore()
    results = refresh_all(rt.warehouse(), store, rt.catalog, rt.settings, rt.targets().targets,
                          as_of=rt.settings.today(), queries=queries)
    return store, {r.query: r for r in results}


def _params(rt):
    return query_params(rt.settings, rt.targets().targets, rt.settings.today())


def test_rb001_batched_refresh_equals_per_query_run(rt):
    """Every catalog query through the batched refresh gives the frame ``run`` gives (columns,
    dtypes, values), and the refresh really went through the batch (models built as TEMP tables)."""
    wh = rt.warehouse()
    spy = _spy(wh)
    queries = rt.catalog.queries()
    store, results = _refresh(rt)
    assert len(results) == len(queries) and all(r.ok for r in results.values()), \
        [r for r in results.values() if not r.ok]
    assert spy.creates(), "refresh_all did not use the batch path"
    params = _params(rt)
    for q in queries:
        expected = wh.run(q, params)
        got = store.get(q).frame
        pd.testing.assert_frame_equal(got, expected, obj=q)
        assert results[q].rows == len(expected)
        assert store.get_outcome(q)["ok"] is True
    # the hand-worked values still come out of the batch (tests/unit/test_metrics_sql.py)
    assert store.get("company_health/avg_deal_size").frame["value"].iloc[0] == pytest.approx(20_000)
    assert store.get("company_health/win_rate").frame["value"].iloc[0] == pytest.approx(2 / 3)


@pytest.fixture
def sql_with_broken_query(tmp_path, monkeypatch):
    """The shipped SQL plus a query that does not bind (a column no table has)."""
    root = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, root)
    (root / "company_health" / "broken.sql").write_text(
        "select no_such_column as value from staging.deals where close_date <= @as_of_date\n")
    monkeypatch.setattr(warehouse, "SQL_DIR", root)
    return root


def test_rb002_a_broken_query_fails_alone_with_its_name(rt, sql_with_broken_query):
    shipped = rt.catalog.queries()
    queries = shipped[:3] + [BROKEN] + shipped[3:]
    store, results = _refresh(rt, queries)
    assert [q for q, r in results.items() if not r.ok] == [BROKEN]
    bad = results[BROKEN]
    assert bad.error_class == "BinderException"
    assert bad.error.startswith(f"query {BROKEN!r} failed: BinderException")
    assert "no_such_column" in bad.error
    assert store.get(BROKEN) is None
    assert store.get_outcome(BROKEN)["ok"] is False
    assert store.get_outcome(BROKEN)["error_class"] == "BinderException"
    assert sum(r.ok for r in results.values()) == len(shipped)
    # the model the broken query shares with good ones was fine for them
    assert store.get("company_health/avg_deal_size").frame["value"].iloc[0] == pytest.approx(20_000)


def test_rb003_a_broken_model_fails_exactly_the_queries_that_need_it(rt, overrides_dir):
    """An override of staging/inventory reading a column that does not exist: the queries that read
    the model (directly or through intermediate/venue_inventory) fail, naming query and model;
    the model is attempted once; every other query succeeds."""
    (overrides_dir / "staging" / "inventory.sql").write_text(
        (warehouse.SQL_DIR / "staging" / "inventory.sql").read_text().replace("select", "select no_such_column,", 1))
    wh = rt.warehouse()
    spy = _spy(wh)
    queries = rt.catalog.queries()
    needing = {q for q in queries if "staging/inventory" in models_used(q)}
    assert len(needing) >= 2 and len(needing) < len(queries)
    store, results = _refresh(rt)
    failed = {q for q, r in results.items() if not r.ok}
    assert failed == needing
    for q in needing:
        r = results[q]
        assert r.error_class == "BinderException"
        assert r.error.startswith(f"query {q!r} failed: model staging.inventory")
        assert "no_such_column" in r.error
    assert all(results[q].ok for q in set(queries) - needing)
    assert spy.creates().count(model_table("staging/inventory")) == 1  # not rebuilt for each query
    assert model_table("intermediate/venue_inventory") not in spy.creates()  # its input failed


def test_rb004_temp_tables_are_dropped_after_the_batch_also_on_error(rt):
    wh = rt.warehouse()
    params = _params(rt)
    q = "company_health/nrr"
    with wh.batch(params) as b:
        frame = b.run(q)
        present = _temp_tables(wh)
    assert frame["value"].iloc[0] == pytest.approx(wh.run(q, params)["value"].iloc[0])
    assert present == sorted(model_table(m) for m in models_used(q))
    assert all(t.startswith(MODEL_TABLE_PREFIX) for t in present) and len(present) >= 3
    assert _temp_tables(wh) == []

    with pytest.raises(RuntimeError, match="boom"):
        with wh.batch(params) as b:
            b.run("company_health/win_rate")
            assert _temp_tables(wh) == [model_table("staging/deals"), model_table("staging/owners")]
            raise RuntimeError("boom")
    assert _temp_tables(wh) == []

    _refresh(rt)
    assert _temp_tables(wh) == []


def test_rb005_each_model_is_built_once_per_batch(rt):
    """A full refresh creates one TEMP table per model some catalog query reads (and no other),
    dependencies before the models that read them; a second refresh builds them again, once."""
    wh = rt.warehouse()
    spy = _spy(wh)
    queries = rt.catalog.queries()
    expected = set().union(*(models_used(q) for q in queries))
    _refresh(rt)
    first = spy.creates()
    assert len(first) == len(expected) == len(set(first))
    assert set(first) == {model_table(m) for m in expected}
    assert first.index(model_table("staging/deals")) < first.index(model_table("intermediate/contract_spend"))
    assert first.index(model_table("staging/revenue_lines")) < first.index(model_table("intermediate/customer_windows"))
    spy.statements.clear()
    _refresh(rt)
    assert sorted(spy.creates()) == sorted(first)
    # the batch ran every query once, plus one statement per model and one drop per model, and
    # looked up once which optional source tables and columns the warehouse has (information_schema)
    lookups = [s for s in spy.statements if "information_schema.columns" in s]
    assert len(lookups) == 1
    assert len(spy.statements) == len(queries) + 2 * len(expected) + 1


def test_rb006_missing_parameter_and_single_query_paths(rt):
    wh = rt.warehouse()
    params = _params(rt)
    with wh.batch({"sales_pipeline_ids": params["sales_pipeline_ids"]}) as b:
        with pytest.raises(QueryError, match=r"company_health/win_rate.*missing parameters \['as_of_date'\]"):
            b.run("company_health/win_rate")
        assert b.built == []  # nothing built for a query that cannot run
    spy = _spy(wh)
    _, results = _refresh(rt, ["company_health/revenue_ytd"])  # one query: the plain per-query run
    assert results["company_health/revenue_ytd"].ok and spy.creates() == []
