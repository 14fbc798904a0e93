"""accounts: the district administrator flag, temporary passwords, last login (issue 14)

`users.is_admin` marks the district administrator (a district-wide regulator who manages accounts;
`flask setup` or the first-run page creates the first one). `users.must_change_password` is set by
a password reset: after logging in with the temporary password every page leads to the
change-password page until it is changed. `users.last_login_at` is written at each login.

Existing accounts keep their rights: nobody becomes an administrator by this migration; run
`flask --app huishang setup` once to create one.

Revision ID: f59d6c54ffe3
Revises: 5e1d2c7a9b30
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "f59d6c54ffe3"
down_revision = "5e1d2c7a9b30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
        batch.drop_column("is_admin")
