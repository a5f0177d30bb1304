"""Scrubbing free text and quoting mailto parts: the fast paths give what the patterns give."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest

from lookup import personal
from lookup.contact import quote_part

# Letters, digits (ASCII and others), at signs as keyboards type them, separators, Hangul.
ALPHABET = list("abcXYZ  -./()#+_'\"<>,;:") + list("0123456789") + ["\u0663", "\uff15"] + list(
    personal.AT) + list("로길동호가") + ["\n", "\t"]
WORDS = ["street", "St", "road", "apt", "Suite", "unit", "테헤란로", "역삼로7길", "101동", "1203호",
         "+82", "010-1234-5678", "buyer@example.com", "CM-100234", "#12345", "In transit",
         "Seoul hub"]


def slow_scrub_contact(text: str) -> str:
    """scrub_contact without its shortcut: every pattern tried."""
    text = personal.PHONE.sub(personal.PHONE_MARK, personal.redact_emails(text))
    return personal.STREET_ADDRESS.sub(personal.ADDRESS_MARK, text)


def texts(seed: int, count: int) -> list[str]:
    """Random free text: words that carry personal data, or not, and random characters."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        parts = [rng.choice(WORDS) if rng.random() < 0.4 else
                 "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 8)))
                 for _ in range(rng.randrange(1, 6))]
        found.append(" ".join(parts))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scrubbing_gives_what_every_pattern_gives(seed):
    for text in texts(seed, 2000):
        assert personal.scrub_contact(text) == slow_scrub_contact(text), text
        assert personal.scrub(text) == personal.ORDER_NUMBER.sub(
            personal.ORDER_MARK, slow_scrub_contact(text)), text


def test_text_without_digits_or_at_signs_is_left_as_it_is():
    for text in ["In transit", "Arrived at the Seoul hub", "배송 출발", ""]:
        assert personal.scrub_contact(text) == text
        assert personal.scrub(text) == text
    # A digit that is not ASCII still counts: the patterns read any decimal digit.
    assert personal.scrub_contact("call \u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
                                  ) == "call <phone>"


@pytest.mark.parametrize("seed", [1, 2])
def test_quote_part_is_quote_with_nothing_safe(seed):
    rng = random.Random(seed)
    for _ in range(2000):
        text = "".join(chr(rng.choice([rng.randrange(128), rng.randrange(128, 0x3000),
                                       0xAC00 + rng.randrange(100), 0x1F600]))
                       for _ in range(rng.randrange(12)))
        assert quote_part(text) == quote(text, safe=""), text
