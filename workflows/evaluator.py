"""The restricted evaluator: the only way a diagram's Python is compiled and run.

A deployed diagram is code written by someone other than the server's owner, so everything the engine
evaluates (scripts, conditions, timers, payloads, DMN cells, ...) goes through here, with the same rules at
deploy time (`check`) and at run time (`evaluate`, `execute`):

- an AST whitelist: expressions, assignments, `if`/`for` (and `while` in scripts); no imports, functions,
  lambdas, classes, generators' `yield`, `try`, `global`, walrus; no name or attribute starting with `_`;
- RestrictedPython's compiler then routes attribute, item and iteration access through the guards below;
- attributes are looked up in a per-type whitelist (no frames, code, generators, `format`/`format_map`);
- a budget per evaluation bounds iteration steps and the size of what is built (strings, lists, ints);
- only plain data (JSON-like, plus dates and Decimals) goes in and comes out.

Scripts additionally run in a separate worker process with time and memory limits (`workflows.sandbox`).
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import datetime as dt
import functools
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import CodeType
from typing import Any, Literal

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

Mode = Literal["eval", "exec"]


@dataclass(frozen=True)
class Limits:
    max_steps: int = 100_000  # loop iterations and guarded operations per evaluation
    max_len: int = 100_000  # length of one string, list, dict, ...
    max_alloc: int = 2_000_000  # total length built by one evaluation
    max_int_bits: int = 4_096
    max_source: int = 20_000  # characters of one script or expression
    max_depth: int = 50  # nesting of plain data


LIMITS = Limits()


class Refusal(Exception):
    """The source breaks a rule of the evaluator (same rules at deploy and at run time).

    `code` says which rule (the web app words it for people), `detail` what was found, `line` where."""

    def __init__(self, code: str, detail: str = "", line: int | None = None):
        self.code, self.detail, self.line = code, detail, line
        super().__init__(f"{code}: {detail}" + (f" (line {line})" if line else ""))


class EvaluationError(Exception):
    """Allowed source that failed when it ran: a limit, a timeout, or an ordinary error (`code` = 'error')."""

    def __init__(self, code: str, detail: str = ""):
        self.code, self.detail = code, detail
        super().__init__(f"{code}: {detail}" if detail else code)


# ---------------------------------------------------------------- the language


_OPERATORS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift,
    ast.BitOr, ast.BitXor, ast.BitAnd, ast.And, ast.Or, ast.Not, ast.Invert, ast.UAdd, ast.USub,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)  # fmt: skip
_EXPRESSION_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.JoinedStr,
    ast.FormattedValue, ast.Load, ast.Store, *_OPERATORS,
)  # fmt: skip
_STATEMENT_NODES = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.While, ast.Break, ast.Continue,
    ast.Pass, ast.Delete, ast.Del,
)  # fmt: skip
_CONSTANT_TYPES = (str, int, float, bool, type(None))
# A format spec such as ">10" or ".2f": no nested fields, widths of at most three digits.
_FORMAT_SPEC = re.compile(r"[^{}]?[<>=^]?[+\- ]?#?0?\d{0,3}[,_]?(\.\d{1,3})?[bcdeEfFgGnosxX%]?")
_PERCENT_FIELD = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[a-zA-Z%]")

_NODE_NAMES = {
    ast.Import: "import", ast.ImportFrom: "import", ast.FunctionDef: "def", ast.AsyncFunctionDef: "def",
    ast.Lambda: "lambda", ast.ClassDef: "class", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Await: "await", ast.Global: "global", ast.Nonlocal: "nonlocal", ast.NamedExpr: ":=", ast.Try: "try",
    ast.Raise: "raise", ast.With: "with", ast.Starred: "*", ast.Assert: "assert",
}  # fmt: skip


def _check_tree(tree: ast.AST, mode: Mode) -> None:
    allowed = _EXPRESSION_NODES + (_STATEMENT_NODES if mode == "exec" else ())
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if not isinstance(node, allowed):
            name = _NODE_NAMES.get(type(node), type(node).__name__)
            raise Refusal("construct", name, line)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise Refusal("name", node.id, line)
        if isinstance(node, ast.Name) and node.id in _WITHHELD_BUILTINS:
            raise Refusal("builtin", node.id, line)
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTES:
            raise Refusal("attribute", node.attr, line)
        if isinstance(node, ast.Constant) and not isinstance(node.value, _CONSTANT_TYPES):
            raise Refusal("constant", repr(node.value)[:40], line)
        if isinstance(node, ast.keyword) and node.arg is None:
            raise Refusal("construct", "**", line)
        if isinstance(node, ast.Dict) and None in node.keys:
            raise Refusal("construct", "**", line)
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            _check_format_spec(node.format_spec, line)


def _check_format_spec(spec: ast.expr, line: int | None) -> None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(p, ast.Constant) for p in parts):
        raise Refusal("format", "{...}", line)
    text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
    if not _FORMAT_SPEC.fullmatch(text):
        raise Refusal("format", text, line)


class _GuardedOperations(ast.NodeTransformer):
    """Routes the operations that can build huge values (+, *, **, <<, % on strings) through `_binop_`."""

    GUARDED = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        symbol = self.GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(ast.Name("_binop_", ast.Load()), [ast.Constant(symbol), node.left, node.right], [])
        return ast.copy_location(call, node)


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's transformer, allowing the names our own transform introduces."""

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id == "_binop_":
            return node
        return super().visit_Name(node)


