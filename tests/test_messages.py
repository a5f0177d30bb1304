"""The catalogues: every language names the same messages, with the same values to fill in."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

from lookup import messages
from lookup.next_steps import ARTICLE_LINKS
from lookup.orders import MILESTONES
from lookup.orders import STATUSES

# Tables a language may leave empty: Korean deadlines need no verb, English keeps the service's
# own error words, and the stage table uses the status labels where a language has no shorter
# names for it.
OPTIONAL = ("deadline.verbs.", "errors.titles.", "errors.details.", "errors.fields.",
            "stage_table.status.")


def flat(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every message of a catalogue by its dotted id."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def fields(text: str) -> set[str]:
    """The {names} a message is filled with."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_message_and_asks_for_no_other_value():
    english = flat(messages.catalogue("en"))
    for lang in messages.LANGS:
        other = flat(messages.catalogue(lang))
        missing = {k for k in english if k not in other and not k.startswith(OPTIONAL)}
        extra = {k for k in other if k not in english and not k.startswith(OPTIONAL)}
        assert missing == set() and extra == set(), lang
        # A language may leave a value out (Korean deadlines name no verb), never ask for one
        # the code does not give.
        for key in english.keys() & other.keys():
            assert fields(other[key]) <= fields(english[key]), f"{lang} {key}"


def test_the_catalogues_cover_every_status_milestone_and_link():
    for lang in messages.LANGS:
        assert set(messages.entry(lang, "status")) == set(STATUSES)
        assert {code for code, _ in MILESTONES} <= set(messages.entry(lang, "milestones"))
        assert set(ARTICLE_LINKS) <= set(messages.entry(lang, "links"))


def test_dates_come_from_babel_in_each_language():
    day = date(2026, 12, 12)
    assert messages.short_date("ko", day, date(2026, 12, 1)) == "12월 12일(토)"
    assert messages.short_date("en", day, date(2026, 12, 1)) == "Sat 12 Dec"
    assert messages.long_date("en", day) == "Saturday 12 December 2026"
    assert messages.short_date("ko", day, date(2025, 12, 1)) == "2026년 12월 12일(토)"


def test_language_tags_are_read_leniently_and_nothing_else_is():
    assert messages.pick_lang("ko-KR") == messages.pick_lang(" KO ") == "ko"
    assert messages.pick_lang("en_GB") == "en"
    assert messages.pick_lang("fr") is None and messages.pick_lang(None) is None
    assert messages.site_path("ko", "/returns/") == "/ko/returns/"
    assert messages.site_path("en", "/returns/") == "/returns/"


def test_shared_messages_are_text_filled_with_their_own_values():
    """A filled message kept for reuse is the one text() words, for each language and values."""
    asked = [("en", "contact.message", {"name": "Hanok Ceramics"}),
             ("en", "contact.message", {"name": "Maple Prints"}),
             ("ko", "contact.message", {"name": "Hanok Ceramics"}),
             ("en", "answer.placed", {"day": "Sat 6 Dec"}),
             ("en", "steps.left", {"days": "3 days"}),
             ("ko", "steps.left", {"days": "3일"})]
    for _ in range(2):  # the second time from what was worked out the first
        for lang, key, values in asked:
            assert messages.shared(lang, key, **values) == messages.text(lang, key, **values)
    assert len({messages.shared(lang, key, **values) for lang, key, values in asked}) == len(asked)
