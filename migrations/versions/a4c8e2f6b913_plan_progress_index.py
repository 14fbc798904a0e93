"""plan progress: an index on plan_items.generated_on carrying what the progress counts

The progress of the 30-day list (items generated since a day, by street, inspector and status)
read every plan item ever saved; past cycles accumulate (two per shop in the benchmark, 2.3
million rows for 1,000,000 shops). With this index it reads only the recent range, and on
PostgreSQL from the index alone.

Revision ID: a4c8e2f6b913
Revises: 5c0f3e9a7d21
Create Date: 2026-12-04
"""
from alembic import op

revision = "a4c8e2f6b913"
down_revision = "5c0f3e9a7d21"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_plan_items_generated_on",
        "plan_items",
        ["generated_on"],
        unique=False,
        postgresql_include=["street_id", "status", "inspector_id", "co_inspector_id"],
    )


def downgrade():
    op.drop_index("ix_plan_items_generated_on", table_name="plan_items")
