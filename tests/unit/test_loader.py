"""The CSV loader (``data_access.load``) on the real Fivetran seeds and on broken files."""
from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_access import schema
from data_access.load import LoadError, load_folder
from data_access.warehouse import DuckDBWarehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}
DUCK_TYPE = {
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "NUMERIC": "DOUBLE",
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}


@pytest.fixture
def wh(tmp_path):
    w = DuckDBWarehouse(tmp_path / "w.duckdb", DATASETS)
    yield w
    w.close()


@pytest.fixture
def seeded(wh, seeds_dir):
    """The warehouse with dbt_hubspot and dbt_quickbooks loaded; also returns the counts."""
    counts = {s: load_folder(wh, s, seeds_dir / f"dbt_{s}") for s in ("hubspot", "quickbooks")}
    return wh, counts


def q(wh, sql, params=None):
    return wh.connect().execute(sql, params or {}).fetchall()


def col_types(wh, schema_name, table):
    rows = q(
        wh,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = $s and table_name = $t",
        {"s": schema_name, "t": table},
    )
    return dict(rows)


def csv_records(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return len(list(csv.reader(f))) - 1


def write(folder: Path, name: str, data: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


# ------------------------------------------------------------------ real seeds


def test_load001_every_seed_csv_loads_with_its_record_count(seeded, seeds_dir):
    wh, counts = seeded
    for source in ("hubspot", "quickbooks"):
        files = sorted((seeds_dir / f"dbt_{source}").glob("*.csv"))
        expected = {f.stem.removesuffix("_data"): csv_records(f) for f in files}
        assert counts[source] == expected
        assert sorted(wh.list_tables(source)) == sorted(expected)  # LICENSE skipped
        for table, n in expected.items():
            assert q(wh, f'select count(*) from {source}."{table}"') == [(n,)], table
    assert counts["hubspot"]["deal"] == 44 and counts["quickbooks"]["invoice"] == 16


def test_load002_declared_columns_get_declared_types(seeded, seeds_dir):
    wh, _ = seeded
    checked = 0
    for source in ("hubspot", "quickbooks"):
        for table, cols in schema.TABLES[source].items():
            if not (seeds_dir / f"dbt_{source}" / f"{table}_data.csv").exists():
                continue
            actual = col_types(wh, source, table)
            for col, bq in cols.items():
                if col in actual:
                    assert actual[col] == DUCK_TYPE[bq], (source, table, col)
                    checked += 1
    assert checked > 80
    deal = col_types(wh, "hubspot", "deal")
    assert (deal["property_closedate"], deal["deal_id"], deal["deal_pipeline_stage_id"]) == (
        "TIMESTAMP", "BIGINT", "VARCHAR")
    assert col_types(wh, "hubspot", "deal_pipeline_stage")["probability"] == "DOUBLE"
    invoice = col_types(wh, "quickbooks", "invoice")
    assert (invoice["transaction_date"], invoice["due_date"], invoice["_fivetran_deleted"]) == (
        "DATE", "DATE", "BOOLEAN")


def test_load003_undeclared_columns_are_inferred_conservatively(seeded):
    wh, _ = seeded
    company = col_types(wh, "hubspot", "company")
    assert company["property_hs_all-funky-a9384-syntax"] == "BIGINT"  # odd name kept as is
    assert col_types(wh, "hubspot", "property_option")["_fivetran_synced"] == "TIMESTAMP"  # "... UTC"
    assert col_types(wh, "hubspot", "owner_team")["is_team_primary"] == "BOOLEAN"
    form_sub = col_types(wh, "hubspot", "contact_form_submission")
    assert form_sub["form_id"] == form_sub["contact_id"] == "VARCHAR"  # '012', '001': leading zeros
    assert col_types(wh, "hubspot", "email_event_status_change")["subscriptions"] == "VARCHAR"  # '[]'
    assert col_types(wh, "hubspot", "email_event")["caused_by_created"] == "VARCHAR"  # all empty
    assert col_types(wh, "hubspot", "ticket_property_history")["timestamp_instant"] == "TIMESTAMP"
    assert col_types(wh, "quickbooks", "payment")["transaction_date"] == "TIMESTAMP"  # undeclared: not DATE
    assert col_types(wh, "quickbooks", "bill")["transaction_date"] == "DATE"  # declared DATE (schema.py)
    assert col_types(wh, "quickbooks", "invoice_line")["description_service_date"] == "VARCHAR"  # 'Product A'


def test_load004_hubspot_values(seeded):
    wh, _ = seeded
    # '2021-01-07 6:49:18' (hour not zero-padded) and history-mode columns
    assert q(wh, "select _fivetran_start, _fivetran_active, _fivetran_end, date_entered "
                 "from hubspot.deal_stage where deal_id = 3954699413") == [
        (dt.datetime(2021, 1, 7, 6, 49, 18), True, dt.datetime(2050, 1, 1), dt.datetime(2021, 1, 7, 6, 49, 18))]
    # '2023-07-06 05:18:21.205000 UTC'
    assert q(wh, "select max(_fivetran_synced) from hubspot.property_option") == [
        (dt.datetime(2023, 7, 6, 5, 18, 21, 205000),)]
    # 'true'/'false' spelling; CRLF file without a final newline
    synced = dt.datetime(2023, 7, 9, 15, 55, 40, 878000)
    assert q(wh, "select team_id, is_team_primary, _fivetran_synced from hubspot.owner_team order by team_id") == [
        (1234, True, synced), (6789, True, synced), (9999, False, synced)]
    # 'TRUE'/'FALSE' spelling: 5 closed-won stages, 0 closed-lost (SOURCES.md)
    assert q(wh, "select count(*) filter (closed_won), count(*) filter (is_closed and not closed_won), "
                 "min(probability), max(probability) from hubspot.deal_pipeline_stage") == [(5, 0, 0.0, 1.0)]
    assert q(wh, "select count(*), count(owner_id), count(property_closedate), count(property_amount), "
                 "count(*) filter (is_deleted) from hubspot.deal") == [(44, 22, 0, 0, 0)]
    assert q(wh, "select property_createdate from hubspot.deal where deal_id = 1244495215") == [
        (dt.datetime(2019, 12, 4, 12, 48, 22),)]
    assert q(wh, 'select "property_hs_all-funky-a9384-syntax" from hubspot.company '
                 'where "property_hs_all-funky-a9384-syntax" is not null order by 1 limit 1') == [(5,)]
    assert q(wh, "select subscriptions from hubspot.email_event_status_change limit 1") == [("[]",)]


def test_load005_quickbooks_values(seeded):
    wh, _ = seeded
    assert q(wh, "select count(*), count(*) filter (_fivetran_deleted), count(*) filter (not _fivetran_deleted) "
                 "from quickbooks.invoice") == [(16, 11, 5)]
    assert q(wh, "select exchange_rate, currency_id, total_amount, transaction_date, due_date, _fivetran_synced "
                 "from quickbooks.invoice where id = 40113") == [
        (0.8, "USD", 565214.0, dt.date(2021, 1, 19), dt.date(2021, 2, 3), dt.datetime(2021, 1, 19, 22, 16, 19))]
    assert q(wh, "select exchange_rate from quickbooks.invoice where id = 50001") == [(1.25,)]
    # deleted invoices keep their rows, with NULL amounts; home_total_amount is empty everywhere
    assert q(wh, "select count(total_amount), count(home_total_amount) from quickbooks.invoice "
                 "where _fivetran_deleted") == [(0, 0)]
    assert q(wh, "select count(*) from quickbooks.invoice_line where detail_type = 'SalesItemLineDetail'")[0][0] > 0


def test_load006_zendesk_loads_including_reserved_word_group(wh, seeds_dir):
    counts = load_folder(wh, "zendesk", seeds_dir / "dbt_zendesk")
    assert counts["group"] == csv_records(seeds_dir / "dbt_zendesk" / "group_data.csv") == 8
    assert len(counts) == 22
    assert q(wh, 'select count(*), min(id) from zendesk."group"') == [(8, 360008418973)]
    assert col_types(wh, "zendesk", "group")["created_at"] == "TIMESTAMP"
    assert q(wh, "select count(*) from zendesk.ticket where merged_ticket_ids = '[1967]'")[0][0] >= 1
    assert col_types(wh, "zendesk", "ticket")["merged_ticket_ids"] == "VARCHAR"


# ------------------------------------------------------------------ file shapes


def test_load007_plain_names_crlf_missing_newline_and_cells(wh, tmp_path):
    folder = tmp_path / "export"
    write(folder, "deal.csv",
          "deal_id,is_deleted,deal_pipeline_stage_id,property_amount,property_closedate,notes\r\n"
          '1,TRUE,007,10.5,2023-11-11 08:18:13.861000 UTC,"a, b\r\nc"\n'
          "2,false,,,2021-01-07 6:49:18,[]\r\n"
          "3,False,x,3,,")  # LF and CRLF mixed, no final newline, empty cells
    write(folder, "README.txt", "not a table")
    write(folder, "LICENSE", "Apache")
    assert load_folder(wh, "hubspot", folder) == {"deal": 3}
    assert q(wh, "select * from hubspot.deal order by deal_id") == [
        (1, True, "007", 10.5, dt.datetime(2023, 11, 11, 8, 18, 13, 861000), "a, b\r\nc"),
        (2, False, None, None, dt.datetime(2021, 1, 7, 6, 49, 18), "[]"),
        (3, False, "x", 3.0, None, None)]
    assert col_types(wh, "hubspot", "deal") == {
        "deal_id": "BIGINT", "is_deleted": "BOOLEAN", "deal_pipeline_stage_id": "VARCHAR",
        "property_amount": "DOUBLE", "property_closedate": "TIMESTAMP", "notes": "VARCHAR"}


def test_load008_inference_rules(wh, tmp_path):
    write(tmp_path / "x", "widget.csv",
          "zip,big,num,mixed,flag,created_at,label,end,when_at,empty,hashish,offset_at,big_mixed\n"
          "02134,99999999999999999999,-5,1,TRUE,2021-01-01T10:00:00Z,2021-01-01,1,now,,1e5,"
          "2021-01-01 10:00:00+02:00,1.5\n"
          "10001,1,7,2.5,false,2021-01-02,2021-01-02,2,2021-01-01,,00ff,2021-01-01 10:00:00,"
          "12345678901234567890123\n")
    load_folder(wh, "hubspot", tmp_path / "x")
    assert col_types(wh, "hubspot", "widget") == {
        "zip": "VARCHAR",  # leading zero: an identifier, not a number
        "big": "VARCHAR",  # does not fit int64
        "num": "BIGINT", "mixed": "DOUBLE", "flag": "BOOLEAN",
        "created_at": "TIMESTAMP",
        "label": "VARCHAR",  # date-like values but not a time-like name
        "end": "BIGINT",  # numbers win over the time-like name
        "when_at": "VARCHAR",  # 'now' is not a timestamp
        "empty": "VARCHAR", "hashish": "VARCHAR", "offset_at": "TIMESTAMP",
        "big_mixed": "VARCHAR"}  # an oversized integer is never turned into a lossy double
    assert q(wh, "select created_at, offset_at, big from hubspot.widget order by num") == [
        (dt.datetime(2021, 1, 1, 10), dt.datetime(2021, 1, 1, 8), "99999999999999999999"),
        (dt.datetime(2021, 1, 2), dt.datetime(2021, 1, 1, 10), "1")]


def test_load009_header_only_file_gives_empty_typed_table(wh, tmp_path):
    write(tmp_path / "x", "deal_data.csv", "deal_id,property_closedate,other\n")
    assert load_folder(wh, "hubspot", tmp_path / "x") == {"deal": 0}
    assert col_types(wh, "hubspot", "deal") == {
        "deal_id": "BIGINT", "property_closedate": "TIMESTAMP", "other": "VARCHAR"}


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("id,name\n1,a\n2\n", "line 3 has 1 fields, the header has 2"),
        ("id,name\n1,a\n2,b,c\n", "line 3 has 3 fields, the header has 2"),
        ('id,name\n1,"a\n2,b\n', "bad CSV"),
        ('id,name\n1,"a"b\n', "bad CSV"),
        (b"id,name\n1,caf\xe9\n", "not UTF-8"),
        ("", "empty file"),
        ("\r\n\n", "empty file"),
        ("id,name,ID\n1,a,2\n", "duplicate column 'ID'"),
        ("id,,name\n1,2,3\n", "column 2 of the header has no name"),
    ],
    ids=["short-row", "long-row", "unterminated-quote", "stray-quote", "not-utf8", "empty", "blank-lines",
         "duplicate-column", "blank-column-name"],
)
def test_load010_unparseable_file_raises_load_error_naming_it(wh, tmp_path, content, reason):
    write(tmp_path / "x", "fine.csv", "a\n1\n")
    write(tmp_path / "x", "broken_data.csv", content)
    with pytest.raises(LoadError) as e:
        load_folder(wh, "zendesk", tmp_path / "x")
    assert "broken_data.csv" in str(e.value) and reason in str(e.value)
    assert wh.list_tables("zendesk") == []


