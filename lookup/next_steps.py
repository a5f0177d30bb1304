"""The next-steps engine: what a buyer can do about an order today, and until when.

A pure function of (order, policy, today): no Flask, no database, no clock. Windows are counted
in calendar days from the day of the event (the date in the event's own UTC offset), and a
deadline is the last day a step can still be taken: delivered on 1 March with a 14-day return
window means "return by 15 March". Working and business days skip weekends and the public
holidays of the seller's country.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from lookup.orders import MILESTONES
from lookup.orders import dig
from lookup.orders import parse_time
from lookup.policy import effective_policy
from lookup.working_days import add_working_days
from lookup.working_days import working_days_between

# Every article section a step links to, in one table: a test checks each exists in the site.
ARTICLE_LINKS: dict[str, dict[str, str]] = {
    "pay": {"label": "How to pay for an order", "url": "/payments/#pay-for-an-order"},
    "cancel": {"label": "Cancelling before shipment",
               "url": "/cancellations/#cancel-before-shipment"},
    "cancel_funding": {"label": "Cancelling a funding order",
                       "url": "/cancellations/#funding-cancellation"},
    "cancel_after_shipment": {"label": "When an order can no longer be cancelled",
                              "url": "/cancellations/#cancel-after-shipment"},
    "change_order": {"label": "Changing the address or the items",
                     "url": "/orders/change/#change-address"},
    "payment_failed": {"label": "When a payment fails",
                       "url": "/payments/problems/#payment-failed"},
    "track": {"label": "Tracking your parcel", "url": "/delivery/tracking/#track-your-parcel"},
    "tracking_stalled": {"label": "When tracking stops updating",
                         "url": "/delivery/tracking/#tracking-not-updating"},
    "late_delivery": {"label": "When a parcel is late",
                      "url": "/delivery/late-or-lost/#parcel-late"},
    "not_received": {"label": "Marked delivered but not received",
                     "url": "/delivery/late-or-lost/#delivered-not-received"},
    "delivery_problem": {"label": "Problems with a delivery",
                         "url": "/delivery/late-or-lost/#delivery-problem"},
    "delivery_insurance": {"label": "Delivery insurance claims",
                           "url": "/delivery/late-or-lost/#delivery-insurance"},
    "customs": {"label": "Customs charges and import tax",
                "url": "/delivery/customs/#customs-charges"},
    "return": {"label": "The return window", "url": "/returns/policy/#return-window"},
    "funding_returns": {"label": "Returning a funding item",
                        "url": "/returns/policy/#funding-items"},
    "exchange": {"label": "Exchanges", "url": "/returns/policy/#exchanges"},
    "not_as_described": {"label": "Items not as described",
                         "url": "/returns/policy/#not-as-described"},
    "confirm_receipt": {"label": "Confirming receipt", "url": "/orders/status/#confirm-receipt"},
    "refund_timeline": {"label": "How long refunds take", "url": "/refunds/#refund-times"},
    "refund_late": {"label": "When a refund is late", "url": "/refunds/#refund-late"},
    "contact_seller": {"label": "Contacting the seller",
                       "url": "/sellers/contact/#contact-the-seller"},
    "contact_support": {"label": "Contacting marketplace support",
                        "url": "/sellers/contact/#contact-support"},
    "open_a_case": {"label": "Opening a case with the marketplace",
                    "url": "/buyer-protection/#open-a-case"},
}

# What a buyer can still change at each stage of an order, in one table: the rules below read it
# and the cancellations article prints it (theme/hooks/stages.py), so the two never disagree.
# "yes": the buyer does it from the order page; "ask": the seller can do it when asked;
# "redirect": only the carrier can, when the seller asks it (not always possible); "no": too late.
CHANGE_ACTIONS = ("cancel", "cancel_part", "change_address")
CHANGES_BY_STAGE: dict[str, dict[str, str]] = {
    "awaiting_payment": {"cancel": "yes", "cancel_part": "ask", "change_address": "ask"},
    "paid": {"cancel": "yes", "cancel_part": "no", "change_address": "ask"},
    "preparing_shipment": {"cancel": "no", "cancel_part": "no", "change_address": "ask"},
    "shipped": {"cancel": "no", "cancel_part": "no", "change_address": "redirect"},
    "out_for_delivery": {"cancel": "no", "cancel_part": "no", "change_address": "redirect"},
    "delivery_exception": {"cancel": "no", "cancel_part": "no", "change_address": "redirect"},
    "delivered": {"cancel": "no", "cancel_part": "no", "change_address": "no"},
}


def can_change(status: str, action: str) -> str:
    """What the table says about an action at a status; 'no' for stages past it."""
    return CHANGES_BY_STAGE.get(status, {}).get(action, "no")

STEP_IDS = (
    "pay",
    "cancel",
    "track",
    "tracking_stalled",
    "late_delivery",
    "delivery_problem",
    "not_received",
    "confirm_receipt",
    "return",
    "exchange",
    "not_as_described",
    "refund_timeline",
    "contact_seller",
    "contact_support",
)

IN_TRANSIT = ("shipped", "out_for_delivery")
AFTER_DELIVERY = ("delivered", "completed")
# Statuses that close an order: the seller's message window runs from their date.
CLOSED = ("completed", "cancelled", "refunded", "returned")
# How payment methods are named to buyers; others are shown as given.
PAYMENT_METHOD_LABELS = {"card": "card", "paypal": "PayPal", "bank_transfer": "bank transfer"}


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one order, read once from its document."""

    status: str
    today: date
    rules: Mapping[str, Any]
    marketplace: Mapping[str, Any]
    country: str | None
    placed: date
    paid: date | None
    shipped: date | None
    delivered: date | None
    cancelled: date | None
    refunded: date | None
    completed: date | None
    last_update: date | None
    last_event: Mapping[str, Any] | None
    latest: date
    funding_ends: date | None
    kinds: frozenset[str]
    international: bool
    carrier: str | None
    tracking_url: str | None
    tracking_number: str | None
    payment_method: str | None


