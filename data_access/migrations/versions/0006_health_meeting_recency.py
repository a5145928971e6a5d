"""customer health v2: meeting recency joins the indicators (the first three keep their proportions)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from data_access.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# version 2 (data_access.health documents it): version 1's 40 / 30 / 30 % × 0.8, meetings 20 %
DEFAULTS = [("revenue_trend", 0.32, 1.0, 0.5), ("invoice_recency", 0.24, 30.0, 180.0), ("contract_pace", 0.24, 0.0, -0.5),
            ("meeting_recency", 0.2, 45.0, 180.0)]


def upgrade() -> None:
    config = sa.table("health_score_config", sa.column("version", sa.Integer()), sa.column("indicator", sa.String()),
                      sa.column("weight", sa.Float()), sa.column("full_at", sa.Float()), sa.column("zero_at", sa.Float()),
                      sa.column("created_by", sa.String()), sa.column("created_at", UTCDateTime()))
    latest = op.get_bind().execute(sa.select(sa.func.max(config.c.version))).scalar()
    if latest != 1:  # an admin saved a version of their own: theirs stays in force
        return
    now = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(config, [{"version": 2, "indicator": name, "weight": weight, "full_at": full, "zero_at": zero,
                             "created_by": "pulse", "created_at": now} for name, weight, full, zero in DEFAULTS])


def downgrade() -> None:
    config = sa.table("health_score_config", sa.column("version", sa.Integer()), sa.column("created_by", sa.String()))
    op.execute(config.delete().where(config.c.version == 2, config.c.created_by == "pulse"))
