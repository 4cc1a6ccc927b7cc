"""Field types that take HTML posts and JSON-built MultiDicts alike, and say in Japanese what to fix.

Blank input means "not given" for every type here, so emptiness is judged only by the `Required` family of
validators and optional fields need no `Optional()`. Every value is bounded here, for pages and the API alike:
a single-valued field takes one value, text fits the column it is stored in (else a global bound), numbers are
finite and of sane size, dates lie within DATE_RANGE.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
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
    TimeField,
    widgets,
)
from wtforms.validators import StopValidation, ValidationError

FALSE_VALUES = (False, "false", "False", "0", "off", "no", "", None)

# Text that is not stored in a column of its own goes into JSON in a Text column (application, task data):
# these bound it there. A field stored in a column takes that column's length (`column=Company.name`).
MAX_LINE_LENGTH = 1_000
MAX_MEMO_LENGTH = 10_000
# Sane dates: a mistyped year (0205, 20025) is refused instead of being stored and sorted on.
DATE_RANGE = (date(2000, 1, 1), date(2100, 12, 31))
# Every number field holds hours, people or yen: far below this, and Decimal arithmetic stays exact here.
MAX_DECIMAL = Decimal(999_999)
MAX_INTEGER = 2**53 - 1  # the largest integer JSON readers (JavaScript) keep exactly


class ListItem(str):
    """One element of a JSON list (webapp.api_input.to_multidict): only a multi-valued field takes it."""


def single(valuelist: list[Any]) -> Any:
    """The one posted value of a single-valued field; several values, or a JSON list, are refused."""
    if len(valuelist) > 1 or isinstance(valuelist[0], ListItem):
        raise ValueError(_l("値は1つだけ指定してください（リストは指定できません）"))
    return valuelist[0]


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
    """Text defaults to "" and is stripped; JSON numbers become their text. At most `max_length` characters:
    the length of `column` (the model column the value is stored in), else the type's global bound."""

    data: Any
    default_max_length = MAX_LINE_LENGTH

    def __init__(self, *args: Any, column: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
        self.max_length: int = column.type.length if column is not None else self.default_max_length

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            value = single(valuelist)
            self.data = "" if value is None else self.clean(value)

    def pre_validate(self, form: Any) -> None:
        if self.data and len(self.data) > self.max_length:
            message = _l(
                "%(max)d文字以内で入力してください（%(count)d文字あります）", max=self.max_length, count=len(self.data)
            )
            raise StopValidation(message)

    @staticmethod
    def clean(value: Any) -> str:
        return str(value).strip()


class TextField(_TextInput, StringField):
    pass


class MemoField(_TextInput, TextAreaField):
    default_max_length = MAX_MEMO_LENGTH


class MailField(_TextInput, EmailField):
    clean = staticmethod(normalize)


class CheckField(BooleanField):
    """A checkbox that also understands JSON false / 0 / "false" from the API."""

    false_values = FALSE_VALUES

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata([single(valuelist)] if valuelist else valuelist)


class DateInputField(DateField):
    def process_data(self, value: Any) -> None:
        self.data = to_date(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        value = single(valuelist)
        if is_blank(value):
            return
        try:
            day = datetime.strptime(normalize(value).replace("/", "-"), "%Y-%m-%d").date()
        except ValueError as exc:
            raise ValueError(_l("日付を「2025-07-01」の形式で入力してください")) from exc
        earliest, latest = DATE_RANGE
        if not earliest <= day <= latest:
            raise ValueError(
                _l("%(earliest)sから%(latest)sまでの日付を入力してください", earliest=earliest, latest=latest)
            )
        self.data = day


class TimeInputField(TimeField):
    """A time of day, 「10:30」 (seconds, if sent, are dropped: the order of receipt is kept to the minute)."""

    def process_data(self, value: Any) -> None:
        self.data = to_time(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        value = single(valuelist)
        if is_blank(value):
            return
        parsed = to_time(normalize(value))
        if parsed is None:
            raise ValueError(_l("時刻を「10:30」の形式（24時間制）で入力してください"))
        self.data = parsed


def to_time(value: Any) -> time | None:
    if value is None or isinstance(value, time):
        return value
    text = str(value)[:8]
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).time().replace(second=0)
        except ValueError:
            continue
    return None


class DecimalInputField(DecimalField):
    """Blank input falls back to the field's default (e.g. 0 hours of prior use)."""

    def process_data(self, value: Any) -> None:
        self.data = to_decimal(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        value = single(valuelist)
        if is_blank(value):
            self.data = to_decimal(self.default() if callable(self.default) else self.default)
            return
        self.data = None
        number = to_decimal(normalize(value).replace(",", ""))
        if number is None or not number.is_finite():  # NaN, Infinity
            raise ValueError(_l("数値で入力してください"))
        if number.copy_abs() > MAX_DECIMAL:  # 1e308 would overflow the checks that follow (quarter hours, caps)
            raise ValueError(_l("-%(max)sから%(max)sまでの数値で入力してください", max=MAX_DECIMAL))
        self.data = number


class IntegerInputField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        value = single(valuelist)
        if is_blank(value) or isinstance(value, bool):
            return
        try:
            number = int(normalize(value).replace(",", ""))
        except ValueError as exc:  # also a number of more than 4,300 digits
            raise ValueError(_l("整数で入力してください")) from exc
        if abs(number) > MAX_INTEGER:
            raise ValueError(_l("-%(max)dから%(max)dまでの整数で入力してください", max=MAX_INTEGER))
        self.data = number


class _SingleChoice:
    """Blank becomes None; a value outside the choices is refused, emptiness is left to Required."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            value = single(valuelist)
            self.data = None if is_blank(value) else str(value).strip()

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
            shown = ", ".join(v[:20] for v in unknown[:5])  # the message echoes a few, not a megabyte
            raise ValidationError(_l("選択肢にない値が含まれています: %(values)s", values=shown))
