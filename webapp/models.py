"""Database models (SQLAlchemy 2 typed mappings). Schema changes go through Alembic migrations."""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import hmac
import json
import secrets
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.clock import clock

from .extensions import Base, db

if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

_hasher = PasswordHasher()
# Not an argon2 hash, so check_password is False: an account whose person has not yet set a password from a link.
UNUSABLE_PASSWORD = "!"


def utcnow() -> datetime:
    return clock.now()


def _enum_check(column: str, values: type[enum.Enum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_allowed")


class Role(enum.StrEnum):
    STAFF = "staff"
    EXPERT = "expert"
    APPLICANT = "applicant"
    DESIGNER = "designer"
    ADMIN = "admin"


class CaseStatus(enum.StrEnum):
    ACTIVE = "active"
    INELIGIBLE = "ineligible"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"  # 辞退: the company (or staff on its behalf) withdrew it before completion
    SUSPENDED = "suspended"  # 中断・延期: paused by staff (or with its whole edition); resumes as active
    CANCELLED = "cancelled"  # 中止: JETRO ended the support, with a notice to the company


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EmailStatus(enum.StrEnum):
    PENDING = "pending"  # written in the transaction, not yet handed to SMTP
    SENDING = "sending"  # claimed by one delivery worker
    SENT = "sent"
    KEPT = "kept"  # no SMTP configured: kept in the outbox
    FAILED = "failed"  # the last attempt failed; retried at next_attempt_at (none: given up)


class Company(Model):
    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    corporate_number: Mapped[str | None] = mapped_column(String(13), index=True)
    hq_address: Mapped[str | None] = mapped_column(String(300))
    representative: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (_enum_check("role", Role),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_lead: Mapped[bool] = mapped_column(default=False)  # staff lead: may reassign tasks
    countries_csv: Mapped[str] = mapped_column(String(100), default="")  # experts: assigned countries
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the id kept in the session cookie; a new value ends every session (sign-out, password change).
    # Rows created before this column have "" until then.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16), server_default="")
    # Task emails the user may turn off on the settings page: a task entering their queue or assigned to them,
    # and the daily digest of their due and overdue tasks.
    notify_tasks: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_digest: Mapped[bool] = mapped_column(default=True, server_default=true())

    company: Mapped[Company | None] = relationship()

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(c for c in self.countries_csv.split(",") if c)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)
        self.end_sessions()  # whoever knew the old password must not stay signed in

    @property
    def has_password(self) -> bool:
        return self.password_hash != UNUSABLE_PASSWORD

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False

    @staticmethod
    def check_no_password(password: str) -> None:
        """Does check_password's work against a dummy hash, so an unknown or inactive user name is answered
        as slowly as a known one and the answer time does not tell which names exist."""
        with contextlib.suppress(VerifyMismatchError):
            _hasher.verify(_dummy_hash(), password)

    def end_sessions(self) -> None:
        self.session_nonce = secrets.token_hex(16)

    def get_id(self) -> str:
        """Flask-Login's session id: with the nonce, a cookie copied before sign-out stops working after it."""
        return f"{self.id}:{self.session_nonce}"

    def has_session_id(self, session_id: str) -> bool:
        return hmac.compare_digest(self.get_id(), session_id)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


class LinkPurpose(enum.StrEnum):
    INVITATION = "invitation"  # an applicant's contact invited from the case: the first password
    PASSWORD_RESET = "password_reset"  # an account created or reset by an admin: a new password


class AccountLink(Model):
    """A one-time link to set a password (an emailed invitation or reset): only a hash of its token is kept;
    used once (used_at), valid until expires_at."""

    __tablename__ = "account_link"
    __table_args__ = (_enum_check("purpose", LinkPurpose), Index("ix_account_link_user", "user_id", "used_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"))  # the case invited from
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class TaskDigest(Model):
    """One row per user and (Japan) day whose digest of due tasks was queued: ticks claim the row before
    writing the email, so repeated or concurrent ticks send it once."""

    __tablename__ = "task_digest"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Model):
    """One failed sign-in; counted per user name and per client address to lock out password guessing."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_account", "account_key", "at"),
        Index("ix_login_failure_client", "client", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # sha256 of the name typed: people type passwords into the name field, so it is not kept in clear.
    account_key: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(45))  # IPv4 or IPv6 address

    @staticmethod
    def key_for(username: str) -> str:
        return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


class ProcessVersion(Model):
    """A deployed process version: its spec is stored once here, never inside instances."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    source_hash: Mapped[str] = mapped_column(String(64))
    # Large columns load only when asked for: restoring an instance needs just the hash (definition cache key).
    sources_json: Mapped[str] = mapped_column(Text, deferred=True)  # {"file name": "xml text"} of the deployed files
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    user_tasks_json: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def sources(self) -> dict[str, str]:
        return json.loads(self.sources_json)


class EditionState(Model):
    """One row per edition: the adoption counter, locked while adopting so the quota holds."""

    __tablename__ = "edition_state"
    edition: Mapped[str] = mapped_column(String(20), primary_key=True)
    adopted_count: Mapped[int] = mapped_column(default=0)
    next_case_seq: Mapped[int] = mapped_column(default=1)
    # The whole edition postponed (only where its edition file says may_be_postponed): since when, and why.
    suspended_at: Mapped[datetime | None]
    suspended_reason: Mapped[str | None] = mapped_column(Text)


class Case(Model):
    __tablename__ = "support_case"
    __table_args__ = (
        _enum_check("status", CaseStatus),
        Index("ix_case_edition_received", "edition", "received_on", "received_time", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    edition: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    # When the application email arrived (Japan time): the order of receipt, ties broken by case id.
    received_on: Mapped[date]
    received_time: Mapped[time] = mapped_column(server_default="00:00:00")
    # FY2021 asks for the signed original by post: when the company sent it and when it arrived.
    original_sent_on: Mapped[date | None]
    original_received_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.ACTIVE.value)
    stage: Mapped[str] = mapped_column(String(30), default="receipt", index=True)
    application_json: Mapped[str] = mapped_column(Text, default="{}")
    ineligible_reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    decision_reason: Mapped[str | None] = mapped_column(Text)
    adopted_at: Mapped[datetime | None]
    # A lead took this case out of the order of receipt (it no longer blocks later adoptions), and why
    order_set_aside_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Why it was withdrawn, cancelled or suspended (the history keeps every change with its actor).
    status_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None]  # while suspended: since when (due dates and timers shift on resume)
    suspended_with_edition: Mapped[bool] = mapped_column(default=False, server_default=false())

    company: Mapped[Company] = relationship()
    countries: Mapped[list[CaseCountry]] = relationship(
        back_populates="case", order_by="CaseCountry.position", cascade="all, delete-orphan"
    )

    @property
    def application(self) -> dict[str, Any]:
        return json.loads(self.application_json)

    @property
    def ineligible_reasons(self) -> list[str]:
        return json.loads(self.ineligible_reasons_json)

    @property
    def country_codes(self) -> list[str]:
        return [c.country for c in self.countries]


class CaseCountry(Model):
    __tablename__ = "case_country"
    __table_args__ = (UniqueConstraint("case_id", "country"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    country: Mapped[str] = mapped_column(String(4), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # The cap is not kept here: the edition file is its one home (Edition.hour_cap).
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # Hours the briefing keeps for the follow-up meeting (「支援後のフォローアップ面談の時間を含み」)
    follow_up_reserved: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # The country's service opens when its plan is confirmed and closes with its follow-up (or the period's end)
    service_opened_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="countries")


class ProcessInstance(Model):
    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state_json: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(10))
    lock_version: Mapped[int] = mapped_column(default=1)  # compare-and-set on every save
    status: Mapped[str] = mapped_column(String(20), default="running")
    next_timer_due: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    process_version: Mapped[ProcessVersion] = relationship()
    case: Mapped[Case] = relationship()


class HumanTask(Model):
    """One row per ready user task, kept in step with the engine in the same transaction."""

    __tablename__ = "human_task"
    __table_args__ = (
        _enum_check("status", TaskStatus),
        Index("ix_human_task_inbox", "status", "role", "created_at"),
        Index("ix_human_task_due", "status", "due_at", "id"),
        Index("ix_human_task_queue", "status", "role", "country", "due_at", "id"),  # experts' inboxes
        Index("ix_human_task_assignee", "status", "assignee_id"),
        # A role's queue in due order with the country read from the index (an expert's several countries),
        # and the inbox's capped counts per filter option.
        Index("ix_human_task_role_due", "status", "role", "due_at", "id", "country", "assignee_id"),
        Index("ix_human_task_stage", "status", "stage"),
        Index("ix_human_task_country", "status", "country"),
        Index("ix_human_task_edition", "status", "edition"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), index=True)
    element_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(4))
    edition: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    draft_json: Mapped[str | None] = mapped_column(Text)
    submitted_json: Mapped[str | None] = mapped_column(Text)  # the answers it was completed with (case record)

    case: Mapped[Case] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class HourAccount(Model):
    """One cap account per company x country x edition: the row writers lock before checking the cap."""

    __tablename__ = "hour_account"
    __table_args__ = (UniqueConstraint("company_id", "country", "edition"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    country: Mapped[str] = mapped_column(String(4))
    edition: Mapped[str] = mapped_column(String(20))


class HoursEntry(Model):
    """The hours ledger: counted per cap account (company x country x edition); travel is not counted."""

    __tablename__ = "hours_entry"
    __table_args__ = (Index("ix_hours_account", "company_id", "country", "edition"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    country: Mapped[str] = mapped_column(String(4))
    edition: Mapped[str] = mapped_column(String(20))
    work_date: Mapped[date]
    activity: Mapped[str] = mapped_column(String(30))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    counted: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(500))
    expert_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A reversal: the entry it cancels (with the opposite hours, so sums are the net) and why. Entries are never
    # updated or deleted; one reversal per entry.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("hours_entry.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    # The training session or consultation whose record logged this entry
    session_id: Mapped[int | None] = mapped_column(ForeignKey("service_session.id"), index=True)

    expert: Mapped[User] = relationship()
    reverses: Mapped[HoursEntry | None] = relationship(
        remote_side=[id], foreign_keys=[reverses_id], back_populates="reversal"
    )
    reversal: Mapped[HoursEntry | None] = relationship(foreign_keys=[reverses_id], back_populates="reverses")


class ServiceSession(Model):
    """One training session (B) or consultation (A) delivered, as the expert recorded it; its hours go to the
    ledger from the same form (HoursEntry.session_id)."""

    __tablename__ = "service_session"
    __table_args__ = (CheckConstraint("kind IN ('training', 'consultation')", name="ck_service_session_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    country: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date]
    mode: Mapped[str] = mapped_column(String(20))  # onsite / web / phone / email
    place: Mapped[str | None] = mapped_column(String(200))
    items_json: Mapped[str] = mapped_column(Text, default="[]")  # menu codes: B1..B10, A1-1..A2-4, A-other
    other_item: Mapped[str | None] = mapped_column(String(300))  # 「その他（専門家と協議）」 in words
    audiences_json: Mapped[str] = mapped_column(Text, default="[]")
    language: Mapped[str | None] = mapped_column(String(5))
    interpreter: Mapped[bool] = mapped_column(default=False)
    attendees: Mapped[int | None]
    expert_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[User] = relationship()

    @property
    def items(self) -> list[str]:
        return list(json.loads(self.items_json))

    @property
    def audiences(self) -> list[str]:
        return list(json.loads(self.audiences_json))


class PriorUseDeclaration(Model):
    """Use of the program in one region that the hours ledger does not hold (years before the system), as
    declared, with where it was read. For one company x country x fiscal year the latest declaration stands."""

    __tablename__ = "prior_use_declaration"
    __table_args__ = (
        Index("ix_prior_use_declaration_account", "company_id", "country", "fiscal_year"),
        CheckConstraint("hours >= 0", name="ck_prior_use_declaration_hours"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    country: Mapped[str] = mapped_column(String(4))
    # The fiscal year of the use; a total stated "since FY2019" is kept under that first year.
    fiscal_year: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    source: Mapped[str] = mapped_column(String(200))  # e.g. 「申込書の記載」
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)  # the application read
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship()


class Attachment(Model):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # sealed_application, form1, form2
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Model):
    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    # The account an account change is about (created, edited, deactivated, invited, its password set)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str | None] = mapped_column(Text)
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    on_behalf: Mapped[bool] = mapped_column(default=False)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class OutboxEmail(Model):
    __tablename__ = "outbox_email"
    __table_args__ = (
        _enum_check("status", EmailStatus),
        UniqueConstraint("message_id", name="uq_outbox_email_message_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    template: Mapped[str] = mapped_column(String(50))
    to_addr: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=EmailStatus.PENDING.value, index=True)
    message_id: Mapped[str] = mapped_column(String(250))  # stable across retries: a resend is recognisably the same
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class IdempotentRequest(Model):
    """The first answer to a POST sent with an Idempotency-Key; a retry with the same key gets it again."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body of the first request
    status_code: Mapped[int]
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseStudy(Model):
    """A publicity case study; the company is anonymised unless it consented to be named."""

    __tablename__ = "case_study"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), unique=True)
    published: Mapped[bool] = mapped_column(default=False)
    named: Mapped[bool] = mapped_column(default=False)
    content_json: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()

    @property
    def content(self) -> dict[str, Any]:
        return json.loads(self.content_json)


class SavedFilter(Model):
    __tablename__ = "saved_filter"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query_json: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship()


class ProcessError(Model):
    """A diagram step that failed (a script, condition or decision) when a task was completed or a timer fired.

    The case stays where it was (the step's own writes are rolled back); this row is what is kept, so designers
    see the element, the message and the submitted data, and retry once the diagram or the data is fixed. One
    open row per case, element and message: a repeat of the same failure counts in `repeats`."""

    __tablename__ = "process_error"
    __table_args__ = (
        # Set while open (case, element and message hashed), cleared when resolved: the same failure is open once.
        UniqueConstraint("open_key", name="uq_process_error_open_key"),
        Index("ix_process_error_open", "resolved_at", "last_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))  # None: a timer's step
    kind: Mapped[str] = mapped_column(String(10))  # "task" or "timer"
    element: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)  # the engine's (technical) message, bounded
    cause_json: Mapped[str | None] = mapped_column(Text)  # the evaluator's refusal or error: {kind, code, ...}
    # The completion's form data as posted ({"fields": [[name, value, is_list_item]], "files": [names]}), None
    # for a timer or when it was larger than the bound (data_omitted)
    data_json: Mapped[str | None] = mapped_column(Text)
    data_omitted: Mapped[bool] = mapped_column(default=False, server_default=false())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # who completed; None: a timer
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    repeats: Mapped[int] = mapped_column(default=0)  # how many times it failed again after the first
    open_key: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # retried, marked, completed, fired, ended, merged
    resolution_note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    task: Mapped[HumanTask | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def data(self) -> dict[str, Any] | None:
        return json.loads(self.data_json) if self.data_json else None

    @property
    def cause(self) -> dict[str, Any] | None:
        return json.loads(self.cause_json) if self.cause_json else None
