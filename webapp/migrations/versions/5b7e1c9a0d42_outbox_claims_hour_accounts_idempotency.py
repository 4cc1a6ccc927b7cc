"""outbox claims, hour accounts per edition, idempotent requests

Revision ID: 5b7e1c9a0d42
Revises: 2e2cdbaa9296
Create Date: 2026-12-01 12:15:29.236931

"""

import secrets

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "5b7e1c9a0d42"
down_revision = "2e2cdbaa9296"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sent', 'kept', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'kept', 'failed')"


def upgrade():
    op.create_table(
        "hour_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=4), nullable=False),
        sa.Column("edition", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "country", "edition"),
    )
    op.create_table(
        "idempotent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotent_request_created_at"), ["created_at"], unique=False)

    # Hours carry their edition (the cap is per edition's program); existing entries take their case's.
    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edition", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE hours_entry SET edition = (SELECT edition FROM support_case WHERE support_case.id = hours_entry.case_id)"
    )
    op.execute(
        "INSERT INTO hour_account (company_id, country, edition) "
        "SELECT DISTINCT company_id, country, edition FROM hours_entry"
    )
    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.alter_column("edition", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_index(batch_op.f("ix_hours_company_country"))
        batch_op.create_index("ix_hours_account", ["company_id", "country", "edition"], unique=False)

    # The outbox: a stable Message-ID per email, claims and retries with backoff.
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", webapp.extensions.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", webapp.extensions.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM outbox_email"))]
    for email_id in ids:
        connection.execute(
            sa.text("UPDATE outbox_email SET message_id = :mid, next_attempt_at = created_at WHERE id = :id"),
            {"mid": f"<outbox.{email_id}.{secrets.token_hex(8)}@jetro.go.jp>", "id": email_id},
        )
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=250), nullable=False)
        batch_op.create_index(batch_op.f("ix_outbox_email_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_unique_constraint("uq_outbox_email_message_id", ["message_id"])
        batch_op.drop_constraint("ck_status_allowed", type_="check")
        batch_op.create_check_constraint("ck_status_allowed", NEW_STATUSES)


def downgrade():
    op.execute("UPDATE outbox_email SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_constraint("ck_status_allowed", type_="check")
        batch_op.create_check_constraint("ck_status_allowed", OLD_STATUSES)
        batch_op.drop_constraint("uq_outbox_email_message_id", type_="unique")
        batch_op.drop_index(batch_op.f("ix_outbox_email_next_attempt_at"))
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("message_id")

    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_hours_account")
        batch_op.create_index(batch_op.f("ix_hours_company_country"), ["company_id", "country"], unique=False)
        batch_op.drop_column("edition")

    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_request_created_at"))
    op.drop_table("idempotent_request")
    op.drop_table("hour_account")
