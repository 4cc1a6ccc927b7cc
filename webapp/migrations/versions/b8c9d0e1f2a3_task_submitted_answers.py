"""what a completed task submitted (the case record)

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-12-01 16:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "b8c9d0e1f2a3"
down_revision = "a7b8c9d0e1f2"
branch_labels = None
depends_on = None


def upgrade():
    # Tasks completed before this keep their answers only in the history (audit_event.after_json of
    # "task_completed"); the case record reads them from there when this column is empty.
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_json", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_column("submitted_json")
