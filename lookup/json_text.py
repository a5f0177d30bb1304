"""JSON written and read with orjson where it gives exactly what the standard library gives.

orjson is several times faster, but it reads integers past 64 bits as floats, refuses what the
standard parser accepts (NaN, unpaired surrogates, a byte-order mark) and writes some floats
differently. Each function here falls back to the standard library in those cases, so callers
see the standard library's values and errors.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def holds_float(value: Any) -> bool:
    """True when a float is anywhere in parsed JSON (dicts, lists, scalars)."""
    kind = type(value)
    if kind is float:
        return True
    if kind is not dict and kind is not list:
        return False
    stack: list[Any] = [value]
    while stack:
        container = stack.pop()
        for item in container.values() if type(container) is dict else container:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind is float:
                return True
    return False


def loads(data: str | bytes) -> Any:
    """What `json.loads(data)` returns (or raises), read by orjson when it reads the same."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        # Malformed, or only the standard parser's (NaN, a lone surrogate): its value or error.
        return json.loads(data)
    # A float may be an integer past 64 bits that orjson rounded: the standard parser decides.
    return json.loads(data) if holds_float(value) else value
