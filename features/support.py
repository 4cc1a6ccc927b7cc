"""The acceptance features' world: who is signed in, the cases at hand, the company's mailbox.

Everything here drives the application the way people do: the JSON API (signed in as the role a step
names), the `flask tick` command for timers, and an SMTP server that receives the emails the company gets.
"""

from __future__ import annotations

import io
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask

from forms.sites import hearing_sites
from tests.web.lifecycle import PDF, application, form_fields
from webapp import delivery

JST = timezone(timedelta(hours=9))
COMPANY = "株式会社サンプル精機"

EDITIONS = {"2021年度": "FY2021", "2025年度": "FY2025"}
# A day inside each edition's application window ("the application period is open").
EDITION_TODAY = {"FY2021": datetime(2021, 8, 2, 10, 0, tzinfo=JST), "FY2025": datetime(2025, 7, 1, 10, 0, tzinfo=JST)}

COUNTRIES = {"中国": "CN", "中国大陸": "CN", "タイ": "TH", "ベトナム": "VN", "シンガポール": "SG", "インドネシア": "ID"}
COUNTRY_NAMES = {"CN": "中国", "TH": "タイ", "VN": "ベトナム", "SG": "シンガポール", "ID": "インドネシア"}
# The retained local experts of the test accounts: 上海の事務所 covers CN and TH, Hanoi covers VN, ID and SG.
EXPERT_FOR = {"CN": "expert_cn", "TH": "expert_cn", "VN": "expert_vn", "ID": "expert_vn", "SG": "expert_vn"}

ROLES = {
    "ジェトロ担当者": "staff",
    "ジェトロのリーダー": "staff",
    "別のジェトロ担当者": "staff2",
    "申請企業": "applicant",
    "他社の申請企業": "applicant_other",
    "プロセス設計者": "designer",
}

# The program's names of the tasks (as in the process diagram) -> form keys.
TASKS = {
    "受領確認": "receipt_confirmation",
    "ヒアリング": "hearing",
    "採否の決定": "adoption_decision",
    "様式1・様式2の提出": "forms_submission",
    "サービス内容の説明・依頼内容の選定": "expert_briefing",
    "サービス内容・実施時期の確定": "plan_confirmation",
    "コンサルテーション・研修の実施": "service_delivery",
    "フォローアップ面談": "follow_up",
    "広報（事例紹介）": "publicity",
}

ACTIVITIES = {
    "面談": "meeting",
    "WEB会議": "web_meeting",
    "電話": "phone",
    "メール": "email",
    "契約書・規則類のレビュー": "document_review",
    "資料作成": "materials",
    "研修会での講演": "training_lecture",
    "支援後のフォローアップ面談": "follow_up_meeting",
    "専門家の出張（移動時間）": "travel",
}

LANGUAGES = {"日本語": "ja", "中国語": "zh", "タイ語": "th", "ベトナム語": "vi", "英語": "en", "インドネシア語": "id"}

HEARING_DEFAULTS: dict[str, Any] = {
    "hearing_date": "2025-07-02",
    "method": "phone",
    "domestic_experience": "yes",
    "willing_to_build": True,
    "publicity_consent": True,
    "management_status": "就業規則はあるが、秘密情報の区分が未整備",
}


def edition_code(label: str) -> str:
    return EDITIONS[label]


def edition_label(code: str | None) -> str:
    """ "FY2025" -> 「2025年度」 (the scenario's edition; 2025年度 until one is named)."""
    return next(label for label, value in EDITIONS.items() if value == (code or "FY2025"))


def country_codes(text: str) -> list[str]:
    """「中国、ベトナム」 or 「中国・ベトナム」 -> ["CN", "VN"]."""
    return [COUNTRIES[name.strip()] for name in text.replace("・", "、").split("、") if name.strip()]


def role_user(role: str) -> str:
    """「ジェトロ担当者」, 「中国担当の現地専門家」, 「申請企業」 ... -> the test account's username."""
    if role.endswith("担当の現地専門家"):
        return EXPERT_FOR[COUNTRIES[role.removesuffix("担当の現地専門家")]]
    return ROLES[role]


def jst(text: str) -> datetime:
    """「2026-02-06 23:59」 or 「2026-02-06」 (10:00) -> an aware datetime in Japan time."""
    text = text.strip()
    if " " not in text:
        text += " 10:00"
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=JST)


def multipart(data: dict[str, Any]) -> dict[str, Any]:
    """A JSON-like dict as an HTML form post: booleans as checkboxes, bytes as PDF uploads."""
    files = {key: (io.BytesIO(value), f"{key}.pdf") for key, value in data.items() if isinstance(value, bytes)}
    return {**form_fields({k: v for k, v in data.items() if k not in files}), **files}


def application_form(edition: str, countries: list[str], received_on: str, **extra: Any) -> dict[str, Any]:
    data = application(edition, countries, received_on, **extra)
    data.setdefault("sealed_pdf", PDF)
    return {k: v for k, v in data.items() if v is not None}


