"""customer health: the score's configuration (versioned) and each customer's daily score

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from data_access.db import JSONValue, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# version 1, the shipped configuration (data_access.health.DEFAULT_CONFIG says the same)
DEFAULTS = [("revenue_trend", 0.4, 1.0, 0.5), ("invoice_recency", 0.3, 30.0, 180.0), ("contract_pace", 0.3, 0.0, -0.5)]


def upgrade() -> None:
    config = op.create_table(
        "health_score_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.Column("zero_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("weight >= 0 and weight <= 1", name=op.f("ck_health_score_config_weight")),
        sa.CheckConstraint("full_at != zero_at", name=op.f("ck_health_score_config_thresholds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_score_config")),
        sa.UniqueConstraint("version", "indicator", name=op.f("uq_health_score_config_version_indicator")),
    )
    op.create_table(
        "customer_health_score",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("score_date", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("indicators", JSONValue, nullable=False),
        sa.CheckConstraint("score >= 0 and score <= 100", name=op.f("ck_customer_health_score_score")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer_profile.customer_id"],
                                name=op.f("fk_customer_health_score_customer_id_customer_profile"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "score_date", name=op.f("pk_customer_health_score")),
    )
    op.create_index(op.f("ix_customer_health_score_score_date"), "customer_health_score", ["score_date"])
    now = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(config, [{"version": 1, "indicator": name, "weight": weight, "full_at": full, "zero_at": zero,
                             "created_by": "pulse", "created_at": now} for name, weight, full, zero in DEFAULTS])


def downgrade() -> None:
    op.drop_table("customer_health_score")
    op.drop_table("health_score_config")
