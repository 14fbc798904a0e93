"""plan fast path: index shops (status, next_due_on) for the 30-day list of today

The list for today, after today's full refresh (`flask plan refresh`), is read from the shop
columns every write maintains (next_due_on, due_reason, static_tier, dynamic_grade): a range over
this index. The refresh day itself is a row of grading_rules (key "plan_refreshed"), written by
the refresh — no schema change.

Revision ID: f0dd7c298bee
Revises: a1c0ffee0002
Create Date: 2026-11-28
"""
from alembic import op

revision = "f0dd7c298bee"
down_revision = "a1c0ffee0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.create_index("ix_shops_status_next_due", ["status", "next_due_on"], unique=False)


def downgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_index("ix_shops_status_next_due")
