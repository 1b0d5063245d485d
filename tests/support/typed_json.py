"""Check a JSON value against a TypedDict, key by key (what mypy cannot see at run time).

Every required key present, no key the type does not declare, every value of its declared type
(None only where the type says `| None`). Returns the problems, [] when the value conforms.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict


def problems(value: Any, tp: Any, path: str = "$") -> list[str]:
    if tp is Any:
        return []
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        found = [problems(value, option, path) for option in options]
        return [] if any(not f for f in found) else min(found, key=len)
    if tp is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not an object"]
        hints = get_type_hints(tp)
        out = [f"{path}.{k}: missing" for k in tp.__required_keys__ if k not in value]
        out += [f"{path}.{k}: not in {tp.__name__}" for k in value if k not in hints]
        for k, v in value.items():
            if k in hints:
                out += problems(v, hints[k], f"{path}.{k}")
        return out
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} is not a list"]
        (item,) = get_args(tp)
        return [p for i, v in enumerate(value) for p in problems(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not an object"]
        _, item = get_args(tp)
        return [p for k, v in value.items() for p in problems(v, item, f"{path}.{k}")]
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(tp, type):
        ok = isinstance(value, tp)
    else:
        raise TypeError(f"{path}: cannot check {tp!r}")
    return [] if ok else [f"{path}: {value!r} is not {getattr(tp, '__name__', tp)}"]
