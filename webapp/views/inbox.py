"""The task inbox: my tasks, my role's unclaimed tasks and all I may see, with filters, counts, sorting,
paging, saved (shareable) filters, and claim / unclaim / bulk claim / reassign.

Reads only human_task (strongly consistent: a completed task is gone at once) with a fixed number of queries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from forms.choices import localized
from workflows.editions import get_edition, load_editions

from ..converters import parse_id
from ..extensions import db
from ..labels import ROLE_LABELS, STAGE_LABELS
from ..models import HumanTask, Role, SavedFilter, User, utcnow
from ..operations import tasks as task_ops
from ..operations.errors import Conflict, Invalid, OperationError
from ..operations.process import STAGE_ORDER
from ..permissions import (
    actionable_tasks_clause,
    can_act_on_task,
    can_reassign,
    can_see_saved_filter,
    can_use_inbox,
    saved_filters_clause,
)
from ..queries import COUNT_LIMIT, NEAR_DUE, SORTS, Count, count_limit, count_tasks_many, due_state, inbox_filters
from ..task_names import task_title
from .cases import country_label

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

PER_PAGE = 50
TABS = {"mine": _l("自分の担当"), "unclaimed": _l("未割り当て"), "all": _l("すべて")}
DEFAULT_TAB = "all"
FACETS = {"stage": HumanTask.stage, "country": HumanTask.country, "edition": HumanTask.edition}
DUE_OPTIONS = {"overdue": _l("期限超過"), "soon": _l("期限間近（%(days)d日以内）", days=NEAR_DUE.days)}
# The stage order is the process's order, not the codes' alphabetical one.
STAGE_RANK = case(
    {stage: rank for rank, stage in enumerate(STAGE_ORDER)}, value=HumanTask.stage, else_=len(STAGE_ORDER)
)
PAGE_SORTS = {**SORTS, "stage": (STAGE_RANK, *SORTS["due"])}
SORT_LABELS = {
    "due": _l("期限が近い順"),
    "-created": _l("新しい順"),
    "created": _l("古い順"),
    "company": _l("企業名順"),
    "stage": _l("段階順"),
}
FILTER_KEYS = ("tab", "stage", "country", "edition", "due", "q", "sort")


NAME_LENGTH = SavedFilter.name.type.length


class SavedFilterForm(FlaskForm):
    name = StringField(
        _l("条件の名前"),
        [
            DataRequired(_l("条件の名前を入力してください。")),
            Length(max=NAME_LENGTH, message=_l("名前は%(max)d文字以内にしてください。", max=NAME_LENGTH)),
        ],
    )
    shared = BooleanField(_l("他の担当者と共有する"))


@bp.before_request
@login_required
def _inbox_roles_only():  # type: ignore[no-untyped-def]
    if not can_use_inbox(current_user):
        abort(403)


def csrf_refused(exc: CSRFError):  # type: ignore[no-untyped-def]
    """A POST without a valid CSRF token (both the inbox and the task page use this)."""
    message = _(
        "送信を受け付けられませんでした（フォームの有効期限切れなど）。ページを再読み込みしてからやり直してください。"
    )
    return render_template("error.html", status=400, message=message), 400


bp.register_error_handler(CSRFError, csrf_refused)


# ---------------------------------------------------------------- reading


def clean_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The inbox's GET parameters, with unknown values dropped (the URL is what a saved filter stores)."""
    filters = {key: args.get(key, "").strip() for key in FILTER_KEYS if args.get(key, "").strip()}
    allowed = {"tab": TABS, "sort": SORT_LABELS, "due": DUE_OPTIONS}
    for key, values in allowed.items():
        if key in filters and filters[key] not in values:
            del filters[key]
    return filters


