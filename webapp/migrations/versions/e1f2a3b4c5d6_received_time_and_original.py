"""received time; the original application's dispatch and receipt

Revision ID: e1f2a3b4c5d6
Revises: c2e3f4a5b6d7
Create Date: 2026-12-01 15:10:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "e1f2a3b4c5d6"
down_revision = "c2e3f4a5b6d7"
branch_labels = None
depends_on = None


def upgrade():
    # Cases registered before this knew only the date: they are taken as received at 00:00 (Japan time), so
    # among themselves they keep the old order (date, then case id).
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_time", sa.Time(), nullable=False, server_default="00:00:00"))
        batch_op.add_column(sa.Column("original_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("original_received_on", sa.Date(), nullable=True))
        batch_op.drop_index("ix_case_edition_received")
        batch_op.create_index("ix_case_edition_received", ["edition", "received_on", "received_time", "id"])


def downgrade():
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_edition_received")
        batch_op.create_index("ix_case_edition_received", ["edition", "received_on", "id"])
        batch_op.drop_column("original_received_on")
        batch_op.drop_column("original_sent_on")
        batch_op.drop_column("received_time")
