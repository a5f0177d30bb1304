"""POST /api/feedback, /api/feedback/comment and /api/search/click: what buyers tell us.

Nothing here knows who asked: no cookies, no addresses stored, query text and counts only.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Conflict
from werkzeug.exceptions import NotFound

from lookup.feedback_bodies import FeedbackComment
from lookup.feedback_bodies import FeedbackVote
from lookup.feedback_bodies import SearchClick
from lookup.personal import scrub
from lookup.web.inputs import checked
from lookup.web.inputs import json_body
from lookup.web.inputs import tidy
from lookup.web.insights import count_click
from lookup.web.insights import get_insights
from lookup.web.insights import today
from lookup.web.limits import configured
from lookup.web.limits import limiter

bp = Blueprint("feedback", __name__, url_prefix="/api")

MAX_BODY_BYTES = 2 * 1024


# -- checks beyond the bodies' shapes (each 400 names the field) -------------------------------

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


def page_field(page: str) -> str:
    """The article voted on, as its site path (its form is checked by FeedbackVote)."""
    if "/../" in page or "/./" in page or not page.isprintable():
        raise BadRequest("page: must be a site path such as /returns/policy/.")
    if not site_has_page(page):
        raise BadRequest("page: not a page of this help center.")
    return page


def comment_field(comment: str | None) -> str | None:
    """An optional short comment, with anything that looks like an email, phone or order number
    removed: it is the buyer's words about the page, not about them."""
    comment = tidy("comment", comment)
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
    vote = checked(FeedbackVote, json_body(MAX_BODY_BYTES))
    page = page_field(vote.page)
    comment = comment_field(vote.comment)
    if not get_insights().add_vote(vote.view, page, vote.helpful, today(), comment):
        raise Conflict("view: this page view has voted already.")
    return jsonify({"stored": True}), 201


@bp.post("/feedback/comment")
@feedback_limit
def feedback_comment() -> Response:
    """Add the optional comment to this page view's vote, once."""
    body = checked(FeedbackComment, json_body(MAX_BODY_BYTES))
    comment = comment_field(body.comment)
    assert comment is not None  # FeedbackComment refuses a blank one
    result = get_insights().add_comment(body.view, comment)
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
    click = checked(SearchClick, json_body(MAX_BODY_BYTES))
    query = tidy("query", click.query)
    assert query is not None  # SearchClick refuses a blank one
    return jsonify({"counted": count_click(query, click.url)})
