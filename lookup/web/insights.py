"""Operator insights, counted: the insights store, searches, clicks and next steps by day.

Nothing here knows who asked: no cookies, no addresses stored, query text and counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC
from datetime import date
from datetime import datetime

from flask import Flask
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from lookup.insights_store import InsightsStore
from lookup.personal import scrub
from search.language import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)


def today() -> date:
    """The day insights are counted on: UTC, the same on every host."""
    return datetime.now(UTC).date()


def get_insights() -> InsightsStore:
    """The current app's insights store."""
    return current_app.extensions["insights"]


# -- counting what the service answers -------------------------------------------------------------

def count_search(query: str, results: int, language: str = DEFAULT_LANGUAGE) -> None:
    """Count a search in a language's pages and whether it found anything; never fails the
    search."""
    try:
        # Never what identifies a buyer: emails, phones and order numbers are scrubbed.
        get_insights().count_search(scrub(query), results, today(), language=language,
                                    keep_days=int(current_app.config["SEARCH_KEEP_DAYS"]))
    except SQLAlchemyError:
        # Counting is for the operator; the buyer's answer must not depend on it.
        log.warning("could not count a search", exc_info=True)


def count_click(query: str, url: str | None = None) -> bool:
    """Count a click on a result (the section `url`) of a query searched today; never fails.
    True when counted."""
    try:
        return get_insights().count_click(scrub(query), today(), url)
    except SQLAlchemyError:
        log.warning("could not count a search click", exc_info=True)
        return False


def count_next_steps(step_ids: Iterable[str]) -> None:
    """Count the next steps a lookup showed (ids only, never the order); never fails a lookup."""
    insights: InsightsStore | None = current_app.extensions.get("insights")
    if insights is None:
        return
    try:
        insights.count_steps(step_ids, today())
    except SQLAlchemyError:
        log.warning("could not count the next steps shown", exc_info=True)


def init_app(app: Flask) -> None:
    """Keep the insights store beside the orders."""
    store = app.extensions["order_store"]
    app.extensions["insights"] = InsightsStore(
        store, table_prefix=app.config.get("DATABASE_TABLE_PREFIX") or "")
