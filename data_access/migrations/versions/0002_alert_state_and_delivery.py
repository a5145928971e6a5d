"""alert rules' period, their state between refreshes, and the delivery outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data_access.db import JSONValue, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rule") as batch:  # SQLite: a copy-and-move, named constraints kept
        batch.add_column(sa.Column("period", sa.String(length=10), nullable=False, server_default="month"))
        batch.create_check_constraint(op.f("ck_alert_rule_period"), "period in ('day', 'week', 'month', 'quarter', 'year')")
    with op.batch_alter_table("alert_rule") as batch:
        batch.alter_column("period", server_default=None)
    op.create_table(
        "alert_state",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("state", JSONValue, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rule.id"], name=op.f("fk_alert_state_rule_id_alert_rule"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_alert_state")),
    )
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("metric_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("payload", JSONValue, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name=op.f("ck_alert_delivery_status")),
        sa.CheckConstraint("channel in ('email', 'slack')", name=op.f("ck_alert_delivery_channel")),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rule.id"], name=op.f("fk_alert_delivery_rule_id_alert_rule"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
    )
    op.create_index(op.f("ix_alert_delivery_created_at"), "alert_delivery", ["created_at"])
    op.create_index("ix_alert_delivery_status_next_attempt_at", "alert_delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_delivery_status_next_attempt_at", table_name="alert_delivery")
    op.drop_index(op.f("ix_alert_delivery_created_at"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_table("alert_state")
    with op.batch_alter_table("alert_rule") as batch:
        batch.drop_constraint(op.f("ck_alert_rule_period"), type_="check")
        batch.drop_column("period")
