"""Request values every page and API view relies on: ids (URLs, query strings, posts) as ASCII digits within the
integer column range, and text free of characters no database can store.

Werkzeug's `int` converter matches `\\d+`, which takes Unicode digits (`٣` is 3) and any length; Python's
`str.isdigit()` also takes `²`. SQLite stores up to 2^63-1 and PostgreSQL's `integer` up to 2^31-1, so a bigger
value failed in the driver (a 500). The `int` converter is replaced app-wide, so every `<int:…>` route is bounded.
"""

from __future__ import annotations

import re
from typing import Any

from flask.sansio.app import App
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, ValidationError

from .operations.errors import Invalid

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's is larger, so one limit holds on both
_MAX_DIGITS = len(str(MAX_ID))
# PostgreSQL refuses NUL in text (%00 in a URL or a post); neither driver can encode a lone surrogate (a JSON
# "\ud800" escape).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_id(text: Any) -> int | None:
    """A positive id written in ASCII digits (at most MAX_ID), else None."""
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def refuse_unstorable(name: str, value: Any) -> None:
    """422 naming the field when a value (or the field's name itself) holds NUL or a lone surrogate."""
    if not isinstance(value, str) or not (unstorable(value) or unstorable(name)):
        return
    field = _UNSTORABLE.sub("?", name)
    message = _(
        "%(field)s に使用できない文字（NUL文字または対になっていないサロゲート）が含まれています。", field=field
    )
    raise Invalid(message, {field: [message]})


def refuse_unstorable_items(data: Any) -> None:
    """Every value of a query string or a form post (files are named by secure_filename, never stored as sent)."""
    for name, value in data.items(multi=True):
        refuse_unstorable(name, value)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits, 1..MAX_ID, else the route does not match (404)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number


def init_app(app: App) -> None:
    """Must run before any blueprint adds its rules: a rule looks its converters up when it is added."""
    app.url_map.converters["int"] = IdConverter
