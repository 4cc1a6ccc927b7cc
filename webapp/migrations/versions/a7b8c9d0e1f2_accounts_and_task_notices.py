"""accounts and task notices: one-time password links (invitations, resets), notice settings, daily digests,
the account an audit event is about

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-12-01 16:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "a7b8c9d0e1f2"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("notify_tasks", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("notify_digest", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_event_subject_id", ["subject_id"])
        batch.create_foreign_key("fk_audit_event_subject_id_user_account", "user_account", ["subject_id"], ["id"])
    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.Column("expires_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.Column("used_at", webapp.extensions.UTCDateTime(), nullable=True),
        sa.CheckConstraint("purpose IN ('invitation', 'password_reset')", name="ck_purpose_allowed"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_account_link_user", "account_link", ["user_id", "used_at"])
    op.create_table(
        "task_digest",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queued_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("user_id", "day"),
    )


def downgrade():
    op.drop_table("task_digest")
    op.drop_index("ix_account_link_user", table_name="account_link")
    op.drop_table("account_link")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint("fk_audit_event_subject_id_user_account", type_="foreignkey")
        batch.drop_index("ix_audit_event_subject_id")
        batch.drop_column("subject_id")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("notify_digest")
        batch.drop_column("notify_tasks")
