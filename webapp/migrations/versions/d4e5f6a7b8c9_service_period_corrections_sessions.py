"""service period per country, reversal entries, follow-up reservation, training and consultation records; the cap
no longer copied into case_country

Revision ID: d4e5f6a7b8c9
Revises: e1f2a3b4c5d6
Create Date: 2026-12-01 16:30:00.000000

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import webapp.extensions  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "d4e5f6a7b8c9"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None

# A country whose service task or follow-up is open has had its plan confirmed: its service is open.
OPENED = (
    "UPDATE case_country SET service_opened_at = :now WHERE EXISTS (SELECT 1 FROM human_task t "
    "WHERE t.case_id = case_country.case_id AND t.country = case_country.country AND t.status = 'open' "
    "AND t.stage IN ('service', 'follow_up'))"
)
# A country whose follow-up was completed is closed as completed (earlier versions left the reason empty).
COMPLETED = (
    "UPDATE case_country SET closed_reason = 'completed', closed_at = (SELECT MAX(t.completed_at) FROM human_task t "
    "WHERE t.case_id = case_country.case_id AND t.country = case_country.country AND t.status = 'completed' "
    "AND t.stage = 'follow_up') WHERE closed_reason IS NULL AND EXISTS (SELECT 1 FROM human_task t "
    "WHERE t.case_id = case_country.case_id AND t.country = case_country.country AND t.status = 'completed' "
    "AND t.stage = 'follow_up')"
)


def upgrade():
    op.create_table(
        "service_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("items_json", sa.Text(), nullable=False),
        sa.Column("other_item", sa.String(length=300), nullable=True),
        sa.Column("audiences_json", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("interpreter", sa.Boolean(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("created_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('training', 'consultation')", name="ck_service_session_kind"),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"]),
        sa.ForeignKeyConstraint(["expert_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_session_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_hours_entry_reverses_id", ["reverses_id"])
        batch_op.create_foreign_key("fk_hours_entry_reverses_id", "hours_entry", ["reverses_id"], ["id"])
        batch_op.create_foreign_key("fk_hours_entry_session_id", "service_session", ["session_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_hours_entry_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("case_country", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_reserved", sa.Numeric(precision=6, scale=2), nullable=True))
        batch_op.add_column(sa.Column("service_opened_at", webapp.extensions.UTCDateTime(), nullable=True))
    now = datetime.now(UTC).replace(tzinfo=None)  # UTC, as the column stores it (no database clock or zone)
    op.get_bind().execute(sa.text(OPENED), {"now": now})
    op.execute(COMPLETED)
    # The cap's one home is the edition file (Edition.hour_cap); the copy made at registration goes.
    with op.batch_alter_table("case_country", schema=None) as batch_op:
        batch_op.drop_column("hour_cap")


def downgrade():
    with op.batch_alter_table("case_country", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hour_cap", sa.Numeric(precision=6, scale=2), nullable=False, server_default="0"))
        batch_op.drop_column("service_opened_at")
        batch_op.drop_column("follow_up_reserved")
    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hours_entry_session_id"))
        batch_op.drop_constraint("fk_hours_entry_session_id", type_="foreignkey")
        batch_op.drop_constraint("fk_hours_entry_reverses_id", type_="foreignkey")
        batch_op.drop_constraint("uq_hours_entry_reverses_id", type_="unique")
        batch_op.drop_column("session_id")
        batch_op.drop_column("reason")
        batch_op.drop_column("reverses_id")
    with op.batch_alter_table("service_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_session_case_id"))
    op.drop_table("service_session")
