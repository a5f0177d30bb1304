"""Looking an order up in the app's store: the one function the API and the no-JS page call."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from lookup.answer import order_answer
from lookup.messages import DEFAULT_LANG
from lookup.web.db import get_store
from lookup.web.insights import count_next_steps


def lookup_order(order_number: str, email: str, today: date | None = None,
                 lang: str = DEFAULT_LANG) -> dict[str, Any] | None:
    """The lookup answer (the API's JSON body) for an order and its email, or None for any miss.

    Call inside an app context. `today` defaults to the server's date.
    """
    document = get_store().find(order_number, email)
    if document is None:
        return None
    config = current_app.config
    answer = order_answer(
        document,
        current_app.extensions["policy"],
        today or date.today(),
        seller_url_template=config["CONTACT_SELLER_URL"],
        support_url=config["SUPPORT_URL"],
        lang=lang,
    )
    # For the operator's report: which next steps buyers are shown, by id only.
    count_next_steps(step["id"] for step in answer["next_steps"])
    return answer