def _date(value: Any) -> date | None:
    return parse_time(value).date() if isinstance(value, str) else None


def read_facts(order: Mapping[str, Any], policy: Mapping[str, Any], today: date) -> Facts:
    """Read the dates and figures the rules use from an order document and the policy."""
    seller = order.get("seller") or {}
    shipping = order.get("shipping") or {}
    events = sorted(shipping.get("events") or [], key=lambda event: parse_time(event["at"]))
    moments = [_date(dig(order, path)) for _, path in MILESTONES]
    moments += [_date(event["at"]) for event in events]
    moments.append(_date(order.get("updated_at")))
    shipped = _date(shipping.get("shipped_at"))
    return Facts(
        status=order["status"],
        today=today,
        rules=effective_policy(policy, seller.get("policy")),
        marketplace=policy,
        country=seller.get("country") or shipping.get("country"),
        placed=_date(order["placed_at"]),
        paid=_date(dig(order, ("payment", "paid_at"))),
        shipped=shipped,
        delivered=_date(shipping.get("delivered_at")),
        cancelled=_date(order.get("cancelled_at")),
        refunded=_date(order.get("refunded_at")),
        completed=_date(order.get("completed_at")),
        last_update=_date(events[-1]["at"]) if events else shipped,
        last_event=events[-1] if events else None,
        latest=max(moment for moment in moments if moment),
        funding_ends=_date(dig(order, ("funding", "ends_at"))),
        kinds=frozenset(item.get("kind", "regular") for item in order.get("items") or []),
        international=bool(shipping.get("international")),
        carrier=shipping.get("carrier"),
        tracking_url=shipping.get("tracking_url"),
        tracking_number=shipping.get("tracking_number"),
        payment_method=dig(order, ("payment", "method")),
    )


