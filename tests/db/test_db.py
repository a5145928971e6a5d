"""Pulse's database (data_access.db) on SQLite and PostgreSQL: migrations apply once and start-up
refuses an unmigrated database with the fix; writes are transactions, the audit event goes with its
change; concurrent edits lose nothing (optimistic locking); the tables refuse malformed rules."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from data_access import db
from data_access.db import AlertRule, AuditEvent, NotMigrated, StaleEdit, record_audit, row_snapshot, session_scope


def _rule(**kw):
    values = dict(metric_id="win_rate", condition_kind="status_change", channel="email",
                  recipients="ceo@example.com", created_by="admin@example.com")
    values.update(kw)
    return AlertRule(**values)


def test_db001_upgrade_applies_the_migrations_once_and_startup_refuses_before(db_engine):
    with pytest.raises(NotMigrated) as e:
        db.check_migrated(db_engine)
    assert "not migrated" in str(e.value) and "python -m data_access.db upgrade" in str(e.value)
    applied = db.upgrade(db_engine)
    assert [r for r, _ in applied] == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"] and all(doc for _, doc in applied)
    assert db.current_revisions(db_engine) == db.head_revisions() == ("0007",)
    assert {"alert_rule", "alert_state", "alert_delivery", "audit_event", "alembic_version"} <= set(
        inspect(db_engine).get_table_names())
    assert db.upgrade(db_engine) == []  # nothing left to do
    db.check_migrated(db_engine)  # returns


def test_db010_a_downgrade_and_upgrade_keep_the_rules_and_their_checks(migrated):
    with db.session_scope(migrated) as s:
        s.add(_rule(created_by="a@x.com"))
    from alembic import command

    with migrated.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0001")
    assert "alert_state" not in inspect(migrated).get_table_names()
    db.upgrade(migrated)
    with db.session_scope(migrated) as s:
        (rule,) = s.scalars(select(AlertRule)).all()
        assert rule.period == "month"  # the column's default for rules that existed before it
    with pytest.raises(IntegrityError), db.session_scope(migrated) as s:
        s.add(_rule(created_by="a@x.com", hysteresis_refreshes=0))  # 0001's checks survived SQLite's table copy


def test_db002_migrations_match_the_models(migrated):
    """Autogenerate finds nothing to add: the migration scripts and the ORM describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.Base.metadata)
    assert diff == []


def test_db003_a_write_and_its_audit_event_commit_together_or_not_at_all(migrated):
    with session_scope(migrated) as s:
        rule = _rule(threshold=None)
        s.add(rule)
        s.flush()
        record_audit(s, "admin@example.com", "create", "alert_rule", rule.id, after=row_snapshot(rule))
    with pytest.raises(RuntimeError):
        with session_scope(migrated) as s:
            r = s.get(AlertRule, rule.id)
            before = row_snapshot(r)
            r.recipients = "cfo@example.com"
            s.flush()
            record_audit(s, "admin@example.com", "update", "alert_rule", r.id, before, row_snapshot(r))
            raise RuntimeError("the request failed after the edit")
    with session_scope(migrated) as s:
        assert s.get(AlertRule, rule.id).recipients == "ceo@example.com"
        events = s.scalars(select(AuditEvent)).all()
    assert [(e.action, e.entity_id) for e in events] == [("create", str(rule.id))]
    after = events[0].after
    assert after["metric_id"] == "win_rate" and after["version"] == 1
    assert dt.datetime.fromisoformat(after["created_at"]).tzinfo is not None  # ISO, with its zone
    assert events[0].before is None and events[0].at.tzinfo is dt.timezone.utc


def test_db004_the_second_of_two_concurrent_edits_is_refused_and_the_first_kept(migrated):
    with session_scope(migrated) as s:
        s.add(_rule())
    first, second = db._sessionmaker(migrated)(), db._sessionmaker(migrated)()
    try:
        a, b = first.scalars(select(AlertRule)).one(), second.scalars(select(AlertRule)).one()
        a.recipients = "a@example.com"
        first.commit()
        b.recipients = "b@example.com"
        with pytest.raises(Exception) as e:
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    # through session_scope the same conflict is StaleEdit with the message users see
    with pytest.raises(StaleEdit, match="changed by someone else — reload"):
        with session_scope(migrated) as s:
            row = s.scalars(select(AlertRule)).one()
            db.expect_version(row, 1)  # the form was loaded at version 1; it is now 2
    with session_scope(migrated) as s:
        row = s.scalars(select(AlertRule)).one()
        assert (row.recipients, row.version) == ("a@example.com", 2)
    assert "StaleDataError" in type(e.value).__name__


@pytest.mark.parametrize("bad", [dict(condition_kind="change_pct", threshold=None), dict(channel="fax"),
                                 dict(condition_kind="above"), dict(hysteresis_refreshes=0)])
def test_db005_malformed_rules_are_refused_by_the_database(migrated, bad):
    with pytest.raises(IntegrityError):
        with session_scope(migrated) as s:
            s.add(_rule(**bad))
    with session_scope(migrated) as s:
        assert s.scalars(select(AlertRule)).all() == []


def test_db006_times_are_utc_aware_and_naive_ones_refused(migrated):
    local = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with session_scope(migrated) as s:
        s.add(AuditEvent(at=local, actor="a@example.com", action="create", entity_type="x", entity_id="1"))
    with session_scope(migrated) as s:
        at = s.scalars(select(AuditEvent.at)).one()
    assert at == local and at.tzinfo is dt.timezone.utc and at.hour == 14
    with pytest.raises(Exception, match="naive datetime"):
        with session_scope(migrated) as s:
            s.add(AuditEvent(at=dt.datetime(2026, 12, 6), actor="a", action="create", entity_type="x", entity_id="1"))


def test_db007_audit_needs_who_and_what():
    with pytest.raises(ValueError, match="actor"):
        record_audit(None, "", "create", "alert_rule", 1)
    with pytest.raises(ValueError, match="entity's id"):
        record_audit(None, "a@example.com", "create", "alert_rule", None)


def test_db008_the_password_never_reaches_a_message(tmp_path):
    url = "postgresql+psycopg://pulse:s3cret-pw@127.0.0.1:1/pulse"
    assert "s3cret-pw" not in db._safe_url(url) and "***" in db._safe_url(url)
    engine = db.make_engine(url, connect_args={"connect_timeout": 1})
    with pytest.raises(Exception) as e:  # the server is not there: the error names no password
        db.check_migrated(engine)
    assert "s3cret-pw" not in str(e.value)


def test_db009_the_cli_upgrades_and_reports(tmp_path, monkeypatch, capsys):
    from data_access.config import get_settings

    monkeypatch.setenv("PULSE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        assert db.main(["upgrade"]) == 0
        assert "applied 0001" in (out := capsys.readouterr().out) and "applied 0002" in out
        assert db.main(["current"]) == 0
        assert "at 0007; head 0007; up to date" in capsys.readouterr().out
        assert db.main(["upgrade"]) == 0
        assert "nothing to do" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
