"""The order document: validation, lookup keys, status labels and freshness."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

# Status codes in the usual order of an order's life; the rank only breaks ties between two
# documents equally fresh (see `freshness`), so a later stage wins over an earlier one.
STATUSES = (
    "awaiting_payment",
    "paid",
    "preparing_shipment",
    "shipped",
    "out_for_delivery",
    "delivery_exception",
    "delivered",
    "return_requested",
    "returned",
    "cancelled",
    "refunded",
    "completed",
)
STATUS_RANK = {code: rank for rank, code in enumerate(STATUSES)}

# The one place where a status code becomes words a buyer understands.
STATUS_LABELS = {
    "awaiting_payment": "Waiting for your payment",
    "paid": "Paid, waiting for the seller",
    "preparing_shipment": "The seller is preparing your parcel",
    "shipped": "On its way",
    "out_for_delivery": "Out for delivery today",
    "delivered": "Delivered",
    "delivery_exception": "Delivery problem",
    "cancelled": "Cancelled",
    "return_requested": "Return requested",
    "returned": "Returned to the seller",
    "refunded": "Refunded",
    "completed": "Completed",
}

ITEM_KINDS = ("regular", "funding", "game_coupon")

# The timestamps that date an order's milestones, as (label, path) in the document.
MILESTONES = (
    ("placed", ("placed_at",)),
    ("paid", ("payment", "paid_at")),
    ("shipped", ("shipping", "shipped_at")),
    ("delivered", ("shipping", "delivered_at")),
    ("cancelled", ("cancelled_at",)),
    ("refunded", ("refunded_at",)),
    ("completed", ("completed_at",)),
)

MAX_ORDER_NUMBER = 64
MAX_EMAIL = 254
MAX_TEXT = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class OrderError(ValueError):
    """An order document that cannot be stored; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalize_order_number(value: str) -> str:
    """The lookup key of an order number: blanks and a leading '#' dropped, upper-cased."""
    # NFKC folds full-width digits and letters that phone keyboards produce.
    text = unicodedata.normalize("NFKC", value).strip()
    if text.startswith("#"):
        text = text[1:].strip()
    return text.upper()


