"""CORS for the API: only the configured origins may call it from pages hosted elsewhere."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask
from flask import Response
from flask import current_app
from flask import request

# What a cross-origin page may send and read: JSON bodies in, Retry-After out (the widget
# tells a rate-limited buyer when to try again).
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, Accept"
EXPOSE_HEADERS = "Retry-After"
PREFLIGHT_MAX_AGE = "600"


def allowed_origins() -> frozenset[str]:
    """The configured origins (ALLOWED_ORIGINS: comma-separated string or a list)."""
    value = current_app.config.get("ALLOWED_ORIGINS") or ""
    return _origins(value if isinstance(value, str) else tuple(value))


@lru_cache(maxsize=8)
def _origins(value: str | tuple[str, ...]) -> frozenset[str]:
    """The allowlist a setting names, parsed once per value rather than on every answer."""
    items = value.split(",") if isinstance(value, str) else value
    # "null" is what sandboxed frames and file: pages send: never trust it, even if configured.
    return frozenset(o.strip().rstrip("/") for o in items if o.strip() not in ("", "null", "*"))


def allowed(origin: str | None) -> bool:
    """True when this exact origin is on the allowlist."""
    return bool(origin) and origin in allowed_origins()


def origin_of(url: str) -> str:
    """The `scheme://host[:port]` of a URL, or "" when it has none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def cross_site_form() -> bool:
    """True when a form post comes from a page of another site (a forged request).

    Browsers send Origin with every POST (Referer as well, unless told not to); a post that
    carries neither comes from a client that is no browser, which no other site can drive.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        origin = origin_of(request.headers.get("Referer", "")) or None
    if origin is None:
        return False
    own = request.host_url.rstrip("/")
    return origin.rstrip("/") != own and not allowed(origin)


def is_preflight() -> bool:
    """A browser's CORS preflight to the API."""
    return (
        request.method == "OPTIONS"
        and request.path.startswith("/api/")
        and "Access-Control-Request-Method" in request.headers
    )


def answer_preflight() -> Response | None:
    """Answer a preflight before routing; headers are added by add_cors_headers."""
    if not is_preflight():
        return None
    response = current_app.make_response(("", 204))
    if allowed(request.headers.get("Origin")):
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def add_cors_headers(response: Response) -> Response:
    """Echo an allowed origin exactly; API answers vary by Origin so caches keep them apart."""
    if not request.path.startswith("/api/"):
        return response
    # Looked up without werkzeug's header lookups, which raise (and catch) an exception for a
    # missing header: most answers have no Vary and most requests no Origin.
    if any(name.lower() == "vary" for name, _ in response.headers):
        response.vary.add("Origin")
    else:
        # Most answers vary by nothing else: set it without parsing a header set.
        response.headers["Vary"] = "Origin"
    origin = request.environ.get("HTTP_ORIGIN")
    if allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


def init_app(app: Flask) -> None:
    """Register the preflight answer and the response headers on the app."""
    app.before_request(answer_preflight)
    app.after_request(add_cors_headers)