def application_fields(app: Flask) -> list[dict[str, Any]]:
    """The application form's fields as the registration page shows them (labels, choices, hints)."""
    from forms import TaskContext, describe_form
    from workflows.editions import load_editions

    with app.test_request_context("/"):
        return describe_form("application", TaskContext(editions=load_editions()))


def error_text(response: Any) -> str:
    """Everything the user is told about a refusal: the message and the per-field messages."""
    body = response.get_json(silent=True) or {}
    parts = [str(body.get("error", ""))]
    for messages in (body.get("errors") or {}).values():
        parts.extend(str(m) for m in messages)
    return " ".join(parts)


def shown(response: Any) -> str:
    return f"{response.status_code} {response.get_json(silent=True)}"


# ---------------------------------------------------------------- mailbox


@dataclass
class Mailbox:
    """An SMTP server on localhost: what the application sends arrives here, as the company would get it."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_content()


def start_mailbox(app: Flask) -> tuple[Mailbox, Controller]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    return mailbox, controller


# ---------------------------------------------------------------- world


@dataclass
class World:
    """What the scenario is about: the edition, the cases by company, the last answer the user saw."""

    app: Flask
    api_as: Any
    mailbox: Mailbox | None
    edition: str | None = None
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str | None = None
    response: Any = None
    hearing: dict[str, Any] = field(default_factory=lambda: dict(HEARING_DEFAULTS))
    application_answers: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def mail(self) -> Mailbox:
        """The company's mailbox once the delivery worker has run (email goes out after commit, not in the
        request)."""
        assert self.mailbox is not None, "メールを確かめるシナリオには @メール のタグを付けてください"
        with self.app.app_context():
            delivery.deliver_due()
        return self.mailbox

    # -- cases

    @property
    def case(self) -> dict[str, Any]:
        assert self.current, "このシナリオにはまだ案件がありません"
        return self.cases[self.current]

    @property
    def case_id(self) -> int:
        return int(self.case["id"])

    @property
    def contact_email(self) -> str:
        return str(self.case.get("_contact_email", "yamada@sample-seiki.example.jp"))

    def refresh(self, label: str | None = None) -> dict[str, Any]:
        label = label or self.current
        assert label
        case = self.cases[label]
        detail = self.api_as("staff").get(f"/cases/{case['id']}").get_json()
        detail["_contact_email"] = case.get("_contact_email")
        self.cases[label] = detail
        return detail

    def case_as(self, username: str, case_id: int | None = None) -> Any:
        return self.api_as(username).get(f"/cases/{case_id or self.case_id}")

    # -- tasks

    def tasks(self, username: str, **params: Any) -> list[dict[str, Any]]:
        response = self.api_as(username).get("/tasks", per_page="200", **params)
        assert response.status_code == 200, shown(response)
        return list(response.get_json()["tasks"])

    def open_task(self, form_key: str, country: str | None = None, case_id: int | None = None) -> dict[str, Any] | None:
        """The case's open task of that kind, as JETRO staff (who see every task) find it."""
        for task in self.tasks("staff", case=str(case_id or self.case_id)):
            if task["form_key"] == form_key and (country is None or task["country"] == country):
                return task
        return None

    def require_task(self, form_key: str, country: str | None = None) -> dict[str, Any]:
        task = self.open_task(form_key, country)
        label = next(k for k, v in TASKS.items() if v == form_key)
        assert task is not None, (
            f"「{label}」のタスク（{country or '-'}）が開いていません。開いているタスク: {self.tasks('staff', case=str(self.case_id))}"
        )
        return task

    def complete(self, username: str, task_id: int, payload: dict[str, Any]) -> Any:
        api = self.api_as(username)
        if any(isinstance(v, bytes) for v in payload.values()):
            response = api.post(f"/tasks/{task_id}/complete", data=multipart(payload))
        else:
            response = api.post(f"/tasks/{task_id}/complete", json=payload)
        self.response = response
        return response

    # -- clock and timers

    def run_timers(self) -> str:
        """The scheduled job (cron) that fires due timers and sends pending mail: `flask tick`."""
        result = self.app.test_cli_runner().invoke(args=["tick"])
        assert result.exit_code == 0, result.output
        return str(result.output)


# ---------------------------------------------------------------- driving a case through the program


def today(world: World) -> str:
    from workflows.clock import clock

    return clock.now().astimezone(JST).date().isoformat()


def period_end(edition: str) -> str:
    return {"FY2021": "2022-02-18", "FY2025": "2026-02-06"}[edition]


def register(world: World, label: str, edition: str, countries: list[str], **extra: Any) -> Any:
    """JETRO staff register a received application (the sealed PDF came by email)."""
    received_on = extra.pop("received_on", None) or today(world)
    data = application_form(edition, countries, received_on, company_name=label, **extra)
    response = world.api_as("staff").post("/applications", data=multipart(data))
    world.response = response
    if response.status_code == 201:
        case = response.get_json()
        case["_contact_email"] = data.get("contact_email")
        world.cases[label] = case
        world.current = label
        world.application_answers = data
    return response


