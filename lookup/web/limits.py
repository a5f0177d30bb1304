"""Limits on failed order lookups: guessing stays slow, and nobody else's guesses lock a buyer out.

Three things are counted, only ever on a miss (a buyer who finds their order is never slowed):

- each **client** (an IPv4 address, or an IPv6 /64, which one household or server usually has
  whole) may miss `LOOKUP_RATE_LIMIT` times, e.g. 10 a minute and 100 a day; past that every
  lookup it makes is refused until the window ends;
- each **order number** and each **email** is a target. When one attracts more misses than
  `LOOKUP_TARGET_RATE_LIMIT` (from all clients together), it is under attack: a client that has
  already missed on it within the window is refused on it, and the event is logged once (with no
  order number or email in the line). A client that has not missed on it, such as the buyer it
  belongs to, is still answered.

The counters are sliding windows in the storage the app names (memory, or Redis to share them);
each miss increments them atomically and a miss that goes past the allowance is answered 429
rather than 404, so requests arriving together cannot overshoot it. What a miss teaches (this
client, or this client on this target, is refused until then) is kept in the process too, and a
lookup is checked against that alone: a hit costs no round trip to the storage.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from functools import lru_cache
from functools import wraps
from typing import Any

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from limits import RateLimitItem
from limits import parse_many
from limits.storage import MemoryStorage
from limits.storage import Storage
from limits.storage import storage_from_string
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from lookup.orders import normalize_order_number
from lookup.web.errors import render_error
from lookup.web.settings import is_off

log = logging.getLogger(__name__)

EXTENSION = "failed_lookups"


def client_address() -> str:
    """The client: its address (ProxyFix rewrites it for trusted proxies); an IPv6 /64 as one."""
    address = request.remote_addr or "unknown"
    if ":" in address:
        try:
            return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address


def limits_off() -> bool:
    """True when failed-lookup limits are switched off (only for benchmarks)."""
    return is_off(current_app.config["LOOKUP_RATE_LIMIT"])


def configured(name: str) -> tuple[Callable[[], str], Callable[[], bool]]:
    """For a Flask-Limiter limit set by the setting `name`: its rate, and when it is `off`."""
    return (lambda: current_app.config[name]), (lambda: is_off(current_app.config[name]))


def _digest(kind: str, value: str) -> str:
    """A counter key for an order number or email that does not spell it out in the storage."""
    return kind + ":" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Window:
    """One allowance as a sliding window, e.g. `10/minute`: the count of the current fixed
    window plus the previous one's, weighted by how much of it still overlaps the last minute.

    A plain fixed window forgets everything at its boundary (ten misses at 11:59:59 and ten at
    12:00:00); the weighted previous window does not.
    """

    limit: RateLimitItem
    now: float

    @property
    def seconds(self) -> int:
        """The window's length."""
        return self.limit.get_expiry()

    @property
    def elapsed(self) -> float:
        """How far into the current fixed window we are, in seconds."""
        return self.now % self.seconds

    def key(self, name: str, back: int = 0) -> str:
        """The counter's key for the current fixed window (or one `back` windows before)."""
        index = int(self.now // self.seconds) - back
        return f"{name}:{self.limit.amount}/{self.seconds}:{index}"

    def count(self, current: int, previous: int) -> float:
        """The sliding count from the two fixed windows' counts."""
        return current + previous * (1 - self.elapsed / self.seconds)

    def retry_after(self, current: int, previous: int) -> int:
        """Seconds until the sliding count falls below the allowance again."""
        amount, seconds, elapsed = self.limit.amount, self.seconds, self.elapsed
        if current >= amount:
            # The current window must end, and then its count must fade enough.
            wait = (seconds - elapsed) + seconds * (1 - amount / current)
        else:
            wait = seconds * (1 - (amount - current) / previous) - elapsed if previous else 0
        return max(1, int(wait) + 1)


class FailureCounts:
    """The counters, in the configured storage; in memory when that storage cannot be reached."""

    def __init__(self, uri: str, prefix: str) -> None:
        self.storage: Storage = storage_from_string(uri)
        self.fallback = MemoryStorage()
        self.prefix = f"{prefix}failed-lookups:"
        self.refusals = Refusals()

    def _call(self, method: str, *args):
        try:
            return getattr(self.storage, method)(*args)
        except Exception as exc:  # the storage is away (Redis down): keep limiting, in memory
            log.warning("rate-limit storage unreachable, counting in memory: %s",
                        type(exc).__name__)
            return getattr(self.fallback, method)(*args)

    def get(self, key: str) -> int:
        """The count under a key (0 when none)."""
        return int(self._call("get", self.prefix + key) or 0)

    def incr(self, key: str, seconds: int) -> int:
        """Add one to a key kept for two windows (it is the previous window for one more);
        the new count."""
        return int(self._call("incr", self.prefix + key, 2 * seconds))



class Refusals:
    """Who this process has refused, and until when: a lookup is checked against this alone, so
    a hit costs no round trip to the counters' storage.

    A refusal is learned on a miss (which reads the shared counts anyway). With the counts in
    Redis, a client past its allowance can therefore be answered once more by each worker that
    has not yet seen it miss: a bound of one extra answer per worker process and window.
    """

    def __init__(self, size: int = 100_000) -> None:
        self.until: dict[str, float] = {}
        self.size = size
        self.lock = threading.Lock()

    def add(self, key: str, seconds: int) -> None:
        """Refuse `key` for the next `seconds`."""
        with self.lock:
            if len(self.until) >= self.size:
                # Bounded memory: forget what has expired, else the oldest refusal.
                now = time.time()
                self.until = {k: t for k, t in self.until.items() if t > now} or self.until
                while len(self.until) >= self.size:
                    self.until.pop(next(iter(self.until)))
            self.until[key] = max(self.until.get(key, 0.0), time.time() + seconds)

    def wait(self, key: str) -> int | None:
        """Seconds `key` is still refused for, or None."""
        until = self.until.get(key)
        if until is None:
            return None
        left = until - time.time()
        if left <= 0:
            with self.lock:
                self.until.pop(key, None)
            return None
        return max(1, int(left) + 1)


@lru_cache(maxsize=32)
def _allowances(setting: str) -> tuple[RateLimitItem, ...]:
    """The allowances a setting names, e.g. `10/minute;100/day` (parsed once, not per lookup)."""
    return tuple(parse_many(str(setting)))


def _counts() -> FailureCounts:
    return current_app.extensions[EXTENSION]


def refused(seconds: int) -> TooManyRequests:
    """The 429 every refused lookup gets, saying when to try again."""
    return TooManyRequests(description=f"Too many attempts. Try again in {seconds} seconds.",
                           retry_after=seconds)


class LookupAttempt:
    """One lookup's place in the counts: checked before the store is asked (in this process's
    memory), counted on a miss (in the shared storage)."""

    def __init__(self, order_number: str, email: str) -> None:
        self.off = limits_off()
        self.now = time.time()
        self.client = "client:" + client_address()
        self.order_number, self.email = order_number, email

    # Worked out only when needed: a hit in a process that refuses nobody needs none of them.
    @cached_property
    def client_windows(self) -> list[Window]:
        """This client's allowances, as windows at the moment of the attempt."""
        setting = current_app.config["LOOKUP_RATE_LIMIT"]
        return [] if self.off else [Window(limit, self.now) for limit in _allowances(setting)]

    @cached_property
    def target_windows(self) -> list[Window]:
        """Each target's allowances, as windows at the moment of the attempt."""
        setting = current_app.config["LOOKUP_TARGET_RATE_LIMIT"]
        return [] if self.off else [Window(limit, self.now) for limit in _allowances(setting)]

    @cached_property
    def targets(self) -> dict[str, str]:
        """The counter keys of the order number and the email, as digests."""
        return {
            "order": _digest("order", normalize_order_number(self.order_number)),
            "email": _digest("email", self.email.strip().lower()),
        }

    def pair(self, target: str) -> str:
        """The key of this client's misses on one target."""
        return f"{target}|{self.client}"

    def check(self) -> None:
        """Refuse (429) a client past its allowance, or one that keeps missing on a target under
        attack, from what this process knows: no round trip to the storage."""
        refusals = _counts().refusals
        if self.off or not refusals.until:
            return
        for key in (self.client, *map(self.pair, self.targets.values())):
            wait = refusals.wait(key)
            if wait:
                raise refused(wait)

    def failed(self) -> None:
        """Count a miss; refuse it (429) when it takes the client past its allowance, or when
        the client misses again on a target under attack.

        Each increment is atomic, so of many misses arriving together only as many as the
        allowance leaves are answered 404.
        """
        counts = _counts()
        waits = []
        for window in self.client_windows:
            current = counts.incr(window.key(self.client), window.seconds)
            previous = counts.get(window.key(self.client, back=1))
            if window.count(current, previous) > window.limit.amount:
                wait = window.retry_after(current, previous)
                counts.refusals.add(self.client, wait)
                waits.append(wait)
        for kind, target in self.targets.items():
            for window in self.target_windows:
                mine = counts.incr(window.key(self.pair(target)), window.seconds)
                total = counts.incr(window.key(target), window.seconds)
                if total == window.limit.amount + 1:
                    # Once per window: the operator sees an attack without learning the target.
                    log.warning("many failed lookups for one %s", kind, extra={
                        "event": "lookup_target_under_attack", "target": kind,
                        "failures": total, "window_seconds": window.seconds})
                previous = counts.get(window.key(target, back=1))
                if window.count(total, previous) > window.limit.amount:
                    # Under attack: this client has missed on it, so it is refused on it.
                    wait = window.retry_after(total, previous)
                    counts.refusals.add(self.pair(target), wait)
                    if mine > 1:
                        waits.append(wait)
        if waits:
            raise refused(max(waits))


# The order lookups (API and no-JS page): limited by LookupAttempt above, on misses only.
LOOKUP_ENDPOINTS = frozenset({"api.lookup", "pages.lookup_page"})


class HelpCenterLimiter(Limiter):
    """Flask-Limiter, whose hooks around each request skip the order lookups: they carry none
    of its limits, and resolving that they carry none was a tenth of a lookup's time."""

    def init_app(self, app: Flask) -> None:
        """Register Flask-Limiter on the app; its after-request and teardown hooks skip lookups."""
        earlier = {id(hook) for hooks in (app.after_request_funcs, app.teardown_request_funcs)
                for hook in hooks.get(None, ())}
        super().init_app(app)
        for hooks in (app.after_request_funcs, app.teardown_request_funcs):
            hooks[None] = [hook if id(hook) in earlier else _not_on_lookups(hook)
                           for hook in hooks.get(None, ())]

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if request.endpoint in LOOKUP_ENDPOINTS:
            return
        super()._check_request_limit(callable_name, in_middleware)


def _not_on_lookups(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Flask-Limiter hook that leaves the order lookups alone.

    Its after-request hook adds the headers of the limits the request was checked against, and
    its teardown forgets them: a lookup is checked against none (see _check_request_limit).
    """

    @wraps(hook)
    def run(value: Any) -> Any:
        # An after-request hook hands the response on; a teardown's return value is ignored.
        return value if request.endpoint in LOOKUP_ENDPOINTS else hook(value)

    return run


# Every other limit (votes, clicks, searches, operator tokens) is Flask-Limiter's, per client.
# No X-RateLimit headers: they would make one answer look different from the next.
limiter = HelpCenterLimiter(key_func=client_address, headers_enabled=False,
                            in_memory_fallback_enabled=True)


def retry_after() -> int:
    """Seconds until the Flask-Limiter limit this request breached lets the client try again."""
    breached = limiter.current_limit
    return max(1, breached.reset_at - int(time.time())) if breached else 60


def refuse(exc: RateLimitExceeded) -> Response:
    """Answer a breached Flask-Limiter limit with the same 429 as a refused lookup."""
    return render_error(refused(retry_after()))


class LimitWithoutKey(logging.Filter):
    """Flask-Limiter's "limit exceeded" line names the key (an address); keep only the limit."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the line in place; never drop it."""
        if isinstance(record.args, tuple) and len(record.args) == 3 and "exceeded" in str(
                record.msg):
            record.msg, record.args = "rate limit %s exceeded at endpoint %s", (
                record.args[0], record.args[2])
        return True


def init_app(app: Flask) -> None:
    """Bind the counters to the app's storage and trust only the configured number of proxies."""
    uri = app.config.get("RATELIMIT_STORAGE_URL", "memory://")
    app.config.setdefault("RATELIMIT_STORAGE_URI", uri)
    app.extensions[EXTENSION] = FailureCounts(uri, app.config.get("RATELIMIT_KEY_PREFIX", ""))
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    limiter.init_app(app)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, LimitWithoutKey) for f in limiter_log.filters):
        limiter_log.addFilter(LimitWithoutKey())
    app.register_error_handler(RateLimitExceeded, refuse)