@pytest.mark.parametrize(
    ("column", "bad", "expected"),
    [
        ("property_closedate", "not a date", "timestamp"),
        ("property_closedate", "2021-02-30 10:00:00", "valid timestamp"),
        ("deal_id", "12a", "int64"),
        ("deal_id", "1.5", "int64"),
        ("is_deleted", "yes", "true/false"),
        ("property_amount", "ten", "number"),
    ],
)
def test_load011_declared_column_with_uncastable_value(wh, tmp_path, column, bad, expected):
    row = {"deal_id": "1", "is_deleted": "false", "property_amount": "2.5", "property_closedate": "2021-01-01"}
    lines = [",".join(row), ",".join(row.values()), ",".join({**row, column: bad}.values())]
    write(tmp_path / "x", "deal_data.csv", "\n".join(lines))
    with pytest.raises(LoadError) as e:
        load_folder(wh, "hubspot", tmp_path / "x")
    msg = str(e.value)
    assert "deal_data.csv" in msg and repr(column) in msg and repr(bad) in msg and "line 3" in msg
    assert expected in msg


def test_load012_declared_date_rejects_time_of_day(wh, tmp_path):
    write(tmp_path / "x", "invoice.csv", "id,transaction_date\n1,2021-01-19 00:00:00\n2,2021-01-19 10:30:00\n")
    with pytest.raises(LoadError, match=r"invoice\.csv.*'transaction_date'.*'2021-01-19 10:30:00'.*line 3"):
        load_folder(wh, "quickbooks", tmp_path / "x")


