"""MkDocs hook: print policy figures into articles from `{{ policy.<name> }}` placeholders.

English pages print a figure as lookup.policy.format_value does; a page in another language (a
`name.<locale>.md` twin built by mkdocs-static-i18n) prints numbers, amounts and dates the way that
language writes them, through Babel: 20,000원 and 12월 12일(토) on a Korean page.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from babel.numbers import format_decimal
from mkdocs.exceptions import PluginError

from lookup.policy import format_value
from lookup.policy import load_policy

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

# Anything that looks like a policy placeholder, so a misspelt one fails instead of leaking out.
PLACEHOLDER = re.compile(r"\{\{\s*policy\.([^\s}]*)\s*\}\}")

DEFAULT_LANGUAGE = "en"

# Babel patterns where a language writes an amount or a date differently from CLDR's default:
# Koreans write won as 20,000원 (CLDR's symbol gives ₩20,000) and a date as 12월 12일(토).
CURRENCY_PATTERNS = {("ko", "KRW"): "#,##0원"}
DATE_PATTERNS = {"ko": "M월 d일(E)"}
# Whole amounts, as the policy states them: no ".00" on a threshold.
DEFAULT_CURRENCY_PATTERN = "¤#,##0"

_policy: dict = {}


def page_language(page: Page) -> str:
    """The language a page is written in, as mkdocs-static-i18n marks its file."""
    return getattr(page.file, "locale", None) or DEFAULT_LANGUAGE


def format_localized(value: Any, language: str) -> str:
    """Render a policy value for a page in `language`: English as before, others through Babel."""
    if language == DEFAULT_LANGUAGE or isinstance(value, bool | str):
        return format_value(value)
    if isinstance(value, int):
        return format_decimal(value, locale=language)
    if isinstance(value, datetime.date):
        return format_date(value, DATE_PATTERNS.get(language, "medium"), locale=language)
    if isinstance(value, Mapping) and {"amount", "currency"} <= value.keys():
        pattern = CURRENCY_PATTERNS.get((language, value["currency"]), DEFAULT_CURRENCY_PATTERN)
        return format_currency(value["amount"], value["currency"], format=pattern,
                               locale=language, currency_digits=False)
    if isinstance(value, list):
        return ", ".join(format_localized(v, language) for v in value)
    return format_value(value)


def on_config(config: MkDocsConfig, **kwargs) -> MkDocsConfig:
    """Read the policy afresh for every build, so `mkdocs serve` picks up edits."""
    # The same variable the service reads, so the site and the lookup never disagree.
    _policy.clear()
    _policy.update(load_policy(os.environ.get("HELPCENTER_POLICY_FILE")))
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs) -> str:
    """Replace every policy placeholder on the page; an unknown name fails the build."""
    language = page_language(page)

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in _policy:
            raise PluginError(
                f"{page.file.src_uri}: unknown policy placeholder '{match.group(0)}' "
                f"(no '{name}' in the policy file)"
            )
        return format_localized(_policy[name], language)

    return PLACEHOLDER.sub(replace, markdown)
