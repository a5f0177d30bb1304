"""Demo orders: about twenty, dated relative to today, that show every status and every step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone
from typing import Any

from lookup.next_steps import next_steps
from lookup.policy import load_policy
from lookup.store import OrderStore
from lookup.working_days import working_days_between

SELLERS = {
    "hanok": {"id": "S-17", "name": "Hanok Ceramics", "email": "shop@hanok.example",
              "country": "KR"},
    "cookie": {"id": "S-21", "name": "Cookie Run Goods", "email": "help@cookiegoods.example",
               "country": "KR"},
    "kumo": {"id": "S-35", "name": "Kumo Tea House", "email": "hello@kumotea.example",
             "country": "MY"},
    "maple": {"id": "S-48", "name": "Maple Prints", "email": "orders@mapleprints.example",
              "country": "US", "policy": {"return_window_days": 30}},
}
OFFSETS = {"KR": 9, "MY": 8, "US": -5}
CARRIERS = {"KR": "CJ Logistics", "MY": "Pos Laju", "US": "UPS"}

DEFAULT_ITEMS = {
    "KR": {"sku": "MUG-2", "name": "Celadon mug", "quantity": 2, "unit_price": "18000",
           "kind": "regular"},
    "MY": {"sku": "TEA-OO", "name": "Oolong tea tin", "quantity": 1, "unit_price": "45",
           "kind": "regular"},
    "US": {"sku": "PRINT-A3", "name": "Harbour at dusk, A3 print", "quantity": 1,
           "unit_price": "24", "kind": "regular"},
}

# The store remembers the day its demo orders were dated.
DEMO_MARKER = "demo_created_on"


@dataclass(frozen=True)
class DemoOrder:
    """A demo order and what it is there to show."""

    document: dict[str, Any]
    shows: str

    @property
    def order_number(self) -> str:
        """The demo order's number."""
        return self.document["order_number"]

    @property
    def email(self) -> str:
        """The demo buyer's email."""
        return self.document["email"]


class _Maker:
    """Builds demo documents with every date counted back from `today`."""

    def __init__(self, today: date) -> None:
        self.today = today

    def at(self, seller: str, days_ago: int, hour: int = 10) -> str:
        country = SELLERS[seller]["country"]
        zone = timezone(timedelta(hours=OFFSETS[country]))
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, 0), zone).isoformat()

    def working_days_back(self, seller: str, count: int) -> int:
        """How many calendar days back lie `count` working days in the seller's country."""
        country = SELLERS[seller]["country"]
        days = 0
        while working_days_between(self.today - timedelta(days=days), self.today, country) < count:
            days += 1
        return days

    def order(self, number: int, email: str, seller: str, status: str, *, placed: int,
              paid: int | None = None, shipped: int | None = None, delivered: int | None = None,
              events: list[tuple[int, str, str, str]] = (), items: list[dict] | None = None,
              method: str = "card", **extra: Any) -> dict[str, Any]:
        info = SELLERS[seller]
        country = info["country"]
        shipping = None
        if shipped is not None:
            shipping = {
                "country": country, "international": extra.pop("international", False),
                "carrier": CARRIERS[country], "tracking_number": f"DEMO-{number}-TRK",
                "tracking_url": f"https://tracking.example/{country.lower()}/DEMO-{number}-TRK",
                "shipped_at": self.at(seller, shipped, 10),
                "delivered_at": self.at(seller, delivered, 15) if delivered is not None else None,
                "events": [{"at": self.at(seller, ago, 12), "status": code, "location": place,
                            "description": text} for ago, code, place, text in events],
            }
        items = items or [DEFAULT_ITEMS[country]]
        currency = "USD" if country == "US" else "MYR" if country == "MY" else "KRW"
        document = {
            "order_number": f"DEMO-{number}", "email": email,
            "placed_at": self.at(seller, placed, 8),
            "status": status, "seller": info, "items": items, "currency": currency,
            "total": str(sum(int(i["unit_price"]) * i["quantity"] for i in items)),
            "payment": {"method": method, "paid_at": self.at(seller, paid, 9)}
            if paid is not None else None,
            "shipping": shipping,
            "funding": None,
        }
        document.update({name: self.at(seller, ago, 11) if isinstance(ago, int) else ago
                         for name, ago in extra.items()})
        return document


