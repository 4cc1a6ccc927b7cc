"""adoption decision marked in deployed versions

Versions deployed before the diagram's `decides` property existed keep running their cases: their task with
the adoption form is the adoption decision, so the stored user-task metadata says so.

Revision ID: b1d2e3f4a5c6
Revises: 9e3f4a5b6c7d
Create Date: 2026-12-01 13:55:00.000000

"""

import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b1d2e3f4a5c6"
down_revision = "9e3f4a5b6c7d"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, user_tasks_json FROM process_version")).all()
    for version_id, text in rows:
        tasks = json.loads(text or "{}")
        changed = False
        for meta in tasks.values():
            if "decides" not in meta:
                meta["decides"] = "adoption" if meta.get("form_key") == "adoption_decision" else ""
                changed = True
        if changed:
            connection.execute(
                sa.text("UPDATE process_version SET user_tasks_json = :tasks WHERE id = :id"),
                {"tasks": json.dumps(tasks, ensure_ascii=False), "id": version_id},
            )


def downgrade():
    pass  # the extra key is ignored by older code
