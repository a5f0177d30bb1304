"""The help center service: order lookup, search API and the built site, from one Flask app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SITE_DIR=str(PROJECT_DIR / "site"),
        SEARCH_INDEX_DIR=str(Path(app.instance_path) / "search-index"),
        POLICY_FILE=None,
        # Orders: None means the SQLite file orders.sqlite in the instance folder.
        DATABASE_URL=None,
        DATABASE_TABLE_PREFIX="",
        # Comma-separated, so an old and a new secret both verify during a rotation.
        WEBHOOK_SECRET=None,
        CONTACT_SELLER_URL="https://marketplace.example/orders/{order_number}/contact",
        SUPPORT_URL="/sellers/contact/#contact-support",
        LOOKUP_MAX_BYTES=4 * 1024,
        # Failed lookups one client (an address, or an IPv6 /64) may make; `off` only for
        # benchmarks. See lookup/limits.py.
        LOOKUP_RATE_LIMIT="10/minute;100/day",
        # Failed lookups on one order number or one email, from all clients, before it counts
        # as under attack: from then on, a client that has missed on it is refused on it.
        LOOKUP_TARGET_RATE_LIMIT="20/hour",
        RATELIMIT_STORAGE_URL="memory://",
        # How many reverse proxies in front of the service may set X-Forwarded-For.
        TRUSTED_PROXIES=0,
        WEBHOOK_MAX_BYTES=1024 * 1024,
        # Help-bar searches one client may make (the bar asks as the buyer types).
        SEARCH_RATE_LIMIT="300/minute",
        # Days of search counts kept for the operator report.
        SEARCH_KEEP_DAYS=180,
        LOG_LEVEL="INFO",
        # Seconds a SQLite connection waits for another writer before giving up (503).
        DATABASE_BUSY_TIMEOUT=10,
    )
    if test_config is None:
        # HELPCENTER_DATABASE_URL becomes DATABASE_URL, and so on.
        app.config.from_prefixed_env("HELPCENTER", loads=str)
    else:
        app.config.from_mapping(test_config)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        # No request body is ever read past the largest any endpoint takes; each endpoint
        # caps its own lower (a lookup at LOOKUP_MAX_BYTES).
        app.config["MAX_CONTENT_LENGTH"] = max(int(app.config["LOOKUP_MAX_BYTES"]),
                                               int(app.config["WEBHOOK_MAX_BYTES"]))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from lookup import logs

    # Before anything logs (Flask's own logger included): JSON lines, no emails.
    logs.configure(app.config["LOG_LEVEL"])

    from lookup import cors
    from lookup import errors
    from lookup import limits
    from lookup import security
    from lookup.policy import load_policy

    app.extensions["policy"] = load_policy(app.config["POLICY_FILE"])
    errors.init_app(app)

    from lookup import db

    db.init_app(app)
    security.init_app(app)
    cors.init_app(app)
    limits.init_app(app)

    from lookup import api
    from lookup import pages
    from lookup import site
    from lookup import webhook

    app.register_blueprint(api.bp)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)  # before the site's catch-all
    app.register_blueprint(site.bp)
    from lookup import search_api
    search_api.init_app(app)
    # Operator insights: votes, search and next-step counts, the report page (issue 9).
    from lookup import insights
    from lookup import operator_page

    insights.init_app(app)
    operator_page.check_token_setting(app.config["OPERATOR_TOKEN"])
    app.register_blueprint(operator_page.bp)
    return app