@functools.lru_cache(maxsize=4096)
def compile_source(source: str, mode: Mode) -> CodeType:
    """Checks and compiles one expression or script; cached, so a hot path compiles once."""
    if len(source) > LIMITS.max_source:
        raise Refusal("too_long", str(len(source)))
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError) as exc:
        raise Refusal("syntax", getattr(exc, "msg", str(exc)), getattr(exc, "lineno", None)) from None
    _check_tree(tree, mode)
    tree = ast.fix_missing_locations(_GuardedOperations().visit(tree))
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(tree, filename="<diagram>", policy=_Policy)  # type: ignore[arg-type]
    if result.errors or result.code is None:
        raise Refusal("restricted", "; ".join(result.errors))
    return result.code


def check(source: str, mode: Mode) -> None:
    """Deploy-time check: raises Refusal if the source would be refused at run time, and also for what is
    certain to hit a limit whatever the data: an endless `while True` and constant values over the limits."""
    compile_source(source, mode)
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and _always_true(node.test) and not _breaks(node):
            raise Refusal("endless_loop", "while", node.lineno)
    for expr in _top_expressions(tree):
        _dry_run(expr)


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _breaks(loop: ast.While) -> bool:
    return any(isinstance(n, ast.Break) for stmt in loop.body for n in ast.walk(stmt))


def _top_expressions(tree: ast.AST) -> list[ast.expr]:
    if isinstance(tree, ast.Expression):
        return [tree.body]
    fields = ("value", "test", "iter")
    return [getattr(n, f) for n in ast.walk(tree) if isinstance(n, ast.stmt) for f in fields if hasattr(n, f)]


def _dry_run(expr: ast.expr) -> None:
    """Evaluates an expression without data: one that needs no data and breaks a limit always will."""
    try:
        evaluate(ast.unparse(expr), {})
    except EvaluationError as exc:
        if exc.code in ("size", "steps", "memory"):
            raise Refusal("limit", f"{exc.code}: {exc.detail}", getattr(expr, "lineno", None)) from None
    except Refusal:
        raise


# ---------------------------------------------------------------- attributes