def demo_orders(today: date) -> list[DemoOrder]:
    """The demo orders as they stand today."""
    m = _Maker(today)
    funding_items = [{"sku": "FIG-1", "name": "Brave Cookie figure (funding)", "quantity": 1,
                      "unit_price": "45000", "kind": "funding"}]
    coupon_items = [{"sku": "PLUSH-C", "name": "Plush with in-game coupon", "quantity": 1,
                     "unit_price": "29000", "kind": "game_coupon"}]
    stalled = m.working_days_back("hanok", 7)
    return [
        DemoOrder(m.order(1001, "mina.park@example.com", "hanok", "awaiting_payment", placed=2),
                  "Unpaid: pay by its date, or cancel"),
        DemoOrder(m.order(1002, "jun.lee@example.com", "hanok", "paid", placed=1, paid=1),
                  "Paid, not yet prepared: can still be cancelled"),
        DemoOrder({**m.order(1003, "sora.kim@example.com", "cookie", "paid", placed=4, paid=4,
                             items=funding_items),
                   "funding": {"ends_at": m.at("cookie", -10, 23)}},
                  "Funding order: cancel until the funding period ends (in 10 days)"),
        DemoOrder({**m.order(1004, "dae.han@example.com", "cookie", "paid", placed=30, paid=30,
                             items=funding_items),
                   "funding": {"ends_at": m.at("cookie", 5, 23)}},
                  "Funding period over: no cancel, ask the seller"),
        DemoOrder(m.order(1005, "ara.choi@example.com", "hanok", "preparing_shipment", placed=3,
                          paid=3),
                  "Being prepared: too late to cancel, ask the seller"),
        DemoOrder(m.order(1006, "ben.tan@example.com", "kumo", "shipped", placed=4, paid=4,
                          shipped=2, events=[(2, "picked_up", "Kuala Lumpur", "Picked up"),
                                             (1, "in_transit", "Shah Alam hub", "At sorting hub")]),
                  "On its way: carrier tracking link"),
        DemoOrder(m.order(1007, "yuna.seo@example.com", "hanok", "shipped", placed=stalled + 3,
                          paid=stalled + 3, shipped=stalled + 1,
                          events=[(stalled + 1, "picked_up", "Icheon", "Picked up"),
                                  (stalled, "in_transit", "Seoul hub", "Arrived at hub")]),
                  "Tracking stalled for 7 working days"),
        DemoOrder(m.order(1008, "amy.chen@example.com", "maple", "shipped", placed=22, paid=22,
                          shipped=20, international=True,
                          events=[(20, "picked_up", "Portland, OR", "Picked up"),
                                  (2, "customs", "Incheon", "Held at customs")]),
                  "International parcel, 20 days and still not delivered: late"),
        DemoOrder(m.order(1009, "hae.jung@example.com", "hanok", "out_for_delivery", placed=3,
                          paid=3, shipped=2, events=[(2, "picked_up", "Icheon", "Picked up"),
                                                     (0, "out_for_delivery", "Mapo-gu",
                                                      "Out for delivery")]),
                  "Out for delivery today"),
        DemoOrder(m.order(1010, "lina.wong@example.com", "kumo", "delivery_exception", placed=6,
                          paid=6, shipped=5,
                          events=[(5, "picked_up", "Kuala Lumpur", "Picked up"),
                                  (1, "exception", "Penang", "Address incomplete, parcel held")]),
                  "Delivery problem: seller, carrier and insurance"),
        DemoOrder(m.order(1011, "minho.kang@example.com", "hanok", "delivered", placed=8, paid=8,
                          shipped=6, delivered=3,
                          events=[(6, "picked_up", "Icheon", "Picked up"),
                                  (3, "delivered", "Mapo-gu", "Delivered to the door")]),
                  "Delivered 3 days ago: return, exchange, not received, confirm receipt"),
        DemoOrder(m.order(1012, "ella.moore@example.com", "maple", "delivered", placed=25, paid=25,
                          shipped=23, delivered=20),
                  "Seller's own 30-day returns: return open at day 20, exchange closed"),
        DemoOrder(m.order(1013, "hyun.baek@example.com", "hanok", "delivered", placed=26, paid=26,
                          shipped=24, delivered=20),
                  "Return window over: not-as-described claims until 3 months"),
        DemoOrder(m.order(1014, "sujin.yoo@example.com", "cookie", "delivered", placed=5, paid=5,
                          shipped=4, delivered=2, items=coupon_items),
                  "Item with an in-game coupon: return conditions"),
        DemoOrder(m.order(1015, "noah.smith@example.com", "maple", "completed", placed=125,
                          paid=125, shipped=123, delivered=120, completed_at=70),
                  "Completed: messages to the seller open for 90 days"),
        DemoOrder(m.order(1016, "gyu.shin@example.com", "hanok", "cancelled", placed=12,
                          cancelled_at=4),
                  "Cancelled before payment: nothing to refund"),
        DemoOrder(m.order(1017, "eun.oh@example.com", "hanok", "cancelled", placed=4, paid=4,
                          cancelled_at=2),
                  "Cancelled after card payment: refund in business days"),
        DemoOrder(m.order(1018, "liam.brown@example.com", "maple", "refunded", placed=15, paid=15,
                          method="paypal", cancelled_at=6, refunded_at=5),
                  "Refunded to PayPal: up to 30 days"),
        DemoOrder(m.order(1019, "mei.lim@example.com", "kumo", "return_requested", placed=14,
                          paid=14, shipped=12, delivered=8, updated_at=1),
                  "Return requested: the seller answers"),
        DemoOrder(m.order(1020, "jae.song@example.com", "hanok", "returned", placed=20, paid=20,
                          shipped=18, delivered=15, updated_at=2),
                  "Returned: refund on its way"),
    ]


