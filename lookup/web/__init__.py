"""The web layer: the Flask app serving the lookup API, the search API, the pages and the site."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from inspect import iscoroutinefunction
from pathlib import Path
from typing import Any

from flask import Flask

from lookup.web import settings


class HelpCenterFlask(Flask):
    """Flask, asking once per view or hook whether it is async rather than on every request.

    Flask asks it of the view and of every before-request, after-request and teardown function
    on each request; the answer never changes for a function.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """The function itself when it is a plain function, else Flask's wrapper for it."""
        try:
            plain = _is_plain(func)
        except TypeError:  # a callable that cannot be a cache key: asked each time
            plain = not iscoroutinefunction(func)
        return func if plain else super().ensure_sync(func)


@lru_cache(maxsize=1024)
def _is_plain(func: Callable[..., Any]) -> bool:
    """True for a function that is not a coroutine function."""
    return not iscoroutinefunction(func)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask app."""
    app = HelpCenterFlask(__name__, instance_relative_config=True)
    from lookup.web.json_provider import FastJSONProvider

    app.json = FastJSONProvider(app)
    app.config.from_mapping(settings.defaults(app.instance_path))
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
    from lookup.web import logs

    # Before anything logs (Flask's own logger included): JSON lines, no emails.
    logs.configure(app.config["LOG_LEVEL"])

    from lookup.policy import load_policy
    from lookup.web import cors
    from lookup.web import errors
    from lookup.web import limits
    from lookup.web import security

    app.extensions["policy"] = load_policy(app.config["POLICY_FILE"])
    errors.init_app(app)

    from lookup.web import db

    db.init_app(app)
    security.init_app(app)
    cors.init_app(app)
    limits.init_app(app)

    from lookup.web import api
    from lookup.web import pages
    from lookup.web import site
    from lookup.web import webhook

    app.register_blueprint(api.bp)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)  # before the site's catch-all
    app.register_blueprint(site.bp)
    from lookup.web import search_api

    search_api.init_app(app)
    # Operator insights: votes, search and next-step counts, the report page.
    from lookup.web import feedback
    from lookup.web import insights
    from lookup.web import operator_page

    insights.init_app(app)
    app.register_blueprint(feedback.bp)
    operator_page.check_token_setting(app.config["OPERATOR_TOKEN"])
    app.register_blueprint(operator_page.bp)
    return app
