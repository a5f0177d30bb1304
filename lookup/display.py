"""What a page shows of an answer, worked out once: progress stages, deadline wording, dates.

The widget (order-lookup.js) and the no-JavaScript page only print these.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from lookup import messages

# The stages a buyer sees, by id; their names are in the catalogues ("stages").
FLOW = ("ordered", "paid", "preparing", "shipped", "delivered", "completed")
CANCEL = ("ordered", "cancelled", "refunded")
RETURN = ("delivered", "return_requested", "returned", "refunded")
STAGES: dict[str, tuple[tuple[str, ...], int]] = {
    "awaiting_payment": (FLOW, 0),
    "paid": (FLOW, 1),
    "preparing_shipment": (FLOW, 2),
    "shipped": (FLOW, 3),
    "out_for_delivery": (FLOW, 3),
    "delivery_exception": (FLOW, 3),
    "delivered": (FLOW, 4),
    "completed": (FLOW, 5),
    "cancelled": (CANCEL, 1),
    "return_requested": (RETURN, 1),
    "returned": (RETURN, 2),
    "refunded": (RETURN, 3),
}
# A date, and maybe a time after it ("THH:MM"), at the start of an ISO string.
CLOCK = re.compile(r"T(\d\d):(\d\d)")
ISO = re.compile(rf"^(\d{{4}})-(\d\d)-(\d\d)(?:{CLOCK.pattern})?")
DATE_LENGTH = len("2026-12-01")


def stages(code: str | None, shipped: bool, lang: str) -> list[dict[str, str]]:
    """The progress tracker's stages, each with its name and marked done, now or todo."""
    return [{"id": stage, "name": name, "state": state}
            for stage, name, state in _stage_rows(code, shipped, lang)]


# A handful of statuses in two languages: each tracker is worded once, then only copied.
@lru_cache(maxsize=256)
def _stage_rows(code: str | None, shipped: bool, lang: str) -> tuple[tuple[str, str, str], ...]:
    """The stages as (id, name, state) rows."""
    # A refund before shipping ends a cancellation, not a return.
    ids, now = (
        (CANCEL, 2) if code == "refunded" and not shipped else STAGES.get(code or "", (FLOW, -1))
    )
    return tuple(
        (stage, messages.text(lang, f"stages.{stage}"),
         "done" if i < now else "now" if i == now else "todo")
        for i, stage in enumerate(ids)
    )


def written(iso: str | None) -> tuple[date, str] | None:
    """The date and HH:MM written in an ISO string, in its own time zone (a scan's local time)."""
    match = ISO.match(iso or "")
    if not match:
        return None
    year, month, day_, hour, minute = match.groups()
    clock = f"{hour}:{minute}" if hour else ""
    try:
        return date(int(year), int(month), int(day_)), clock
    except ValueError:
        return None


def human_day(iso: str | None, today: date, lang: str, with_time: bool = False) -> str:
    """`Sat 6 Dec` or `12월 6일(토)` (with the year when not this year), maybe with the time."""
    if not iso:
        return ""
    # Orders share their days, not their minutes: a day is worded once, and the time (read as
    # ISO reads it, right after the date) is added to it.
    text = _day_words(iso[:DATE_LENGTH], today, lang)
    if text is None:
        return iso
    if with_time and CLOCK.match(iso, DATE_LENGTH):
        clock = iso[DATE_LENGTH + 1:DATE_LENGTH + 6]
        around = _around_time(iso[:DATE_LENGTH], today, lang)
        if around is None:
            return messages.text(lang, "formats.with_time", day=text, time=clock)
        return f"{around[0]}{clock}{around[1]}"
    return text


@lru_cache(maxsize=8192)
def _around_time(iso_date: str, today: date, lang: str) -> tuple[str, str] | None:
    """A day's wording with a time, as the words before and after the time (worded once a day);
    None when the message does not hold the time exactly once."""
    cut = messages.text(lang, "formats.with_time", day=_day_words(iso_date, today, lang),
                        time="\0").split("\0")
    return (cut[0], cut[1]) if len(cut) == 2 else None


@lru_cache(maxsize=8192)
def _day_words(iso_date: str, today: date, lang: str) -> str | None:
    """The day an ISO date names, as a page shows it today; None when it names no day."""
    parsed = written(iso_date)
    return None if parsed is None else messages.short_date(lang, parsed[0], today)


def days_left(iso: str | None, today: date, lang: str) -> str:
    """`11 days left`, `1 day left`, `last day today` or `closed`, in the answer's language."""
    parsed = written(iso)
    if parsed is None:
        return ""
    n = (parsed[0] - today).days
    if n > 0:
        return messages.text(lang, "deadline.left", days=messages.days(lang, n))
    return messages.text(lang, "deadline.last_day" if n == 0 else "deadline.closed")


def due(step: dict[str, Any], today: date, lang: str) -> str:
    """`Return by Sat 6 Dec — 11 days left` / `12월 12일(토)까지 — 11일 남음`."""
    return _due_words(step.get("id", ""), step["deadline"], today, lang)


# Deadlines are days that many orders share: each step's wording of one is worked out once a day.
@lru_cache(maxsize=4096)
def _due_words(step_id: str, deadline: str, today: date, lang: str) -> str:
    """The deadline line of a step."""
    verb = messages.entry(lang, "deadline.verbs").get(step_id)
    day_, left = human_day(deadline, today, lang), days_left(deadline, today, lang)
    if verb:
        return messages.text(lang, "deadline.due", verb=verb, day=day_, left=left)
    return messages.text(lang, "deadline.due_plain", day=day_, left=left)


def dress(answer: dict[str, Any], today: date, lang: str) -> dict[str, Any]:
    """Add what a page prints to an answer: its heading, stages, each date and deadline's words."""
    order, status = answer["order"], answer["status"]
    answer["lang"] = lang
    answer["heading"] = messages.text(lang, "answer.heading", number=order["order_number"],
                                      label=status["label"])
    answer["placed"] = messages.shared(lang, "answer.placed",
                                     day=human_day(order["placed_at"], today, lang))
    answer["stages"] = stages(status["code"], bool((order.get("shipping") or {}).get("shipped_at")),
                              lang)
    for entry in answer["timeline"]:
        entry["when"] = human_day(entry["at"], today, lang, with_time=True)
    for step in answer["next_steps"]:
        if step.get("deadline"):
            step["due"] = due(step, today, lang)
    return answer
