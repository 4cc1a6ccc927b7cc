"""Field types that take HTML posts and JSON-built MultiDicts alike, and say in Japanese what to fix.

Blank input means "not given" for every type here, so emptiness is judged only by the `Required` family of
validators and optional fields need no `Optional()`.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import ValidationError

FALSE_VALUES = (False, "false", "False", "0", "off", "no", "", None)


def is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple) and not value)


def normalize(value: Any) -> str:
    """Text as typed; NFKC turns the full-width digits Japanese input methods produce into ASCII."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def nfkc(value: Any) -> Any:
    """A filter: full-width digits to ASCII, surrounding spaces removed; non-text left alone."""
    return normalize(value) if isinstance(value, str) else value


def to_date(value: Any) -> date | None:
    """Initial data comes from JSON task data, where dates are ISO strings."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def choice_values(field: SelectField) -> list[str]:
    return [str(choice[0]) for choice in field.iter_choices()]


class _TextInput:
    """Text defaults to "" and is stripped; JSON numbers become their text."""

    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = "" if valuelist[0] is None else self.clean(valuelist[0])

    @staticmethod
    def clean(value: Any) -> str:
        return str(value).strip()


class TextField(_TextInput, StringField):
    pass


class MemoField(_TextInput, TextAreaField):
    pass


class MailField(_TextInput, EmailField):
    clean = staticmethod(normalize)


class CheckField(BooleanField):
    """A checkbox that also understands JSON false / 0 / "false" from the API."""

    false_values = FALSE_VALUES


class DateInputField(DateField):
    def process_data(self, value: Any) -> None:
        self.data = to_date(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        if is_blank(valuelist[0]):
            return
        try:
            self.data = datetime.strptime(normalize(valuelist[0]).replace("/", "-"), "%Y-%m-%d").date()
        except ValueError as exc:
            raise ValueError(_l("日付を「2025-07-01」の形式で入力してください")) from exc


class DecimalInputField(DecimalField):
    """Blank input falls back to the field's default (e.g. 0 hours of prior use)."""

    def process_data(self, value: Any) -> None:
        self.data = to_decimal(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        if is_blank(valuelist[0]):
            self.data = to_decimal(self.default() if callable(self.default) else self.default)
            return
        number = to_decimal(normalize(valuelist[0]).replace(",", ""))
        if number is None or not number.is_finite():
            self.data = None
            raise ValueError(_l("数値で入力してください"))
        self.data = number


class IntegerInputField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        if is_blank(valuelist[0]) or isinstance(valuelist[0], bool):
            return
        try:
            self.data = int(normalize(valuelist[0]).replace(",", ""))
        except ValueError as exc:
            raise ValueError(_l("整数で入力してください")) from exc


class _SingleChoice:
    """Blank becomes None; a value outside the choices is refused, emptiness is left to Required."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = None if is_blank(valuelist[0]) else str(valuelist[0]).strip()

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in choice_values(self):  # type: ignore[arg-type]
            raise ValidationError(_l("選択肢の中から選んでください"))


class ChoiceField(_SingleChoice, SelectField):
    pass


class RadioChoiceField(_SingleChoice, RadioField):
    pass


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        if value is None:
            self.data = []
        elif isinstance(value, str):
            self.data = [value]
        else:
            self.data = [str(v) for v in value]

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(dict.fromkeys(str(v).strip() for v in valuelist if not is_blank(v)))

    def pre_validate(self, form: Any) -> None:
        allowed = set(choice_values(self))
        unknown = [v for v in self.data or () if v not in allowed]
        if unknown:
            raise ValidationError(_l("選択肢にない値が含まれています: %(values)s", values=", ".join(unknown)))
