"""The help bar puts the order lookup first for questions the lookup answers (Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from lookup import create_app
from search import build_index
from tests.helpers import serving

pytestmark = pytest.mark.browser

OURS = "[data-helpbar-results]"
BOX = "[data-md-component=search-query]"


@pytest.fixture(scope="module")
def service(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole service (site + API) with a built index, on a free port."""
    tmp = tmp_path_factory.mktemp("lookup-link")
    build_index(built_site, tmp / "index")
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site),
                      "DATABASE_URL": f"sqlite:///{tmp / 'orders.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp / "index")})
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def ask(page, base: str, question: str) -> None:
    """Type a question into the help bar and wait until the answer to it is drawn."""
    page.goto(base + "/")
    page.locator(BOX).click()
    with page.expect_response(lambda r: "/api/search" in r.url
                              and f"q={quote(question)}" in r.url) as answered:
        page.locator(BOX).fill(question)
    assert answered.value.ok
    # Drawn in the same task as the answer arrives; the list then holds its items.
    page.locator(f"{OURS} .md-search-result__item").first.wait_for()


def test_lookup_link_comes_first_for_where_is_my_order(page, service):
    ask(page, service, "where is my order")
    first = page.locator(f"{OURS} .md-search-result__item a").first
    first.wait_for()
    assert first.get_attribute("data-helpbar-lookup") == "track"
    assert first.get_attribute("href").endswith("/order-status/")
    second = page.locator(f"{OURS} .md-search-result__item a").nth(1)
    assert "#" in second.get_attribute("href")


def test_no_lookup_link_for_other_questions(page, service):
    ask(page, service, "free shipping")
    page.locator(f"{OURS} .md-search-result__item a").first.wait_for()
    assert page.locator(f"{OURS} [data-helpbar-lookup]").count() == 0
