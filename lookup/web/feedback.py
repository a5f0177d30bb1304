"""POST /api/feedback, /api/feedback/comment and /api/search/click: what buyers tell us.

Nothing here knows who asked: no cookies, no addresses stored, query text and counts only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Conflict
from werkzeug.exceptions import NotFound

from lookup.insights_store import MAX_COMMENT
from lookup.insights_store import MAX_PAGE
from lookup.insights_store import MAX_QUERY
from lookup.personal import scrub
from lookup.web.inputs import json_body
from lookup.web.inputs import only_fields
from lookup.web.inputs import text
from lookup.web.insights import count_click
from lookup.web.insights import get_insights
from lookup.web.insights import today
from lookup.web.limits import configured
from lookup.web.limits import limiter
from search.clicks import MAX_URL_CHARS
from search.clicks import is_site_path

bp = Blueprint("feedback", __name__, url_prefix="/api")

MAX_BODY_BYTES = 2 * 1024
VIEW_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A site path as the built site serves it: no query, fragment, blanks, backslashes or `..`.
SEGMENT = r"[^\s?#\\/\x00-\x1f\x7f]+"
PAGE_PATH = re.compile(rf"^/(?:{SEGMENT}/)*(?:{SEGMENT}\.html)?$")


# -- validation (each 400 names the field) ------------------------------------------------------

def view_field(body: dict[str, Any]) -> str:
    """The page view's random token."""
    value = body.get("view")
    if not isinstance(value, str) or not VIEW_TOKEN.fullmatch(value):
        raise BadRequest("view: required, 16 to 64 letters, digits, '-' or '_'.")
    return value


def site_has_page(page: str) -> bool:
    """True when the built site serves this page; any page when the site is hosted elsewhere."""
    site_dir = Path(current_app.config["SITE_DIR"]).resolve()
    if not (site_dir / "index.html").is_file():
        return True
    try:
        target = (site_dir / page.lstrip("/")).resolve()
        if page.endswith("/"):
            target = target / "index.html"
        return target.is_relative_to(site_dir) and target.is_file()
    except OSError:
        # A name the file system refuses (a segment over 255 bytes): not a page of the site.
        return False


def page_field(body: dict[str, Any]) -> str:
    """The article voted on, as its site path (taken as sent: a path has no blanks to tidy)."""
    page = body.get("page")
    if not isinstance(page, str) or not page:
        raise BadRequest("page: required, a non-empty string.")
    if len(page) > MAX_PAGE:
        raise BadRequest(f"page: must be at most {MAX_PAGE} characters.")
    if (not PAGE_PATH.fullmatch(page) or "/../" in page or "/./" in page
            or not page.isprintable()):
        raise BadRequest("page: must be a site path such as /returns/policy/.")
    if not site_has_page(page):
        raise BadRequest("page: not a page of this help center.")
    return page


def comment_field(body: dict[str, Any], *, required: bool) -> str | None:
    """An optional short comment, with anything that looks like an email, phone or order number
    removed: it is the buyer's words about the page, not about them."""
    comment = text(body, "comment", MAX_COMMENT, required=required)
    return None if comment is None else scrub(comment)


# The vote and its comment draw on one allowance per client.
_feedback_rate, _feedback_off = configured("FEEDBACK_RATE_LIMIT")
_click_rate, _click_off = configured("SEARCH_CLICK_RATE_LIMIT")
feedback_limit = limiter.shared_limit(_feedback_rate, scope="feedback", exempt_when=_feedback_off)


# -- endpoints -----------------------------------------------------------------------------------

@bp.post("/feedback")
@feedback_limit
def feedback() -> tuple[Response, int]:
    """Store one vote (and an optional comment) on an article, once per page view."""
    body = json_body(MAX_BODY_BYTES)
    only_fields(body, ("page", "helpful", "view", "comment"))
    view = view_field(body)
    page = page_field(body)
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise BadRequest("helpful: required, true or false.")
    comment = comment_field(body, required=False)
    if not get_insights().add_vote(view, page, helpful, today(), comment):
        raise Conflict("view: this page view has voted already.")
    return jsonify({"stored": True}), 201


@bp.post("/feedback/comment")
@feedback_limit
def feedback_comment() -> Response:
    """Add the optional comment to this page view's vote, once."""
    body = json_body(MAX_BODY_BYTES)
    only_fields(body, ("view", "comment"))
    view = view_field(body)
    comment = comment_field(body, required=True)
    assert comment is not None
    result = get_insights().add_comment(view, comment)
    if result == "no_vote":
        raise NotFound("view: this page view has not voted.")
    if result == "duplicate":
        raise Conflict("view: this page view has sent its comment already.")
    return jsonify({"stored": True})


@bp.post("/search/click")
@limiter.limit(_click_rate, scope="search-click", exempt_when=_click_off)
def search_click() -> Response:
    """Count a click on one of the help bar's results for a query (query text and, optionally,
    the section's site path: what search learns from)."""
    body = json_body(MAX_BODY_BYTES)
    only_fields(body, ("query", "url"))
    query = text(body, "query", MAX_QUERY)
    url = text(body, "url", MAX_URL_CHARS, required=False)
    if url is not None and not is_site_path(url):
        raise BadRequest("url: must be a path of this site, such as /refunds/#refund-times.")
    assert query is not None
    return jsonify({"counted": count_click(query, url)})