def test_load013_bad_folder_writes_nothing_and_keeps_earlier_tables(wh, tmp_path, seeds_dir):
    load_folder(wh, "hubspot", seeds_dir / "dbt_hubspot")
    load_folder(wh, "zendesk", seeds_dir / "dbt_zendesk")
    before = {t: q(wh, f"select * from hubspot.{t} order by all") for t in ("deal", "owner")}
    zendesk_before = wh.list_tables("zendesk")

    bad = tmp_path / "bad"
    write(bad, "deal_data.csv", "deal_id,property_dealname\n1,replacement\n")  # good file
    write(bad, "brand_new.csv", "id\n1\n")  # good file, new table
    write(bad, "owner_data.csv", "owner_id,email\n1,a@b.c\n2,x,y\n")  # ragged
    with pytest.raises(LoadError, match=r"owner_data\.csv: line 3"):
        load_folder(wh, "hubspot", bad)

    assert {t: q(wh, f"select * from hubspot.{t} order by all") for t in ("deal", "owner")} == before
    assert q(wh, "select count(*) from hubspot.deal") == [(44,)]
    assert "brand_new" not in wh.list_tables("hubspot")
    assert wh.list_tables("zendesk") == zendesk_before


@pytest.mark.parametrize(
    ("files", "source", "match"),
    [
        ({"deal.csv": "a\n1\n", "deal_data.csv": "a\n1\n"}, "hubspot", "also comes from"),
        ({"my-table.csv": "a\n1\n"}, "hubspot", "not a valid identifier"),
        ({"notes.txt": "x"}, "hubspot", "no .csv files"),
        ({"deal.csv": "a\n1\n"}, "salesforce", "unknown source"),
    ],
    ids=["two-files-one-table", "bad-table-name", "no-csv", "unknown-source"],
)
def test_load014_bad_folder_layout(wh, tmp_path, files, source, match):
    for name, content in files.items():
        write(tmp_path / "x", name, content)
    with pytest.raises(LoadError, match=match):
        load_folder(wh, source, tmp_path / "x")


# ------------------------------------------------------------------ CLI


def run_cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    return subprocess.run([sys.executable, "-m", "data_access.load", *map(str, args)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_load015_cli_loads_and_prints_rows(tmp_path, seeds_dir):
    db = tmp_path / "cli.duckdb"
    res = run_cli("hubspot", seeds_dir / "dbt_hubspot", "--duckdb-path", db)
    assert res.returncode == 0, res.stderr
    assert "hubspot.deal\t44" in res.stdout.splitlines()
    assert "hubspot.deal_pipeline_stage\t71" in res.stdout.splitlines()
    w = DuckDBWarehouse(db, DATASETS, read_only=True)
    try:
        assert q(w, "select count(*) from hubspot.deal") == [(44,)]
    finally:
        w.close()


def test_load016_cli_bad_folder_exits_non_zero_naming_file(tmp_path):
    write(tmp_path / "bad", "deal_data.csv", "deal_id,property_closedate\n1,not a date\n")
    res = run_cli("hubspot", tmp_path / "bad", "--duckdb-path", tmp_path / "cli.duckdb")
    assert res.returncode != 0
    assert "deal_data.csv" in res.stderr and "property_closedate" in res.stderr and "not a date" in res.stderr
    assert res.stdout == ""
