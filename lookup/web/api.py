"""The JSON API under /api: health, the order lookup and the OpenAPI document."""

from __future__ import annotations

import logging

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

from lookup import messages
from lookup.schema import LookupRequest
from lookup.web import logs
from lookup.web.inputs import checked
from lookup.web.inputs import json_body
from lookup.web.inputs import storable
from lookup.web.langs import request_lang
from lookup.web.limits import LookupAttempt
from lookup.web.lookups import lookup_order

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

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


@bp.post("/orders/lookup")
def lookup() -> Response:
    """Look up an order by number and email (both in the body, never in the URL)."""

    @after_this_request
    def no_store(response: Response) -> Response:
        # An order's answer is personal: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        return response

    raw = json_body(int(current_app.config["LOOKUP_MAX_BYTES"]))
    # The language first, so that every refusal below already speaks it. Language tags are
    # read as BCP 47 reads them (any case, a region such as ko-KR); null is no choice; any other
    # value is refused by name.
    lang = request_lang(raw.get("lang"))
    if raw.get("lang") is not None and messages.pick_lang(raw["lang"]) is None:
        raise BadRequest(f"lang: one of {', '.join(messages.LANGS)}.")
    body = checked(LookupRequest, {name: value for name, value in raw.items() if name != "lang"})
    order_number = storable("order_number", body.order_number)
    email = storable("email", body.email)
    attempt = LookupAttempt(order_number, email)
    attempt.check()
    answer = lookup_order(order_number, email, lang=lang)
    # The outcome only: never the email, so never an order number with its email.
    logs.info(log, "order lookup", {"event": "lookup",
                                    "outcome": "miss" if answer is None else "found"})
    if answer is None:
        # Only a miss counts against the failed-lookup limits (see lookup/limits.py).
        attempt.failed()
        # The one answer to every miss, so it never tells whether the order exists.
        raise NotFound(messages.text(lang, "errors.lookup_miss"))
    return jsonify(answer)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document describing this API."""
    from lookup.web.openapi import openapi_document

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
