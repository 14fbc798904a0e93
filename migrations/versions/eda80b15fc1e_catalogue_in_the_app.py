"""catalogue in the app: retired checklists, English item text, the colour table in the database,
当场整改 answers and case referrals; ships the non-food forms and retires the 2020–2022 epidemic forms

- checklist_templates.retired_at: a retired form is kept for the inspections filled against it and
  never matched again. Existing databases: every form of topic "epidemic" (the 2020–2022 新冠
  guidance forms) is retired here; a fresh database gets them retired by the seed.
- checklist_items.text_en: the item's English text.
- catalog_settings: catalogue tables edited in the app (the cold-chain colour table).
- inspection_answers.result widened to 8 characters for "fixed" (当场整改).
- inspections.referred_at / referred_by_id / referral_note: 移送立案 of a failed key item.
- Seeds what is missing (the fitness and education business types, the non-food and pharmacy
  forms) and fills the English text of shipped items that have none.

Revision ID: eda80b15fc1e
Revises: 5c1e2d7a9b40 (the head on main when this was written; the lead re-chains heads when merging)
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "eda80b15fc1e"
down_revision = "5c1e2d7a9b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checklist_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_en", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.alter_column("text_en", server_default=None)
    op.create_table(
        "catalog_settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_catalog_settings_updated_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_catalog_settings")),
    )
    with op.batch_alter_table("inspection_answers", schema=None) as batch_op:
        batch_op.alter_column("result", existing_type=sa.String(length=4), type_=sa.String(length=8),
                              existing_nullable=False)
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referred_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("referred_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referral_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_inspections_referred_by_id_users"), "users", ["referred_by_id"], ["id"],
                                    ondelete="SET NULL")

    from huishang.services.catalog import checklists, seed

    session = Session(bind=op.get_bind())
    seed.seed_business_types(session)
    checklists.seed_checklists(session)
    checklists.retire_epidemic_forms(session)
    checklists.fill_english_text(session)
    session.flush()


def downgrade():
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_inspections_referred_by_id_users"), type_="foreignkey")
        batch_op.drop_column("referral_note")
        batch_op.drop_column("referred_by_id")
        batch_op.drop_column("referred_at")
    with op.batch_alter_table("inspection_answers", schema=None) as batch_op:
        batch_op.alter_column("result", existing_type=sa.String(length=8), type_=sa.String(length=4),
                              existing_nullable=False)
    op.drop_table("catalog_settings")
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_column("text_en")
    with op.batch_alter_table("checklist_templates", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
