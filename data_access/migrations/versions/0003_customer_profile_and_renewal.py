"""customers as Pulse knows them (synced from the warehouse, plus Pulse's own fields) and renewals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data_access.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

USD = sa.Numeric(14, 2)


def _stamps() -> list[sa.Column]:
    return [sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("updated_at", UTCDateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "customer_profile",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("arr_usd", USD, nullable=False),
        sa.Column("last_invoice_date", sa.Date(), nullable=True),
        sa.Column("tier", sa.String(length=50), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("contract_start", sa.Date(), nullable=True),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("in_warehouse", sa.Boolean(), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=True),
        *_stamps(),
        sa.CheckConstraint("arr_usd >= 0", name=op.f("ck_customer_profile_arr_usd")),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profile")),
    )
    for column in ("name", "segment", "owner", "arr_usd"):  # what the Customers page filters and sorts on
        op.create_index(op.f(f"ix_customer_profile_{column}"), "customer_profile", [column])
    op.create_table(
        "renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("hubspot_deal_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("current_value_usd", USD, nullable=False),
        sa.Column("proposed_value_usd", USD, nullable=True),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        *_stamps(),
        sa.CheckConstraint("status in ('open', 'in_negotiation', 'committed', 'renewed', 'churned')",
                           name=op.f("ck_renewal_status")),
        sa.CheckConstraint("risk_level in ('low', 'medium', 'high')", name=op.f("ck_renewal_risk_level")),
        sa.CheckConstraint("current_value_usd >= 0", name=op.f("ck_renewal_current_value_usd")),
        sa.CheckConstraint("proposed_value_usd is null or proposed_value_usd >= 0",
                           name=op.f("ck_renewal_proposed_value_usd")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer_profile.customer_id"],
                                name=op.f("fk_renewal_customer_id_customer_profile"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal")),
    )
    op.create_index(op.f("ix_renewal_customer_id"), "renewal", ["customer_id"])
    op.create_index(op.f("ix_renewal_renewal_date"), "renewal", ["renewal_date"])
    op.create_index("ix_renewal_status_renewal_date", "renewal", ["status", "renewal_date"])


def downgrade() -> None:
    op.drop_table("renewal")
    op.drop_table("customer_profile")
