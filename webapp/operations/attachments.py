"""Uploaded documents (sealed application PDF, forms 1 and 2), stored in the database row."""

from __future__ import annotations

import hashlib

from werkzeug.datastructures import FileStorage

from forms.uploads import CONTENT_TYPES, extension, stored_filename

from ..extensions import db
from ..models import Attachment, Case, User

# Upload field name -> attachment kind.
UPLOAD_KINDS = {"sealed_pdf": "sealed_application", "form1_file": "form1", "form2_file": "form2"}
_MAGIC = {"pdf": b"%PDF", "xlsx": b"PK\x03\x04"}
UNKNOWN_TYPE = "application/octet-stream"


def decided_type(filename: str, data: bytes) -> str:
    """The type the server serves the file with: from the checked content, never the browser's claim."""
    kind = extension(filename)
    if kind in CONTENT_TYPES and data.startswith(_MAGIC[kind]):
        return CONTENT_TYPES[kind]
    return UNKNOWN_TYPE


def served_type(attachment: Attachment) -> str:
    """Rows stored before the server decided types hold the browser's claim (even text/html): not trusted."""
    return attachment.content_type if attachment.content_type in CONTENT_TYPES.values() else UNKNOWN_TYPE


def store_upload(case: Case, field: str, upload: FileStorage, actor: User | None) -> Attachment:
    upload.stream.seek(0)
    data = upload.stream.read()
    filename = upload.filename or field
    attachment = Attachment(
        case_id=case.id,
        kind=UPLOAD_KINDS.get(field, field),
        filename=stored_filename(filename),
        content_type=decided_type(filename, data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(attachment)
    return attachment
