"""Designer pages: start a draft, edit it in the browser (bpmn-js / dmn-js), save it, deploy it. Handlers load,
check access, and call the operations in drafts.py; the request commits."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from workflows.engine import ProcessDefinitionError
from workflows.migration import compare as compare_versions

from ..api_input import json_body
from ..converters import parse_id
from ..diagram_messages import describe_definition_error
from ..extensions import db, reads_first
from ..models import ProcessVersion
from ..operations.errors import OperationError
from ..operations.process import definition_for
from ..permissions import can_deploy
from .check import check_draft, describe_attributes
from .drafts import check_files, deploy_draft, save_draft, start_draft
from .editor_config import editor_config
from .models import ProcessDraft
from .moves import move_cases
from .scenarios import ScenarioRun, load_run, start_run

bp = Blueprint("designer", __name__, url_prefix="/process/drafts", template_folder="templates")


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


@bp.before_request
@login_required
def _designers_only():  # type: ignore[no-untyped-def]
    if not can_deploy(current_user):
        abort(403)


def _draft(draft_id: int) -> ProcessDraft:
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None:
        abort(404)
    return draft


@bp.post("/")
def start():  # type: ignore[no-untyped-def]
    if not ActionForm().validate_on_submit():
        abort(400)
    draft = start_draft(current_user)
    flash(_("下書き %(id)d を作成しました。保存してもデプロイするまでは案件に使われません。", id=draft.id), "success")
    return redirect(url_for(".edit", draft_id=draft.id))


@bp.get("/<int:draft_id>")
def edit(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft(draft_id)
    problems = check_files(draft.sources)
    return render_template(
        "designer/editor.html", draft=draft, config=editor_config(draft, problems), problems=problems,
        form=ActionForm(),
    )  # fmt: skip


def _check_page(draft: ProcessDraft, scenarios: ScenarioRun | None = None):  # type: ignore[no-untyped-def]
    result = check_draft(draft)
    marks = {p.element: "problem" for p in result.problems if p.element}
    for move in result.cases:
        for element in move.elements:
            marks.setdefault(element, "blocker")
    if scenarios is not None and scenarios.scenarios:
        for element in [*scenarios.nodes, *scenarios.flows]:
            covered = element in scenarios.covered_nodes or element in scenarios.covered_flows
            marks.setdefault(element, "covered" if covered else "uncovered")
    bpmn = next((name for name in draft.sources if name.endswith(".bpmn")), None)
    diagram = {"xml": draft.sources[bpmn] if bpmn else "", "marks": marks}
    return render_template(
        "designer/check.html", draft=draft, result=result, diagram=diagram, form=ActionForm(), scenarios=scenarios
    )


@bp.get("/<int:draft_id>/check")
def check(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft(draft_id)
    return _check_page(draft, load_run(draft.id, draft.sources))


@bp.post("/<int:draft_id>/scenarios")
@reads_first  # writes nothing to the database
def scenarios(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    start_run(draft.id, draft.sources)
    return redirect(url_for(".check", draft_id=draft_id, _anchor="scenarios"))


@bp.post("/<int:draft_id>/move")
def move(draft_id: int):  # type: ignore[no-untyped-def]
    """Moves the chosen running cases (or, with `all`, every one that can) to the version the draft became."""
    draft = _draft(draft_id)
    if not ActionForm().validate_on_submit() or draft.deployed_version is None:
        abort(400)
    chosen = None if request.form.get("all") else [i for i in map(parse_id, request.form.getlist("case")) if i]
    if chosen == []:
        flash(_("移行する案件を選んでください。"), "error")
        return redirect(url_for(".check", draft_id=draft_id))
    results = move_cases(draft.deployed_version, chosen, current_user)
    moved = [r for r in results if r.moved]
    flash(_("%(n)d 件を v%(v)d に移行しました。", n=len(moved), v=draft.deployed_version.version), "success")
    for result in results:
        if not result.moved:
            flash(_("%(case)s は移行していません：%(why)s", case=result.case_number, why=result.message), "error")
    return redirect(url_for(".check", draft_id=draft_id))


@bp.get("/compare/<int:old_id>/<int:new_id>")
def compare(old_id: int, new_id: int):  # type: ignore[no-untyped-def]
    """What changed between two deployed versions, element by element, side by side on their diagrams."""
    old, new = db.session.get(ProcessVersion, old_id), db.session.get(ProcessVersion, new_id)
    if old is None or new is None:
        abort(404)
    changes = compare_versions(definition_for(old), definition_for(new))
    old_marks = {c.element: "removed" for c in changes.removed} | {c.element: "changed" for c in changes.changed}
    new_marks = {c.element: "added" for c in changes.added} | {c.element: "changed" for c in changes.changed}
    return render_template(
        "designer/compare.html", old=old, new=new, changes=changes, describe=describe_attributes,
        old_diagram={"xml": _bpmn(old.sources), "marks": old_marks},
        new_diagram={"xml": _bpmn(new.sources), "marks": new_marks},
    )  # fmt: skip


def _bpmn(files: dict[str, str]) -> str:
    return next((text for name, text in files.items() if name.endswith(".bpmn")), "")


@bp.post("/<int:draft_id>/save")
def save(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft(draft_id)
    try:
        body = json_body()
        seen = parse_id(str(body.get("lock_version", "")))  # JSON numbers arrive as written (api_input)
        problems = save_draft(draft, body.get("files"), seen, current_user)
    except OperationError as exc:
        return jsonify(error=exc.message), exc.status
    message = (
        _("下書きを保存しました。デプロイの検査で問題が %(n)d 件あります。", n=len(problems))
        if problems
        else _("下書きを保存しました。デプロイの検査に通ります。")
    )
    return jsonify(
        message=message, lock_version=draft.lock_version, files=draft.sources, problems=[p.as_json() for p in problems]
    )


@bp.post("/<int:draft_id>/deploy")
def deploy(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version, created = deploy_draft(draft, current_user)
    except ProcessDefinitionError as exc:
        db.session.rollback()
        flash(describe_definition_error(exc), "error")
        return redirect(url_for(".edit", draft_id=draft_id))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".edit", draft_id=draft_id))
    if created:
        flash(
            _("下書きをバージョン %(v)d としてデプロイしました。新しい案件から使われます。", v=version.version),
            "success",
        )
    else:
        flash(_("下書きの内容が現在のバージョンと同じため、新しいバージョンは作成していません。"), "info")
    return redirect(url_for(".check", draft_id=draft_id))  # next: which running cases can move to it
