"""Uploaded documents (sealed application PDF, forms 1 and 2), stored in the database row."""

from __future__ import annotations

import hashlib
import mimetypes

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ..extensions import db
from ..models import Attachment, Case, User

# Upload field name -> attachment kind.
UPLOAD_KINDS = {"sealed_pdf": "sealed_application", "form1_file": "form1", "form2_file": "form2"}


def store_upload(case: Case, field: str, upload: FileStorage, actor: User | None) -> Attachment:
    upload.stream.seek(0)
    data = upload.stream.read()
    filename = upload.filename or field
    content_type = upload.mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    attachment = Attachment(
        case_id=case.id,
        kind=UPLOAD_KINDS.get(field, field),
        filename=secure_filename(filename) or filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(attachment)
    return attachment
