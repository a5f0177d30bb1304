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
from datetime import date
from datetime import timedelta
from functools import lru_cache
from typing import Any
from typing import NamedTuple

from lookup import messages
from lookup.messages import DEFAULT_LANG
from lookup.orders import MILESTONES
from lookup.orders import dig
from lookup.orders import parse_time
from lookup.policy import effective_policy
from lookup.working_days import add_working_days
from lookup.working_days import working_days_between

# Every article section a step links to, in one table: a test checks each exists in the site.
# Their titles are in the catalogues (lookup/messages, "links"); a Korean answer adds "/ko".
ARTICLE_LINKS: dict[str, dict[str, str]] = {
    "pay": {"url": "/payments/#pay-for-an-order"},
    "cancel": {"url": "/cancellations/#cancel-before-shipment"},
    "cancel_funding": {"url": "/cancellations/#funding-cancellation"},
    "cancel_after_shipment": {"url": "/cancellations/#cancel-after-shipment"},
    "change_order": {"url": "/orders/change/#change-address"},
    "payment_failed": {"url": "/payments/problems/#payment-failed"},
    "track": {"url": "/delivery/tracking/#track-your-parcel"},
    "tracking_stalled": {"url": "/delivery/tracking/#tracking-not-updating"},
    "late_delivery": {"url": "/delivery/late-or-lost/#parcel-late"},
    "not_received": {"url": "/delivery/late-or-lost/#delivered-not-received"},
    "delivery_problem": {"url": "/delivery/late-or-lost/#delivery-problem"},
    "delivery_insurance": {"url": "/delivery/late-or-lost/#delivery-insurance"},
    "customs": {"url": "/delivery/customs/#customs-charges"},
    "return": {"url": "/returns/policy/#return-window"},
    "funding_returns": {"url": "/returns/policy/#funding-items"},
    "exchange": {"url": "/returns/policy/#exchanges"},
    "not_as_described": {"url": "/returns/policy/#not-as-described"},
    "confirm_receipt": {"url": "/orders/status/#confirm-receipt"},
    "refund_timeline": {"url": "/refunds/#refund-times"},
    "refund_late": {"url": "/refunds/#refund-late"},
    "contact_seller": {"url": "/sellers/contact/#contact-the-seller"},
    "contact_support": {"url": "/sellers/contact/#contact-support"},
    "open_a_case": {"url": "/buyer-protection/#open-a-case"},
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


class Facts(NamedTuple):
    """What the rules need to know about one order, read once from its document.

    A named tuple rather than a frozen dataclass: as immutable, and made in half the time.
    """

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
    lang: str = DEFAULT_LANG


def _date(value: Any) -> date | None:
    return parse_time(value).date() if isinstance(value, str) else None


def read_facts(order: Mapping[str, Any], policy: Mapping[str, Any], today: date,
               lang: str = DEFAULT_LANG) -> Facts:
    """Read the dates and figures the rules use from an order document and the policy."""
    seller = order.get("seller") or {}
    shipping = order.get("shipping") or {}
    # Each moment is parsed once: the events' times order them (then their place in the list,
    # so no two compare further) and date them.
    events = [(parse_time(event["at"]), index, event)
              for index, event in enumerate(shipping.get("events") or [])]
    events.sort()
    dates = {code: _date(dig(order, path)) for code, path in MILESTONES}
    moments = [*dates.values(), *[moment.date() for moment, _, _ in events],
               _date(order.get("updated_at"))]
    shipped = dates["shipped"]
    return Facts(
        status=order["status"],
        today=today,
        rules=effective_policy(policy, seller.get("policy")),
        marketplace=policy,
        country=seller.get("country") or shipping.get("country"),
        placed=dates["placed"],
        paid=dates["paid"],
        shipped=shipped,
        delivered=dates["delivered"],
        cancelled=dates["cancelled"],
        refunded=dates["refunded"],
        completed=dates["completed"],
        last_update=events[-1][0].date() if events else shipped,
        last_event=events[-1][2] if events else None,
        latest=max(filter(None, moments)),
        funding_ends=_date(dig(order, ("funding", "ends_at"))),
        kinds=frozenset(item.get("kind", "regular") for item in order.get("items") or []),
        international=bool(shipping.get("international")),
        carrier=shipping.get("carrier"),
        tracking_url=shipping.get("tracking_url"),
        tracking_number=shipping.get("tracking_number"),
        payment_method=dig(order, ("payment", "method")),
        lang=lang,
    )


# -- wording helpers: the sentences are in lookup/messages, in the answer's language ------------


def human_date(day: date, lang: str = DEFAULT_LANG) -> str:
    """A date as buyers read it: 'Saturday 6 December 2025', '12월 6일(토)'."""
    return messages.long_date(lang, day)


def _say(facts: Facts, key: str, **values: Any) -> str:
    # A step's sentence is filled with days, counts and figures that many orders share.
    if not values:
        return messages.text(facts.lang, f"steps.{key}")
    return messages.shared(facts.lang, f"steps.{key}", **values)


def _date_of(facts: Facts, day: date) -> str:
    return human_date(day, facts.lang)


def _days(facts: Facts, count: int) -> str:
    return messages.days(facts.lang, count)


def _left(facts: Facts, deadline: date) -> str:
    return _left_words(facts.lang, (deadline - facts.today).days)


@lru_cache(maxsize=1024)
def _left_words(lang: str, left: int) -> str:
    """'11 days left' or 'today is the last day' (a handful of counts, worded once)."""
    if left == 0:
        return messages.text(lang, "steps.last_day")
    return messages.text(lang, "steps.left", days=messages.days(lang, left))


def _join(*sentences: str) -> str:
    return " ".join(filter(None, sentences))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _seller_note(facts: Facts, name: str) -> str:
    """Say so when the seller's own policy sets the figure, since it differs from the articles."""
    if facts.rules.get(name) == facts.marketplace.get(name):
        return ""
    return _say(facts, "seller_note", default=facts.marketplace.get(name))


def article_link(name: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """A link to an article section, titled and placed in the answer's language."""
    return {"label": messages.text(lang, f"links.{name}"),
            "url": messages.site_path(lang, ARTICLE_LINKS[name]["url"])}


def _links(facts: Facts, *names: str) -> list[dict[str, str]]:
    return [{"label": label, "url": url} for label, url in _link_rows(facts.lang, names)]


@lru_cache(maxsize=256)
def _link_rows(lang: str, names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each article link's (label, url), worked out once; every answer gets its own dicts."""
    links = [article_link(name, lang) for name in names]
    return tuple((link["label"], link["url"]) for link in links)


def _step(facts: Facts, step_id: str, title: str, detail: str, deadline: date | None = None,
          links: list[dict[str, str]] | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"id": step_id, "title": _say(facts, title), "detail": detail}
    if deadline is not None:
        step["deadline"] = deadline.isoformat()
    step["links"] = links if links is not None else _links(facts, step_id)
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
        facts, "pay", "pay.title",
        _say(facts, "pay.detail", days=_days(facts, days), deadline=_date_of(facts, deadline),
             left=_left(facts, deadline)),
        deadline,
        _links(facts, "pay", "payment_failed"),
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
            facts, "cancel", "cancel.funding_title",
            _say(facts, "cancel.funding", ends=_date_of(facts, facts.funding_ends),
                 left=_left(facts, facts.funding_ends)),
            facts.funding_ends,
            _links(facts, "cancel_funding", "cancel"),
        )
    if facts.status == "awaiting_payment":
        detail = _say(facts, "cancel.unpaid")
        if can_change(facts.status, "cancel_part") == "ask":
            detail = _join(detail, _say(facts, "cancel.unpaid_part"))
    else:
        detail = _say(facts, "cancel.paid")
    return _step(facts, "cancel", "cancel.title", detail)


def track(facts: Facts) -> Step | None:
    """Follow the parcel with the carrier's own tracking while it is on its way."""
    if facts.status not in (*IN_TRANSIT, "delivery_exception"):
        return None
    if not (facts.tracking_url or facts.tracking_number):
        return None
    carrier = facts.carrier or _say(facts, "the_carrier")
    if facts.tracking_number:
        detail = _say(facts, "track.detail_number", carrier=carrier, number=facts.tracking_number)
    else:
        detail = _say(facts, "track.detail", carrier=carrier)
    links = _links(facts, "track")
    if facts.tracking_url:
        links.append({"label": messages.text(facts.lang, "links.track_with", carrier=carrier),
                      "url": facts.tracking_url})
    return _step(facts, "track", "track.title", detail, links=links)


def tracking_stalled(facts: Facts) -> Step | None:
    """Tracking stalled: no carrier update for the threshold in working days."""
    if facts.status not in IN_TRANSIT or facts.last_update is None:
        return None
    threshold = facts.rules["tracking_stall_working_days"]
    quiet = working_days_between(facts.last_update, facts.today, facts.country)
    if quiet < threshold:
        return None
    return _step(
        facts, "tracking_stalled", "tracking_stalled.title",
        _say(facts, "tracking_stalled.detail", since=_date_of(facts, facts.last_update),
             quiet=quiet, threshold=threshold),
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
        facts, "late_delivery", "late_delivery.title",
        _say(facts, "late_delivery.detail", shipped=_date_of(facts, facts.shipped),
             since=_days(facts, since), threshold=_days(facts, threshold),
             note=_seller_note(facts, "late_delivery_days")),
    )


def delivery_problem(facts: Facts) -> Step | None:
    """Delivery exception: contact seller and carrier, and claim on the insurance if lost."""
    if facts.status != "delivery_exception":
        return None
    what = ""
    if facts.last_event and facts.last_event.get("description"):
        what = _say(facts, "delivery_problem.what", description=facts.last_event["description"])
    carrier = facts.carrier or _say(facts, "the_carrier")
    links = _links(facts, "delivery_problem", "delivery_insurance")
    if facts.international:
        links += _links(facts, "customs")
    return _step(
        facts, "delivery_problem", "delivery_problem.title",
        _say(facts, "delivery_problem.detail", carrier=carrier, what=what),
        links=links,
    )


def not_received(facts: Facts) -> Step | None:
    """Report a parcel marked delivered that never reached the buyer."""
    if facts.status != "delivered":
        return None
    return _step(facts, "not_received", "not_received.title", _say(facts, "not_received.detail"))


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
    detail = _say(facts, "confirm_receipt.detail")
    if deadline is not None:
        detail = _join(detail, _say(facts, "confirm_receipt.auto",
                                    deadline=_date_of(facts, deadline),
                                    days=_days(facts, facts.rules["auto_complete_days"])))
    return _step(facts, "confirm_receipt", "confirm_receipt.title", detail, deadline)


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
    detail = _say(facts, "return.detail", deadline=_date_of(facts, deadline),
                  left=_left(facts, deadline), days=_days(facts, days),
                  note=_seller_note(facts, "return_window_days"))
    if "game_coupon" in facts.kinds:
        detail = _join(detail, _say(facts, "return.game_coupon"))
    links = _links(facts, "return")
    if "funding" in facts.kinds:
        detail = _join(detail, _say(facts, "return.funding"))
        links += _links(facts, "funding_returns")
    return _step(facts, "return", "return.title", detail, deadline, links)


def exchange(facts: Facts) -> Step | None:
    """Exchange a damaged, defective or wrong item within the exchange window."""
    deadline = _window_end(facts, "exchange_window_days")
    if deadline is None or facts.today > deadline:
        return None
    days = facts.rules["exchange_window_days"]
    return _step(
        facts, "exchange", "exchange.title",
        _say(facts, "exchange.detail", deadline=_date_of(facts, deadline),
             left=_left(facts, deadline), days=_days(facts, days),
             note=_seller_note(facts, "exchange_window_days")),
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
        facts, "not_as_described", "not_as_described.title",
        _say(facts, "not_as_described.detail", deadline=_date_of(facts, deadline),
             left=_left(facts, deadline), months=months,
             note=_seller_note(facts, "not_as_described_window_months"),
             discovery=_days(facts, discovery)),
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
    # Methods the catalogue does not name are shown as given.
    method_label = messages.entry(facts.lang, "steps.refund_timeline.methods").get(
        method, method or _say(facts, "refund_timeline.methods.other"))
    rules = facts.rules
    if method == "paypal":
        deadline = start + timedelta(days=rules["refund_paypal_days_max"])
        how_long = _say(facts, "refund_timeline.paypal",
                        days=_days(facts, rules["refund_paypal_days_max"]))
    else:
        deadline = add_working_days(start, rules["refund_business_days_max"], facts.country)
        how_long = _say(facts, "refund_timeline.business", method=method_label,
                        min=rules["refund_business_days_min"],
                        max=rules["refund_business_days_max"])
    if facts.today > max(deadline, start + timedelta(days=rules["message_window_days"])):
        return None
    detail = _say(facts, "refund_timeline.detail",
                  what=_say(facts, f"refund_timeline.what_{facts.status}"),
                  start=_date_of(facts, start), how_long=how_long,
                  deadline=_date_of(facts, deadline))
    links = _links(facts, "refund_timeline")
    if facts.today > deadline:
        detail = _join(detail, _say(facts, "refund_timeline.late"))
        links += _links(facts, "refund_late")
    return _step(facts, "refund_timeline", "refund_timeline.title", detail, deadline, links)


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
    links = _links(facts, "contact_seller")
    if facts.status in ("preparing_shipment", *IN_TRANSIT):
        detail = _say(facts, "contact_seller.in_progress")
        links += _links(facts, "cancel_after_shipment")
    elif (facts.status == "paid" and "funding" in facts.kinds and facts.funding_ends
          and facts.today > facts.funding_ends):
        detail = _say(facts, "contact_seller.funding_ended",
                      ends=_date_of(facts, facts.funding_ends))
        links += _links(facts, "cancel_funding")
    elif facts.status == "awaiting_payment" and facts.today > pay_deadline(facts):
        detail = _say(facts, "contact_seller.unpaid_late")
    elif facts.status == "return_requested":
        detail = _say(facts, "contact_seller.return_requested")
        links += _links(facts, "return")
    elif facts.status == "delivery_exception":
        detail = _say(facts, "contact_seller.delivery_exception")
    else:
        detail = _say(facts, "contact_seller.default")
    if can_change(facts.status, "change_address") != "no":
        links += _links(facts, "change_order")
    if deadline is not None:
        detail = _join(detail, _say(facts, "contact_seller.open_until",
                                    deadline=_date_of(facts, deadline),
                                    days=_days(facts, facts.rules["message_window_days"])))
    return _step(facts, "contact_seller", "contact_seller.title", detail, deadline, links)


def contact_support(facts: Facts) -> Step | None:
    """Support, for when the seller does not answer."""
    return _step(
        facts, "contact_support", "contact_support.title",
        _say(facts, "contact_support.detail", wait=facts.rules["seller_reply_working_days"],
             note=_seller_note(facts, "seller_reply_working_days")),
        links=_links(facts, "contact_support", "open_a_case"),
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


def next_steps(order: Mapping[str, Any], policy: Mapping[str, Any], today: date,
               lang: str = DEFAULT_LANG) -> list[Step]:
    """The steps that apply to a (validated) order today, most pressing kind first."""
    facts = read_facts(order, policy, today, lang)
    return [step for rule in RULES if (step := rule(facts)) is not None]
