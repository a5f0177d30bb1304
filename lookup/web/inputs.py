"""Reading a request's input: JSON bodies and their fields, each problem a 400 naming the field.

Shared by every blueprint, so that no blueprint imports another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import UnsupportedMediaType

from lookup.store import unstorable_field

# Tabs and line breaks are blanks (collapsed); other control characters are refused.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def json_or_none() -> Any:
    """The request's parsed JSON, or None when it is not valid JSON (nested too deep included)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        # `[[[[…]]]]` a few thousand deep exhausts the parser's stack: malformed, not a crash.
        return None


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object; 415 when it is not JSON, 413 when too big, 400 when malformed."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json.")
    request.max_content_length = max_bytes
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object.")
    return body


def text_field(body: dict[str, Any], name: str, limit: int) -> str:
    """A required, non-blank string field of a request body; 400 naming the field otherwise."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name}: required, a non-empty string.")
    if len(value) > limit:
        raise BadRequest(f"{name}: must be at most {limit} characters of text.")
    if unstorable_field(value):
        # NUL and unpaired surrogates (JSON can spell both) are never part of one.
        raise BadRequest(f"{name}: must not contain NUL or unpaired surrogate characters.")
    return value


def only_fields(body: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse fields the endpoint does not know, so a typo is not silently dropped."""
    for name in body:
        if name not in allowed:
            raise BadRequest(f"{name}: unknown field.")


def text(body: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str | None:
    """A string field: at most limit characters, no control characters, blanks collapsed."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{name}: required, a non-empty string.")
    if len(value) > limit:
        raise BadRequest(f"{name}: must be at most {limit} characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{name}: must be valid Unicode text.") from None
    if CONTROL.search(value):
        raise BadRequest(f"{name}: must not contain control characters.")
    return " ".join(value.split()) or None
