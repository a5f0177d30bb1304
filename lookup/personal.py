"""What looks like a buyer's personal data in free text, and how it is scrubbed before it is kept.

One place for these patterns: logs, stored search queries and page comments all use them.
"""

from __future__ import annotations

import re

# The at sign, also as buyers' keyboards type it in CJK text (fullwidth and small forms).
AT = "@\uff20\ufe6b"
ANY_AT = re.compile(f"[{AT}]")
ADDRESS_CHAR = rf"[^\s{AT}'\"<>()\[\],;:]"
# The look-behind lets a match start only where a run of address characters starts, so a long
# run without an at sign costs one pass, not one pass per character.
EMAIL = re.compile(rf"(?<!{ADDRESS_CHAR}){ADDRESS_CHAR}+[{AT}]{ADDRESS_CHAR}+")
# A phone number: eight or more digits with the usual separators.
PHONE = re.compile(r"(?<![\w+])\+?\d[\d ()./-]{6,}\d(?!\w)")
# A street address: a house number before a street word, a flat or suite number, or a Korean
# road-name address (테헤란로 123, 역삼로7길 12) or flat (101동 1203호).
STREET_ADDRESS = re.compile(
    r"(?<!\w)\d+[A-Za-z]?(?:-\d+)?\s+(?:[\w.'-]+\s+){0,4}"
    r"(?:street|st|road|rd|avenue|ave|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl)\b\.?"
    r"|(?<!\w)(?:apt|apartment|suite|unit|flat)\.?\s*#?\d+\w*"
    r"|[가-힣0-9]+(?:로|길)\s*\d+(?:-\d+)?"
    r"|\d+\s*동\s*\d+\s*호",
    re.I,
)
# An order number as marketplaces print them: letters, a dash and digits (CM-100234), a `#`
# and digits, or any run of five or more digits. A year or "14 days" is left alone.
ORDER_NUMBER = re.compile(r"(?<!\w)(?:#\s?\w*\d\w*(?:-\w+)*|[A-Za-z]{1,10}-\d[\w-]*|\d{5,})(?!\w)")

# Every pattern above needs a digit or an at sign: text with neither has nothing to scrub (most
# carriers' scans, most log lines), and one scan for them costs less than trying each pattern.
DIGIT_OR_AT = re.compile(rf"[\d{AT}]")

EMAIL_MARK = "<email>"
PHONE_MARK = "<phone>"
ADDRESS_MARK = "<address>"
ORDER_MARK = "<order number>"


def redact_emails(text: str) -> str:
    """The text with every email replaced (fullwidth at signs included)."""
    return EMAIL.sub(EMAIL_MARK, text)


def scrub_contact(text: str) -> str:
    """The text with emails, phone numbers and street addresses replaced by what they were."""
    if not DIGIT_OR_AT.search(text):
        return text
    text = PHONE.sub(PHONE_MARK, redact_emails(text))
    return STREET_ADDRESS.sub(ADDRESS_MARK, text)


def scrub(text: str) -> str:
    """The text with contact details and order numbers replaced: what may be kept of free text."""
    if not DIGIT_OR_AT.search(text):
        return text
    return ORDER_NUMBER.sub(ORDER_MARK, scrub_contact(text))
