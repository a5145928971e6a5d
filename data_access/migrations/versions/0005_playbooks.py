"""playbooks: the rules (governed data) and the actions they open for a customer's owner

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from data_access.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the shipped rules (data_access.playbooks documents them); admins change them on Settings › Playbooks
DEFAULTS = [
    ("Health below 50", "health_below", 50.0, "Schedule an executive check-in", 7),
    ("Health falling", "health_drop", 15.0, "Call the customer's sponsor to find out what changed", 5),
    ("Renewal not committed", "renewal_due", 60.0, "Agree the renewal's terms with the customer", 14),
]


def upgrade() -> None:
    rule = op.create_table(
        "playbook_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("trigger_kind", sa.String(length=20), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("due_in_days", sa.Integer(), nullable=False),
        sa.Column("repeat_after_days", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("trigger_kind in ('health_below', 'health_drop', 'renewal_due')",
                           name=op.f("ck_playbook_rule_trigger_kind")),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_playbook_rule_threshold")),
        sa.CheckConstraint("due_in_days >= 1", name=op.f("ck_playbook_rule_due_in_days")),
        sa.CheckConstraint("repeat_after_days >= 1", name=op.f("ck_playbook_rule_repeat_after_days")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_rule")),
    )
    op.create_table(
        "playbook_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=320), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status in ('open', 'done', 'dismissed')", name=op.f("ck_playbook_action_status")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer_profile.customer_id"],
                                name=op.f("fk_playbook_action_customer_id_customer_profile"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["playbook_rule.id"], name=op.f("fk_playbook_action_rule_id_playbook_rule"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_action")),
        sa.UniqueConstraint("rule_id", "customer_id", "opened_on",
                            name=op.f("uq_playbook_action_rule_id_customer_id_opened_on")),
    )
    op.create_index(op.f("ix_playbook_action_customer_id"), "playbook_action", ["customer_id"])
    op.create_index(op.f("ix_playbook_action_status_due_date"), "playbook_action", ["status", "due_date"])
    now = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(rule, [{"name": name, "trigger_kind": kind, "threshold": threshold, "action": action,
                           "due_in_days": due, "repeat_after_days": 30, "enabled": True, "created_by": "pulse",
                           "version": 1, "created_at": now, "updated_at": now}
                          for name, kind, threshold, action, due in DEFAULTS])


def downgrade() -> None:
    op.drop_table("playbook_action")
    op.drop_table("playbook_rule")
