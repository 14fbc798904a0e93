"""published_faces: each shop's citizen face published for the district day and language, served
to anonymous scans without rendering (issue 16: the scan page with a cold cache)

Revision ID: 7a4d2c9e1b60
Revises: d2b6f4a8c035
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "7a4d2c9e1b60"
down_revision = "d2b6f4a8c035"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "published_faces",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shop_updated_at", sa.DateTime(), nullable=False),
        sa.Column("plate_version", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_published_faces_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code", "locale", name=op.f("pk_published_faces")),
    )
    op.create_index(op.f("ix_published_faces_shop_id"), "published_faces", ["shop_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_published_faces_shop_id"), table_name="published_faces")
    op.drop_table("published_faces")
