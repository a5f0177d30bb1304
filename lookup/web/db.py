"""The order store inside the Flask app: one store per app, a health check, 503 when it is down."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from flask import Flask
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from lookup.demo import ensure_demo_store
from lookup.store import OrderStore
from lookup.store import safe_url

log = logging.getLogger(__name__)

# Seconds a client is asked to wait when the store is unavailable.
RETRY_AFTER = 5


def database_url(app: Flask) -> str:
    """The configured database URL, or the default SQLite file in the instance folder."""
    default = Path(app.instance_path) / "orders.sqlite"
    return app.config.get("DATABASE_URL") or f"sqlite:///{default}"


def get_store() -> OrderStore:
    """The current app's order store."""
    return current_app.extensions["order_store"]


def ensure_demo_orders(app: Flask, today: date | None = None) -> bool:
    """Fill the default store with the demo orders (re-dated daily) when no database was
    configured; a configured database is the user's and never gets demos. True when written."""
    if app.config.get("DATABASE_URL"):
        return False
    return ensure_demo_store(app.extensions["order_store"], today)


def check_store() -> dict[str, str]:
    """Health check: can the store be read?"""
    try:
        get_store().check()
    except Exception as exc:  # a health check reports every failure, it never raises
        log.warning("order store check failed: %s", type(exc).__name__)
        return {"status": "degraded",
                "detail": "the order store cannot be reached, read or written"}
    return {"status": "ok"}


def store_unavailable(exc: SQLAlchemyError):
    """A database that is down, locked, read-only, missing or failing a write answers 503 with
    Retry-After, not a crash; the transaction was rolled back, so the caller may simply retry."""
    # The type only: a database error's message quotes the statement's parameters (emails).
    original = getattr(exc, "orig", None)
    log.error("order store unavailable: %s", type(original or exc).__name__,
              extra={"event": "store_unavailable", "error": type(exc).__name__})
    from lookup.web.errors import render_error

    error = ServiceUnavailable("The order service is temporarily unavailable. Try again shortly.")
    response = render_error(error)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    """Create the app's store (it connects lazily) and register its health check and 503."""
    url = database_url(app)
    store = OrderStore(url, table_prefix=app.config.get("DATABASE_TABLE_PREFIX") or "",
                       busy_timeout_ms=int(float(app.config["DATABASE_BUSY_TIMEOUT"]) * 1000))
    app.extensions["order_store"] = store
    app.extensions.setdefault("health_checks", {})["database"] = check_store
    app.register_error_handler(SQLAlchemyError, store_unavailable)
    log.info("order store: %s", safe_url(url))
