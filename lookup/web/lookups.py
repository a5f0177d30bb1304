"""Looking an order up in the app's store: the one function the API and the no-JS page call."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from lookup.answer import order_answer
from lookup.web.db import get_store
from lookup.web.insights import count_next_steps
from lookup.web.langs import request_lang


def lookup_order(order_number: str, email: str, today: date | None = None,
                 lang: str | None = None) -> dict[str, Any] | None:
    """The lookup answer (the API's JSON body) for an order and its email, or None for any miss.

    Call inside a request. `today` defaults to the server's date, `lang` to the request's
    language (lookup.web.langs).
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
        lang=lang or request_lang(),
    )
    # For the operator's report: which next steps buyers are shown, by id only.
    count_next_steps(step["id"] for step in answer["next_steps"])
    return answer
