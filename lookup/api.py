"""The JSON API under /api: health, the order lookup and the OpenAPI document."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask import Response
from flask import after_this_request
from flask import current_app
from flask import jsonify
from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import UnsupportedMediaType

from lookup.limits import LookupAttempt
from lookup.orders import MAX_EMAIL
from lookup.orders import MAX_ORDER_NUMBER
from lookup.orders import normalize_order_number
from lookup.service import lookup_order
from lookup.store import unstorable_field

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

# The one answer to every miss, so it never tells whether the order exists.
LOOKUP_MISS = ("No order matches this order number and email. Check both against your order "
               "confirmation and try again.")


def health_checks() -> dict[str, dict]:
    """Check each part the service depends on; a failing part degrades, it never crashes."""
    checks: dict[str, dict] = {}
    site_index = current_app.config["SITE_DIR"] + "/index.html"
    try:
        open(site_index, "rb").close()
        checks["site"] = {"status": "ok"}
    except OSError:
        checks["site"] = {"status": "degraded",
                          "detail": "the site is not built: run `helpcenter build`"}
    for name, check in current_app.extensions.get("health_checks", {}).items():
        checks[name] = check()
    return checks


@bp.get("/health")
def health():
    """Report whether the service and what it depends on are working."""
    checks = health_checks()
    ok = all(check["status"] == "ok" for check in checks.values())
    return {"status": "ok" if ok else "degraded", "checks": checks}


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


@bp.post("/orders/lookup")
def lookup() -> Response:
    """Look up an order by number and email (both in the body, never in the URL)."""

    @after_this_request
    def no_store(response: Response) -> Response:
        # An order's answer is personal: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        return response

    body = json_body(int(current_app.config["LOOKUP_MAX_BYTES"]))
    order_number = text_field(body, "order_number", MAX_ORDER_NUMBER + 16)
    if not normalize_order_number(order_number):
        raise BadRequest("order_number: required, a non-empty string.")
    email = text_field(body, "email", MAX_EMAIL)
    attempt = LookupAttempt(order_number, email)
    attempt.check()
    answer = lookup_order(order_number, email)
    # The outcome only: never the email, so never an order number with its email.
    log.info("order lookup", extra={"event": "lookup", "outcome": "miss" if answer is None
                                    else "found"})
    if answer is None:
        # Only a miss counts against the failed-lookup limits (see lookup/limits.py).
        attempt.failed()
        raise NotFound(LOOKUP_MISS)
    return jsonify(answer)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document describing this API."""
    from lookup.openapi import openapi_document

    return jsonify(openapi_document())


API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/<path:rest>", methods=API_METHODS)
def unrouted(rest: str) -> Response:
    """Any other /api/ request: a JSON 405 when the path exists for another method, else 404.

    Without this, the site's catch-all page route would answer API paths with an HTML page.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in API_METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint not in (request.endpoint, "site.page"):
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound("There is no such API endpoint; see /api/openapi.json.")
