"""The help bar in Debian's Chromium: typing, results, keyboard, and the silent fallback."""

from __future__ import annotations

import functools
import http.server
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lookup import create_app
from search import build_index
from tests.helpers import serving

pytestmark = pytest.mark.browser

OURS = "[data-helpbar-results]"
MATERIALS = "[data-md-component=search-result]"
BOX = "[data-md-component=search-query]"


@pytest.fixture(scope="module")
def service(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole service (site + API) with a built index, on a free port."""
    tmp = tmp_path_factory.mktemp("helpbar")
    build_index(built_site, tmp / "index")
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site),
                      "DATABASE_URL": f"sqlite:///{tmp / 'orders.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp / "index")})
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        # A ready service: its first search opens the index and loads the word lists (seconds on
        # a busy machine), which the help bar's timeout would take for the service failing.
        with urllib.request.urlopen(url + "/api/search?q=refnud", timeout=120) as response:
            assert response.status == 200
        yield url


def with_instant_navigation(page, base: str) -> None:
    """Material navigates instantly only to its sitemap's addresses, which name the built
    site_url's port (not the test server's): the sitemaps are served naming the test server."""
    def rewrite(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(
            "http://127.0.0.1:8000/", base + "/"))

    page.route("**/sitemap.xml", rewrite)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without request logging."""

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def static_site(built_site: Path) -> Iterator[str]:
    """The built site hosted alone: no /api at all."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def open_search(page, base: str, path: str = "/") -> None:
    """Load a page and put the cursor in Material's search box."""
    page.goto(base + path)
    page.locator(BOX).click()


def settled(page, query: str):
    """Our results panel once it shows the answer to exactly this query (the last keystroke's)."""
    panel = page.locator(f"{OURS}[data-query=\"{query}\"]")
    panel.wait_for()
    return panel


def test_typing_shows_server_results_with_snippets(page, service):
    open_search(page, service)
    page.locator(BOX).press_sequentially("how long does a refund take", delay=20)
    panel = settled(page, "how long does a refund take")
    assert page.locator(MATERIALS).is_hidden()
    first = panel.locator(".md-search-result__item a").first
    assert first.get_attribute("href").endswith("/refunds/#refund-times")
    assert panel.locator(".md-search-result__item mark").count() > 0


def test_typing_asks_on_the_first_key_and_after_the_last(page, service):
    """Debounced on the page's own clock, so a busy machine cannot change the count."""
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/api/search" in request.url
            else None)
    page.clock.install()
    open_search(page, service)
    # Time stands still while the buyer types: only the first key asks at once.
    page.clock.pause_at(page.evaluate("Date.now()") + 60_000)
    page.locator(BOX).press_sequentially("how long does a refund take")
    page.clock.run_for(2_000)
    settled(page, "how long does a refund take")
    queries = [re.search(r"[?&]q=([^&]*)", url)[1] for url in asked]
    assert queries == ["h", "how%20long%20does%20a%20refund%20take"]


def test_snippet_html_from_the_server_is_kept_to_marks(page, service):
    page.route("**/api/search**", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"query": "x", "results": [{"title": "T", "url": "/refunds/#refund-times", '
             '"snippet": "a <mark>b</mark> <img src=x onerror=\\"window.pwned=1\\"> c", '
             '"score": 1}]}'))
    open_search(page, service)
    page.locator(BOX).fill("refund")
    page.locator(f"{OURS} .md-search-result__item").first.wait_for()
    assert page.locator(f"{OURS} img").count() == 0
    assert page.locator(f"{OURS} mark").inner_text() == "b"
    assert page.evaluate("window.pwned") is None


def test_keyboard_moves_through_results_and_opens_one(page, service):
    open_search(page, service)
    box = page.locator(BOX)
    box.fill("parcel lost")
    links = page.locator(f"{OURS} .md-search-result__item a")
    links.first.wait_for()
    box.press("ArrowDown")
    assert page.evaluate("document.activeElement.href") == links.nth(0).evaluate("a => a.href")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href") == links.nth(1).evaluate("a => a.href")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.matches('[data-md-component=search-query]')")
    target = links.nth(0).get_attribute("href")
    box.press("Enter")
    page.wait_for_url(re.compile(re.escape(target.split("#")[0])))
    assert page.url.endswith(target.replace("http://", "").split("/", 1)[1]) or target in page.url


def test_did_you_mean_is_offered_and_applies(page, service):
    open_search(page, service)
    page.locator(BOX).fill("refnud")
    hint = page.locator(f"{OURS} [data-helpbar-suggestion]")
    hint.wait_for()
    assert hint.inner_text() == "refund"
    hint.click()
    assert page.locator(BOX).input_value() == "refund"


def test_falls_back_to_material_when_the_api_is_unreachable(page, service):
    page.route("**/api/search**", lambda route: route.abort())
    open_search(page, service)
    page.locator(BOX).press_sequentially("refund", delay=20)
    material_item = page.locator(f"{MATERIALS} .md-search-result__item").first
    material_item.wait_for()
    assert page.locator(OURS).is_hidden()
    assert page.locator(MATERIALS).is_visible()


def test_site_hosted_alone_uses_material_search(page, static_site):
    open_search(page, static_site)
    page.locator(BOX).press_sequentially("cancel", delay=20)
    page.locator(f"{MATERIALS} .md-search-result__item").first.wait_for()
    assert page.locator(OURS).is_hidden()


def test_help_bar_survives_instant_navigation(page, service):
    with_instant_navigation(page, service)
    open_search(page, service, "/refunds/")
    page.evaluate("window.sameDocument = true")
    page.locator(BOX).fill("exchange")
    page.locator(f"{OURS}[data-query=exchange] .md-search-result__item a").first.click()
    page.wait_for_url(re.compile(r"/returns/"))
    assert page.evaluate("window.sameDocument"), "the click loaded a new document"
    page.locator(BOX).click()
    page.locator(BOX).fill("tracking not updating")
    # The same panel answers on the new page: wait for its answer to this question.
    first = settled(page, "tracking not updating").locator(".md-search-result__item a").first
    assert "tracking" in first.get_attribute("href")
    # Mounted once: one panel, however many pages were visited.
    assert page.locator(OURS).count() == 1


def test_first_keystroke_after_a_pause_asks_at_once(page, service):
    """No debounce wait for the first input after a pause: the request starts in the same task."""
    open_search(page, service)
    started = page.evaluate("""() => {
      const box = document.querySelector('[data-md-component=search-query]');
      const original = window.fetch;
      let asked = 0;
      window.fetch = function (url, options) {
        if (String(url).includes('/api/search')) asked++;
        return original.call(this, url, options);
      };
      box.value = 'refund';
      box.dispatchEvent(new Event('input', {bubbles: true}));
      return asked;
    }""")
    assert started == 1
    page.locator(f"{OURS} .md-search-result__item a").first.wait_for()
