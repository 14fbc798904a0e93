"""seed reference data: the 13 streets and the business-type catalogue

Revision ID: a1c0ffee0001
Revises: 5fb6d8c8f299
Create Date: 2026-11-28
"""
from alembic import op
from sqlalchemy.orm import Session

revision = "a1c0ffee0001"
down_revision = "5fb6d8c8f299"
branch_labels = None
depends_on = None


def upgrade():
    from huishang.services.catalog import seed_reference_data

    session = Session(bind=op.get_bind())
    seed_reference_data(session)
    session.commit()


def downgrade():
    op.execute("DELETE FROM business_types WHERE parent_id IS NOT NULL")
    op.execute("DELETE FROM business_types")
    op.execute("DELETE FROM streets")