def _clauses(user: User, filters: Mapping[str, str], tab: str | None, *, without: str | None = None) -> list[Any]:
    """inbox_filters for the filters (minus `without`, for that facet's own counts) plus the tab."""
    args = {k: v for k, v in filters.items() if k not in ("tab", without)}
    if tab == "mine":
        args["mine"] = "1"
    if tab == "unclaimed":
        args["unclaimed"] = "1"
    clauses = inbox_filters(user, args)
    if tab == "unclaimed":
        clauses.append(actionable_tasks_clause(user))
    return clauses


# Counts are capped (queries.Count: exact up to COUNT_LIMIT, then "1000+"), all in one statement; each capped
# count reads at most COUNT_LIMIT + 1 rows through an index (human_task's status + stage/country/edition/due).


def _tab_count_clauses(user: User, filters: Mapping[str, str]) -> dict[str, list[Any]]:
    clauses = _clauses(user, filters, None)
    return {
        "all": clauses,
        "mine": [*clauses, HumanTask.assignee_id == user.id],
        "unclaimed": [*clauses, HumanTask.assignee_id.is_(None), actionable_tasks_clause(user)],
    }


def _facet_options() -> dict[str, list[str]]:
    """The options the filter lists offer (and count)."""
    return {"stage": list(STAGE_ORDER), "country": list(country_options()), "edition": sorted(load_editions())}


def _facet_count_clauses(user: User, filters: Mapping[str, str], tab: str) -> dict[tuple[str, str], list[Any]]:
    named: dict[tuple[str, str], list[Any]] = {}
    for name, options in _facet_options().items():
        clauses = _clauses(user, filters, tab, without=name)
        for option in options:
            named[(name, option)] = [*clauses, FACETS[name] == option]
    now = utcnow()
    clauses = _clauses(user, filters, tab, without="due")
    named[("due", "overdue")] = [*clauses, HumanTask.due_at < now]
    named[("due", "soon")] = [*clauses, HumanTask.due_at.between(now, now + NEAR_DUE)]
    return named


def inbox_counts(
    user: User, filters: Mapping[str, str], tab: str, page: int = 1
) -> tuple[dict[str, Count], dict[str, dict[str, Count]]]:
    """The tab counts and, per filter, the tasks per option given the other filters: capped counts in one
    statement. The open tab counts at least to the end of `page`, so its pages are known up to there."""
    tabs = _tab_count_clauses(user, filters)
    facets = _facet_count_clauses(user, filters, tab)
    named = {f"tab:{key}": clauses for key, clauses in tabs.items()}
    named.update({f"{name}:{option}": clauses for (name, option), clauses in facets.items()})
    limits = {f"tab:{tab}": count_limit(page, PER_PAGE)}
    counts = count_tasks_many(named, COUNT_LIMIT, limits)
    facet_result: dict[str, dict[str, Count]] = {name: {} for name in (*FACETS, "due")}
    for name, option in facets:
        facet_result[name][option] = counts[f"{name}:{option}"]
    return {key: counts[f"tab:{key}"] for key in tabs}, facet_result


def tab_counts(user: User, filters: Mapping[str, str]) -> dict[str, Count]:
    return inbox_counts(user, filters, DEFAULT_TAB)[0]


def facet_counts(user: User, filters: Mapping[str, str], tab: str) -> dict[str, dict[str, Count]]:
    """Tasks per option of each filter, given the other filters."""
    return inbox_counts(user, filters, tab)[1]


def page_of_tasks(user: User, filters: Mapping[str, str], tab: str, page: int) -> list[HumanTask]:
    order = PAGE_SORTS[filters.get("sort", "due")]
    query = (
        select(HumanTask)
        .options(joinedload(HumanTask.case), joinedload(HumanTask.assignee))
        .where(*_clauses(user, filters, tab))
        .order_by(*order)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(db.session.scalars(query))


def saved_filters(user: User) -> list[SavedFilter]:
    """Mine, and those shared by people who see the same tasks (permissions.saved_filters_clause)."""
    query = (
        select(SavedFilter)
        .join(SavedFilter.owner)
        .options(contains_eager(SavedFilter.owner))
        .where(saved_filters_clause(user))
        .order_by(SavedFilter.owner_id != user.id, SavedFilter.name)
    )
    return list(db.session.scalars(query))


def reassign_candidates(tasks: list[HumanTask]) -> dict[int, list[User]]:
    """For a staff lead: per task, the active users who could act on it (one query for all rows)."""
    people = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_([Role.STAFF.value, Role.EXPERT.value, Role.APPLICANT.value]))
        .order_by(User.role, User.display_name)
    ).all()
    return {task.id: [u for u in people if can_act_on_task(u, task)] for task in tasks}