# -- wording helpers ----------------------------------------------------------------------------


def human_date(day: date) -> str:
    """A date as buyers read it: 'Saturday 6 December 2025'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _left(deadline: date, today: date) -> str:
    left = (deadline - today).days
    return "today is the last day" if left == 0 else f"{_days(left)} left"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _seller_note(facts: Facts, name: str) -> str:
    """Say so when the seller's own policy sets the figure, since it differs from the articles."""
    if facts.rules.get(name) == facts.marketplace.get(name):
        return ""
    return f" (this seller's own policy; the marketplace default is {facts.marketplace.get(name)})"


def _links(*names: str) -> list[dict[str, str]]:
    return [dict(ARTICLE_LINKS[name]) for name in names]


def _step(step_id: str, title: str, detail: str, deadline: date | None = None,
          links: list[dict[str, str]] | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"id": step_id, "title": title, "detail": detail}
    if deadline is not None:
        step["deadline"] = deadline.isoformat()
    step["links"] = links if links is not None else _links(step_id)
    return step


# -- the rules: each returns its step when it applies to the order today, else None -------------

Step = dict[str, Any]


def pay_deadline(facts: Facts) -> date:
    """The last day to pay before the order is cancelled for want of payment."""
    return facts.placed + timedelta(days=facts.rules["unpaid_cancel_days"])


def pay(facts: Facts) -> Step | None:
    """Pay before the unpaid-order cancellation date."""
    if facts.status != "awaiting_payment":
        return None
    deadline = pay_deadline(facts)
    if facts.today > deadline:
        return None
    days = facts.rules["unpaid_cancel_days"]
    return _step(
        "pay", "Pay for your order",
        f"The seller is waiting for your payment. Unpaid orders are cancelled automatically "
        f"{_days(days)} after they are placed, so pay by {human_date(deadline)} "
        f"({_left(deadline, facts.today)}) to keep this one.",
        deadline,
        _links("pay", "payment_failed"),
    )


def cancel(facts: Facts) -> Step | None:
    """Cancel at the stages CHANGES_BY_STAGE allows; funding only until its period ends."""
    if can_change(facts.status, "cancel") != "yes":
        return None
    if facts.status == "awaiting_payment" and facts.today > pay_deadline(facts):
        return None
    if "funding" in facts.kinds and facts.funding_ends is not None:
        if facts.today > facts.funding_ends:
            return None
        return _step(
            "cancel", "Cancel your funding order",
            f"This is a funding order: production is paid for in advance. You can cancel it until "
            f"the funding period ends on {human_date(facts.funding_ends)} "
            f"({_left(facts.funding_ends, facts.today)}); after that it cannot be cancelled.",
            facts.funding_ends,
            _links("cancel_funding", "cancel"),
        )
    if facts.status == "awaiting_payment":
        detail = ("You have not paid yet, so you can cancel at any time from your order page. "
                  "If you simply do not pay, the order is cancelled automatically.")
        if can_change(facts.status, "cancel_part") == "ask":
            detail += " To drop some items or change quantities, ask the seller before you pay."
    else:
        detail = ("The seller has not started preparing your parcel yet, so you can still cancel "
                  "from your order page. Once preparation starts, cancelling is no longer "
                  "possible.")
    return _step("cancel", "Cancel the order", detail)


def track(facts: Facts) -> Step | None:
    """Follow the parcel with the carrier's own tracking while it is on its way."""
    if facts.status not in (*IN_TRANSIT, "delivery_exception"):
        return None
    if not (facts.tracking_url or facts.tracking_number):
        return None
    carrier = facts.carrier or "the carrier"
    detail = f"Your parcel is with {carrier}"
    if facts.tracking_number:
        detail += f" under tracking number {facts.tracking_number}"
    detail += ". The carrier's page shows the latest scans, often before they reach us."
    links = _links("track")
    if facts.tracking_url:
        links.append({"label": f"Track with {carrier}", "url": facts.tracking_url})
    return _step("track", "Track your parcel", detail, links=links)


