"""The order document's facts: statuses, lookup keys, status labels and freshness.

Its shape (what a valid document is) is defined in lookup.schema.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from types import MappingProxyType
from typing import Any

from lookup import messages

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

# Status codes in the words a buyer understands: the English catalogue's, the one place they live.
STATUS_LABELS: Mapping[str, str] = MappingProxyType(messages.entry("en", "status"))

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

def normalize_order_number(value: str) -> str:
    """The lookup key of an order number: blanks and a leading '#' dropped, upper-cased."""
    # NFKC folds full-width digits and letters that phone keyboards produce.
    text = (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip()
    if text.startswith("#"):
        text = text[1:].strip()
    return text.upper()


def normalize_email(value: str) -> str:
    """The lookup key of an email address: trimmed and lower-cased."""
    # ASCII is its own NFKC form: the import checks a million of these.
    return (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip().lower()


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
        # A parsed document is plain dicts: the exact type check spares the slower ABC check.
        if type(value) is not dict and not isinstance(value, Mapping):
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
