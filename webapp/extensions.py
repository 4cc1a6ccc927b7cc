"""Flask extensions, created unbound and initialised in create_app."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, event
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, registry
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware datetimes on every database (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    registry = registry(type_annotation_map={datetime: UTCDateTime})


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def begin_write() -> None:
    """Starts the session's next transaction as a writer (SQLite: BEGIN IMMEDIATE)."""
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_immediate": True})
        session.info["writer"] = session.get_transaction()


def reads_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a view whose operation runs the engine (a diagram's scripts) before it writes: the request does
    not take SQLite's write lock up front, so a slow script never blocks other writers; the operation takes
    it with `lock_for_write()` once the engine has run."""
    view.reads_first = True  # type: ignore[attr-defined]
    return view


def lock_for_write() -> None:
    """Ends a read-only transaction and starts a writing one (SQLite); a no-op when already writing.

    What was read before stays loaded (not reloaded): callers write conditionally (compare-and-set on the
    instance's lock_version, UPDATE … WHERE status = 'open') or refresh what they re-check."""
    session = db.session()
    current = session.get_transaction()
    if db.engine.dialect.name != "sqlite" or (current is not None and session.info.get("writer") is current):
        return
    if (
        session.new
        or session.dirty
        or session.deleted
        or (current is not None and session.info.get("wrote") is current)
    ):
        session.flush()  # this transaction has written (a CLI seeding, say): SQLite already gave it the lock
        return
    if session.in_transaction():
        # Nothing was written, so committing equals rolling back; unlike a rollback it can keep the loaded
        # objects (reloading the instance's whole state would cost more than the step itself).
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
    begin_write()


@event.listens_for(Session, "after_flush")
def _mark_written(session: Session, _context: Any) -> None:
    session.info["wrote"] = session.get_transaction()


@event.listens_for(Session, "do_orm_execute")
def _mark_written_by_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = state.session.get_transaction()
