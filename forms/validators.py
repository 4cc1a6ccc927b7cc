"""Validators with Japanese messages. Each skips a value that failed to parse: the parse error already says why."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from forms.fields import is_blank

Condition = Callable[[Any], bool]


def format_hours(value: Decimal) -> str:
    """23 -> "23", 17.50 -> "17.5" (no exponent, no trailing zeros)."""
    return f"{value.normalize():f}"


def _missing(field: Any) -> bool:
    raw = field.raw_data
    if raw is None:  # validated without formdata: judge the data itself
        return is_blank(field.data)
    return not raw or is_blank(raw[0])


class Required:
    """The input must be given. Unlike DataRequired, a 0 or an unparsable value is left to the other checks."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _missing(field):
            field.errors[:] = []
            raise StopValidation(self.message)


class MustCheck:
    """A confirmation checkbox that has to be ticked."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            raise StopValidation(self.message)


class MustCheckIf:
    """A confirmation checkbox that has to be ticked while `condition(form)` holds."""

    def __init__(self, condition: Condition, message: Any) -> None:
        self.condition = condition
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data and self.condition(form):
            raise StopValidation(self.message)


class RequiredIf:
    """Required while `condition(form)` holds; otherwise an empty value ends the checks."""

    def __init__(self, condition: Condition, message: Any) -> None:
        self.condition = condition
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not _missing(field):  # given (an unparsable value is left to the field's own message)
            return
        if self.condition(form):
            field.errors[:] = []
            raise StopValidation(self.message)
        raise StopValidation()


class AtLeast:
    def __init__(self, minimum: Decimal | int, message: Any, *, exclusive: bool = False) -> None:
        self.minimum = minimum
        self.message = message
        self.exclusive = exclusive

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        if value is not None and (value <= self.minimum if self.exclusive else value < self.minimum):
            raise ValidationError(self.message)


class AtMost:
    def __init__(self, maximum: Decimal | int, message: Any) -> None:
        self.maximum = maximum
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is not None and field.data > self.maximum:
            raise ValidationError(self.message)


class QuarterHours:
    """Hours are recorded in 15-minute units."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is not None and (field.data * 4) % 1 != 0:
            raise ValidationError(_l("0.25時間（15分）単位で入力してください"))
