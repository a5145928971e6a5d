"""audit trail and alert rules

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data_access.db import JSONValue, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("before", JSONValue, nullable=True),
        sa.Column("after", JSONValue, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index("ix_audit_event_entity", "audit_event", ["entity_type", "entity_id"])
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.String(length=100), nullable=False),
        sa.Column("condition_kind", sa.String(length=20), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("hysteresis_refreshes", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("condition_kind in ('status_change', 'change_pct')", name=op.f("ck_alert_rule_condition_kind")),
        sa.CheckConstraint("channel in ('email', 'slack')", name=op.f("ck_alert_rule_channel")),
        sa.CheckConstraint("condition_kind <> 'change_pct' or threshold is not null",
                           name=op.f("ck_alert_rule_change_pct_threshold")),
        sa.CheckConstraint("hysteresis_refreshes >= 1", name=op.f("ck_alert_rule_hysteresis_refreshes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
    )
    op.create_index(op.f("ix_alert_rule_metric_id"), "alert_rule", ["metric_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_rule_metric_id"), table_name="alert_rule")
    op.drop_table("alert_rule")
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_at"), table_name="audit_event")
    op.drop_table("audit_event")
