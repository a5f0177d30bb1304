"""Reading a request's input: JSON bodies checked against their models in lookup.schema, each
problem a 400 naming the field.

Shared by every blueprint, so that no blueprint imports another.
"""

from __future__ import annotations

from typing import Any
from typing import TypeVar

from flask import request
from pydantic import BaseModel
from pydantic import ValidationError
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import UnsupportedMediaType

from lookup.schema import first_problem
from lookup.store import unstorable_field

Body = TypeVar("Body", bound=BaseModel)


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


def checked(model: type[Body], body: dict[str, Any]) -> Body:
    """The body checked against its model; a 400 naming the first field it refuses."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        field, message = first_problem(exc)
        raise BadRequest(f"{field}: {message}.") from None


def storable(name: str, value: str) -> str:
    """A text field a database can hold: no NUL, no unpaired surrogate (JSON can spell both)."""
    if unstorable_field(value):
        raise BadRequest(f"{name}: must not contain NUL or unpaired surrogate characters.")
    return value


def tidy(name: str, value: str | None) -> str | None:
    """Free text as stored: valid Unicode, runs of blanks collapsed to one; None when blank."""
    if value is None:
        return None
    storable(name, value)
    return " ".join(value.split()) or None
