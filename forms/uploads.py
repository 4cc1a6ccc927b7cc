"""Upload checks: extension, size (≤ 10 MB) and that the content really is a PDF / an Excel workbook.

The content checks parse the file, with bounds, so that a file which only starts like a PDF or a zip is refused
and a small file that expands enormously (a zip bomb) is refused before a parser spends a worker's time on it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from wtforms.validators import StopValidation

from webapp.models import Attachment  # column lengths only: forms never touch the database

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 500
# An .xlsx is a zip of XML parts; openpyxl reads the shared strings whole (~15 µs each) when it opens one.
XLSX_MAX_PARTS = 200
XLSX_MAX_EXPANDED_BYTES = 20 * 1024 * 1024
XLSX_MAX_RATIO = 100  # deflated spreadsheet XML shrinks ~5-20x; a bomb shrinks hundreds of times
XLSX_RATIO_FLOOR = 1024 * 1024  # small parts cannot hurt, whatever their ratio
XLSX_MAX_SHARED_STRINGS_BYTES = 5 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS = 50_000  # 様式1 has at most 500 rows of 14 columns
XLSX_MAX_ROWS = 2_000  # rows read per sheet to prove it parses
XLSX_MAX_COLUMNS = 50

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
MAX_FILENAME_LENGTH = Attachment.filename.type.length
_FILENAME_TOO_LONG = _l(
    "ファイル名が長すぎます（%(max)d文字まで）。短い名前にしてから添付してください", max=MAX_FILENAME_LENGTH
)
_TOO_LARGE = _l("ファイルサイズが10MBを超えています。10MB以下のファイルを添付してください")
_PDF_ENCRYPTED = _l("パスワードで保護されたPDFは確認できません。保護を解除したPDFを添付してください")
_PDF_TOO_MANY_PAGES = _l(
    "PDFのページ数が多すぎます（%(pages)dページまで）。必要なページだけを残したPDFを添付してください",
    pages=MAX_PDF_PAGES,
)
_XLSX_TOO_BIG = _l(
    "Excelファイル（.xlsx）の中身が大きすぎるため確認できません（展開後%(mb)dMB・文字列%(strings)d件まで）。"
    "不要なシート・行・書式を削除して保存し直すか、PDFにして添付してください",
    mb=XLSX_MAX_EXPANDED_BYTES // (1024 * 1024),
    strings=XLSX_MAX_SHARED_STRINGS,
)

# ---------------------------------------------------------------- PDF


def _check_pdf(content: bytes) -> None:
    """A PDF must open with pypdf and have a page tree of 1..MAX_PDF_PAGES pages (HTML after %PDF does not)."""
    if not content.startswith(b"%PDF"):
        raise StopValidation(_BAD_CONTENT["pdf"])
    from pypdf import PdfReader  # only needed for uploads
    from pypdf.generic import DictionaryObject

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise StopValidation(_PDF_ENCRYPTED)
        catalog = reader.trailer["/Root"]
        if not isinstance(catalog, DictionaryObject):
            raise ValueError("the document catalog is not a dictionary")
        pages = _page_count(catalog.raw_get("/Pages"))
    except StopValidation:
        raise
    except Exception as exc:  # a broken file raises anything from PdfReadError to KeyError or RecursionError
        raise StopValidation(_BAD_CONTENT["pdf"]) from exc
    if pages == 0:
        raise StopValidation(_BAD_CONTENT["pdf"])


def _opens_without_password(reader: Any) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto library installed
        return False


def _page_count(pages_ref: Any) -> int:
    """Leaves of the page tree, walked with a node budget: /Count is not trusted, flattening a forged tree is slow."""
    budget = 2 * MAX_PDF_PAGES
    stack, seen, leaves = [pages_ref], set(), 0
    while stack:
        ref = stack.pop()
        key = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(ref)
        if key in seen:
            raise ValueError("the page tree has a cycle")
        seen.add(key)
        if len(seen) > budget:
            raise StopValidation(_PDF_TOO_MANY_PAGES)
        node = ref.get_object()
        kids = node.get("/Kids")
        if kids is None:
            leaves += 1
            continue
        kids = kids.get_object()
        if len(kids) > MAX_PDF_PAGES:
            raise StopValidation(_PDF_TOO_MANY_PAGES)
        stack.extend(kids)
    if leaves > MAX_PDF_PAGES:
        raise StopValidation(_PDF_TOO_MANY_PAGES)
    return leaves


# ---------------------------------------------------------------- Excel


_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s/>]")  # an <si> element, any namespace prefix
_TAIL = 32  # bytes kept between chunks, longer than any pattern searched for
_CHUNK = 256 * 1024


def _check_xlsx(content: bytes) -> None:
    """Bounds the zip first (parts, expanded size, ratio, shared strings), then opens it read-only."""
    if not content.startswith(b"PK\x03\x04"):
        raise StopValidation(_BAD_CONTENT["xlsx"])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_zip_sizes(archive.infolist())
            strings = sum(_scan_part(archive, info) for info in archive.infolist())
    except StopValidation:
        raise
    except Exception as exc:  # BadZipFile, a CRC or size mismatch, a corrupt deflate stream...
        raise StopValidation(_BAD_CONTENT["xlsx"]) from exc
    if strings > XLSX_MAX_SHARED_STRINGS:
        raise StopValidation(_XLSX_TOO_BIG)
    _read_workbook(content)


def _check_zip_sizes(parts: list[zipfile.ZipInfo]) -> None:
    """From the zip's directory alone (zipfile refuses a part that expands past its declared size)."""
    if len(parts) > XLSX_MAX_PARTS or sum(p.file_size for p in parts) > XLSX_MAX_EXPANDED_BYTES:
        raise StopValidation(_XLSX_TOO_BIG)
    for part in parts:
        if part.file_size > XLSX_RATIO_FLOOR and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
            raise StopValidation(_XLSX_TOO_BIG)
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > XLSX_MAX_SHARED_STRINGS_BYTES:
            raise StopValidation(_XLSX_TOO_BIG)


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Streams one part: counts shared strings (in whichever part holds them) and refuses a DTD (entity bombs)."""
    count, tail = 0, b""
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise StopValidation(_BAD_CONTENT["xlsx"])
            count += sum(1 for match in _SHARED_STRING.finditer(window) if match.end() > len(tail))
            if count > XLSX_MAX_SHARED_STRINGS:
                raise StopValidation(_XLSX_TOO_BIG)
            tail = window[-_TAIL:]
    return count


def _read_workbook(content: bytes) -> None:
    import openpyxl  # only needed for uploads; slow to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a broken file raises anything from BadZipFile to KeyError
        raise StopValidation(_BAD_CONTENT["xlsx"]) from exc
    try:
        for sheet in workbook.worksheets:
            # explicit bounds: without them read-only mode pads every row to the sheet's declared dimension
            for _row in sheet.iter_rows(max_row=XLSX_MAX_ROWS, max_col=XLSX_MAX_COLUMNS, values_only=True):
                pass
    except Exception as exc:
        raise StopValidation(_BAD_CONTENT["xlsx"]) from exc
    finally:
        workbook.close()


_CONTENT_CHECKS: dict[str, Callable[[bytes], None]] = {"pdf": _check_pdf, "xlsx": _check_xlsx}

# The content type the server serves an accepted upload with, by the extension its content was checked against.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def stored_filename(filename: str) -> str:
    """The name an upload is stored under: ASCII, no path (werkzeug's secure_filename), else the name as sent."""
    return secure_filename(filename) or filename


def has_upload(data: Any) -> bool:
    return isinstance(data, FileStorage) and bool(data.filename)


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


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
        kind = extension(upload.filename)
        if kind not in self.kinds:
            raise StopValidation(_WRONG_KIND[self.kinds])
        if len(stored_filename(upload.filename)) > MAX_FILENAME_LENGTH:
            raise StopValidation(_FILENAME_TOO_LONG)
        content = _read(upload)
        if len(content) > MAX_UPLOAD_BYTES:
            raise StopValidation(_TOO_LARGE)
        _CONTENT_CHECKS[kind](content)