def tracking_stalled(facts: Facts) -> Step | None:
    """Tracking stalled: no carrier update for the threshold in working days."""
    if facts.status not in IN_TRANSIT or facts.last_update is None:
        return None
    threshold = facts.rules["tracking_stall_working_days"]
    quiet = working_days_between(facts.last_update, facts.today, facts.country)
    if quiet < threshold:
        return None
    return _step(
        "tracking_stalled", "Tracking has not moved",
        f"The tracking has not changed since {human_date(facts.last_update)}: {quiet} working "
        f"days. Carriers sometimes skip scans during customs or sorting, but after {threshold} "
        f"working days without news, ask the seller to check with the carrier.",
    )


def late_delivery(facts: Facts) -> Step | None:
    """Late: shipped longer ago than the late-delivery threshold and still not delivered."""
    if facts.status not in (*IN_TRANSIT, "delivery_exception") or facts.shipped is None:
        return None
    threshold = facts.rules["late_delivery_days"]
    since = (facts.today - facts.shipped).days
    if facts.delivered is not None or since < threshold:
        return None
    return _step(
        "late_delivery", "Your parcel is late",
        f"It was shipped on {human_date(facts.shipped)}, {_days(since)} ago, and parcels that take "
        f"more than {_days(threshold)}{_seller_note(facts, 'late_delivery_days')} count as late. "
        "Ask the seller to open an investigation with the carrier; if the parcel is lost, "
        "you get a new one or your money back.",
    )


def delivery_problem(facts: Facts) -> Step | None:
    """Delivery exception: contact seller and carrier, and claim on the insurance if lost."""
    if facts.status != "delivery_exception":
        return None
    what = ""
    if facts.last_event and facts.last_event.get("description"):
        what = f" (\u201c{facts.last_event['description']}\u201d)"
    carrier = facts.carrier or "the carrier"
    links = _links("delivery_problem", "delivery_insurance")
    if facts.international:
        links += _links("customs")
    return _step(
        "delivery_problem", "Sort out the delivery problem",
        f"{carrier} reported a problem delivering your parcel{what}. Tell the seller and check "
        f"with {carrier} what is needed to deliver it. If the parcel is lost or damaged, the "
        "seller claims on the delivery insurance and sends a replacement or refunds you.",
        links=links,
    )


def not_received(facts: Facts) -> Step | None:
    """Report a parcel marked delivered that never reached the buyer."""
    if facts.status != "delivered":
        return None
    return _step(
        "not_received", "Marked delivered but not with you?",
        "Check with neighbours, your building's reception and your mailbox; carriers sometimes "
        "scan parcels as delivered a day early. If it still has not turned up, tell the seller so "
        "they can start a trace with the carrier.",
    )


def confirm_receipt(facts: Facts) -> Step | None:
    """Confirm receipt once delivered, before the order completes by itself."""
    if facts.status != "delivered":
        return None
    deadline = None
    start = facts.shipped or facts.delivered
    if start is not None:
        deadline = start + timedelta(days=facts.rules["auto_complete_days"])
        if facts.today > deadline:
            return None
    detail = "If everything arrived as ordered, confirm receipt so the seller is paid."
    if deadline is not None:
        detail += (f" Otherwise the order completes by itself on {human_date(deadline)}, "
                   f"{_days(facts.rules['auto_complete_days'])} after shipment. Do not confirm "
                   "if something is wrong: ask for a return or an exchange first.")
    return _step("confirm_receipt", "Confirm you received it", detail, deadline)


def _window_end(facts: Facts, name: str) -> date | None:
    if facts.status not in AFTER_DELIVERY or facts.delivered is None:
        return None
    return facts.delivered + timedelta(days=facts.rules[name])