bp.add_app_template_global(country_label, "country_label")


def _as_rendered(label: Any) -> Any:
    """What the template would print for a (lazy) label, resolved once: lazy strings render unescaped."""
    return Markup(label.__html__()) if hasattr(label, "__html__") else label


def row_labels(tasks: list[HumanTask]) -> dict[str, dict[Any, Any]]:
    """The labels the rows repeat (edition, country, stage, role), translated once per page, not per row."""
    return {
        "edition": {t.edition: _as_rendered(edition_label(t.edition)) for t in tasks},
        "country": {
            (t.edition, t.country): _as_rendered(country_label(t.edition, t.country)) for t in tasks if t.country
        },
        "stage": {t.stage: _as_rendered(STAGE_LABELS.get(t.stage, t.stage)) for t in tasks},
        "role": {role: _as_rendered(label) for role, label in ROLE_LABELS.items()},
    }


@bp.app_template_global()
def edition_label(edition_code: str) -> Any:
    """The edition's short name: 2025年度 (FY2025 in English)."""
    edition = get_edition(edition_code)
    return localized(edition.name_ja.split(" ")[0], edition.code) if edition else edition_code


def country_options() -> dict[str, Any]:
    """Every country of every edition (newest edition first), code -> name."""
    newest_first = sorted(load_editions().values(), key=lambda e: e.code, reverse=True)
    codes = dict.fromkeys(c.code for edition in newest_first for c in edition.countries)
    return {code: country_label(None, code) for code in codes}


def _page_number(value: str | None) -> int:
    return parse_id(value) or 1


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    user = current_user._get_current_object()
    filters = clean_filters(request.args)
    tab = filters.get("tab", DEFAULT_TAB)
    requested = _page_number(request.args.get("page"))
    counts, facets = inbox_counts(user, filters, tab, requested)
    total = counts[tab]  # capped: the pages up to the one asked for (and the next) are known
    last_page = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(requested, last_page)
    tasks = page_of_tasks(user, filters, tab, page)
    is_lead = can_reassign(user)
    return render_template(
        "inbox/index.html",
        filters=filters,
        tab=tab,
        tabs=TABS,
        tab_counts=counts,
        facets=facets,
        stages=STAGE_ORDER,
        countries=country_options(),
        editions=sorted(load_editions(), reverse=True),
        due_options=DUE_OPTIONS,
        sort_labels=SORT_LABELS,
        tasks=tasks,
        due_states={t.id: due_state(t) for t in tasks},
        # each row's name and due day, worked out once per row (the locale and zone lookups add up over 50 rows)
        titles={t.id: task_title(t) for t in tasks},
        due_days={t.id: to_user_timezone(t.due_at).strftime("%Y-%m-%d") for t in tasks if t.due_at},
        actionable={t.id: can_act_on_task(user, t) for t in tasks},
        candidates=reassign_candidates(tasks) if is_lead else {},
        row_labels=row_labels(tasks),
        is_lead=is_lead,
        total=total,
        page=page,
        last_page=last_page,
        per_page=PER_PAGE,
        saved=saved_filters(user),
        save_form=SavedFilterForm(formdata=None),
        here=url_for(".index", **filters, **({"page": page} if page > 1 else {})),
    )


# ---------------------------------------------------------------- acting


