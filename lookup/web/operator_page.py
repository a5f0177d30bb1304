"""GET/POST /operator/report: the operator's report as a page, behind OPERATOR_TOKEN."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import NotFound

from lookup.report import DEFAULT_DAYS
from lookup.report import build_report
from lookup.report import period
from lookup.web.cors import cross_site_form
from lookup.web.insights import get_insights
from lookup.web.insights import today
from lookup.web.limits import limiter

bp = Blueprint("operator_page", __name__, url_prefix="/operator")

MAX_DAYS = 366
# A token shorter than this is refused at start-up: it could be guessed within the limits.
MIN_TOKEN_CHARS = 32


def check_token_setting(token: object) -> None:
    """Refuse to start with an operator token too short to be safe (none at all is fine)."""
    if isinstance(token, str) and token.strip() and len(token.strip()) < MIN_TOKEN_CHARS:
        raise RuntimeError(
            f"HELPCENTER_OPERATOR_TOKEN must be at least {MIN_TOKEN_CHARS} characters; make one "
            "with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")


def configured_token() -> str:
    """The operator's token; no token configured means there is no operator page at all.

    :raise 404: when OPERATOR_TOKEN is not set.
    """
    token = current_app.config.get("OPERATOR_TOKEN")
    if not isinstance(token, str) or not token.strip():
        raise NotFound()
    return token.strip()


def presented_token() -> str:
    """The token the request carries: `Authorization: Bearer …` or the login form's field."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return auth.token
    if request.method == "POST":
        return request.form.get("token", "")
    return ""


def authorised(expected: str) -> bool:
    """Compare in constant time, so the answer's timing tells nothing about the token."""
    given = presented_token()
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"),
                                               expected.encode("utf-8"))


def requested_period() -> tuple[date, date, str | None]:
    """The period asked for (`days` or `since`, from the form or the query); a problem in words."""
    values = request.form if request.method == "POST" else request.args
    now = today()
    since_text = values.get("since", "").strip()
    days_text = values.get("days", "").strip()
    if since_text:
        try:
            since = date.fromisoformat(since_text)
        except ValueError:
            return (*period(None, DEFAULT_DAYS, now), "since: use a date like 2026-11-02.")
        return (*period(min(since, now), None, now), None)
    if days_text:
        if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS:
            return (*period(None, DEFAULT_DAYS, now), f"days: a number from 1 to {MAX_DAYS}.")
        return (*period(None, int(days_text), now), None)
    return (*period(None, DEFAULT_DAYS, now), None)


def page(template: str, status: int, **context: Any) -> Response:
    """Render an operator page that no cache, history or search engine keeps."""
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    # Never sent to other sites; kept on our own form posts, whose Origin header shows the post
    # came from this site (under "no-referrer" browsers send "Origin: null").
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def failed_login(response: Response) -> bool:
    """Only wrong tokens actually sent count against the operator's allowance: a plain GET of
    the form (or an image pointing at it from another page) costs nothing."""
    return response.status_code == 401 and bool(presented_token())


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["OPERATOR_RATE_LIMIT"], deduct_when=failed_login)
def report() -> Response:
    """The report for the token holder; the login form for anyone else (401)."""
    expected = configured_token()
    if request.method == "POST" and cross_site_form():
        # Another site must not spend the operator's allowance with wrong tokens.
        raise Forbidden("The operator form can only be sent from this site.")
    if not authorised(expected):
        tried = bool(presented_token())
        response = page("operator_login.html", 401, default_days=DEFAULT_DAYS,
                        problem="That token is not right." if tried else None)
        response.headers["WWW-Authenticate"] = 'Bearer realm="operator"'
        return response
    since, until, problem = requested_period()
    data = build_report(get_insights(), since, until)
    return page("operator_report.html", 400 if problem else 200, report=data, problem=problem)
