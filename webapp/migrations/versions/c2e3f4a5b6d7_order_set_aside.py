"""order set aside

Revision ID: c2e3f4a5b6d7
Revises: b1d2e3f4a5c6
Create Date: 2026-12-01 14:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "c2e3f4a5b6d7"
down_revision = "b1d2e3f4a5c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_set_aside_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_column("order_set_aside_reason")
