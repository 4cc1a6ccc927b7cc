"""Operations on drafts: start one from the newest version, save the editor's files, check them with the deploy's
validation, deploy. They flush; the request commits (webapp/boundary.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Table, update
from sqlalchemy.orm.attributes import set_committed_value

from workflows.engine import ProcessDefinitionError

from ..diagram_messages import describe_definition_error
from ..extensions import db
from ..models import ProcessVersion, User, utcnow
from ..operations.audit import record
from ..operations.errors import Conflict, Invalid
from ..operations.process import MAIN_PROCESS, deploy_files, latest_version, parse_files, repository_files
from .models import ProcessDraft

MAX_FILE_CHARS = 500_000  # the program's diagram is about 50 KB


@dataclass(frozen=True)
class Problem:
    """One finding of the deploy's validation, placed on its file and element when it names them."""

    file: str | None
    element: str | None
    message: str

    def as_json(self) -> dict[str, str | None]:
        return {"file": self.file, "element": self.element, "message": self.message}


def start_draft(actor: User) -> ProcessDraft:
    """A draft holding the newest deployed version's files (the repository's before the first deploy)."""
    latest = latest_version()
    sources = latest.sources if latest is not None else repository_files()
    draft = ProcessDraft(
        process_id=MAIN_PROCESS,
        base_version_id=latest.id if latest is not None else None,
        sources_json=json.dumps(sources, ensure_ascii=False),
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    db.session.add(draft)
    db.session.flush()
    record(actor, None, "process_draft_started", detail=f"draft {draft.id}")
    return draft


def check_files(files: dict[str, str]) -> list[Problem]:
    """What the deploy would refuse (schema, form keys, lanes, the script rules...), without deploying."""
    try:
        parse_files(files)
    except ProcessDefinitionError as exc:
        return [Problem(exc.file, exc.element, describe_definition_error(exc))]
    return []


def save_draft(draft: ProcessDraft, files: object, seen_lock_version: object, actor: User) -> list[Problem]:
    """Stores the editor's files as the draft (whatever their state: a draft may be unfinished) and returns what
    the deploy would refuse. The files are the draft's own, by name; a save from an older page is refused."""
    if draft.deployed:
        raise Conflict(_("この下書きはデプロイ済みのため変更できません。新しい下書きを作成してください。"))
    if seen_lock_version != draft.lock_version:
        raise Conflict(_("この下書きは他の画面で保存されています。再読み込みしてからやり直してください。"))
    current = draft.sources
    if not isinstance(files, dict) or set(files) != set(current):
        raise Invalid(_("下書きのファイル（%(names)s）をすべて送ってください。", names="、".join(sorted(current))))
    for name, text in files.items():
        if not isinstance(text, str) or not text.strip():
            raise Invalid(_("%(name)s の内容がありません。", name=name))
        if len(text) > MAX_FILE_CHARS:
            raise Invalid(_("%(name)s が大きすぎます（%(max)d文字まで）。", name=name, max=MAX_FILE_CHARS))
    values = {
        "sources_json": json.dumps({name: files[name] for name in current}, ensure_ascii=False),
        "lock_version": draft.lock_version + 1,
        "updated_by_id": actor.id,
        "updated_at": utcnow(),
    }
    # compare-and-set: of two saves of the same version (two tabs, two designers) one wins, on any database
    table = cast(Table, ProcessDraft.__table__)
    written = db.session.execute(
        update(table).where(table.c.id == draft.id, table.c.lock_version == draft.lock_version).values(values)
    )
    if cast(CursorResult, written).rowcount != 1:
        raise Conflict(_("この下書きは他の画面で保存されています。再読み込みしてからやり直してください。"))
    for key, value in values.items():
        set_committed_value(draft, key, value)
    record(actor, None, "process_draft_saved", detail=f"draft {draft.id}")
    return check_files(draft.sources)


def deploy_draft(draft: ProcessDraft, actor: User) -> tuple[ProcessVersion, bool]:
    """The draft's files through the one deploy path (ProcessDefinitionError when refused; nothing stored)."""
    if draft.deployed:
        raise Conflict(_("この下書きはデプロイ済みです。"))
    version, created = deploy_files(draft.sources, actor)
    draft.deployed_version_id = version.id
    db.session.flush()
    record(actor, None, "process_draft_deployed", detail=f"draft {draft.id} -> v{version.version}")
    return version, created
