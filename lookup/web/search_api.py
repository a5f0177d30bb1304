"""GET /api/search: the help bar's questions, answered from the search index."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import click
from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import request
from flask.cli import with_appcontext
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import ServiceUnavailable

from lookup.web.insights import count_search
from lookup.web.insights import get_insights
from lookup.web.limits import configured
from lookup.web.limits import limiter
from search import IndexUnavailable
from search import SearchIndex
from search import open_index
from search.language import DEFAULT_LANGUAGE
from search.language import load_language
from search.language import query_language
from search.query import MAX_LIMIT

bp = Blueprint("search_api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

REBUILD_HINT = "run `helpcenter build` to build the site and its search index"
UNAVAILABLE = (f"Search is unavailable: the search index is missing or cannot be read "
               f"({REBUILD_HINT}).")
DEFAULT_LIMIT = 10


@dataclass
class SearchState:
    """The process's open indexes, one per language (opened on first use), and what we already
    told the log."""

    indexes: dict[str, SearchIndex] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warned: bool = False

    @property
    def index(self) -> SearchIndex | None:
        """The English index, when open."""
        return self.indexes.get(DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    """Serve /api/search, report on the index in /api/health, add `search-misses` to the CLI."""
    app.extensions["search"] = SearchState()
    app.extensions.setdefault("health_checks", {})["search"] = search_health
    app.register_blueprint(bp)
    app.cli.add_command(search_misses_command)


def get_search_index(language: str = DEFAULT_LANGUAGE) -> SearchIndex:
    """A language's open index, opened once per process.

    :raise 503: when the index is missing or broken; the site and the lookup keep working.
    """
    state: SearchState = current_app.extensions["search"]
    opened = state.indexes.get(language)
    if opened is not None:
        return opened
    with state.lock:
        opened = state.indexes.get(language)
        if opened is None:
            try:
                # Clicks on results are counted beside the searches; search learns from them.
                opened = open_index(Path(current_app.config["SEARCH_INDEX_DIR"]),
                                    clicks=current_app.extensions["insights"].clicked_results,
                                    language=load_language(language))
            except IndexUnavailable as exc:
                _warn_once(state, str(exc))
                raise ServiceUnavailable(description=UNAVAILABLE) from exc
            state.indexes[language] = opened
            state.warned = False
    return opened


def _warn_once(state: SearchState, reason: str) -> None:
    """Log how to rebuild, once per outage rather than once per request."""
    if not state.warned:
        log.warning("search is unavailable: %s; %s", reason, REBUILD_HINT)
        state.warned = True


def _forget_index(language: str, reason: str) -> None:
    """Drop a broken index so the next request opens whatever is there now."""
    state: SearchState = current_app.extensions["search"]
    with state.lock:
        opened = state.indexes.pop(language, None)
        if opened is not None:
            opened.close()
        _warn_once(state, reason)


def _limit() -> int:
    """The `limit` parameter, kept between 1 and MAX_LIMIT.

    :raise 400: when it is not a whole number.
    """
    raw = request.args.get("limit", "")
    if not raw.strip():
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(description="`limit` must be a whole number.") from None
    return max(1, min(value, MAX_LIMIT))


def _language(query: str) -> str:
    """The `lang` parameter ("en", "ko", "ko-KR"…), or without it Korean for a Hangul query.

    :raise 400: for a language the site does not have.
    """
    try:
        return query_language(query, request.args.get("lang", ""))
    except ValueError as exc:
        raise BadRequest(description=f"`lang`: {exc}.") from None


_search_rate, _search_off = configured("SEARCH_RATE_LIMIT")


@bp.get("/search")
@limiter.limit(_search_rate, scope="search", exempt_when=_search_off)
def search() -> dict[str, Any]:
    """Answer `q` with the best sections: {"query", "results": [...], "suggestion"?, "lookup"?}.

    `lang` picks the pages searched (Korean: /ko/…); without it a query in Hangul searches the
    Korean pages, any other the English ones.

    `lookup` ({"url", "title", "snippet", "step"}) is there when the order lookup answers the
    question for the buyer's own order (where is my order, return by when): the help bar shows
    it first.
    """
    limit = _limit()
    query = request.args.get("q", "")
    language = _language(query)
    search_index = get_search_index(language)
    try:
        answer = search_index.search(query, limit)
    except IndexUnavailable as exc:
        _forget_index(language, str(exc))
        raise ServiceUnavailable(description=UNAVAILABLE) from exc
    if query.strip():
        count_search(answer["query"], len(answer["results"]), language)
    return answer


def search_health() -> dict[str, Any]:
    """The `search` entry of /api/health: ok with the section count, or degraded and why."""
    try:
        sections = get_search_index().section_count()
    except (ServiceUnavailable, IndexUnavailable):
        return {"status": "degraded",
                "detail": f"the search index is missing or broken: {REBUILD_HINT}"}
    return {"status": "ok", "sections": sections}


@click.command("search-misses")
@click.option("--limit", default=30, show_default=True, type=int, help="How many queries to list.")
@with_appcontext
def search_misses_command(limit: int) -> None:
    """List the searches that found nothing, most frequent first, with their language."""
    rows = get_insights().top_misses(limit)
    if not rows:
        click.echo("No zero-result searches counted yet.")
    for language, query, count, last_seen in rows:
        click.echo(f"{count:6d}  {last_seen}  {language}  {query}")
