"""plan counts: the shops' due-date index carries the cell rank, registration day and street

A page of the 30-day list for today counts the list by part and cell rank first (`fast_plan_page`,
`fast_sorted_page`). With (status, next_due_on) alone PostgreSQL read the table for the rank,
registration day and street; carrying them (INCLUDE) it counts from the index alone. The new
index replaces ix_shops_status_next_due (same keys).

Revision ID: d2b6f4a8c035
Revises: a4c8e2f6b913
Create Date: 2026-12-04
"""
from alembic import op

revision = "d2b6f4a8c035"
down_revision = "a4c8e2f6b913"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_shops_due_counts",
        "shops",
        ["status", "next_due_on"],
        unique=False,
        postgresql_include=["plan_rank", "registered_on", "street_id"],
    )
    op.drop_index("ix_shops_status_next_due", table_name="shops")


def downgrade():
    op.create_index("ix_shops_status_next_due", "shops", ["status", "next_due_on"], unique=False)
    op.drop_index("ix_shops_due_counts", table_name="shops")