def _back() -> Any:
    """Back to where the button was pressed (the inbox with its filters, or a task page)."""
    target = request.form.get("next", "")
    parsed = urlparse(target)
    if not target.startswith("/") or target.startswith("//") or parsed.netloc or parsed.scheme:
        target = url_for(".index")
    return redirect(target)


def _task_ids() -> list[int]:
    """The row button pressed (task_id), else the ticked rows (task_ids)."""
    single = request.form.get("task_id", "")
    values = [single] if single else request.form.getlist("task_ids")
    return list(dict.fromkeys(i for i in map(parse_id, values) if i is not None))


def _run_each(ids: list[int], action: Any) -> int:
    """Each task in its own savepoint; refusals are flashed (a single refused row shows the refusal page)."""
    if not ids:
        flash(_("タスクを選択してください。"), "error")
        return 0
    done = 0
    for task_id in ids:
        try:
            with db.session.begin_nested():  # a refused row undoes only itself
                action(task_id)
        except OperationError as exc:
            if len(ids) == 1 and not isinstance(exc, Conflict | Invalid):
                raise
            flash(exc.message, "error")
            continue
        done += 1
    return done


@bp.post("/claim")
def claim():  # type: ignore[no-untyped-def]
    user = current_user._get_current_object()
    done = _run_each(_task_ids(), lambda task_id: task_ops.claim(user, task_id))
    if done:
        flash(_("%(count)d件のタスクを担当にしました。", count=done), "success")
    return _back()


@bp.post("/unclaim")
def unclaim():  # type: ignore[no-untyped-def]
    user = current_user._get_current_object()
    done = _run_each(_task_ids(), lambda task_id: task_ops.unclaim(user, task_id))
    if done:
        flash(_("%(count)d件のタスクの担当を外しました。", count=done), "success")
    return _back()


@bp.post("/reassign")
def reassign():  # type: ignore[no-untyped-def]
    """A staff lead hands a task to someone who can act on it, or (blank choice) to nobody."""
    user = current_user._get_current_object()
    ids = _task_ids()[:1]
    chosen = request.form.get(f"assignee-{ids[0]}", "") if ids else ""
    if chosen == "":
        if _run_each(ids, lambda task_id: task_ops.unclaim(user, task_id)):
            flash(_("担当を外しました。"), "success")
        return _back()
    assignee_id = parse_id(chosen)
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee is None or not assignee.active:
        flash(_("担当者が見つかりません。一覧から選び直してください。"), "error")
        return _back()
    if _run_each(ids, lambda task_id: task_ops.reassign(user, task_id, assignee)):
        flash(_("担当を%(who)sさんに変更しました。", who=assignee.display_name), "success")
    return _back()


# ---------------------------------------------------------------- saved filters


@bp.post("/filters")
def save_filter():  # type: ignore[no-untyped-def]
    filters = clean_filters(request.form)
    form = SavedFilterForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".index", **filters))
    name = (form.name.data or "").strip()
    db.session.add(
        SavedFilter(
            owner_id=current_user.id,
            name=name,
            query_json=json.dumps(filters, ensure_ascii=False),
            shared=bool(form.shared.data),
        )
    )
    flash(_("条件「%(name)s」を保存しました。", name=name), "success")
    return redirect(url_for(".index", **filters))


@bp.post("/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int):  # type: ignore[no-untyped-def]
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or not can_see_saved_filter(current_user, saved):
        abort(404)
    if saved.owner_id != current_user.id:
        abort(403)
    db.session.delete(saved)
    flash(_("条件「%(name)s」を削除しました。", name=saved.name), "success")
    return _back()


@bp.app_template_filter("saved_filter_url")
def saved_filter_url(saved: SavedFilter) -> str:
    return url_for("inbox.index", **json.loads(saved.query_json))


@bp.app_template_global("filters_equal")
def filters_equal(saved: SavedFilter, filters: Mapping[str, str]) -> bool:
    return bool(json.loads(saved.query_json) == dict(filters))
