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

from lookup.orders import normalize_order_number
from lookup.schema import FORM_MAXLENGTH
from lookup.web import limits
from lookup.web.cors import allowed
from lookup.web.cors import cross_site_form
from lookup.web.lookups import lookup_order

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

# The stages a buyer sees, the same table as in theme/assets/javascripts/order-lookup.js.
FLOW = ("Ordered", "Paid", "Preparing", "Shipped", "Delivered", "Completed")
CANCEL = ("Ordered", "Cancelled", "Refunded")
RETURN = ("Delivered", "Return requested", "Returned", "Refunded")
STAGES: dict[str, tuple[tuple[str, ...], int]] = {
    "awaiting_payment": (FLOW, 0),
    "paid": (FLOW, 1),
    "preparing_shipment": (FLOW, 2),
    "shipped": (FLOW, 3),
    "out_for_delivery": (FLOW, 3),
    "delivery_exception": (FLOW, 3),
    "delivered": (FLOW, 4),
    "completed": (FLOW, 5),
    "cancelled": (CANCEL, 1),
    "return_requested": (RETURN, 1),
    "returned": (RETURN, 2),
    "refunded": (RETURN, 3),
}
# "Return by Sat 6 Dec": the verb each dated step starts with (as in the widget).
VERBS = {
    "pay": "Pay",
    "cancel": "Cancel",
    "return": "Return",
    "exchange": "Exchange",
    "not_as_described": "Report it",
    "not_received": "Report it",
    "confirm_receipt": "Confirm",
}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d))?")
# The web, mail, and paths of this site; never `//host` or `/\host`, which browsers read as
# another site.
SAFE_URL = re.compile(r"^(https?://|mailto:|/(?![/\\])|#)", re.I)


def stages(code: str | None, shipped: bool = False) -> list[dict[str, str]]:
    """The progress tracker's stages, each marked done, now or todo."""
    # A refund before shipping ends a cancellation, not a return.
    names, now = (
        (CANCEL, 2) if code == "refunded" and not shipped else STAGES.get(code or "", (FLOW, -1))
    )
    return [
        {"name": name, "state": "done" if i < now else "now" if i == now else "todo"}
        for i, name in enumerate(names)
    ]


def _parse(iso: str | None) -> tuple[date, str] | None:
    """The date and HH:MM written in an ISO string, in its own time zone as the widget shows it."""
    match = ISO.match(iso or "")
    if not match:
        return None
    year, month, day_ = (int(g) for g in match.group(1, 2, 3))
    clock = f"{match.group(4)}:{match.group(5)}" if match.group(4) else ""
    try:
        return date(year, month, day_), clock
    except ValueError:
        return None


def human_day(iso: str | None, today: date, with_time: bool = False) -> str:
    """`Sat 6 Dec` (the year only when it is not this year), optionally with the time."""
    parsed = _parse(iso)
    if parsed is None:
        return iso or ""
    day_, clock = parsed
    year = "" if day_.year == today.year else f" {day_.year}"
    text = f"{DAYS[day_.weekday()]} {day_.day} {MONTHS[day_.month - 1]}{year}"
    return f"{text}, {clock}" if with_time and clock else text


def days_left(iso: str | None, today: date) -> str:
    """`11 days left`, `1 day left`, `last day today` or `closed`."""
    parsed = _parse(iso)
    if parsed is None:
        return ""
    n = (parsed[0] - today).days
    if n > 1:
        return f"{n} days left"
    return "1 day left" if n == 1 else "last day today" if n == 0 else "closed"


def due(step: dict[str, Any], today: date) -> str:
    """`Return by Sat 6 Dec — 11 days left` for a step with a deadline."""
    verb = VERBS.get(step.get("id", ""))
    lead = f"{verb} by" if verb else "By"
    return f"{lead} {human_day(step['deadline'], today)} — {days_left(step['deadline'], today)}"


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


def render(state: str, status: int, **context: Any) -> Response:
    """Render the page in one of its states: answer, not_found, invalid, limited, unreachable."""
    today = date.today()
    html = render_template(
        "order_status.html",
        state=state,
        look=site_look(),
        back=back_link(),
        action=request.path,
        maxlength=FORM_MAXLENGTH,
        today=today,
        stages=stages,
        human_day=lambda iso, with_time=False: human_day(iso, today, with_time),
        due=lambda step: due(step, today),
        safe_url=safe_url,
        **context,
    )
    response = current_app.make_response((html, status))
    # An order's details never belong in a shared cache or the back-forward history of others.
    response.headers["Cache-Control"] = "no-store"
    return response


def form_problem(order_number: str, email: str) -> str | None:
    """What is wrong with the posted fields, in words for the buyer; None when they can be used."""
    if not normalize_order_number(order_number) or not email:
        return "Please enter both the order number and the email."
    if (len(order_number) > FORM_MAXLENGTH["order_number"]
            or len(email) > FORM_MAXLENGTH["email"]):
        return "That order number or email is longer than any we issue: please check it."
    if "\x00" in order_number + email:
        return "The order number or the email contains characters that cannot be part of it."
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
                      detail="This form can only be sent from the help center's own pages.")
    # Before anything reads the body: an over-size form is refused unread (413).
    request.max_content_length = int(current_app.config["LOOKUP_MAX_BYTES"])
    order_number = request.form.get("order_number", "").strip()
    email = request.form.get("email", "").strip()
    form = {"order_number": order_number, "email": email}
    problem = form_problem(order_number, email)
    if problem:
        return render("invalid", 400, form=form, detail=problem)
    # The API and this page draw on the same counts (see lookup/limits.py).
    attempt = limits.LookupAttempt(order_number, email)
    attempt.check()
    answer = lookup_order(order_number, email, date.today())
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
        return render(
            "invalid", 413, form={}, detail="That is far more than an order number and an email."
        )
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
