"""Looking an order up: the one function the JSON API and the no-JavaScript page both call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app

from lookup.contact import DEFAULT_CONTACT_SELLER_URL
from lookup.contact import DEFAULT_SUPPORT_URL
from lookup.contact import contact_block
from lookup.db import get_store
from lookup.insights import count_next_steps
from lookup.next_steps import next_steps
from lookup.orders import STATUS_LABELS
from lookup.orders import parse_time
from lookup.personal import scrub_contact

# Timeline titles of the milestones an order document dates.
MILESTONE_TITLES = (
    ("placed", ("placed_at",), "Order placed"),
    ("paid", ("payment", "paid_at"), "Payment received"),
    ("shipped", ("shipping", "shipped_at"), "Shipped"),
    ("delivered", ("shipping", "delivered_at"), "Delivered"),
    ("cancelled", ("cancelled_at",), "Order cancelled"),
    ("refunded", ("refunded_at",), "Refund issued"),
    ("completed", ("completed_at",), "Order completed"),
)


def lookup_order(order_number: str, email: str, today: date | None = None) -> dict[str, Any] | None:
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
        seller_url_template=config.get("CONTACT_SELLER_URL") or DEFAULT_CONTACT_SELLER_URL,
        support_url=config.get("SUPPORT_URL") or DEFAULT_SUPPORT_URL,
    )
    # For the operator's report: which next steps buyers are shown, by id only (issue 9).
    count_next_steps(step["id"] for step in answer["next_steps"])
    return answer


def order_answer(document: Mapping[str, Any], policy: Mapping[str, Any], today: date, *,
                 seller_url_template: str = DEFAULT_CONTACT_SELLER_URL,
                 support_url: str = DEFAULT_SUPPORT_URL) -> dict[str, Any]:
    """Everything a buyer may see about their order; nothing of addresses, phones or payment."""
    label = status_label(document["status"])
    return {
        "order": safe_order(document),
        "status": {"code": document["status"], "label": label},
        "timeline": timeline(document),
        "next_steps": next_steps(document, policy, today),
        "contact": contact_block(document, label, seller_url_template=seller_url_template,
                                 support_url=support_url),
    }


def status_label(code: str) -> str:
    """The buyer-friendly label of a status code."""
    return STATUS_LABELS.get(code, code.replace("_", " ").capitalize())


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


def timeline(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order's milestones and the carrier's scans, latest first."""
    entries: list[dict[str, Any]] = []
    shipping = document.get("shipping") or {}
    for code, path, title in MILESTONE_TITLES:
        value: Any = document
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str):
            if code == "shipped" and shipping.get("carrier"):
                title = f"Shipped with {shipping['carrier']}"
            entries.append({"at": value, "source": "order", "status": code, "title": title})
    for event in shipping.get("events") or []:
        status = event.get("status") or "update"
        # Carriers' free text can name the door the parcel went to: never shown.
        description = scrub_contact(event.get("description") or "")
        entry = {"at": event["at"], "source": "carrier", "status": status,
                 "title": description or status.replace("_", " ").capitalize()}
        location = event.get("location")
        if location and scrub_contact(location) == location:
            entry["location"] = location
        entries.append(entry)
    # At the same moment, what was listed later (a later milestone, then a scan) comes first.
    ranked = sorted(enumerate(entries), key=lambda pair: (parse_time(pair[1]["at"]), pair[0]),
                    reverse=True)
    return [entry for _, entry in ranked]
