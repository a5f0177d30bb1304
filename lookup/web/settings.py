"""Every setting the service reads, with its default: the one place they are defined.

Each is read from the environment as HELPCENTER_<NAME> (see the README's Configuration table,
which a test keeps in step with this mapping).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lookup import PROJECT_DIR
from lookup.contact import DEFAULT_CONTACT_SELLER_URL
from lookup.contact import DEFAULT_SUPPORT_URL


def defaults(instance_path: str) -> dict[str, Any]:
    """The default of every setting, for an app whose instance folder is `instance_path`."""
    return {
        "SITE_DIR": str(PROJECT_DIR / "site"),
        "SEARCH_INDEX_DIR": str(Path(instance_path) / "search-index"),
        "POLICY_FILE": None,
        # Orders: None means the SQLite file orders.sqlite in the instance folder.
        "DATABASE_URL": None,
        "DATABASE_TABLE_PREFIX": "",
        # Seconds a SQLite connection waits for another writer before giving up (503).
        "DATABASE_BUSY_TIMEOUT": 10,
        # Comma-separated, so an old and a new secret both verify during a rotation.
        "WEBHOOK_SECRET": None,
        "WEBHOOK_MAX_BYTES": 1024 * 1024,
        "CONTACT_SELLER_URL": DEFAULT_CONTACT_SELLER_URL,
        "SUPPORT_URL": DEFAULT_SUPPORT_URL,
        "LOOKUP_MAX_BYTES": 4 * 1024,
        # Failed lookups one client (an address, or an IPv6 /64) may make; `off` only for
        # benchmarks. See lookup/web/limits.py.
        "LOOKUP_RATE_LIMIT": "10/minute;100/day",
        # Failed lookups on one order number or one email, from all clients, before it counts
        # as under attack: from then on, a client that has missed on it is refused on it.
        "LOOKUP_TARGET_RATE_LIMIT": "20/hour",
        "RATELIMIT_STORAGE_URL": "memory://",
        "RATELIMIT_KEY_PREFIX": "",
        # How many reverse proxies in front of the service may set X-Forwarded-For.
        "TRUSTED_PROXIES": 0,
        "ALLOWED_ORIGINS": "",
        # Help-bar searches one client may make (the bar asks as the buyer types).
        "SEARCH_RATE_LIMIT": "300/minute",
        "SEARCH_CLICK_RATE_LIMIT": "60/minute",
        # Days of search counts kept for the operator report.
        "SEARCH_KEEP_DAYS": 180,
        "FEEDBACK_RATE_LIMIT": "20/minute",
        # No token, no operator page (404).
        "OPERATOR_TOKEN": None,
        # Wrong operator tokens a client may try.
        "OPERATOR_RATE_LIMIT": "10/minute",
        "LOG_LEVEL": "INFO",
    }


def is_off(value: object) -> bool:
    """True for a rate-limit setting switched off with `off` (benchmarks only, for lookups)."""
    return str(value).strip().lower() == "off"
