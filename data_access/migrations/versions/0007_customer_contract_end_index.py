"""customer_profile: index contract_end (the Customers page filters and sorts by it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_customer_profile_contract_end"), "customer_profile", ["contract_end"])


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_profile_contract_end"), table_name="customer_profile")
