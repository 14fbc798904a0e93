"""seed reference data: the 13 streets, the business-type catalogue, checklist templates and the
grading rules (`seed_reference_data()` is idempotent and never overwrites a regulator's edits)

Revision ID: a1c0ffee0002
Revises: 8cdffe9153ea
Create Date: 2026-11-28
"""
from alembic import op
from sqlalchemy.orm import Session

revision = "a1c0ffee0002"
down_revision = "8cdffe9153ea"
branch_labels = None
depends_on = None


def upgrade():
    from huishang.services.reference import seed_reference_data

    session = Session(bind=op.get_bind())
    seed_reference_data(session)
    session.flush()


def downgrade():
    # Reference rows are removed with their tables by the schema migration's downgrade.
    pass
