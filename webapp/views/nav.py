"""The main menu, defined in one place: (endpoint, label, roles allowed to see it).

Each area appends its entry here; entries whose endpoint is not registered are left out of the menu.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from ..models import Role

NavItem = tuple[str, Any, frozenset[str]]

NAV_ITEMS: list[NavItem] = [
    ("inbox.index", _l("受付箱"), frozenset({Role.STAFF, Role.EXPERT, Role.APPLICANT, Role.ADMIN})),
    ("applications.new", _l("申込書の登録"), frozenset({Role.STAFF})),
    ("cases.index", _l("案件"), frozenset({Role.STAFF, Role.EXPERT, Role.APPLICANT, Role.ADMIN})),
    ("dashboard.index", _l("ダッシュボード"), frozenset({Role.STAFF, Role.ADMIN})),
    ("reports.index", _l("報告"), frozenset({Role.STAFF})),
    ("outbox.index", _l("送信メール"), frozenset({Role.ADMIN})),
    ("admin.index", _l("アカウント"), frozenset({Role.ADMIN})),
    ("process.index", _l("プロセス"), frozenset({Role.DESIGNER, Role.ADMIN})),
    ("repairs.index", _l("プロセスのエラー"), frozenset({Role.DESIGNER, Role.ADMIN})),
    ("public.index", _l("支援事例"), frozenset({Role.STAFF, Role.EXPERT, Role.APPLICANT, Role.DESIGNER, Role.ADMIN})),
]


def nav_items() -> list[NavItem]:
    return [item for item in NAV_ITEMS if item[0] in current_app.view_functions]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav():  # type: ignore[no-untyped-def]
        return {"nav_items": nav_items()}
