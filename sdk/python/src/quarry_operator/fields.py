"""Declared fields: JSON values of a Python type, blob bytes, or blob references."""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional

Kind = Literal["json", "blob", "blob-ref"]


@dataclass(frozen=True)
class Field:
    kind: Kind
    description: str = ""
    optional: bool = False
    # Inputs only: larger values are refused with INPUT_TOO_LARGE (0 = no limit).
    max_bytes: int = 0
    # JSON fields: the Python type the value must have (str, int, list[str], a TypedDict, …).
    type: Any = object
    # Extra check on a JSON value; raise ValueError with the problem.
    validate: Optional[Callable[[Any], None]] = None


def field(type_: Any = object, description: str = "", *, optional: bool = False, max_bytes: int = 0, validate: Optional[Callable[[Any], None]] = None) -> Field:
    """A JSON field holding a value of `type_` (checked on the way in and out)."""
    return Field("json", description, optional, max_bytes, type_, validate)


def blob(description: str = "", *, optional: bool = False, max_bytes: int = 0) -> Field:
    """Raw bytes ("processor input/output"), carried in EchoRequest.blobs / EchoResponse.blobs."""
    return Field("blob", description, optional, max_bytes, bytes)


def blob_ref(description: str = "", *, optional: bool = False, max_bytes: int = 0) -> Field:
    """A blob *reference* (a string naming where a blob lives), carried as a JSON string."""
    return Field("blob-ref", description, optional, max_bytes, str)


def type_problem(value: Any, tp: Any, path: str = "value") -> Optional[str]:
    """Why `value` (decoded JSON) is not of type `tp`, or None when it is."""
    if tp is object or tp is Any:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        problems = [type_problem(value, a, path) for a in args]
        return None if any(p is None for p in problems) else f"{path} is not {_name(tp)}"
    if origin is Literal:
        return None if value in args else f"{path} must be one of {list(args)}"
    if tp is None or tp is type(None):
        return None if value is None else f"{path} must be null"
    if tp is bool:
        return None if isinstance(value, bool) else f"{path} must be a boolean"
    if tp is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else f"{path} must be an integer"
    if tp is float:
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else f"{path} must be a number"
    if tp is str:
        return None if isinstance(value, str) else f"{path} must be a string"
    if tp is list or origin is list or tp is tuple or origin is tuple:
        if not isinstance(value, list):
            return f"{path} must be an array"
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                return f"{path} must have {len(args)} elements"
            return _first(type_problem(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else object
        return _first(type_problem(v, item, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is dict or origin is dict:
        if not isinstance(value, dict):
            return f"{path} must be an object"
        item = args[1] if len(args) == 2 else object
        return _first(type_problem(v, item, f"{path}.{k}") for k, v in value.items())
    if typing.is_typeddict(tp):
        if not isinstance(value, dict):
            return f"{path} must be an object"
        hints = typing.get_type_hints(tp)
        missing = [k for k in tp.__required_keys__ if k not in value]
        if missing:
            return f"{path} lacks {', '.join(sorted(missing))}"
        return _first(type_problem(value[k], hints[k], f"{path}.{k}") for k in hints if k in value)
    raise TypeError(f"unsupported JSON field type {tp!r}")


def _first(problems: typing.Iterable[Optional[str]]) -> Optional[str]:
    return next((p for p in problems if p is not None), None)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp)
