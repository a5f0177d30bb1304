"""Rate limits on failed order lookups: per client and per order number, so guessing is slow."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from collections.abc import Mapping

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from lookup.errors import render_error
from lookup.orders import normalize_order_number

# Longer order numbers are refused anyway; the counter key never needs more.
MAX_KEY_CHARS = 100


def client_address() -> str:
    """The client's address from the real connection (ProxyFix rewrites it for trusted proxies)."""
    return request.remote_addr or "unknown"


def order_number_key() -> str:
    """The normalised order number being looked up (JSON body or form), so one order cannot be
    brute-forced from many addresses."""
    try:
        body = request.get_json(silent=True) if request.is_json else request.form
    except RecursionError:
        # Nested too deep to parse: the view answers 400; the key must not crash first.
        body = None
    number = body.get("order_number") if isinstance(body, Mapping) else None
    key = normalize_order_number(number) if isinstance(number, str) else ""
    # Bounded and always encodable (JSON can carry unpaired surrogates), so Redis can store it.
    return "order:" + key[:MAX_KEY_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")


def lookup_rate() -> str:
    """The configured allowance of failed lookups, e.g. `10/minute`."""
    if limits_off():
        # Exempt anyway (exempt_when); a parsable rate keeps Flask-Limiter from logging an
        # error on every request.
        return "1000000/second"
    return current_app.config["LOOKUP_RATE_LIMIT"]


def limits_off() -> bool:
    """True when limits are switched off (only for benchmarks)."""
    return current_app.config["LOOKUP_RATE_LIMIT"].strip().lower() == "off"


def failed_lookup(response: Response) -> bool:
    """Only misses count: a buyer who finds their order is never slowed down."""
    return response.status_code == 404


def retry_after() -> int:
    """Seconds until the limit this request breached lets the client try again."""
    breached = limiter.current_limit
    return max(1, breached.reset_at - int(time.time())) if breached else 60


def refuse(exc: RateLimitExceeded) -> Response:
    """Answer a breached limit with 429 and when to try again, in the one error shape."""
    seconds = retry_after()
    return render_error(TooManyRequests(
        description=f"Too many attempts. Try again in {seconds} seconds.",
        retry_after=seconds,
    ))


# Counters live in the storage the app's config names (memory, or Redis to share them). No
# X-RateLimit headers: they would make a miss look different from one request to the next.
limiter = Limiter(key_func=client_address, headers_enabled=False, in_memory_fallback_enabled=True)


def limit_failed_lookups(view: Callable) -> Callable:
    """Decorate a lookup view with the per-client and per-order-number limits.

    The limits are shared by name, so the API and the no-JavaScript page draw on one allowance.
    """
    limited = view
    for key_func in (client_address, order_number_key):
        limited = limiter.shared_limit(
            lookup_rate, scope=f"failed-lookups:{key_func.__name__}", key_func=key_func,
            deduct_when=failed_lookup, exempt_when=limits_off,
        )(limited)

    @functools.wraps(view)
    def lookup_view(*args, **kwargs):
        # Limits off (benchmarks only): exempt anyway, so skip the limiter's bookkeeping.
        if limits_off():
            return view(*args, **kwargs)
        return limited(*args, **kwargs)

    # Marks the view for `lookup_limits_off`, which skips the limiter's before-request check too.
    setattr(lookup_view, LOOKUP_VIEW_MARK, True)
    return lookup_view


LOOKUP_VIEW_MARK = "_helpcenter_failed_lookup_limits"


@limiter.request_filter
def lookup_limits_off() -> bool:
    """A lookup while its limits are off: the limiter skips the request outright (benchmarks).

    Only the lookup views: every other limit (feedback, clicks, operator tokens) still applies.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and getattr(view, LOOKUP_VIEW_MARK, False) and limits_off()


def init_app(app: Flask) -> None:
    """Bind the limiter to the app's storage and trust only the configured number of proxies."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("RATELIMIT_STORAGE_URL", "memory://"))
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, refuse)
