"""withdrawal, suspension and cancellation: case statuses, the reason and suspension of a case and of an edition

Revision ID: 9e3f4a5b6c7d
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "9e3f4a5b6c7d"
down_revision = "7c1d2e3f4a5b"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('active', 'ineligible', 'rejected', 'completed')"
NEW_STATUSES = "status IN ('active', 'ineligible', 'rejected', 'completed', 'withdrawn', 'suspended', 'cancelled')"


def upgrade():
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("suspended_at", webapp.extensions.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("suspended_with_edition", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint("ck_status_allowed", type_="check")
        batch_op.create_check_constraint("ck_status_allowed", NEW_STATUSES)

    with op.batch_alter_table("edition_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", webapp.extensions.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.Text(), nullable=True))


def downgrade():
    # The old schema has no word for these cases: refuse rather than relabel them as something they are not.
    connection = op.get_bind()
    count = connection.execute(
        sa.text("SELECT count(*) FROM support_case WHERE status IN ('withdrawn', 'suspended', 'cancelled')")
    ).scalar()
    if count:
        raise RuntimeError(
            f"{count} case(s) are withdrawn, suspended or cancelled; the previous schema cannot hold them"
        )
    with op.batch_alter_table("edition_state", schema=None) as batch_op:
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("suspended_at")

    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_constraint("ck_status_allowed", type_="check")
        batch_op.create_check_constraint("ck_status_allowed", OLD_STATUSES)
        batch_op.drop_column("suspended_with_edition")
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("status_reason")