_STR_METHODS = {
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal",
    "isdigit", "islower", "isnumeric", "isspace", "isupper", "join", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill", "ljust", "rjust", "center",
}  # fmt: skip
_LIST_METHODS = {"append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"}
_DICT_METHODS = {"clear", "copy", "get", "items", "keys", "pop", "setdefault", "update", "values"}
_SET_METHODS = {
    "add", "clear", "copy", "difference", "discard", "intersection", "isdisjoint", "issubset", "issuperset",
    "pop", "remove", "symmetric_difference", "union", "update",
}  # fmt: skip
_DATE_ATTRS = {"year", "month", "day", "weekday", "isoweekday", "isoformat", "toordinal", "replace"}
_TYPE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: frozenset(_STR_METHODS),
    list: frozenset(_LIST_METHODS),
    dict: frozenset(_DICT_METHODS),
    tuple: frozenset({"count", "index"}),
    set: frozenset(_SET_METHODS),
    frozenset: frozenset(_SET_METHODS - {"add", "clear", "discard", "pop", "remove", "update"}),
    dt.datetime: frozenset(_DATE_ATTRS | {"hour", "minute", "second", "microsecond", "date", "timestamp"}),
    dt.date: frozenset(_DATE_ATTRS),
    dt.timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
    Decimal: frozenset({"is_nan", "is_finite"}),
    float: frozenset({"is_integer"}),
}
# Attributes of the classes handed to diagrams (date.fromisoformat; no today() or now(): the app has its clock).
_CLASS_ATTRIBUTES: dict[type, frozenset[str]] = {
    dt.date: frozenset({"fromisoformat"}),
    dt.datetime: frozenset({"fromisoformat"}),
}
ALLOWED_ATTRIBUTES = frozenset().union(*_TYPE_ATTRIBUTES.values(), *_CLASS_ATTRIBUTES.values())
_MUTATORS = {"append", "extend", "insert", "update", "setdefault", "add"}


def _allowed_attributes(obj: Any) -> frozenset[str]:
    if isinstance(obj, type):
        return _CLASS_ATTRIBUTES.get(obj, frozenset())
    for cls in type(obj).__mro__:
        if cls in _TYPE_ATTRIBUTES:
            return _TYPE_ATTRIBUTES[cls]
    return frozenset()


# ---------------------------------------------------------------- the budget and the guards


