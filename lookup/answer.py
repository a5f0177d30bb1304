"""The answer to a lookup: everything a buyer may see about their order, built from the document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any

from lookup import messages
from lookup.contact import DEFAULT_CONTACT_SELLER_URL
from lookup.contact import DEFAULT_SUPPORT_URL
from lookup.contact import contact_block
from lookup.display import dress
from lookup.messages import DEFAULT_LANG
from lookup.next_steps import next_steps
from lookup.orders import MILESTONES
from lookup.orders import dig
from lookup.orders import parse_time
from lookup.personal import scrub_contact


@lru_cache(maxsize=len(messages.LANGS))
def milestone_titles(lang: str) -> dict[str, str]:
    """The timeline title of each milestone in a language (worded once; callers only read it)."""
    return {code: messages.text(lang, f"milestones.{code}") for code, _ in MILESTONES}


# Timeline titles of the milestones an order document dates, in English; every language's are in
# lookup/messages ("milestones"). The milestones and where a document dates them are
# lookup.orders.MILESTONES.
MILESTONE_TITLES = milestone_titles(DEFAULT_LANG)


def order_answer(document: Mapping[str, Any], policy: Mapping[str, Any], today: date, *,
                 seller_url_template: str = DEFAULT_CONTACT_SELLER_URL,
                 support_url: str = DEFAULT_SUPPORT_URL,
                 lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Everything a buyer may see about their order; nothing of addresses, phones or payment.

    Worded in `lang`, with what a page prints (stages, dates, deadlines) worked out too.
    """
    label = status_label(document["status"], lang)
    answer = {
        "order": safe_order(document),
        "status": {"code": document["status"], "label": label},
        "timeline": timeline(document, lang),
        "next_steps": next_steps(document, policy, today, lang),
        "contact": contact_block(document, label, seller_url_template=seller_url_template,
                                 support_url=support_url, lang=lang),
    }
    return dress(answer, today, lang)


def status_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """The buyer-friendly label of a status code."""
    return messages.entry(lang, "status").get(code) or code.replace("_", " ").capitalize()


def mask_email(email: str) -> str:
    """Show enough of an email for its owner to recognise it: 'b***r@example.com'."""
    local, _, domain = email.strip().rpartition("@")
    if not local:
        return "***"
    shown = f"{local[0]}***{local[-1]}" if len(local) > 2 else f"{local[0]}***"
    return f"{shown}@{domain}"


def safe_order(document: Mapping[str, Any]) -> dict[str, Any]:
    """The order summary, copied field by field so that nothing unvetted ever leaks out."""
    seller = document.get("seller") or {}
    payment = document.get("payment") or None
    shipping = document.get("shipping") or None
    funding = document.get("funding") or None
    return {
        "order_number": document["order_number"],
        "email": mask_email(document["email"]),
        "placed_at": document["placed_at"],
        "seller": {"name": seller.get("name"), "country": seller.get("country")},
        "items": [
            {"name": item.get("name"), "quantity": item.get("quantity", 1),
             "unit_price": item.get("unit_price"), "kind": item.get("kind", "regular")}
            for item in document.get("items") or []
        ],
        "currency": document.get("currency"),
        "total": document.get("total"),
        # The method's name only: never card numbers, ids or payer details.
        "payment": {"method": payment.get("method"), "paid_at": payment.get("paid_at")}
        if payment else None,
        "shipping": {
            "carrier": shipping.get("carrier"),
            "tracking_number": shipping.get("tracking_number"),
            "tracking_url": shipping.get("tracking_url"),
            "international": bool(shipping.get("international", False)),
            "shipped_at": shipping.get("shipped_at"),
            "delivered_at": shipping.get("delivered_at"),
        } if shipping else None,
        "funding": {"ends_at": funding.get("ends_at")} if funding else None,
        "cancelled_at": document.get("cancelled_at"),
        "refunded_at": document.get("refunded_at"),
        "completed_at": document.get("completed_at"),
    }


def timeline(document: Mapping[str, Any], lang: str = DEFAULT_LANG) -> list[dict[str, Any]]:
    """The order's milestones and the carrier's scans, latest first."""
    # (moment, position, entry): at the same moment, what was listed later (a later milestone,
    # then a scan) comes first.
    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    shipping = document.get("shipping") or {}
    titles = milestone_titles(lang)
    for code, path in MILESTONES:
        value = dig(document, path)
        if isinstance(value, str):
            if code == "shipped" and shipping.get("carrier"):
                title = messages.shared(lang, "milestones.shipped_with",
                                        carrier=shipping["carrier"])
            else:
                title = titles[code]
            timed.append((parse_time(value), len(timed),
                          {"at": value, "source": "order", "status": code, "title": title}))
    for event in shipping.get("events") or []:
        status = event.get("status") or "update"
        # Carriers' free text can name the door the parcel went to: never shown.
        description = scrub_contact(event.get("description") or "")
        entry = {"at": event["at"], "source": "carrier", "status": status,
                 "title": description or status.replace("_", " ").capitalize()}
        location = event.get("location")
        if location and scrub_contact(location) == location:
            entry["location"] = location
        timed.append((parse_time(event["at"]), len(timed), entry))
    timed.sort(reverse=True)
    return [entry for _, _, entry in timed]

