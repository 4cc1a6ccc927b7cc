"""The applicant's forms after adoption: 様式1 保有情報リスト and 様式2 セルフチェックシート (files + structured rows)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField
from wtforms.fields.core import Label

from forms.base import TaskContext, TaskForm, ascii_rows
from forms.choices import SELF_CHECK_ANSWERS, select_choices
from forms.fields import ChoiceField, MemoField, TextField
from forms.self_check import SELF_CHECK_ITEMS
from forms.uploads import PDF_OR_XLSX, UploadCheck
from forms.validators import Required

FORM_FILE_HINT = _l("Excel（.xlsx）またはPDF形式、10MB以下")
MAX_ASSET_ROWS = 500

CATEGORIES = (("technical", _l("技術情報")), ("business", _l("営業情報")))
MEDIA = (("paper", _l("紙")), ("electronic", _l("電子データ")), ("object", _l("物品")))
MARKINGS = (("top_secret", _l("極秘")), ("secret", _l("秘")), ("internal", _l("社外秘")))
IMPORTANCE = (("A", "A"), ("B", "B"), ("C", "C"))


class InformationAssetForm(Form):
    """One row of 様式1 保有情報リスト."""

    department = TextField(_l("部署・業務プロセス"))
    name = TextField(_l("情報の名称"), [Required(_l("情報の名称を入力してください"))])
    category = ChoiceField(_l("区分"), choices=select_choices(CATEGORIES, blank=True))
    medium = ChoiceField(_l("媒体"), choices=select_choices(MEDIA, blank=True))
    storage_location = TextField(_l("保管場所"))
    owner = TextField(_l("管理責任者"))
    access_scope = TextField(_l("アクセスできる範囲"))
    marking = ChoiceField(_l("秘密表示"), choices=select_choices(MARKINGS, blank=True))
    importance = ChoiceField(_l("重要度"), choices=select_choices(IMPORTANCE, blank=True))
    leak_impact = MemoField(_l("漏えいした場合の影響"))
    provided_to = TextField(_l("社外への提供先"))
    copy_rules = MemoField(_l("持ち出し・複製のルール"))
    disposal_retention = TextField(_l("廃棄方法・保存期間"))
    remarks = MemoField(_l("備考"))


class SelfCheckAnswerForm(Form):
    """The company's answer to one 様式2 self-check item."""

    answer = ChoiceField(_l("回答"), choices=select_choices(SELF_CHECK_ANSWERS, blank=True))
    description = MemoField(_l("実施状況の説明"))


def _form_file(label: Any, missing: Any) -> FileField:
    return FileField(label, [UploadCheck(PDF_OR_XLSX, missing)], description=FORM_FILE_HINT)


def _row_index(key: str, head: str) -> int | None:
    index = key[len(head) :].split("-", 1)[0] if key.startswith(head) else ""
    return int(index) if index.isdigit() else None


def _pad_rows(formdata: Any, prefix: str, size: int) -> Any:
    """Fill gaps in posted row indices: FieldList renumbers rows, which would shift answers to other items."""
    if not formdata:
        return formdata
    head = f"{prefix}-"
    posted = {i for i in (_row_index(key, head) for key in formdata) if i is not None}
    missing = [i for i in range(min(size, max(posted, default=-1) + 1)) if i not in posted]
    if not missing:
        return formdata
    padded = MultiDict(formdata.items(multi=True))
    for index in missing:
        padded.add(f"{head}{index}-answer", "")
    return padded


class FormsSubmissionForm(TaskForm):
    form1_file = _form_file(_l("保有情報リスト（様式1）"), _l("保有情報リスト（様式1）のファイルを添付してください"))
    form2_file = _form_file(
        _l("情報管理体制セルフチェックシート（様式2）"),
        _l("情報管理体制セルフチェックシート（様式2）のファイルを添付してください"),
    )
    assets = FieldList(
        FormField(InformationAssetForm), _l("保有情報リスト（様式1）の内容"), min_entries=0, max_entries=MAX_ASSET_ROWS
    )
    self_check = FieldList(
        FormField(SelfCheckAnswerForm), _l("セルフチェック（様式2）の回答"), min_entries=len(SELF_CHECK_ITEMS)
    )
    note = MemoField(_l("備考"))

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any) -> None:
        # wrap first: Flask-WTF resolves "read the request" here; wrapping again later is a no-op
        formdata = _pad_rows(ascii_rows(self.meta.wrap_formdata(self, formdata)), "self_check", len(SELF_CHECK_ITEMS))
        super().process(formdata, obj, data, **kwargs)

    def bind_context(self) -> None:
        while len(self.self_check.entries) > len(SELF_CHECK_ITEMS):
            self.self_check.pop_entry()
        for item, entry in zip(SELF_CHECK_ITEMS, self.self_check.entries, strict=True):
            entry.item = item  # type: ignore[attr-defined]  # templates show entry.item.group_label
            entry.label = Label(entry.id, item.text)

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        data["self_check"] = [
            {"item": item.code, **row} for item, row in zip(SELF_CHECK_ITEMS, data["self_check"], strict=True)
        ]
        return data

    @classmethod
    def field_descriptions(cls, context: TaskContext) -> list[dict[str, Any]]:
        descriptions = super().field_descriptions(context)
        items = [{"code": i.code, "group": str(i.group_label), "text": str(i.text)} for i in SELF_CHECK_ITEMS]
        for description in descriptions:
            if description["name"] == "self_check":
                description["items"] = items
        return descriptions
