"""Template helpers for macros/forms.html: a field's kind, an empty row for list fields, the error summary."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from wtforms import Field, FieldList, Form, FormField

from forms.describe import field_type


def field_kind(field: Field) -> str:
    """ "hidden", or the project's field type name ("text", "select", "radio", "list", ...)."""
    if getattr(field.widget, "input_type", None) == "hidden":
        return "hidden"
    return field_type(field)


def blank_row(field: FieldList) -> Form | None:
    """An unbound row of a list of sub-forms, named "<list>-__index__-<field>" (the add-row template)."""
    unbound = field.unbound_field
    if not issubclass(unbound.field_class, FormField):
        return None
    form_class = unbound.args[0] if unbound.args else unbound.kwargs["form_class"]
    return form_class(formdata=None, prefix=f"{field.name}-__index__-")


def error_list(form: Iterable[Field]) -> list[tuple[str, str, str]]:
    """(field id, label, message) for every error in the form, in page order; list rows are numbered."""
    return [
        (field.id, label, str(message))
        for field, label in _leaves(form, "")
        for message in field.errors
        if isinstance(message, str)
    ]


def _leaves(fields: Iterable[Any], prefix: str) -> Iterator[tuple[Field, str]]:
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form, prefix)
        elif isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                yield from _leaves([entry], f"{prefix}{field.label.text} {number}：")
        else:
            yield field, f"{prefix}{field.label.text}"


def add_errors(form: Any, errors: dict[str, list[str]]) -> None:
    """Errors found outside the form (operations' database rules) go beside their fields or on top."""
    for name, messages in errors.items():
        field = form._fields.get(name)
        target = list(field.errors) if field is not None else list(form.form_errors)
        new = [m for m in messages if isinstance(m, str) and m not in target]
        if field is not None and not isinstance(field, FieldList | FormField):
            field.errors = target + new
        elif field is None:
            form.form_errors = target + new
