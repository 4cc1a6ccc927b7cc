"""Process versions (designers): list deployed versions, download their sources, upload and deploy."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileRequired, MultipleFileField
from sqlalchemy import func, select

from workflows.engine import ProcessDefinitionError

from ..designer import versions
from ..designer.models import ProcessDraft
from ..designer.routes import ActionForm
from ..diagram_messages import describe_definition_error
from ..extensions import db
from ..models import ProcessError, ProcessInstance, ProcessVersion
from ..operations.errors import OperationError
from ..operations.process import deploy_files, repository_files
from ..permissions import can_deploy

bp = Blueprint("process", __name__, url_prefix="/process")


class DeployForm(FlaskForm):
    files = MultipleFileField(
        _l("BPMN・DMNファイル"),
        validators=[
            FileRequired(_l("デプロイするファイルを選択してください。")),
            FileAllowed(["bpmn", "dmn"], _l("拡張子が .bpmn または .dmn のファイルを選択してください。")),
        ],
        description=_l("変更しないファイルは現在のバージョンのものを引き継ぎます。"),
    )


@bp.before_request
@login_required
def _designers_only():  # type: ignore[no-untyped-def]
    if not can_deploy(current_user):
        abort(403)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    versions = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.version.desc())).all()
    running = dict(
        db.session.execute(
            select(ProcessInstance.process_version_id, func.count(ProcessInstance.id))
            .where(ProcessInstance.status == "running")
            .group_by(ProcessInstance.process_version_id)
        ).all()
    )
    drafts = db.session.scalars(select(ProcessDraft).order_by(ProcessDraft.id.desc()).limit(20)).all()
    errors = db.session.scalar(select(func.count(ProcessError.id)).where(ProcessError.resolved_at.is_(None)))
    return render_template(
        "process/index.html", versions=versions, running=running, form=DeployForm(), drafts=drafts,
        draft_form=ActionForm(), open_errors=errors or 0,
    )  # fmt: skip


@bp.post("/deploy")
def deploy():  # type: ignore[no-untyped-def]
    form = DeployForm()
    if not form.validate_on_submit():
        for error in form.files.errors:
            flash(str(error), "error")
        return redirect(url_for(".index"))
    latest = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.version.desc()).limit(1)).first()
    sources = latest.sources if latest else repository_files()
    for upload in form.files.data:
        sources[upload.filename] = upload.read().decode("utf-8", errors="replace")
    try:
        version, created = deploy_files(sources, current_user)
    except ProcessDefinitionError as exc:
        db.session.rollback()
        flash(describe_definition_error(exc), "error")
        return redirect(url_for(".index"))
    if created:
        flash(_("バージョン %(v)d をデプロイしました。新しい案件から使われます。", v=version.version), "success")
    else:
        flash(_("内容が現在のバージョンと同じため、新しいバージョンは作成していません。"), "info")
    return redirect(url_for(".index"))


@bp.post("/<int:version_id>/redeploy")
def redeploy(version_id: int):  # type: ignore[no-untyped-def]
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new = versions.redeploy(version, current_user)
    except ProcessDefinitionError as exc:
        db.session.rollback()
        flash(describe_definition_error(exc), "error")
        return redirect(url_for(".index"))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    flash(
        _("v%(old)d の内容をバージョン %(v)d として再デプロイしました。新しい案件から使われます。", old=version.version,
          v=new.version),
        "success",
    )  # fmt: skip
    return redirect(url_for(".index"))


@bp.get("/<int:version_id>/<path:filename>")
def source(version_id: int, filename: str):  # type: ignore[no-untyped-def]
    version = db.session.get(ProcessVersion, version_id)
    text = version.sources.get(filename) if version else None
    if text is None:
        abort(404)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(text, mimetype="application/xml", headers=headers)