class Budget:
    """What one evaluation may still spend; every guard charges it."""

    def __init__(self, limits: Limits = LIMITS):
        self.limits = limits
        self.steps = 0
        self.allocated = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limits.max_steps:
            raise EvaluationError("steps", str(self.limits.max_steps))

    def charge(self, value: Any) -> Any:
        """Counts what an operation built; refuses a value over the size limits."""
        if isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > self.limits.max_int_bits:
                raise EvaluationError("size", "int")
        elif isinstance(value, str | list | tuple | dict | set | frozenset):
            size = len(value)
            if size > self.limits.max_len:
                raise EvaluationError("size", type(value).__name__)
            self.allocated += size
            if self.allocated > self.limits.max_alloc:
                raise EvaluationError("size", "total")
        self.step()
        return value

    # -- hooks called by the compiled code

    def getattr(self, obj: Any, name: str) -> Any:
        if name.startswith("_") or name not in _allowed_attributes(obj):
            raise Refusal("attribute", f"{type(obj).__name__}.{name}")
        value = getattr(obj, name)
        return self._wrap(obj, name, value) if callable(value) else value

    def _wrap(self, receiver: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
                self._check_len(args[0])
            elif name == "replace" and len(args) >= 2 and isinstance(receiver, str):
                old, new = str(args[0]), str(args[1])  # the result's size, known before building it
                self._check_len(len(receiver) + (receiver.count(old) if old else len(receiver) + 1) * len(new))
            elif name == "join" and args and isinstance(receiver, str):
                items = list(self.getiter(args[0]))
                self._check_len(sum(len(str(i)) for i in items) + len(receiver) * max(len(items) - 1, 0))
                args = (items, *args[1:])
            result = self.charge(method(*args, **kwargs))
            if name in _MUTATORS:
                self.charge(receiver)
            return self._plain_iterable(result)

        return call

    def _plain_iterable(self, value: Any) -> Any:
        # dict views are iterated by diagrams; give them as lists so no view object leaks into data
        if isinstance(value, type({}.keys()) | type({}.values()) | type({}.items())):
            return self.charge(list(value))
        return value

    def _check_len(self, size: int) -> None:
        if size > self.limits.max_len:
            raise EvaluationError("size", "str")

    def getitem(self, obj: Any, key: Any) -> Any:
        if not isinstance(obj, str | list | tuple | dict):
            raise Refusal("subscript", type(obj).__name__)
        return obj[key]

    def getiter(self, obj: Any) -> Iterator[Any]:
        for item in obj:
            self.step()
            yield item

    def write(self, obj: Any) -> Any:
        if not isinstance(obj, list | dict):
            raise Refusal("write", type(obj).__name__)
        return obj

    def binop(self, symbol: str, left: Any, right: Any) -> Any:
        if symbol == "*":
            self._check_repeat(left, right)
            self._check_repeat(right, left)
        elif symbol == "**":
            self._check_power(left, right)
        elif symbol == "<<" and isinstance(right, int) and right > self.limits.max_int_bits:
            raise EvaluationError("size", "int")
        elif symbol == "%" and isinstance(left, str):
            self._check_percent_format(left)
        return self.charge(_BINARY[symbol](left, right))

    def inplacevar(self, op: str, left: Any, right: Any) -> Any:
        symbol = op.removesuffix("=")
        if symbol in _BINARY:
            return self.binop(symbol, left, right)
        return self.charge(_INPLACE_OTHER[symbol](left, right))

    def _check_repeat(self, seq: Any, times: Any) -> None:
        if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > self.limits.max_len:
            raise EvaluationError("size", type(seq).__name__)

    def _check_power(self, base: Any, exponent: Any) -> None:
        ints = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
        if ints and base.bit_length() * exponent > self.limits.max_int_bits:
            raise EvaluationError("size", "int")
        decimals = isinstance(base, Decimal) or isinstance(exponent, Decimal)
        if decimals and abs(Decimal(exponent)) > 10_000:
            raise EvaluationError("size", "Decimal")

    def _check_percent_format(self, text: str) -> None:
        for match in _PERCENT_FIELD.finditer(text):
            width, precision = match.group(2), match.group(4)
            for number in (width, precision):
                if number == "*" or (number and int(number) > 999):
                    raise Refusal("format", match.group(0))

    def range(self, *args: int) -> list[int]:
        values = range(*args)
        if len(values) > self.limits.max_len:
            raise EvaluationError("size", "range")
        return self.charge(list(values))


# The compiled code calls these; they act on the budget of the evaluation running in this context.
_current: contextvars.ContextVar[Budget] = contextvars.ContextVar("evaluator_budget")


def _on_budget(method: str) -> Callable[..., Any]:
    def hook(*args: Any) -> Any:
        return getattr(_current.get(), method)(*args)

    return hook


def _counted(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return _current.get().charge(fn(*args, **kwargs))

    return call


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
}  # fmt: skip
_INPLACE_OTHER: dict[str, Callable[[Any, Any], Any]] = {
    "-": operator.sub, "/": operator.truediv, "//": operator.floordiv, ">>": operator.rshift,
    "|": operator.or_, "&": operator.and_, "^": operator.xor,
}  # fmt: skip


def _safe_int(value: Any = 0, *args: Any) -> int:
    """int() that will not expand a Decimal or float written with a huge exponent."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > LIMITS.max_int_bits // 3:
        raise EvaluationError("size", "int")
    return int(value, *args)


def _numeric_sum(values: Any, start: Any = 0) -> Any:
    """sum() of numbers only: summing lists or strings is quadratic and can build huge values."""
    total = start
    for value in values:
        if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
            raise EvaluationError("error", "sum() adds numbers only")
        total += value
    return total


_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len, "str": str, "int": _safe_int, "float": float, "bool": bool, "dict": dict, "list": list,
    "tuple": tuple, "set": set, "min": min, "max": max, "any": any, "all": all, "sorted": sorted,
    "round": round, "abs": abs, "enumerate": enumerate, "zip": zip,
}  # fmt: skip
_TYPE_NAMES: dict[str, type] = {
    "str": str, "int": int, "float": float, "bool": bool, "dict": dict, "list": list, "tuple": tuple, "set": set,
}  # fmt: skip
_CLASSES: dict[str, Any] = {"date": dt.date, "datetime": dt.datetime, "timedelta": dt.timedelta, "Decimal": Decimal}
BUILTIN_NAMES = frozenset(_BUILTINS) | {"range", "sum", "isinstance"} | frozenset(_CLASSES)


def _builtins() -> dict[str, Any]:
    safe: dict[str, Any] = {name: _counted(fn) for name, fn in _BUILTINS.items()}
    safe["range"] = _on_budget("range")
    safe["sum"] = _counted(_numeric_sum)
    safe.update(_CLASSES)
    # isinstance(x, str) etc.: the names are counted wrappers, so map them back to their types
    real_types = {safe[name]: kind for name, kind in _TYPE_NAMES.items()}

    def isinstance_(obj: Any, kinds: Any) -> bool:
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        resolved = tuple(real_types.get(k, k) for k in kinds)
        if not all(isinstance(k, type) for k in resolved):
            raise EvaluationError("error", "isinstance() needs types")
        return isinstance(obj, resolved)

    safe["isinstance"] = isinstance_
    return safe


_GLOBALS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "_getattr_": _on_budget("getattr"),
    "_getitem_": _on_budget("getitem"),
    "_getiter_": _on_budget("getiter"),
    "_write_": _on_budget("write"),
    "_binop_": _on_budget("binop"),
    "_inplacevar_": _on_budget("inplacevar"),
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
}
# Names of Python's builtins that diagrams do not get: refused at deploy time, so `open(...)` is caught early.
_WITHHELD_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_")) - BUILTIN_NAMES - {
    "True", "False", "None",
}  # fmt: skip

# ---------------------------------------------------------------- plain data

_PLAIN_SCALARS = (str, int, float, bool, type(None), Decimal, dt.date, dt.datetime, dt.timedelta)


def check_plain(value: Any, where: str = "", depth: int = 0) -> None:
    """Only plain data crosses the evaluator's border (no functions, iterators, classes, ...)."""
    if depth > LIMITS.max_depth:
        raise EvaluationError("data", f"{where}: nested too deep")
    if isinstance(value, float) and not math.isfinite(value):
        return
    if isinstance(value, _PLAIN_SCALARS) and not isinstance(value, type):
        return
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_plain(item, where, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            check_plain(key, where, depth + 1)
            check_plain(item, where, depth + 1)
        return
    raise EvaluationError("data", f"{where}: {type(value).__name__}")


# ---------------------------------------------------------------- running


def _run(code: CodeType, scope: dict[str, Any], limits: Limits) -> Any:
    """Runs compiled code on its own budget; whatever goes wrong comes out as Refusal or EvaluationError."""
    token = _current.set(Budget(limits))
    try:
        return eval(code, scope)  # noqa: S307 - compiled by compile_source, guarded by the budget
    except (Refusal, EvaluationError):
        raise
    except RecursionError:
        raise EvaluationError("data", "nested too deep") from None
    except MemoryError:
        raise EvaluationError("memory") from None
    except Exception as exc:
        raise EvaluationError("error", f"{type(exc).__name__}: {exc}") from None
    finally:
        _current.reset(token)


def evaluate(
    source: str, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None, limits: Limits = LIMITS
) -> Any:
    """Evaluates an expression against task data (and `extra` names it does not override); the result must be
    plain data."""
    scope = dict(_GLOBALS)
    if extra:
        scope.update(extra)
    scope.update(context)
    result = _run(compile_source(source, "eval"), scope, limits)
    check_plain(result, "result")
    return result


def run_script(source: str, data: dict[str, Any], limits: Limits = LIMITS) -> dict[str, Any]:
    """Runs a script on task data (in the calling process: the sandbox worker calls this).

    Returns the new task data: every plain variable the script left; helpers, builtins and classes are dropped."""
    scope = dict(_GLOBALS)
    scope.update(data)
    _run(compile_source(source, "exec"), scope, limits)
    result = {}
    for name, value in scope.items():
        if name in _GLOBALS or name.startswith("_") or callable(value):
            continue
        check_plain(value, name)
        result[name] = value
    return result
