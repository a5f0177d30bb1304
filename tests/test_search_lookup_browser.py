"""The help bar puts the order lookup first for questions the lookup answers (Chromium)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.test_helpbar_browser import page  # noqa: F401  (a fixture)
from tests.test_helpbar_browser import service  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

OURS = "[data-helpbar-results]"
BOX = "[data-md-component=search-query]"


def ask(page, base: str, question: str) -> None:  # noqa: F811
    """Type a question into the help bar and wait until the answer to it is drawn."""
    page.goto(base + "/")
    page.locator(BOX).click()
    with page.expect_response(lambda r: "/api/search" in r.url
                              and f"q={quote(question)}" in r.url) as answered:
        page.locator(BOX).fill(question)
    assert answered.value.ok
    # Drawn in the same task as the answer arrives; the list then holds its items.
    page.locator(f"{OURS} .md-search-result__item").first.wait_for()


def test_lookup_link_comes_first_for_where_is_my_order(page, service):  # noqa: F811
    ask(page, service, "where is my order")
    first = page.locator(f"{OURS} .md-search-result__item a").first
    first.wait_for()
    assert first.get_attribute("data-helpbar-lookup") == "track"
    assert first.get_attribute("href").endswith("/order-status/")
    second = page.locator(f"{OURS} .md-search-result__item a").nth(1)
    assert "#" in second.get_attribute("href")


def test_no_lookup_link_for_other_questions(page, service):  # noqa: F811
    ask(page, service, "free shipping")
    page.locator(f"{OURS} .md-search-result__item a").first.wait_for()
    assert page.locator(f"{OURS} [data-helpbar-lookup]").count() == 0