# The hearing confirms what the application said (the form comes prefilled with these answers).
CONFIRMED_AT_HEARING = ("domestic_experience", "publicity_consent")
SITE_ANSWERS = ("site_status", "applied_by_japan_side", "site_wants_service")  # per target country's site


def hearing_answers(world: World, **overrides: Any) -> dict[str, Any]:
    """The hearing as staff complete it: the application's answers confirmed (each target country's site as the
    application described it), with the scenario's answers; a site answer given plainly applies to every site."""
    applied = world.application_answers
    answers = dict(world.hearing, hearing_date=today(world))
    answers.update({key: applied[key] for key in CONFIRMED_AT_HEARING if key in applied})
    site_overrides = {key: overrides.pop(key) for key in SITE_ANSWERS if key in overrides}
    sites = hearing_sites(applied.get("sites") or {}, applied.get("countries") or ())
    answers["sites"] = {code: {**site, **site_overrides} for code, site in sites.items()}
    answers.update(overrides)
    return answers


def briefing(world: World, country: str, **overrides: Any) -> dict[str, Any]:
    cap = next(h["cap"] for h in world.case["hours"] if h["country"] == country)
    return {
        "briefing_date": today(world),
        "consultation_items": ["A1-1", "A2-1"],
        "training_topics": ["B1", "B4"],
        "training_audience": "both",
        "training_language": "ja",
        "estimated_hours": f"{cap:g}",
        "expert_comment": "様式2に基づき、就業規則の秘密保持条項と退職時の誓約書を優先して見直す。",
        **overrides,
    }


def plan(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "start_date": today(world),
        "end_date": period_end(world.case["edition"]),
        "schedule": "1か月目 現状確認、2か月目 規程案の作成、3か月目 管理職研修",
        "agreed_by_company": True,
        "agreed_by_expert": True,
        **overrides,
    }


SERVICE_DONE = {"service_summary": "規程類のレビューと管理職向け研修を実施した", "completed": True}


def follow_up(world: World) -> dict[str, Any]:
    return {"meeting_date": today(world), "method": "web", "outcome": "秘密保持誓約書を導入し、運用を開始した"}


STAGES = ("registered", "receipt", "hearing", "adopted", "forms", "briefing", "plan", "service", "follow_up")


def drive(world: World, until: str) -> None:
    """Completes the current case's tasks, in the program's order, up to and including `until`."""
    steps = STAGES[: STAGES.index(until) + 1]
    staff = "staff"

    def done(form_key: str, payload: dict[str, Any], username: str = staff, country: str | None = None) -> None:
        task = world.require_task(form_key, country)
        response = world.complete(username, task["id"], payload)
        assert response.status_code == 200, f"{form_key}（{country or '-'}）を完了できません: {shown(response)}"

    if "receipt" in steps:
        done("receipt_confirmation", {"sealed_pdf_confirmed": True})
    if "hearing" in steps:
        done("hearing", hearing_answers(world))
    if "adopted" in steps:
        done("adoption_decision", {"decision": "adopt"})
    if "forms" in steps:
        done("forms_submission", {"form1_file": PDF, "form2_file": PDF})
    per_country = (
        ("briefing", "expert_briefing", lambda country: briefing(world, country)),
        ("plan", "plan_confirmation", lambda country: plan(world)),
        ("service", "service_delivery", lambda country: SERVICE_DONE),
        ("follow_up", "follow_up", lambda country: follow_up(world)),
    )
    for stage, form_key, payload in per_country:
        if stage not in steps:
            break
        for country in world.case["countries"]:
            username = staff if form_key == "plan_confirmation" else EXPERT_FOR[country]
            done(form_key, payload(country), username, country)
    world.refresh()


def adopt_many(world: World, edition: str, count: int) -> None:
    """Register and adopt `count` applications of other companies, in order of receipt (setting the scene)."""
    staff = world.api_as("staff")
    for n in range(count):
        data = application_form(edition, ["CN"], today(world), company_name=f"採択済み企業{n + 1:02d}株式会社")
        response = staff.post("/applications", data=multipart(data))
        assert response.status_code == 201, shown(response)
        case_id = response.get_json()["id"]
        for form_key, payload in (
            ("receipt_confirmation", {"sealed_pdf_confirmed": True}),
            ("hearing", dict(HEARING_DEFAULTS, hearing_date=today(world))),
            ("adoption_decision", {"decision": "adopt"}),
        ):
            task = world.open_task(form_key, case_id=case_id)
            assert task is not None, f"{form_key} が開いていません（{n + 1}件目）"
            answer = staff.post(f"/tasks/{task['id']}/complete", json=payload)
            assert answer.status_code == 200, f"{n + 1}件目: {shown(answer)}"
