"""Server-rendered order status for browsers without JavaScript: the widget's form posts here."""

from __future__ import annotations

import logging
import re
import traceback
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from lookup import messages
from lookup.orders import normalize_order_number
from lookup.schema import FORM_MAXLENGTH
from lookup.web import limits
from lookup.web.cors import allowed
from lookup.web.cors import cross_site_form
from lookup.web.langs import request_lang
from lookup.web.lookups import lookup_order

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

# The web, mail, and paths of this site; never `//host` or `/\host`, which browsers read as
# another site.
SAFE_URL = re.compile(r"^(https?://|mailto:|/(?![/\\])|#)", re.I)


def safe_url(url: str | None) -> str:
    """Only links a buyer can safely follow: the web, mail, and paths of this site."""
    return url if url and SAFE_URL.match(url) else "#"


@lru_cache(maxsize=8)
def _site_look(index_html: str, mtime_ns: int) -> dict[str, Any]:
    """The built site's style sheets, palette and name, read from its home page."""
    html = Path(index_html).read_text(encoding="utf-8")
    body = re.search(r"<body([^>]*)>", html)
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    return {
        "stylesheets": [
            "/" + href.lstrip("./")
            for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
            if not re.match(r"^(https?:)?//", href)
        ],
        "palette": dict(re.findall(r'(data-md-color-(?:scheme|primary|accent))="([^"]*)"', body[1]))
        if body
        else {},
        "site_name": title[1].strip() if title else "Help Center",
        # Without it browsers ask for /favicon.ico, which a MkDocs site does not have.
        "icon": "/" + icon[1].lstrip("./") if icon else None,
    }


def site_look() -> dict[str, Any]:
    """How the built site looks, so this page wears the same; plain when the site is not built."""
    index = Path(current_app.config["SITE_DIR"]) / "index.html"
    try:
        return _site_look(str(index), index.stat().st_mtime_ns)
    except OSError:
        return {"stylesheets": [], "palette": {}, "site_name": "Help Center", "icon": None}


def back_link() -> str:
    """The page the buyer came from when it is ours or an allowed origin's, else the site's home."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme in ("http", "https") and (
        origin == request.host_url.rstrip("/") or allowed(origin)
    ):
        return referrer
    return "/"


def wait_words(lang: str, seconds: int) -> str:
    """`40 seconds`, `1 minute`, `3 minutes`: how long until the next try."""
    if seconds < 60:
        return messages.text(lang, "widget.seconds", n=seconds)
    minutes = -(-seconds // 60)
    return messages.text(lang, "widget.minute_one" if minutes == 1 else "widget.minute_other",
                         n=minutes)


def render(state: str, status: int, **context: Any) -> Response:
    """Render the page in one of its states: answer, not_found, invalid, limited, unreachable.

    Every word comes from the catalogue of the buyer's language; the answer brings its own.
    """
    lang = request_lang()
    html = render_template(
        "order_status.html",
        state=state,
        lang=lang,
        # Korean pages live under /ko/: the way back and the seller's help go there too.
        home=messages.site_path(lang, "/"),
        words=messages.entry(lang, "widget"),
        look=site_look(),
        back=back_link(),
        action=request.path,
        maxlength=FORM_MAXLENGTH,
        safe_url=safe_url,
        wait_words=lambda seconds: wait_words(lang, seconds),
        **context,
    )
    response = current_app.make_response((html, status))
    # An order's details never belong in a shared cache or the back-forward history of others.
    response.headers["Cache-Control"] = "no-store"
    return response


def form_problem(order_number: str, email: str, lang: str = messages.DEFAULT_LANG) -> str | None:
    """What is wrong with the posted fields, in words for the buyer; None when they can be used."""
    if not normalize_order_number(order_number) or not email:
        return messages.text(lang, "form.both_fields")
    if (len(order_number) > FORM_MAXLENGTH["order_number"]
            or len(email) > FORM_MAXLENGTH["email"]):
        return messages.text(lang, "form.too_long")
    if "\x00" in order_number + email:
        return messages.text(lang, "form.bad_characters")
    return None


@bp.get("/order-status/lookup")
def lookup_form():
    """Someone reloading or bookmarking the answer gets the form again."""
    return redirect("/order-status/", code=303)


@bp.post("/order-status/lookup")
def lookup_page():
    """Look the order up from the posted form and render the answer or what went wrong."""
    if cross_site_form():
        # Another site's page must not spend this visitor's allowance (nor learn the answer).
        return render("invalid", 403, form={},
                      detail=messages.text(request_lang(), "form.cross_site"))
    # Before anything reads the body: an over-size form is refused unread (413).
    request.max_content_length = int(current_app.config["LOOKUP_MAX_BYTES"])
    # The widget's form says which language its page is in.
    lang = request_lang(request.form.get("lang"))
    order_number = request.form.get("order_number", "").strip()
    email = request.form.get("email", "").strip()
    form = {"order_number": order_number, "email": email}
    problem = form_problem(order_number, email, lang)
    if problem:
        return render("invalid", 400, form=form, detail=problem)
    # The API and this page draw on the same counts (see lookup/limits.py).
    attempt = limits.LookupAttempt(order_number, email)
    attempt.check()
    answer = lookup_order(order_number, email, date.today(), lang)
    if answer is None:
        attempt.failed()
        return render("not_found", 404, form=form)
    return render("answer", 200, form=form, answer=answer)


# 429 by code too: the app's own RateLimitExceeded handler would otherwise win over a
# class-wide HTTPException handler, since Flask matches handlers by code first.
@bp.errorhandler(429)
@bp.errorhandler(HTTPException)
def http_problem(exc: HTTPException) -> Response:
    """Errors on this page render as this page: too many tries, bad input, the service away."""
    status = exc.code or 500
    if status == 429:
        retry = getattr(exc, "retry_after", None)
        retry = retry if isinstance(retry, int) else limits.retry_after()
        response = render("limited", 429, retry_after=retry)
        response.headers["Retry-After"] = str(retry)
        return response
    if status == 413:
        detail = messages.text(request_lang(), "form.too_large")
        return render("invalid", 413, form={}, detail=detail)
    if status < 500:
        return render("invalid", status, form={}, detail=exc.description or exc.name)
    return render("unreachable", status)


@bp.errorhandler(Exception)
def crash(exc: Exception) -> Response:
    """A crash (the order store away, say) shows the unreachable state, never a traceback."""
    # Type and place only: a database error's message can quote the email that was looked up.
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{frame.filename}:{frame.lineno}" if frame else "?"
    log.error("order status page failed: %s at %s", type(exc).__name__, where)
    return render("unreachable", 503)
