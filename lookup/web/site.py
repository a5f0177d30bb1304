"""Serve the built help-center site from the same app as the API."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import request
from flask import send_from_directory
from werkzeug.exceptions import NotFound

from lookup.web.security import content_security_policy
from lookup.web.security import inline_script_hashes

bp = Blueprint("site", __name__)


def _is_dir(path: Path) -> bool:
    """True for a folder; False for anything the file system cannot even name (too long...)."""
    try:
        return path.is_dir()
    except OSError:
        return False


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str):
    """Send a file of the built site; a folder answers with its index.html, as static hosts do."""
    site_dir = Path(current_app.config["SITE_DIR"])
    if not (site_dir / "index.html").is_file():
        abort(503, description="The help center site is not built yet: run `helpcenter build`.")
    if path == "" or path.endswith("/"):
        path += "index.html"
    elif _is_dir(site_dir / path):
        # Relative links inside the page need the trailing slash.
        return redirect(request.path + "/", code=308)
    try:
        # send_from_directory refuses paths that climb out of the site folder.
        response = send_from_directory(site_dir, path)
    except NotFound:
        if not (site_dir / "404.html").is_file():
            raise
        path = "404.html"
        response = send_from_directory(site_dir, path)
        response.status_code = 404
    if path.endswith(".html"):
        hashes = inline_script_hashes(site_dir / path)
        response.headers["Content-Security-Policy"] = content_security_policy(hashes)
    return response
