"""A field as a plain dict, for the JSON API and for documentation."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# Most specific first: the first match names the type.
_TYPES: tuple[tuple[type, str], ...] = (
    (FileField, "file"),
    (SelectMultipleField, "multi_checkbox"),
    (RadioField, "radio"),
    (SelectField, "select"),
    (BooleanField, "boolean"),
    (DateField, "date"),
    (DecimalField, "decimal"),
    (IntegerField, "integer"),
    (EmailField, "email"),
    (TextAreaField, "textarea"),
    (StringField, "text"),
    (FieldList, "list"),
    (FormField, "group"),
)


def field_type(field: Field) -> str:
    return next((name for kind, name in _TYPES if isinstance(field, kind)), field.type)


def describe_field(field: Field) -> dict[str, Any]:
    info = {
        "name": field.short_name,
        "type": field_type(field),
        "label": str(field.label.text),
        "required": bool(field.flags.required),
        "choices": [[str(c[0]), str(c[1])] for c in field.iter_choices()] if isinstance(field, SelectField) else None,
        "description": str(field.description or ""),
    }
    if isinstance(field, FieldList):
        info["fields"] = _row_fields(field)
    elif isinstance(field, FormField):
        info["fields"] = [describe_field(sub) for sub in field.form]
    return info


def _row_fields(field: FieldList) -> list[dict[str, Any]]:
    """The fields of one row of a list of sub-forms (an empty row, built just to describe it)."""
    unbound = field.unbound_field
    if not issubclass(unbound.field_class, FormField):
        return []
    return [describe_field(sub) for sub in unbound.args[0]()]
