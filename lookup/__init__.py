"""The help center's core: orders, policy, next steps, the lookup answer, stores, import, report.

Nothing in this package imports Flask; the web layer lives in `lookup.web`. `create_app` is
re-exported lazily so that `gunicorn "lookup:create_app()"` keeps working without the core
importing the web.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Any:
    """Create and configure the Flask app (lookup.web.create_app)."""
    from lookup.web import create_app as create_web_app

    return create_web_app(test_config)