def step_ids(order: DemoOrder, policy: Mapping[str, Any], today: date) -> list[str]:
    """The ids of the next steps a demo order shows today."""
    return [step["id"] for step in next_steps(order.document, policy, today)]


def demo_table(today: date, policy: Mapping[str, Any] | None = None) -> str:
    """The demo orders as a Markdown table, with the next steps each shows today."""
    policy = policy or load_policy()
    lines = ["| Order number | Email | Status | What it shows | Next steps |",
             "|---|---|---|---|---|"]
    for order in demo_orders(today):
        steps = ", ".join(f"`{step}`" for step in step_ids(order, policy, today))
        lines.append(f"| `{order.order_number}` | `{order.email}` | {order.document['status']} "
                     f"| {order.shows} | {steps} |")
    return "\n".join(lines)


def install_demo(store: OrderStore, today: date) -> int:
    """(Re)write the demo orders, dated from today, over any earlier demo copies."""
    orders = demo_orders(today)
    store.apply([order.document for order in orders], force=True)
    store.set_meta(DEMO_MARKER, today.isoformat())
    return len(orders)


def ensure_demo_store(store: OrderStore, today: date | None = None) -> bool:
    """Create the demo orders in the default store when it has none (call it only when no
    database was configured).

    Demo orders made on an earlier day are re-dated, so their next steps keep applying.
    Returns True when demo orders were written.
    """
    today = today or date.today()
    made_on = store.get_meta(DEMO_MARKER)
    if store.count() and made_on in (None, today.isoformat()):
        # Either real orders live here, or today's demo is already in place.
        return False
    install_demo(store, today)
    return True
