"""A draft of the process sources: edited and saved as often as a designer likes; nothing runs it until it is
deployed (then it becomes a ProcessVersion through the same validation as every deploy)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Base, db
from ..models import ProcessVersion, User, utcnow

if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


class ProcessDraft(Model):
    __tablename__ = "process_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    # The version the draft started from (what "changed" is measured against), and the one it became.
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    deployed_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    sources_json: Mapped[str] = mapped_column(Text)  # {"file name": "xml text"}
    lock_version: Mapped[int] = mapped_column(default=1)  # a save names the one it edited: no lost update
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    base_version: Mapped[ProcessVersion | None] = relationship(foreign_keys=[base_version_id])
    deployed_version: Mapped[ProcessVersion | None] = relationship(foreign_keys=[deployed_version_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def sources(self) -> dict[str, str]:
        return dict(json.loads(self.sources_json))

    @property
    def deployed(self) -> bool:
        return self.deployed_version_id is not None
