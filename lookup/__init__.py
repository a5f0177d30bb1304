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
    )
    if test_config is None:
        # HELPCENTER_DATABASE_URL becomes DATABASE_URL, and so on.
        app.config.from_prefixed_env("HELPCENTER", loads=str)
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from lookup import errors
    from lookup import security
    from lookup.policy import load_policy

    app.extensions["policy"] = load_policy(app.config["POLICY_FILE"])
    errors.init_app(app)
    security.init_app(app)

    from lookup import api
    from lookup import site

    app.register_blueprint(api.bp)
    app.register_blueprint(site.bp)
    return app
