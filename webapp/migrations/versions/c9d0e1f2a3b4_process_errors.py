"""process errors: a diagram step that failed on a completion or a timer, kept for designers to see and retry

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
Create Date: 2026-12-01 16:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "c9d0e1f2a3b4"
down_revision = "b8c9d0e1f2a3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("element", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("cause_json", sa.Text(), nullable=True),
        sa.Column("data_json", sa.Text(), nullable=True),
        sa.Column("data_omitted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("first_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.Column("last_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", webapp.extensions.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key", name="uq_process_error_open_key"),
    )
    with op.batch_alter_table("process_error", schema=None) as batch_op:
        batch_op.create_index("ix_process_error_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_process_error_open", ["resolved_at", "last_at"], unique=False)


def downgrade():
    with op.batch_alter_table("process_error", schema=None) as batch_op:
        batch_op.drop_index("ix_process_error_open")
        batch_op.drop_index("ix_process_error_case_id")
    op.drop_table("process_error")
