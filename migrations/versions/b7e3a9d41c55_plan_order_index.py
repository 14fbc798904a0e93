"""plan order: shops.plan_rank / plan_cycle / tracking copy and covering indexes for the 30-day list

The list for today reads the shop columns every refresh maintains. With the cell rank, the due
cycle and a copy of that cycle's tracking (plan item id, status, inspectors, closed on) stored
beside the due date, one index (open shops by rank, due date, id, carrying what the list shows)
yields the whole list in order with no sort, no join and, on PostgreSQL, no table access; a
partial index on plan items still live for their cycle keeps the copy cheap to maintain.

The new columns are empty until the next full refresh (`flask plan refresh`), so the refresh mark
is cleared: until then the list takes the general query, which does not read them.

Revision ID: b7e3a9d41c55
Revises: f0dd7c298bee
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "b7e3a9d41c55"
down_revision = "f0dd7c298bee"
branch_labels = None
depends_on = None

INCLUDE = [
    "code",
    "sign_name",
    "address",
    "street_id",
    "static_tier",
    "dynamic_grade",
    "plan_cycle",
    "due_reason",
    "registered_on",
    "plan_item_id",
    "plan_status",
    "plan_inspector_id",
    "plan_co_inspector_id",
    "plan_closed_on",
]


def tracking_columns():
    return [
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("plan_status", sa.String(length=16), nullable=True),
        sa.Column("plan_inspector_id", sa.Integer(), nullable=True),
        sa.Column("plan_co_inspector_id", sa.Integer(), nullable=True),
        sa.Column("plan_closed_on", sa.Date(), nullable=True),
    ]


def upgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_rank", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("plan_cycle", sa.String(length=10), nullable=True))
        for column in tracking_columns():
            batch_op.add_column(column)
    op.create_index(
        "ix_shops_plan_order",
        "shops",
        ["plan_rank", "next_due_on", "id"],
        unique=False,
        postgresql_include=INCLUDE,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_plan_items_live",
        "plan_items",
        ["shop_id", "cycle"],
        unique=False,
        postgresql_include=["id", "status", "inspector_id", "co_inspector_id", "closed_on"],
        postgresql_where=sa.text("status <> 'inspected'"),
        sqlite_where=sa.text("status <> 'inspected'"),
    )
    op.execute("DELETE FROM grading_rules WHERE key = 'plan_refreshed'")


def downgrade():
    op.drop_index("ix_plan_items_live", table_name="plan_items")
    op.drop_index("ix_shops_plan_order", table_name="shops")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        for column in reversed(tracking_columns()):
            batch_op.drop_column(column.name)
        batch_op.drop_column("plan_cycle")
        batch_op.drop_column("plan_rank")
