"""What every task form shares: the context it is built for, task-data output, uploads and self-description."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from flask import has_app_context
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import Field, FieldList, FormField, SubmitField
from wtforms.csrf.core import CSRFTokenField

from forms.describe import describe_field
from forms.uploads import has_upload

if TYPE_CHECKING:
    from workflows.editions import Country, Edition


@dataclass(frozen=True)
class TaskContext:
    edition: Edition | None = None
    country: str | None = None  # "CN", "TH", ... for per-country tasks
    hour_cap: Decimal | None = None  # the cap for this company + country
    hours_remaining: Decimal | None = None  # what the cap account (company x country x edition) has left
    countries: tuple[str, ...] = ()  # the case's target countries (hours entry)
    task_data: Mapping[str, Any] = dataclass_field(default_factory=dict)  # current process data
    editions: Mapping[str, Edition] = dataclass_field(default_factory=dict)  # all editions (application form)

    def country_info(self) -> Country | None:
        return self.edition.country(self.country) if self.edition and self.country else None

    def effective_hour_cap(self) -> Decimal | None:
        """The given cap, else the edition's cap for the task's country."""
        if self.hour_cap is not None:
            return self.hour_cap
        country = self.country_info()
        return country.hour_cap if country else None

    def remaining_hours(self) -> Decimal | None:
        """The account's remaining hours when known, else the cap (nothing used yet)."""
        return self.hours_remaining if self.hours_remaining is not None else self.effective_hour_cap()


def json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def ascii_rows(formdata: Any) -> Any:
    """Drops keys whose row number is not ASCII digits ("assets-²-name"): WTForms would int() it and fail."""
    if not formdata:
        return formdata
    keys = [key for key in formdata if any(p.isdigit() and not p.isascii() for p in key.split("-"))]
    if not keys:
        return formdata
    return MultiDict([(key, value) for key, value in formdata.items(multi=True) if key not in keys])


def _is_data_field(field: Field) -> bool:
    return not isinstance(field, FileField | CSRFTokenField | SubmitField)


def field_value(field: Field) -> Any:
    """A field's value as JSON; lists and sub-forms recurse, file fields are left out."""
    if isinstance(field, FormField):
        return {sub.short_name: field_value(sub) for sub in field if _is_data_field(sub)}
    if isinstance(field, FieldList):
        return [field_value(entry) for entry in field]
    return json_safe(field.data)


def _leaf_fields(fields: Iterable[Field]) -> Iterable[Field]:
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


class TaskForm(FlaskForm):
    """Base of every task form. Built as FormClass(formdata=..., data=..., context=ctx, meta={"csrf": bool})."""

    # Process-data keys an earlier step may already hold (e.g. the application's answers the hearing confirms).
    prefill_keys: ClassVar[tuple[str, ...]] = ()

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            # field_descriptions may run outside an app (e.g. to document the API)
            return super().get_translations(form) if has_app_context() else None

    def __init__(self, *args: Any, context: TaskContext, **kwargs: Any) -> None:
        self.context = context
        kwargs["data"] = self._initial_data(context, kwargs.get("data"))
        super().__init__(*args, **kwargs)
        self.bind_context()

    @classmethod
    def _initial_data(cls, context: TaskContext, data: Mapping[str, Any] | None) -> dict[str, Any]:
        known = {key: context.task_data[key] for key in cls.prefill_keys if key in context.task_data}
        return {**known, **(data or {})}

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any) -> None:
        # wrap first: Flask-WTF resolves "read the request" here; wrapping again later is a no-op
        super().process(ascii_rows(self.meta.wrap_formdata(self, formdata)), obj, data, **kwargs)

    def bind_context(self) -> None:
        """Set context-dependent choices, labels and descriptions; runs after the fields are bound."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self._plain_errors()
        return valid

    def _plain_errors(self) -> None:
        """Lazy messages become str in the request's locale, so form.errors can be sent as JSON as is."""
        for field in _leaf_fields(self):
            field.errors[:] = [str(message) for message in field.errors]  # type: ignore[index]
        self.form_errors[:] = [str(message) for message in self.form_errors]
        self._errors = None

    def to_task_data(self) -> dict[str, Any]:
        return {field.short_name: field_value(field) for field in self if _is_data_field(field)}

    def uploads(self) -> dict[str, FileStorage]:
        return {f.short_name: f.data for f in self if isinstance(f, FileField) and has_upload(f.data)}

    @classmethod
    def field_descriptions(cls, context: TaskContext) -> list[dict[str, Any]]:
        form = cls(formdata=None, context=context, meta={"csrf": False})
        return [describe_field(field) for field in form if not isinstance(field, CSRFTokenField | SubmitField)]
