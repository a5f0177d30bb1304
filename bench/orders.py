"""Generated orders for the benchmarks: JSON Lines, streamed, order i always the same.

Order i has number BN-<i, 7 digits> and email buyer<i>@example.net, so the load generator can
look up random existing orders without reading the file.

    .venv/bin/python bench/orders.py COUNT FILE
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

SELLERS = [
    {"id": "S-17", "name": "Hanok Ceramics", "email": "shop@hanok.example", "country": "KR"},
    {"id": "S-21", "name": "Cookie Run Goods", "email": "help@cookiegoods.example",
     "country": "KR"},
    {"id": "S-35", "name": "Kumo Tea House", "email": "hello@kumotea.example", "country": "MY"},
    {"id": "S-48", "name": "Maple Prints", "email": "orders@mapleprints.example", "country": "US",
     "policy": {"return_window_days": 30}},
]
CURRENCY = {"KR": "KRW", "MY": "MYR", "US": "USD"}
CARRIER = {"KR": "CJ Logistics", "MY": "Pos Laju", "US": "UPS"}
# The statuses of a marketplace's order book: most orders are delivered or completed.
STATUS_WEIGHTS = {
    "awaiting_payment": 2, "paid": 5, "preparing_shipment": 5, "shipped": 12,
    "out_for_delivery": 2, "delivery_exception": 1, "delivered": 25, "return_requested": 2,
    "returned": 1, "cancelled": 5, "refunded": 3, "completed": 37,
}
SHIPPED = {"shipped", "out_for_delivery", "delivery_exception", "delivered", "return_requested",
           "returned", "completed"}
DELIVERED = {"delivered", "return_requested", "returned", "completed"}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def order_number(i: int) -> str:
    """The order number of generated order i."""
    return f"BN-{i:07d}"


def order_email(i: int) -> str:
    """The buyer email of generated order i."""
    return f"buyer{i}@example.net"


def order(i: int, rng: random.Random) -> dict[str, Any]:
    """Generated order i: a plausible document of a few hundred bytes."""
    seller = SELLERS[i % len(SELLERS)]
    country = seller["country"]
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    placed = NOW - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1440))

    def at(days: float) -> str:
        return (placed + timedelta(days=days)).isoformat()

    quantity = rng.randint(1, 3)
    price = rng.randint(5, 90) * (1000 if country == "KR" else 1)
    document: dict[str, Any] = {
        "order_number": order_number(i), "email": order_email(i), "placed_at": at(0),
        "status": status, "seller": seller,
        "items": [{"sku": f"SKU-{i % 997}", "name": f"Catalogue item {i % 997}",
                   "quantity": quantity, "unit_price": str(price), "kind": "regular"}],
        "currency": CURRENCY[country], "total": str(price * quantity),
        "payment": None if status == "awaiting_payment" else
        {"method": rng.choice(["card", "card", "paypal", "bank_transfer"]), "paid_at": at(0.01)},
        "shipping": None, "funding": None,
    }
    if status in SHIPPED:
        delivered = at(4) if status in DELIVERED else None
        events = [{"at": at(1), "status": "picked_up", "location": "Origin hub",
                   "description": "Picked up"},
                  {"at": at(2), "status": "in_transit", "location": "Sorting centre",
                   "description": "Arrived at sorting centre"}]
        if delivered:
            events.append({"at": delivered, "status": "delivered", "location": "Front door",
                           "description": "Delivered"})
        document["shipping"] = {
            "country": country, "international": False, "carrier": CARRIER[country],
            "tracking_number": f"TRK{i:09d}",
            "tracking_url": f"https://tracking.example/{country.lower()}/TRK{i:09d}",
            "shipped_at": at(1), "delivered_at": delivered, "events": events,
        }
    if status == "completed":
        document["completed_at"] = at(12)
    if status in ("cancelled", "refunded"):
        document["cancelled_at"] = at(0.5)
    if status == "refunded":
        document["refunded_at"] = at(1.5)
    return document


def write_orders(path: Path, count: int, seed: int = 8) -> int:
    """Write orders 0..count-1 to path as JSON Lines, one at a time; return the bytes written."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps(order(i, rng), separators=(",", ":")))
            out.write("\n")
        return out.tell()


def main() -> None:
    """Write COUNT orders to FILE and print the size and time it took."""
    count, path = int(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    size = write_orders(path, count)
    print(f"{count} orders, {size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s: {path}")


if __name__ == "__main__":
    main()
