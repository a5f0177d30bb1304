"""The next-steps engine: every rule and every status, table-driven on the pure function."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lookup import next_steps as engine
from lookup.next_steps import ARTICLE_LINKS
from lookup.next_steps import STEP_IDS
from lookup.next_steps import add_months
from lookup.next_steps import next_steps
from lookup.orders import STATUSES
from lookup.policy import load_policy
from lookup.schema import validate_order
from lookup.working_days import add_working_days
from lookup.working_days import working_days_between
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

POLICY = load_policy()
TODAY = date(2026, 3, 16)  # a Monday
ALWAYS = ["contact_seller", "contact_support"]
UNPAID = {"payment": None}


def seller(**policy: Any) -> dict[str, Any]:
    """The default seller, with its own store policy."""
    return {**make_order()["seller"], "policy": policy}


def event(at: str, status: str = "in_transit", description: str = "At hub") -> dict[str, str]:
    """A carrier scan on a day, at noon Korean time."""
    return {"at": f"{at}T12:00:00+09:00", "status": status, "location": "Seoul hub",
            "description": description}


def ts(day: str) -> str:
    """A moment on a day, Korean time."""
    return f"{day}T11:00:00+09:00"


FUNDING = {"items": [{"name": "Figure", "quantity": 1, "unit_price": "45000", "kind": "funding"}]}
COUPON = {"items": [{"name": "Plush", "quantity": 1, "unit_price": "29000", "kind": "game_coupon"}]}

# (case, changes to the base order, expected step ids in order, expected deadlines by id)
CASES: list[tuple[str, dict[str, Any], list[str], dict[str, str | None]]] = [
    ("unpaid: pay by the cancellation date, or cancel",
     {"status": "awaiting_payment", "placed_at": ts("2026-03-12"), **UNPAID},
     ["pay", "cancel", *ALWAYS], {"pay": "2026-03-19", "cancel": None}),
    ("unpaid: the last day to pay is today",
     {"status": "awaiting_payment", "placed_at": ts("2026-03-09"), **UNPAID},
     ["pay", "cancel", *ALWAYS], {"pay": "2026-03-16"}),
    ("unpaid past the date: no pay, no cancel",
     {"status": "awaiting_payment", "placed_at": ts("2026-03-08"), **UNPAID},
     ALWAYS, {}),
    ("paid, not yet prepared: cancel",
     {"status": "paid"}, ["cancel", *ALWAYS], {"cancel": None}),
    ("funding: cancel until the funding period ends",
     {"status": "paid", **FUNDING, "funding": {"ends_at": ts("2026-03-20")}},
     ["cancel", *ALWAYS], {"cancel": "2026-03-20"}),
    ("funding on its last day",
     {"status": "paid", **FUNDING, "funding": {"ends_at": ts("2026-03-16")}},
     ["cancel", *ALWAYS], {"cancel": "2026-03-16"}),
    ("funding ended: never cancel",
     {"status": "paid", **FUNDING, "funding": {"ends_at": ts("2026-03-15")}},
     ALWAYS, {}),
    ("unpaid funding order: cancel until the funding ends",
     {"status": "awaiting_payment", "placed_at": ts("2026-03-12"), **UNPAID, **FUNDING,
      "funding": {"ends_at": ts("2026-03-18")}},
     ["pay", "cancel", *ALWAYS], {"cancel": "2026-03-18"}),
    ("preparing: no cancel, ask the seller",
     {"status": "preparing_shipment"}, ALWAYS, {}),
    ("shipped: track",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-13"),
                                                events=[event("2026-03-14")])},
     ["track", *ALWAYS], {"track": None}),
    ("shipped without tracking: nothing to track",
     {"status": "shipped", "shipping": {"shipped_at": ts("2026-03-13")}}, ALWAYS, {}),
    ("tracking stalled: 6 working days without a scan",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-04"),
                                                events=[event("2026-03-06")])},
     ["track", "tracking_stalled", *ALWAYS], {}),
    ("tracking quiet for 4 working days only: not stalled",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-09"),
                                                events=[event("2026-03-10")])},
     ["track", *ALWAYS], {}),
    ("stall counted from shipment when there is no scan",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-06"))},
     ["track", "tracking_stalled", *ALWAYS], {}),
    ("late: shipped 14 days ago and not delivered",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-02"),
                                                events=[event("2026-03-15")])},
     ["track", "late_delivery", *ALWAYS], {}),
    ("13 days: not late yet",
     {"status": "shipped", "shipping": shipping(shipped_at=ts("2026-03-03"),
                                                events=[event("2026-03-15")])},
     ["track", *ALWAYS], {}),
    ("seller's longer late threshold is ignored: it would make buyers wait longer",
     {"status": "shipped", "seller": seller(late_delivery_days=20),
      "shipping": shipping(shipped_at=ts("2026-03-01"), events=[event("2026-03-15")])},
     ["track", "late_delivery", *ALWAYS], {}),
    ("seller's shorter late threshold applies",
     {"status": "shipped", "seller": seller(late_delivery_days=10),
      "shipping": shipping(shipped_at=ts("2026-03-05"), events=[event("2026-03-15")])},
     ["track", "late_delivery", *ALWAYS], {}),
    ("out for delivery: track",
     {"status": "out_for_delivery", "shipping": shipping(
         shipped_at=ts("2026-03-13"), events=[event("2026-03-16", "out_for_delivery")])},
     ["track", *ALWAYS], {}),
    ("delivery exception: seller, carrier and insurance",
     {"status": "delivery_exception", "shipping": shipping(
         shipped_at=ts("2026-03-12"), events=[event("2026-03-15", "exception", "Damaged")])},
     ["track", "delivery_problem", *ALWAYS], {}),
    ("delivery exception long after shipment is late too",
     {"status": "delivery_exception", "shipping": shipping(
         shipped_at=ts("2026-02-20"), events=[event("2026-03-15", "exception", "Held")])},
     ["track", "late_delivery", "delivery_problem", *ALWAYS], {}),
    ("delivered: return, exchange, not received, confirm receipt",
     {"status": "delivered", "shipping": shipping(delivered_at=ts("2026-03-13"))},
     ["not_received", "confirm_receipt", "return", "exchange", *ALWAYS],
     {"return": "2026-03-27", "exchange": "2026-03-27", "confirm_receipt": "2026-04-23",
      "not_received": None}),
    ("return window's last day",
     {"status": "delivered", "shipping": shipping(delivered_at=ts("2026-03-02"))},
     ["not_received", "confirm_receipt", "return", "exchange", *ALWAYS],
     {"return": "2026-03-16"}),
    ("return window closed: not as described for 3 months",
     {"status": "delivered", "shipping": shipping(delivered_at=ts("2026-03-01"))},
     ["not_received", "confirm_receipt", "not_as_described", *ALWAYS],
     {"not_as_described": "2026-06-01"}),
    ("seller's shorter return window is ignored: the marketplace's applies",
     {"status": "delivered", "seller": seller(return_window_days=7),
      "shipping": shipping(delivered_at=ts("2026-03-06"))},
     ["not_received", "confirm_receipt", "return", "exchange", *ALWAYS],
     {"return": "2026-03-20"}),
    ("funding item delivered: no change-of-mind return, exchange only",
     {"status": "delivered", **FUNDING, "funding": {"ends_at": ts("2026-01-20")},
      "shipping": shipping(delivered_at=ts("2026-03-13"))},
     ["not_received", "confirm_receipt", "exchange", *ALWAYS], {"exchange": "2026-03-27"}),
    ("seller's 30-day return window, exchange closed",
     {"status": "delivered", "seller": seller(return_window_days=30),
      "shipping": shipping(delivered_at=ts("2026-03-01"))},
     ["not_received", "confirm_receipt", "return", *ALWAYS], {"return": "2026-03-31"}),
    ("seller's longer not-as-described window",
     {"status": "delivered", "seller": seller(not_as_described_window_months=6),
      "shipping": shipping(shipped_at=ts("2026-01-01"), delivered_at=ts("2025-11-30"))},
     ["not_received", "not_as_described", *ALWAYS], {"not_as_described": "2026-05-30"}),
    ("everything closed long ago but still delivered",
     {"status": "delivered", "shipping": shipping(shipped_at=ts("2025-11-28"),
                                                  delivered_at=ts("2025-12-01"))},
     ["not_received", *ALWAYS], {}),
    ("completed: returns still open, messages open for 90 days",
     {"status": "completed", "completed_at": ts("2026-03-12"),
      "shipping": shipping(delivered_at=ts("2026-03-10"))},
     ["return", "exchange", *ALWAYS], {"contact_seller": "2026-06-10"}),
    ("completed long ago: only support",
     {"status": "completed", "completed_at": ts("2025-11-01"),
      "shipping": shipping(shipped_at=ts("2025-09-01"), delivered_at=ts("2025-09-05"))},
     ["contact_support"], {}),
    ("completed without a date: 50 days after shipment",
     {"status": "completed", "shipping": shipping(shipped_at=ts("2026-01-01"),
                                                  delivered_at=ts("2026-01-04"))},
     ["not_as_described", *ALWAYS], {"contact_seller": "2026-05-21"}),
    ("cancelled before payment: no refund",
     {"status": "cancelled", "cancelled_at": ts("2026-03-12"), **UNPAID},
     ALWAYS, {"contact_seller": "2026-06-10"}),
    ("cancelled after card payment: refund within business days",
     {"status": "cancelled", "cancelled_at": ts("2026-03-12")},
     ["refund_timeline", *ALWAYS], {"refund_timeline": "2026-03-23"}),
    ("refunded to PayPal: up to 30 days",
     {"status": "refunded", "refunded_at": ts("2026-03-10"),
      "payment": {"method": "paypal", "paid_at": ts("2026-03-01")}},
     ["refund_timeline", *ALWAYS], {"refund_timeline": "2026-04-09"}),
    ("refunded long ago: the timeline has gone",
     {"status": "refunded", "refunded_at": ts("2025-10-01")}, ["contact_support"], {}),
    ("return requested: the seller answers",
     {"status": "return_requested", "shipping": shipping(delivered_at=ts("2026-03-10"))},
     ALWAYS, {"contact_seller": None}),
    ("returned: refund from the latest event",
     {"status": "returned", "updated_at": ts("2026-03-13"),
      "shipping": shipping(delivered_at=ts("2026-03-06"))},
     ["refund_timeline", *ALWAYS], {"refund_timeline": "2026-03-24"}),
]


@pytest.mark.parametrize("changes, expected, deadlines",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_rules(changes, expected, deadlines):
    order = validate_order(make_order(**changes))
    steps = next_steps(order, POLICY, TODAY)
    assert [step["id"] for step in steps] == expected
    by_id = {step["id"]: step for step in steps}
    for step_id, deadline in deadlines.items():
        assert by_id[step_id].get("deadline") == deadline, step_id


def test_cases_cover_every_status_and_every_step():
    statuses = {case[1].get("status", "paid") for case in CASES}
    assert statuses == set(STATUSES)
    ids = {step_id for case in CASES for step_id in case[2]}
    assert ids == set(STEP_IDS)


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_gives_well_formed_steps(status):
    order = validate_order(make_order(status=status, shipping=shipping(
        delivered_at=ts("2026-03-10"), events=[event("2026-03-08")])))
    steps = next_steps(order, POLICY, TODAY)
    assert steps[-1]["id"] == "contact_support"
    article_urls = {link["url"] for link in ARTICLE_LINKS.values()}
    for step in steps:
        assert step["id"] in STEP_IDS
        assert step["title"] and step["detail"]
        assert set(step) <= {"id", "title", "detail", "deadline", "links"}
        # The first link is always the article section that explains the step.
        assert step["links"][0]["url"] in article_urls
        if "deadline" in step:
            assert date.fromisoformat(step["deadline"]) >= TODAY


def test_step_links_point_to_their_sections():
    order = validate_order(make_order(status="paid", **FUNDING,
                                      funding={"ends_at": ts("2026-03-20")}))
    cancel = next_steps(order, POLICY, TODAY)[0]
    assert cancel["links"][0]["url"] == "/cancellations/#funding-cancellation"
    order = validate_order(make_order(status="preparing_shipment"))
    contact = next_steps(order, POLICY, TODAY)[0]
    assert [link["url"] for link in contact["links"]] == [
        "/sellers/contact/#contact-the-seller", "/cancellations/#cancel-after-shipment",
        "/orders/change/#change-address"]
    order = validate_order(make_order(status="delivery_exception", shipping=shipping()))
    problem = next(s for s in next_steps(order, POLICY, TODAY) if s["id"] == "delivery_problem")
    assert [link["url"] for link in problem["links"]] == [
        "/delivery/late-or-lost/#delivery-problem", "/delivery/late-or-lost/#delivery-insurance"]
    order = validate_order(make_order(status="shipped", shipping=shipping()))
    track = next_steps(order, POLICY, TODAY)[0]
    assert track["links"][1]["url"] == "https://tracking.example/cj/5520-1188-0021"


def test_details_print_the_figures_that_apply():
    order = validate_order(make_order(status="delivered", seller=seller(return_window_days=30),
                                      shipping=shipping(delivered_at=ts("2026-03-13"))))
    steps = {s["id"]: s for s in next_steps(order, POLICY, TODAY)}
    assert "30 days from delivery" in steps["return"]["detail"]
    assert "this seller's own policy" in steps["return"]["detail"]
    assert "14 days from delivery" in steps["exchange"]["detail"]
    assert "this seller" not in steps["exchange"]["detail"]
    assert "Friday 27 March 2026" in steps["exchange"]["detail"]


def test_game_coupon_returns_warn_about_rewards():
    order = validate_order(make_order(status="delivered", **COUPON,
                                      shipping=shipping(delivered_at=ts("2026-03-13"))))
    step = next(s for s in next_steps(order, POLICY, TODAY) if s["id"] == "return")
    assert "in-game" in step["detail"]


def test_seller_overrides_only_what_it_may():
    order = validate_order(make_order(status="awaiting_payment", **UNPAID,
                                      placed_at=ts("2026-03-12"),
                                      seller=seller(unpaid_cancel_days=60)))
    pay = next_steps(order, POLICY, TODAY)[0]
    assert pay["deadline"] == "2026-03-19"


def test_working_days_skip_the_sellers_public_holidays():
    # 2 March 2026 is a public holiday in Korea (Independence Movement Day, observed).
    assert working_days_between(date(2026, 2, 26), date(2026, 3, 5), "KR") == 4
    assert working_days_between(date(2026, 2, 26), date(2026, 3, 5), "US") == 5
    assert add_working_days(date(2026, 2, 27), 1, "KR") == date(2026, 3, 3)
    assert add_working_days(date(2026, 2, 27), 1, "XX") == date(2026, 3, 2)


def test_stall_threshold_counts_working_days_in_the_sellers_country():
    def stalled(country: str) -> bool:
        order = validate_order(make_order(
            status="shipped", seller={**make_order()["seller"], "country": country},
            shipping=shipping(shipped_at=ts("2026-02-25"), events=[event("2026-02-26")])))
        ids = [s["id"] for s in next_steps(order, POLICY, date(2026, 3, 5))]
        return "tracking_stalled" in ids
    assert stalled("US") and not stalled("KR")


def test_add_months_keeps_to_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 1), 3) == date(2026, 6, 1)


def test_engine_is_pure():
    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert not modules & {"flask", "sqlalchemy", "time", "os"}
    source = Path(engine.__file__).read_text(encoding="utf-8")
    assert "date.today" not in source and "datetime.now" not in source


def test_cancel_step_follows_the_stage_table():
    """The engine offers a cancel step exactly where CHANGES_BY_STAGE says the buyer may cancel."""
    assert set(engine.CHANGES_BY_STAGE) <= set(STATUSES)
    for status, answers in engine.CHANGES_BY_STAGE.items():
        assert set(answers) == set(engine.CHANGE_ACTIONS), status
        order = validate_order(make_order(status=status, placed_at=ts("2026-03-14"),
                                          shipping=shipping(delivered_at=ts("2026-03-15"))))
        ids = [step["id"] for step in next_steps(order, POLICY, TODAY)]
        assert ("cancel" in ids) == (answers["cancel"] == "yes"), status


def test_partial_cancellation_only_before_payment():
    """Dropping items is offered (through the seller) only while the order is unpaid."""
    unpaid = validate_order(make_order(status="awaiting_payment", placed_at=ts("2026-03-14"),
                                       **UNPAID))
    paid = validate_order(make_order(status="paid"))
    assert "drop some items" in next_steps(unpaid, POLICY, TODAY)[1]["detail"]
    assert "drop some items" not in next_steps(paid, POLICY, TODAY)[0]["detail"]
    assert engine.can_change("paid", "cancel_part") == "no"
    assert engine.can_change("completed", "cancel") == "no"


def test_steps_link_to_the_new_topics():
    """Steps lead to the sections on address changes, customs, payment and refund problems."""
    def links(order, step_id, today=TODAY):
        step = next(s for s in next_steps(validate_order(order), POLICY, today)
                    if s["id"] == step_id)
        return [link["url"] for link in step["links"]]

    assert "/orders/change/#change-address" in links(make_order(status="paid"), "contact_seller")
    assert "/orders/change/#change-address" not in links(
        make_order(status="delivered", shipping=shipping(delivered_at=ts("2026-03-13"))),
        "contact_seller")
    abroad = shipping(international=True)
    assert "/delivery/customs/#customs-charges" in links(
        make_order(status="delivery_exception", shipping=abroad), "delivery_problem")
    assert "/delivery/customs/#customs-charges" not in links(
        make_order(status="delivery_exception", shipping=shipping()), "delivery_problem")
    assert "/payments/problems/#payment-failed" in links(
        make_order(status="awaiting_payment", placed_at=ts("2026-03-14"), **UNPAID), "pay")
    late_refund = make_order(status="cancelled", cancelled_at=ts("2026-03-02"))
    assert "/refunds/#refund-late" in links(late_refund, "refund_timeline")
    assert "/refunds/#refund-late" not in links(late_refund, "refund_timeline", date(2026, 3, 5))
    assert links(make_order(), "contact_support") == [
        "/sellers/contact/#contact-support", "/buyer-protection/#open-a-case"]
    mixed = make_order(status="delivered", items=[*FUNDING["items"], *COUPON["items"]],
                       funding={"ends_at": ts("2026-01-20")},
                       shipping=shipping(delivered_at=ts("2026-03-13")))
    assert "/returns/policy/#funding-items" in links(mixed, "return")


def test_cached_wording_follows_language_and_day():
    """Links and "days left" are worded once each: another language or day still gets its own,
    and every step gets its own link dicts."""
    order = make_order(status="delivered", shipping=shipping(delivered_at=ts("2026-03-10")))

    def step(lang: str, today: date) -> dict[str, Any]:
        return next(s for s in next_steps(order, POLICY, today, lang) if s["id"] == "return")

    for _ in range(2):  # the second time from what was worked out the first
        english, korean = step("en", TODAY), step("ko", TODAY)
        assert english["links"] == [{"label": "The return window",
                                     "url": "/returns/policy/#return-window"}]
        assert korean["links"][0]["url"] == "/ko/returns/policy/#return-window"
        assert korean["links"][0]["label"] != english["links"][0]["label"]
        assert "(8 days left)" in english["detail"]
        assert "(1 day left)" in step("en", date(2026, 3, 23))["detail"]
        assert "(today is the last day)" in step("en", date(2026, 3, 24))["detail"]
    english["links"][0]["label"] = "changed"
    assert step("en", TODAY)["links"][0]["label"] == "The return window"
    # The same step filled with another seller's figures is worded anew.
    order["seller"] = seller(return_window_days=30)
    own = step("en", TODAY)["detail"]
    assert "(24 days left)" in own and "default is 14)" in own
