"""law and credit: draws public only after their window by a random token; penalty kinds,
publication date and public summary; the conditions of credit repair

- random_draws: window_ends_on (the inspection window; filled as drawn_on + 30 days), public_token
  (random, unique; ids are never public), published now false until the window closes — existing
  draws are unpublished and republished by `flask plan refresh` once their window has closed
  (国办发〔2015〕58号: results after the inspection).
- penalties: kind (publicity class, SAMR Order 45 Art. 2/13; filled: minor -> fine_low, else fine),
  published_on (publicity runs from publication, Art. 13; left empty: no existing penalty becomes
  public until a regulator records when it was published; their periods still end where they did,
  counted from the decision, for grading and credit), basis, content, authority,
  restriction_ends_on (Art. 13 ¶3).
- credit_repairs: harm_statement, conditions (Art. 14, each condition as found by the reviewer).

Revision ID: 5c1e2d7a9b40
Revises: 3c9e5a1f7b20
Create Date: 2026-12-03
"""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "5c1e2d7a9b40"
down_revision = "3c9e5a1f7b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("random_draws", schema=None) as batch_op:
        batch_op.add_column(sa.Column("window_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("public_token", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    draws = sa.table("random_draws", sa.column("id", sa.Integer), sa.column("drawn_on", sa.Date),
                     sa.column("window_ends_on", sa.Date), sa.column("public_token", sa.String),
                     sa.column("published", sa.Boolean))
    for draw_id, drawn_on in conn.execute(sa.select(draws.c.id, draws.c.drawn_on)).fetchall():
        conn.execute(draws.update().where(draws.c.id == draw_id).values(
            window_ends_on=drawn_on + timedelta(days=30), public_token=secrets.token_urlsafe(16),
            published=False))
    with op.batch_alter_table("random_draws", schema=None) as batch_op:
        batch_op.alter_column("window_ends_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("public_token", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_random_draws_public_token", ["public_token"])

    with op.batch_alter_table("penalties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=30), nullable=False, server_default="fine"))
        batch_op.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("basis", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("content", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("authority", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("restriction_ends_on", sa.Date(), nullable=True))
    op.execute("UPDATE penalties SET kind = 'fine_low' WHERE severity = 'minor'")

    with op.batch_alter_table("credit_repairs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("harm_statement", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("conditions", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("credit_repairs", schema=None) as batch_op:
        batch_op.drop_column("conditions")
        batch_op.drop_column("harm_statement")
    with op.batch_alter_table("penalties", schema=None) as batch_op:
        for name in ("restriction_ends_on", "authority", "content", "basis", "published_on", "kind"):
            batch_op.drop_column(name)
    with op.batch_alter_table("random_draws", schema=None) as batch_op:
        batch_op.drop_constraint("uq_random_draws_public_token", type_="unique")
        batch_op.drop_column("public_token")
        batch_op.drop_column("window_ends_on")
