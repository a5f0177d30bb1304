"""Security headers on every answer, and a Content-Security-Policy the built site works under."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

# Material's pages carry a few small inline scripts (palette, scope); they are allowed by hash,
# never with 'unsafe-inline'. The JSON config tags are data, not scripts, so they need no hash.
INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S)

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # Material sets a few style attributes; styles cannot run code.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}


@lru_cache(maxsize=256)
def content_security_policy(script_hashes: tuple[str, ...] = ()) -> str:
    """The CSP header value, allowing the given inline-script hashes."""
    policy = dict(BASE_POLICY)
    policy["script-src"] = [*policy["script-src"], *(f"'{h}'" for h in script_hashes)]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in policy.items())


@lru_cache(maxsize=4096)
def _hashes_of(path: str, mtime_ns: int) -> tuple[str, ...]:
    """The sha256 sources of every inline script in one HTML file (cached until it changes)."""
    html = Path(path).read_bytes()
    digests = {
        "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        for body in INLINE_SCRIPT.findall(html)
    }
    return tuple(sorted(digests))


def inline_script_hashes(path: Path) -> tuple[str, ...]:
    """The CSP hash sources for the inline scripts of a built page."""
    try:
        return _hashes_of(str(path), path.stat().st_mtime_ns)
    except OSError:
        return ()


# The help center needs no camera, microphone, location, payment or other powerful feature.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb", "interest-cohort", "browsing-topics"))
# A year of HTTPS only, sent only over HTTPS (over plain HTTP browsers ignore it anyway).
HSTS = "max-age=31536000; includeSubDomains"


# The headers every answer carries unless it set its own: (name, its lower case, value).
DEFAULT_HEADERS = tuple((name, name.lower(), value) for name, value in (
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Content-Security-Policy", content_security_policy()),
))


class SecurityHeaders:
    """WSGI middleware: every answer carries DEFAULT_HEADERS (and HSTS over HTTPS) unless it set
    its own; a page that set its own CSP keeps it.

    They are appended to the header list as the answer starts: on every request this costs a
    fraction of an after-request hook, where werkzeug checks each value again as it adds it.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        """Run the app, adding the headers its answer lacks when it starts the answer."""
        # The scheme as ProxyFix (inside which this runs) left it: what request.is_secure reads.
        secure = environ.get("wsgi.url_scheme") in ("https", "wss")

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _ in headers}
            if secure and "strict-transport-security" not in present:
                headers.append(("Strict-Transport-Security", HSTS))
            for name, lower, value in DEFAULT_HEADERS:
                if lower not in present:
                    headers.append((name, value))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    """Set the headers on every response (inside ProxyFix, which limits.init_app adds later)."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
