"""process drafts: the designers' editor saves BPMN/DMN here until a draft is deployed

Revision ID: f6a7b8c9d0e1
Revises: d4e5f6a7b8c9
Create Date: 2026-12-01 15:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "f6a7b8c9d0e1"
down_revision = "d4e5f6a7b8c9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=100), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("deployed_version_id", sa.Integer(), nullable=True),
        sa.Column("sources_json", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.Column("updated_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["base_version_id"], ["process_version.id"]),
        sa.ForeignKeyConstraint(["deployed_version_id"], ["process_version.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("process_draft")
