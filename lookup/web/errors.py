"""One error shape for the whole service: JSON under /api/, a page everywhere else."""

from __future__ import annotations

import logging

from flask import Flask
from flask import Response
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from lookup.web.langs import localized_error
from lookup.web.langs import request_lang

log = logging.getLogger(__name__)

# The endpoints that answer in the buyer's language, their errors included.
LOCALIZED_PATHS = ("/api/orders/lookup",)


def error_body(status: int, title: str, detail: str, **extra) -> dict:
    """The canonical JSON error: the same keys for every error the API returns."""
    return {"error": {"status": status, "title": title, "detail": detail, **extra}}


def wants_json() -> bool:
    """True when the request is for the API rather than a page."""
    return request.path.startswith("/api/")


def render_error(exc: HTTPException) -> Response:
    """Render an HTTP error in the shape the caller expects, keeping its headers.

    Allow and Retry-After survive.
    """
    status = exc.code or 500
    if request.path in LOCALIZED_PATHS:
        # A refusal before the body was read (a rate limit, say) follows Accept-Language.
        request_lang()
    title, detail = localized_error(status, exc.name, exc.description or exc.name)
    if wants_json():
        body = jsonify(error_body(status, title, detail))
    else:
        body = render_template("error.html", status=status, title=title, detail=detail)
    response = make_response(body, status)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_unexpected(exc: Exception) -> Response:
    """Log a crash with its traceback and answer 500 without leaking it."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the handlers on the app, so routing 404s and 405s are caught too."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, handle_unexpected)