def normalize_email(value: str) -> str:
    """The lookup key of an email address: trimmed and lower-cased."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries its UTC offset."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    return moment


def utc_key(moment: datetime) -> str:
    """A sortable text form of a moment (UTC, fixed width) for comparing freshness in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dig(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """Follow a path of keys through nested mappings, None where any step is missing."""
    value: Any = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def timestamps(document: Mapping[str, Any]) -> list[datetime]:
    """Every moment the document records: milestones and carrier events."""
    moments = []
    for _, path in MILESTONES:
        value = dig(document, path)
        if isinstance(value, str):
            moments.append(parse_time(value))
    for event in dig(document, ("shipping", "events")) or []:
        moments.append(parse_time(event["at"]))
    if isinstance(document.get("updated_at"), str):
        moments.append(parse_time(document["updated_at"]))
    return moments


def freshness(document: Mapping[str, Any], occurred_at: datetime | None = None) -> str:
    """How recent a document is: its latest recorded moment (or the event's time if later).

    An import line or webhook is "newer" than what is stored when its freshness is later, or
    equal with a later status in STATUSES; anything else never replaces the stored status.
    """
    moments = timestamps(document)
    if occurred_at is not None:
        moments.append(occurred_at)
    return utc_key(max(moments))


# -- validation ---------------------------------------------------------------------------------


def _string(value: Any, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise OrderError(field, "must be a non-empty string" if required else "must be a string")
    if len(value) > limit:
        raise OrderError(field, f"must be at most {limit} characters")
    if "\x00" in value:
        raise OrderError(field, "must not contain NUL characters")


def _time(value: Any, field: str, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise OrderError(field, "must be an ISO 8601 date-time with a UTC offset")
    try:
        parse_time(value)
    except ValueError:
        raise OrderError(field, "must be an ISO 8601 date-time with a UTC offset") from None


def _amount(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise OrderError(field, 'must be a decimal amount written as a string, like "18000"')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise OrderError(field, "must be a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise OrderError(field, "must be a decimal amount of zero or more")


def _object(value: Any, field: str, *, required: bool = False) -> bool:
    """Check an optional nested object; True when it is there to look into."""
    if value is None and not required:
        return False
    if not isinstance(value, Mapping):
        raise OrderError(field, "must be an object" + ("" if required else " or null"))
    return True


def _seller(seller: Any) -> None:
    _object(seller, "seller", required=True)
    _string(seller.get("id"), "seller.id", required=False, limit=200)
    _string(seller.get("name"), "seller.name", limit=200)
    email = seller.get("email")
    _string(email, "seller.email", required=False, limit=MAX_EMAIL)
    if email is not None and not _EMAIL.match(email):
        raise OrderError("seller.email", "must be an email address")
    country = seller.get("country")
    if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
        raise OrderError("seller.country", "must be a two-letter country code like KR")
    if _object(seller.get("policy"), "seller.policy"):
        for name, value in seller["policy"].items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OrderError(f"seller.policy.{name}", "must be a whole number of zero or more")


def _items(items: Any) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise OrderError("items", "must be a list")
    for index, item in enumerate(items):
        field = f"items[{index}]"
        _object(item, field, required=True)
        _string(item.get("sku"), f"{field}.sku", required=False, limit=200)
        _string(item.get("name"), f"{field}.name", limit=500)
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise OrderError(f"{field}.quantity", "must be a whole number of 1 or more")
        _amount(item.get("unit_price"), f"{field}.unit_price")
        if item.get("kind", "regular") not in ITEM_KINDS:
            raise OrderError(f"{field}.kind", f"must be one of {', '.join(ITEM_KINDS)}")


def _payment(payment: Any) -> None:
    if not _object(payment, "payment"):
        return
    _string(payment.get("method"), "payment.method", required=False, limit=50)
    _time(payment.get("paid_at"), "payment.paid_at")


def _shipping(shipping: Any) -> None:
    if not _object(shipping, "shipping"):
        return
    for name in ("carrier", "tracking_number"):
        _string(shipping.get(name), f"shipping.{name}", required=False, limit=200)
    url = shipping.get("tracking_url")
    _string(url, "shipping.tracking_url", required=False)
    if url is not None and not url.startswith(("https://", "http://")):
        raise OrderError("shipping.tracking_url", "must be an http(s) URL")
    country = shipping.get("country")
    if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
        raise OrderError("shipping.country", "must be a two-letter country code like KR")
    if not isinstance(shipping.get("international", False), bool):
        raise OrderError("shipping.international", "must be true or false")
    _time(shipping.get("shipped_at"), "shipping.shipped_at")
    _time(shipping.get("delivered_at"), "shipping.delivered_at")
    events = shipping.get("events")
    if events is None:
        return
    if not isinstance(events, list):
        raise OrderError("shipping.events", "must be a list")
    for index, event in enumerate(events):
        field = f"shipping.events[{index}]"
        _object(event, field, required=True)
        _time(event.get("at"), f"{field}.at", required=True)
        for name in ("status", "location", "description"):
            _string(event.get(name), f"{field}.{name}", required=False, limit=500)


def validate_order(document: Any) -> dict[str, Any]:
    """Check an order document and return it; raise OrderError naming the first bad field.

    Unknown fields are kept as they are: the store keeps the whole document.
    """
    if not isinstance(document, Mapping):
        raise OrderError("order", "must be a JSON object")
    _string(document.get("order_number"), "order_number", limit=MAX_ORDER_NUMBER)
    if not normalize_order_number(document["order_number"]):
        raise OrderError("order_number", "must contain more than blanks and '#'")
    _string(document.get("email"), "email", limit=MAX_EMAIL)
    if not _EMAIL.match(normalize_email(document["email"])):
        raise OrderError("email", "must be an email address")
    _time(document.get("placed_at"), "placed_at", required=True)
    if document.get("status") not in STATUS_RANK:
        raise OrderError("status", f"must be one of {', '.join(STATUSES)}")
    _seller(document.get("seller"))
    _items(document.get("items"))
    currency = document.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
        raise OrderError("currency", "must be a three-letter currency code like KRW")
    _amount(document.get("total"), "total")
    _payment(document.get("payment"))
    _shipping(document.get("shipping"))
    for name in ("cancelled_at", "refunded_at", "completed_at", "updated_at"):
        _time(document.get(name), name)
    funding = document.get("funding")
    if _object(funding, "funding"):
        _time(funding.get("ends_at"), "funding.ends_at", required=True)
    elif any(item.get("kind") == "funding" for item in document.get("items") or []):
        raise OrderError("funding", "must give ends_at when an item is of kind funding")
    return dict(document)


def merge_documents(newer: Mapping[str, Any], older: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the newer document, filling in milestones and carrier events only the older knows.

    That way a late event never moves the status back, yet the timeline keeps what it said.
    """
    merged = dict(newer)
    for _, path in MILESTONES:
        if dig(merged, path) is None and dig(older, path) is not None:
            if len(path) == 1:
                merged[path[0]] = dig(older, path)
            else:
                parent = dict(merged.get(path[0]) or {})
                parent[path[1]] = dig(older, path)
                merged[path[0]] = parent
    events_new = dig(newer, ("shipping", "events")) or []
    events_old = dig(older, ("shipping", "events")) or []
    seen = {_event_key(event) for event in events_new}
    extra = [event for event in events_old if _event_key(event) not in seen]
    if extra:
        shipping = dict(merged.get("shipping") or {})
        shipping["events"] = sorted([*events_new, *extra], key=lambda e: parse_time(e["at"]))
        merged["shipping"] = shipping
    return merged


def _event_key(event: Mapping[str, Any]) -> tuple:
    return (utc_key(parse_time(event["at"])), event.get("status"), event.get("description"))
