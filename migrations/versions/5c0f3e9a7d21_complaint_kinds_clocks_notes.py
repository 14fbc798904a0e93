"""complaints: the two kinds with their legal clocks, the citizen's short ticket and key, SMS
consent, and an audience for every note (issues 15 and 17)

- complaints.name (personal data), sms_consent, short_code (unique), pin_hash, accepted_on,
  case_extended, overdue_clocks;
- complaint_events.audience: citizen | merchant | internal.

Existing rows (decided, docs/notes/issue-15-feedback.md):
- kind: a row filed as 投诉 with no phone cannot be the complaint of SAMR Order 20 Art. 9 (name and
  phone are required), so it becomes a 举报 — unless the desk already forwarded it to the merchant
  (mediation is under way; reports are never forwarded), which stays a 投诉. Rows filed as 举报 stay.
- accepted_on: the (UTC) day of the row's first "accept" event; NULL if none.
- audience: the note of a forward event was written for the merchant ("转交意见（商户可见）")
  → merchant; a non-public event (assignment, escalation) → internal; every other → citizen.
- Old tickets and 22-character tracking keys stay valid: short_code and pin_hash stay NULL.

Revision ID: 5c0f3e9a7d21
Revises: f59d6c54ffe3
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "5c0f3e9a7d21"
down_revision = "f59d6c54ffe3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("sms_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("short_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("accepted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("case_extended", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("overdue_clocks", sa.String(length=120), nullable=False, server_default=""))
        batch_op.create_unique_constraint("uq_complaints_short_code", ["short_code"])
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=10), nullable=False, server_default="citizen"))

    op.execute("UPDATE complaints SET kind = 'report' WHERE kind = 'complaint' "
               "AND (phone IS NULL OR phone = '') AND forwarded_on IS NULL")
    op.execute("UPDATE complaint_events SET audience = 'merchant' WHERE action = 'forward'")
    op.execute("UPDATE complaint_events SET audience = 'internal' WHERE public = false AND action <> 'forward'")
    bind = op.get_bind()
    first_accept = bind.execute(sa.text(
        "SELECT complaint_id, MIN(at) FROM complaint_events WHERE action = 'accept' GROUP BY complaint_id")).all()
    for complaint_id, at in first_accept:
        day = at[:10] if isinstance(at, str) else at.date()  # SQLite hands back text
        bind.execute(sa.text("UPDATE complaints SET accepted_on = :day WHERE id = :id"),
                     {"day": day, "id": complaint_id})

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.alter_column("sms_consent", server_default=None)
        batch_op.alter_column("case_extended", server_default=None)
        batch_op.alter_column("overdue_clocks", server_default=None)
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.alter_column("audience", server_default=None)


def downgrade():
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_column("audience")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_constraint("uq_complaints_short_code", type_="unique")
        for column in ("overdue_clocks", "case_extended", "accepted_on", "pin_hash", "short_code",
                       "sms_consent", "name"):
            batch_op.drop_column(column)
