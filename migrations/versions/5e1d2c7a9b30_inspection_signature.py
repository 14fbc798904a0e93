"""inspection signature: the merchant's signature drawn on the inspector's phone

A nullable path (under UPLOAD_DIR) of the PNG the merchant drew on the checklist page; the result
sheet prints it in the 经营者签名 box. Existing inspections keep NULL (signed on paper).

Revision ID: 5e1d2c7a9b30
Revises: eda80b15fc1e
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "5e1d2c7a9b30"
down_revision = "eda80b15fc1e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_column("signature")