def return_(facts: Facts) -> Step | None:
    """Return within the return window after delivery (seller's window where it sets one)."""
    deadline = _window_end(facts, "return_window_days")
    # Funding items have no change-of-mind return: only exchange and not-as-described apply.
    if deadline is None or facts.today > deadline or facts.kinds == {"funding"}:
        return None
    days = facts.rules["return_window_days"]
    detail = (f"You can ask for a return until {human_date(deadline)} "
              f"({_left(deadline, facts.today)}): {_days(days)} from delivery"
              f"{_seller_note(facts, 'return_window_days')}. Keep the tags and packaging; "
              "for a change of mind, the return postage is yours.")
    if "game_coupon" in facts.kinds:
        detail += (" Items with in-game codes: rewards already redeemed are taken back, and the "
                   "item cannot be returned once its packaging is opened.")
    links = _links("return")
    if "funding" in facts.kinds:
        detail += " Funding items in this order cannot be returned for a change of mind."
        links += _links("funding_returns")
    return _step("return", "Return it", detail, deadline, links)


def exchange(facts: Facts) -> Step | None:
    """Exchange a damaged, defective or wrong item within the exchange window."""
    deadline = _window_end(facts, "exchange_window_days")
    if deadline is None or facts.today > deadline:
        return None
    days = facts.rules["exchange_window_days"]
    return _step(
        "exchange", "Exchange a damaged or wrong item",
        f"If an item arrived damaged, defective or not what you ordered, ask for an exchange by "
        f"{human_date(deadline)} ({_left(deadline, facts.today)}): {_days(days)} from delivery"
        f"{_seller_note(facts, 'exchange_window_days')}. The seller pays the postage.",
        deadline,
    )


def not_as_described(facts: Facts) -> Step | None:
    """After the return window: not-as-described claims until their longer window closes."""
    returns_end = _window_end(facts, "return_window_days")
    if returns_end is None or facts.today <= returns_end:
        return None
    months = facts.rules["not_as_described_window_months"]
    deadline = add_months(facts.delivered, months)
    if facts.today > deadline:
        return None
    discovery = facts.rules["not_as_described_discovery_days"]
    return _step(
        "not_as_described", "Item not as described?",
        f"The return window has closed, but if the item does not match its description you can "
        f"still claim until {human_date(deadline)} ({_left(deadline, facts.today)}): {months} "
        f"months from delivery{_seller_note(facts, 'not_as_described_window_months')}, or "
        f"within {_days(discovery)} of finding the fault. Keep photos of the item and packaging.",
        deadline,
    )


def refund_start(facts: Facts) -> date | None:
    """The day a refund was triggered: the cancellation, the refund or the accepted return."""
    if facts.status == "refunded":
        return facts.refunded or facts.cancelled or facts.latest
    if facts.status == "cancelled":
        return facts.cancelled or facts.latest
    if facts.status == "returned":
        return facts.latest
    return None


def refund_timeline(facts: Facts) -> Step | None:
    """Cancelled, returned or refunded after payment: when the money should arrive."""
    start = refund_start(facts)
    if start is None or (facts.paid is None and facts.status == "cancelled"):
        return None
    method = facts.payment_method or ""
    method_label = PAYMENT_METHOD_LABELS.get(method, method or "your payment method")
    rules = facts.rules
    if method == "paypal":
        deadline = start + timedelta(days=rules["refund_paypal_days_max"])
        how_long = f"PayPal refunds can take up to {_days(rules['refund_paypal_days_max'])}"
    else:
        deadline = add_working_days(start, rules["refund_business_days_max"], facts.country)
        how_long = (f"refunds reach your {method_label} within "
                    f"{rules['refund_business_days_min']} to {rules['refund_business_days_max']} "
                    "business days")
    if facts.today > max(deadline, start + timedelta(days=rules["message_window_days"])):
        return None
    what = {"refunded": "the refund", "cancelled": "the cancellation",
            "returned": "the accepted return"}[facts.status]
    detail = (f"The money goes back the way you paid. Counting from {what} on "
              f"{human_date(start)}, {how_long}: expect it by {human_date(deadline)}.")
    links = _links("refund_timeline")
    if facts.today > deadline:
        detail += " If it has not arrived, ask the seller for the refund reference, then support."
        links += _links("refund_late")
    return _step("refund_timeline", "When your refund arrives", detail, deadline, links)


