"""The JSON API under /api."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app

bp = Blueprint("api", __name__, url_prefix="/api")


def health_checks() -> dict[str, dict]:
    """Check each part the service depends on; a failing part degrades, it never crashes."""
    checks: dict[str, dict] = {}
    site_index = current_app.config["SITE_DIR"] + "/index.html"
    try:
        open(site_index, "rb").close()
        checks["site"] = {"status": "ok"}
    except OSError:
        checks["site"] = {"status": "degraded", "detail": "the site is not built: run `helpcenter build`"}
    for name, check in current_app.extensions.get("health_checks", {}).items():
        checks[name] = check()
    return checks


@bp.get("/health")
def health():
    """Report whether the service and what it depends on are working."""
    checks = health_checks()
    ok = all(check["status"] == "ok" for check in checks.values())
    return {"status": "ok" if ok else "degraded", "checks": checks}
