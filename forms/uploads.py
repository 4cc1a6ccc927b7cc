"""Upload checks: extension, size (≤ 10 MB) and that the content really is a PDF / an Excel workbook."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms.validators import StopValidation

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

PDF = ("pdf",)
PDF_OR_XLSX = ("xlsx", "pdf")

_WRONG_KIND = {
    PDF: _l("PDFファイル（.pdf）を添付してください"),
    PDF_OR_XLSX: _l("Excelファイル（.xlsx）またはPDFファイル（.pdf）を添付してください"),
}
_BAD_CONTENT = {
    "pdf": _l("PDFファイルとして読み込めません。正しいPDFファイルを添付してください"),
    "xlsx": _l("Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか確認してください"),
}
_TOO_LARGE = _l("ファイルサイズが10MBを超えています。10MB以下のファイルを添付してください")


def _is_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF")


def _is_workbook(content: bytes) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    import openpyxl  # only needed for uploads; slow to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception:  # a broken file raises anything from BadZipFile to KeyError
        return False
    workbook.close()
    return True


_CONTENT_CHECKS: dict[str, Callable[[bytes], bool]] = {"pdf": _is_pdf, "xlsx": _is_workbook}


def has_upload(data: Any) -> bool:
    return isinstance(data, FileStorage) and bool(data.filename)


def _read(upload: FileStorage) -> bytes:
    """At most one byte over the limit, rewound so the caller can still save the file."""
    upload.stream.seek(0)
    content = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    upload.stream.seek(0)
    return content


class UploadCheck:
    """Validates a file field; with `required_message` the file must be given."""

    def __init__(self, kinds: tuple[str, ...], required_message: Any = None) -> None:
        self.kinds = kinds
        self.required_message = required_message
        self.field_flags = {"required": True} if required_message else {}

    def __call__(self, form: Any, field: Any) -> None:
        upload = field.data
        if not has_upload(upload):
            raise StopValidation(self.required_message)
        extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        if extension not in self.kinds:
            raise StopValidation(_WRONG_KIND[self.kinds])
        content = _read(upload)
        if len(content) > MAX_UPLOAD_BYTES:
            raise StopValidation(_TOO_LARGE)
        if not _CONTENT_CHECKS[extension](content):
            raise StopValidation(_BAD_CONTENT[extension])
