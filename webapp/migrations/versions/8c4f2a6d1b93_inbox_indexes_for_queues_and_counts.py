"""inbox indexes: a role's queue in due order with its countries, capped counts per filter option

Revision ID: 8c4f2a6d1b93
Revises: 5b7e1c9a0d42
Create Date: 2026-12-01 12:40:00.000000

"""

from alembic import op

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "8c4f2a6d1b93"
down_revision = "5b7e1c9a0d42"
branch_labels = None
depends_on = None

INDEXES = {
    # an expert's inbox (several countries) in due order, the country and assignee read from the index
    "ix_human_task_role_due": ["status", "role", "due_at", "id", "country", "assignee_id"],
    # the inbox's capped counts per stage, country and edition option
    "ix_human_task_stage": ["status", "stage"],
    "ix_human_task_country": ["status", "country"],
    "ix_human_task_edition": ["status", "edition"],
}


def upgrade():
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        for name in reversed(list(INDEXES)):
            batch_op.drop_index(name)
