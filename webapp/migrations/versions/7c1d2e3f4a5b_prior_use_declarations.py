"""prior-use declarations: use of the program per company x region that the hours ledger does not hold

Revision ID: 7c1d2e3f4a5b
Revises: 8c4f2a6d1b93
Create Date: 2026-12-02 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import webapp.extensions  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "7c1d2e3f4a5b"
down_revision = "8c4f2a6d1b93"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prior_use_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=4), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", webapp.extensions.UTCDateTime(), nullable=False),
        sa.CheckConstraint("hours >= 0", name="ck_prior_use_declaration_hours"),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("prior_use_declaration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prior_use_declaration_account", ["company_id", "country", "fiscal_year"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_prior_use_declaration_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("prior_use_declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prior_use_declaration_case_id"))
        batch_op.drop_index("ix_prior_use_declaration_account")
    op.drop_table("prior_use_declaration")