def closed_on(facts: Facts) -> date | None:
    """The day the order was closed, from which the seller's message window runs."""
    if facts.status == "completed":
        if facts.completed:
            return facts.completed
        if facts.shipped:
            return facts.shipped + timedelta(days=facts.rules["auto_complete_days"])
        return facts.latest
    if facts.status in CLOSED:
        return refund_start(facts)
    return None


def contact_seller(facts: Facts) -> Step | None:
    """Always a way to the seller, while the marketplace keeps the conversation open."""
    closed = closed_on(facts)
    deadline = None
    if closed is not None:
        deadline = closed + timedelta(days=facts.rules["message_window_days"])
        if facts.today > deadline:
            return None
    links = _links("contact_seller")
    if facts.status in ("preparing_shipment", *IN_TRANSIT):
        detail = ("The seller has started on this order, so it can no longer be cancelled here. "
                  "To change the delivery address, ask the seller; once it arrives you can "
                  "return it instead.")
        links += _links("cancel_after_shipment")
    elif (facts.status == "paid" and "funding" in facts.kinds and facts.funding_ends
          and facts.today > facts.funding_ends):
        detail = (f"The funding period ended on {human_date(facts.funding_ends)} and production "
                  "has started, so this order can no longer be cancelled. Questions about it go "
                  "to the seller.")
        links += _links("cancel_funding")
    elif facts.status == "awaiting_payment" and facts.today > pay_deadline(facts):
        detail = ("The time to pay has passed, so this order is being cancelled. If you still "
                  "want the items, ask the seller.")
    elif facts.status == "return_requested":
        detail = ("Your return request is with the seller, who tells you how to send the item "
                  "back. Reply from your order page if they ask for photos or details.")
        links += _links("return")
    elif facts.status == "delivery_exception":
        detail = ("The seller deals with the carrier for you: tell them what the carrier said "
                  "and how to reach you.")
    else:
        detail = "Questions about this order go to the seller first: message them or send an email."
    if can_change(facts.status, "change_address") != "no":
        links += _links("change_order")
    if deadline is not None:
        detail += (f" Messages stay open until {human_date(deadline)}, "
                   f"{_days(facts.rules['message_window_days'])} after the order closed.")
    return _step("contact_seller", "Contact the seller", detail, deadline, links)


def contact_support(facts: Facts) -> Step | None:
    """Support, for when the seller does not answer."""
    wait = facts.rules["seller_reply_working_days"]
    note = _seller_note(facts, "seller_reply_working_days")
    return _step(
        "contact_support", "Seller not answering?",
        f"Give the seller {wait} working days to answer{note}. "
        "If they have not, or you cannot agree, marketplace support can step in: give them your "
        "order number.",
        links=_links("contact_support", "open_a_case"),
    )


RULES: tuple[Callable[[Facts], Step | None], ...] = (
    pay,
    cancel,
    track,
    tracking_stalled,
    late_delivery,
    delivery_problem,
    not_received,
    confirm_receipt,
    return_,
    exchange,
    not_as_described,
    refund_timeline,
    contact_seller,
    contact_support,
)


def next_steps(order: Mapping[str, Any], policy: Mapping[str, Any], today: date) -> list[Step]:
    """The steps that apply to a (validated) order today, most pressing kind first."""
    facts = read_facts(order, policy, today)
    return [step for rule in RULES if (step := rule(facts)) is not None]
