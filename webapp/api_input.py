"""The API's one decoding layer: request bodies and query parameters are decoded and bounded here, before a view,
a form or the database sees them.

- A JSON body is UTF-8, standard JSON (no NaN or Infinity), at most MAX_JSON_DEPTH levels deep, at most
  MAX_JSON_BYTES long, and an object; else 400 (413 when too long) saying so.
- Text in a body (JSON strings and keys, multipart fields) and in the free-text query parameters has no NUL and
  no lone surrogate, else 422 naming the field (converters.refuse_unstorable; pages get the same check).
- JSON becomes the form data a browser would post (to_multidict), so the API validates with the pages' WTForms
  classes; elements of a JSON list are marked, so a single-valued field refuses a list.
- Query parameters: page numbers and ids are ASCII integers in range, filter and sort values come from their lists.

Lengths, numbers and dates are bounded by the form fields themselves (forms/fields.py), for pages and API alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms.fields import ListItem
from workflows.editions import load_editions

from .converters import MAX_ID, parse_id, refuse_unstorable, refuse_unstorable_items
from .models import HumanTask, Role, TaskStatus
from .operations.errors import Invalid, OperationError
from .operations.process import STAGE_ORDER
from .queries import SORTS, case_ref

MAX_JSON_DEPTH = 10  # the deepest body the API takes has 3 levels: object, list of rows, row
MAX_JSON_BYTES = 1024 * 1024  # JSON carries no files; the largest form (rows of 様式1) needs multipart anyway
FLAGS = ("1", "true", "0", "false")
LANES = (Role.STAFF.value, Role.EXPERT.value, Role.APPLICANT.value)
DUE_VALUES = ("overdue", "soon")


class BadBody(OperationError):
    """A body that cannot be read as the JSON object the API expects."""

    status = 400


class BodyTooLarge(OperationError):
    status = 413


class JsonNumber(str):
    """A JSON number kept as written: exact, of any size and never infinite; the form field parses and bounds it."""


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# ---------------------------------------------------------------- bodies


def json_body() -> dict[str, Any]:
    """The request's JSON object, checked as the module docstring says."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise BodyTooLarge(_("JSONの本文が大きすぎます（%(kb)dKBまで）。", kb=MAX_JSON_BYTES // 1024))
    try:
        payload = json.loads(
            raw.decode("utf-8"), parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_not_json
        )
    except UnicodeDecodeError as exc:
        raise BadBody(_("本文をUTF-8で送ってください。")) from exc
    except RecursionError as exc:
        raise BadBody(_too_deep()) from exc
    except json.JSONDecodeError as exc:
        raise BadBody(
            _("JSONの形式が正しくありません（%(line)d行%(column)d列目）。", line=exc.lineno, column=exc.colno)
        ) from exc
    except ValueError as exc:  # NaN, Infinity
        raise BadBody(_("JSONの形式が正しくありません（NaN・Infinity はJSONの数値ではありません）。")) from exc
    if not isinstance(payload, dict):
        raise BadBody(_("本文はJSONのオブジェクト（{…}）で送ってください。"))
    _check_json(payload, "", 1)
    return payload


def _too_deep() -> str:
    return _("JSONの入れ子が深すぎます（%(depth)d段まで）。", depth=MAX_JSON_DEPTH)


def _check_json(value: Any, name: str, depth: int) -> None:
    """Depth first (so this walk is bounded too), then every key and string."""
    if depth > MAX_JSON_DEPTH:
        raise BadBody(_too_deep())
    if isinstance(value, dict):
        for key, item in value.items():
            field = f"{name}-{key}" if name else key
            refuse_unstorable(field, key)
            _check_json(item, field, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{name}-{index}" if isinstance(item, dict) else name, depth + 1)
    else:
        refuse_unstorable(name, value)


def formdata() -> MultiDict:
    """The body as form data: a JSON object mapped by to_multidict, or a multipart post (fields and files)."""
    if request.is_json:
        return to_multidict(json_body())
    refuse_unstorable_items(request.form)
    data: MultiDict = MultiDict(request.form)
    data.update(request.files)
    return data


def to_multidict(payload: Mapping[str, Any]) -> MultiDict:
    """JSON object -> form data, so the API validates with exactly the page's WTForms classes (docs/api.md)."""
    items: list[tuple[str, Any]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}-{k}" if key else k)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                walk(v, f"{key}-{i}")
        elif isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                _refuse_shape(key)
            items.extend((key, ListItem(_scalar(v))) for v in value if v is not None and v is not False)
        elif value is not None and value is not False:
            items.append((key, _scalar(value)))

    walk(payload, "")
    return MultiDict(items)


def _scalar(value: Any) -> str:
    return "y" if value is True else str(value)


def _refuse_shape(name: str) -> None:
    message = _("%(field)s には値、値のリスト、またはオブジェクトのリストを指定してください。", field=name)
    raise Invalid(message, {name: [message]})


def json_text(body: Mapping[str, Any], name: str) -> str | None:
    """A body field that must be a JSON string (not a number, a list or an object); None when it is not."""
    value = body.get(name)
    return value if isinstance(value, str) and not isinstance(value, JsonNumber) else None


# ---------------------------------------------------------------- query parameters


def query_int(args: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer parameter (page, per_page): ASCII digits, 1..MAX_ID, else 422."""
    text = args.get(name)
    if text is None:
        return default
    value = parse_id(text)
    if value is None:
        message = _("%(name)s は1以上%(max)d以下の整数で指定してください。", name=name, max=MAX_ID)
        raise Invalid(message, {name: [message]})
    return value


def task_list_args(args: Mapping[str, str]) -> dict[str, str]:
    """GET /tasks filters, checked: a value outside its list answers 422 naming the allowed ones. An empty value
    is the same as leaving the parameter out; unknown parameters are ignored."""
    filters: dict[str, str] = {}
    for name, allowed in _allowed_values().items():
        value = args.get(name, "")
        if value and value not in allowed:
            message = _("%(name)s に指定できる値は次のいずれかです：%(values)s", name=name, values=", ".join(allowed))
            raise Invalid(message, {name: [message]})
        if value:
            filters[name] = value
    case, text = args.get("case", ""), args.get("q", "")
    if case:
        if case_ref(case) is None:
            message = _(
                "case には案件ID（1以上%(max)d以下の整数）か案件番号（FY2025-0001 など）を指定してください。",
                max=MAX_ID,
            )
            raise Invalid(message, {"case": [message]})
        filters["case"] = case
    if text:
        refuse_unstorable("q", text)
        limit = HumanTask.company_name.type.length  # q searches the company name: a longer text cannot match
        if len(text) > limit:
            message = _("%(name)s は%(max)d文字以内で指定してください。", name="q", max=limit)
            raise Invalid(message, {"q": [message]})
        filters["q"] = text
    return filters


def _allowed_values() -> dict[str, tuple[str, ...]]:
    editions = load_editions()
    countries = dict.fromkeys(c.code for edition in editions.values() for c in edition.countries)
    return {
        "status": tuple(s.value for s in TaskStatus),
        "mine": FLAGS,
        "unclaimed": FLAGS,
        "role": LANES,
        "country": tuple(countries),
        "stage": STAGE_ORDER,
        "edition": tuple(sorted(editions)),
        "due": DUE_VALUES,
        "sort": tuple(SORTS),
    }
