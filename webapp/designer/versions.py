"""Rolling back: an earlier version deployed again as the newest (new cases take it; running cases keep theirs
until they are moved). It goes through the one deploy path, so today's checks apply to the old files too."""

from __future__ import annotations

from flask_babel import gettext as _

from ..models import ProcessVersion, User
from ..operations.audit import record
from ..operations.errors import Conflict
from ..operations.process import deploy_files, latest_version


def redeploy(version: ProcessVersion, actor: User) -> ProcessVersion:
    """ProcessDefinitionError when today's checks refuse the old files (nothing is stored then)."""
    latest = latest_version(version.process_id)
    if latest is not None and latest.source_hash == version.source_hash:
        raise Conflict(_("v%(v)d は最新のバージョンと同じ内容です。", v=version.version))
    new, _created = deploy_files(version.sources, actor)
    record(actor, None, "process_rolled_back", detail=f"v{version.version} -> v{new.version}")
    return new
