"""The order-status widget in Debian's Chromium: desktop, phone, no JavaScript, every state."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lookup import PROJECT_DIR
from lookup import create_app
from tests.helpers import free_port
from tests.helpers import serving
from tests.helpers import wait_for_material

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = PROJECT_DIR / "tests" / "artifacts" / "widget"
README_SHOT = PROJECT_DIR / "docs" / "assets" / "images" / "order-lookup.png"
DELIVERED = ("DEMO-1011", "minho.kang@example.com")
IN_TRANSIT = ("DEMO-1006", "ben.tan@example.com")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# Chromium reports every 4xx/5xx fetch and refused connection on the console; in the error-state
# tests those are the point, not a fault.
EXPECTED_NETWORK_NOISE = re.compile(r"Failed to load resource|net::ERR_")


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file server that keeps the test output clean."""

    def log_message(self, format: str, *args) -> None:
        """Say nothing."""


def start_service(
    instance: Path, site_dir: Path, port: int | None = None, rate: str = "1000/minute"
):
    """The real app (site + API + no-JS page) with the demo orders, and a server for it."""
    from lookup.demo import install_demo
    from lookup.web.db import get_store

    app = create_app(
        {
            "TESTING": True,
            "SITE_DIR": str(site_dir),
            "DATABASE_URL": f"sqlite:///{instance / 'orders.sqlite'}",
            "SEARCH_INDEX_DIR": str(instance / "search-index"),
            "LOOKUP_RATE_LIMIT": rate,
        }
    )
    with app.app_context():
        install_demo(get_store(), date.today())
    return app, make_server("127.0.0.1", port or 0, app, threaded=True)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Iterator:
    """The app on a free port, serving the session's built site."""
    app, server = start_service(tmp_path_factory.mktemp("widget-instance"), built_site)
    with serving(server) as app.url:
        yield app


@pytest.fixture(scope="module")
def instant_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The app serving a site built with its own address as `site_url`.

    Material navigates instantly only to pages listed in sitemap.xml, whose entries need
    `site_url`, with the port the browser uses; a deployment sets it to its public address.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    port = free_port()
    site_dir = tmp_path_factory.mktemp("instant-site")
    config = load_config(
        config_file=str(PROJECT_DIR / "mkdocs.yml"),
        site_url=f"http://127.0.0.1:{port}/",
        site_dir=str(site_dir),
    )
    build(config)
    app, server = start_service(tmp_path_factory.mktemp("instant-instance"), site_dir, port)
    with serving(server) as app.url:
        yield app


def hosted_apart(site: Path, target: Path, api_base: str) -> Path:
    """A copy of the built site configured, as `extra.api_base` would, for a service elsewhere."""
    shutil.copytree(site, target)
    for page in target.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        html = html.replace('"api_base": ""', f'"api_base": "{api_base}"')
        html = html.replace(
            'action="/order-status/lookup"', f'action="{api_base}/order-status/lookup"'
        )
        page.write_text(html, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def static_host(tmp_path_factory, built_site, service) -> Iterator[str]:
    """The site on a static host of its own, calling the service across origins (CORS)."""
    root = hosted_apart(built_site, tmp_path_factory.mktemp("cdn") / "site", service.url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=root))
    with serving(server) as origin:
        service.config["ALLOWED_ORIGINS"] = origin
        yield origin


@pytest.fixture
def open_page(browser, request):
    """Open pages in fresh contexts; fail the test on any page error or console error."""
    opened = []

    def opener(url: str, *, allow_network_errors: bool = False, **context_options):
        context = browser.new_context(**{"viewport": DESKTOP, **context_options})
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))

        def on_console(msg) -> None:
            if msg.type == "error" and not (
                allow_network_errors and EXPECTED_NETWORK_NOISE.search(msg.text)
            ):
                page.problems.append(f"console: {msg.text}")

        page.on("console", on_console)
        if not allow_network_errors:
            page.on(
                "response",
                lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"),
            )
        page.goto(url)
        opened.append((context, page))
        return page

    yield opener
    problems = [problem for _, page in opened for problem in page.problems]
    for context, _ in opened:
        context.close()
    assert problems == []


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shot_of(locator, name: str) -> Path:
    """Save a screenshot of one element as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    locator.screenshot(path=str(path))
    return path


def fill_and_submit(page, order: tuple[str, str], *, keyboard: bool = False) -> None:
    """Fill the first widget on the page and send it, with the mouse or the keyboard alone."""
    widget = page.locator(".hc-lookup").first
    if keyboard:
        widget.get_by_label("Order number").focus()
        page.keyboard.type(order[0])
        page.keyboard.press("Tab")
        page.keyboard.type(order[1])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Look up order"
        page.keyboard.press("Enter")
    else:
        widget.get_by_label("Order number").fill(order[0])
        widget.get_by_label("Email").fill(order[1])
        widget.get_by_role("button", name="Look up order").click()


def answer_text(page) -> dict[str, list[str]]:
    """What the answer says, part by part, to compare the widget with the no-JS page."""
    part = page.locator(".hc-answer")

    def texts(selector: str) -> list[str]:
        return [" ".join(t.split()) for t in part.locator(selector).all_inner_texts()]

    return {
        "stages": texts(".hc-stage"),
        "events": [
            " ".join(t.split()) for t in part.locator(".hc-timeline li").all_text_contents()
        ],
        "steps": texts(".hc-card__title"),
        "dates": texts(".hc-card__due"),
        "contact": texts(".hc-contact a"),
    }


def assert_full_answer(page) -> None:
    """The answer has every part, the current stage is marked in words, and focus is on it."""
    result = page.locator(".hc-lookup__result").first
    assert result.get_attribute("role") == "status"
    title = result.locator(".hc-answer__title")
    assert title.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('hc-answer__title')")
    now = result.locator("[aria-current=step]")
    assert now.count() == 1 and "Now" in now.inner_text()
    assert result.locator("details.hc-older summary").inner_text().startswith("Earlier updates")
    assert result.locator(".hc-card").count() >= 3
    assert result.locator(".hc-card__links a").count() >= 3
    assert (
        result.get_by_role("link", name=re.compile(r"^Email "))
        .get_attribute("href")
        .startswith("mailto:")
    )
    assert result.get_by_text("Seller not answering?").count() >= 1


def no_sideways_scroll(page) -> bool:
    """True when nothing is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_lookup_on_desktop(open_page, service):
    """A delivered demo order: every part of the answer, dates written for people."""
    page = open_page(service.url + "/order-status/")
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    assert_full_answer(page)
    due = page.locator(".hc-card__due").first.inner_text()
    assert re.fullmatch(
        r"\w+ by (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3}( \d{4})? — \d+ days? left", due
    )
    page.locator("details.hc-older summary").click()
    assert page.locator("details.hc-older").get_attribute("open") is not None
    shot(page, "desktop-answer")
    # The README shows the widget itself with a real answer.
    # Tall enough that the widget needs no scrolling, so the sticky header stays off it.
    page.set_viewport_size({"width": DESKTOP["width"], "height": 2600})
    widget = shot_of(page.locator(".hc-lookup").first, "widget")
    # The README's copy is only (re)made on request, so test runs leave the tree clean.
    if not README_SHOT.exists() or os.environ.get("HELPCENTER_UPDATE_SCREENSHOTS"):
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(widget, README_SHOT)


def test_lookup_on_phone_without_sideways_scroll(open_page, service):
    """At 375 px the form, tracker, cards and buttons fit the width."""
    page = open_page(service.url + "/order-status/", viewport=PHONE, is_mobile=True, has_touch=True)
    fill_and_submit(page, IN_TRANSIT)
    page.locator(".hc-answer").wait_for()
    assert_full_answer(page)
    assert no_sideways_scroll(page)
    shot(page, "phone-answer")


def test_lookup_from_the_keyboard_in_dark_palette(open_page, service):
    """Keyboard alone from field to answer; the dark palette applies to the widget too."""
    page = open_page(service.url + "/returns/policy/", color_scheme="dark")
    assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
    fill_and_submit(page, DELIVERED, keyboard=True)
    page.locator(".hc-answer").wait_for()
    assert_full_answer(page)
    # The fold opens from the keyboard.
    page.keyboard.press("Tab")
    while not page.evaluate("document.activeElement.tagName === 'SUMMARY'"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.locator("details.hc-older").get_attribute("open") is not None
    # Light text on the dark background: the widget follows Material's palette variables.
    color = page.locator(".hc-answer__title").evaluate("e => getComputedStyle(e).color")
    assert sum(int(c) for c in re.findall(r"\d+", color)[:3]) > 3 * 128
    page.locator(".hc-lookup").first.scroll_into_view_if_needed()
    shot(page, "dark-keyboard-answer")


def test_lookup_after_instant_navigation(open_page, instant_service):
    """Arriving through Material's instant navigation, the widget still works."""
    page = open_page(instant_service.url + "/orders/")
    wait_for_material(page)
    page.evaluate("window.__sameDocument = true")
    page.locator("a[href$='order-status/']:visible").first.click()
    page.wait_for_url(re.compile(r"/order-status/$"))
    page.locator(".hc-lookup form").wait_for()
    assert page.evaluate("window.__sameDocument === true"), "the click reloaded the page"
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    assert_full_answer(page)
    shot(page, "instant-navigation-answer")


def test_without_javascript_the_page_renders_the_same_answer(open_page, service):
    """The form posts to the service's page, which says what the widget says, in the site's look."""
    page = open_page(service.url + "/order-status/")
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    with_js = answer_text(page)

    plain = open_page(service.url + "/order-status/", java_script_enabled=False)
    fill_and_submit(plain, DELIVERED)
    plain.wait_for_url(re.compile(r"/order-status/lookup$"))
    plain.locator(".hc-answer").wait_for()
    assert answer_text(plain) == with_js
    # Material's own style sheet is applied: the header bar has the primary colour.
    assert plain.locator(".md-header").evaluate("e => getComputedStyle(e).position") == "sticky"
    plain.get_by_role("link", name="← Back to the help center").wait_for()
    shot(plain, "no-js-answer")

    phone = open_page(service.url + "/order-status/", java_script_enabled=False, viewport=PHONE)
    fill_and_submit(phone, IN_TRANSIT)
    phone.locator(".hc-answer").wait_for()
    assert no_sideways_scroll(phone)
    shot(phone, "no-js-phone-answer")


def test_without_javascript_a_miss_is_a_page(open_page, service):
    """A miss without JavaScript is the generic not-found page, not an error dump."""
    page = open_page(
        service.url + "/order-status/", java_script_enabled=False, allow_network_errors=True
    )
    fill_and_submit(page, ("DEMO-0000", "nobody@example.com"))
    page.get_by_text("We could not find that order").wait_for()
    shot(page, "no-js-not-found")


def test_not_found_state(open_page, service):
    """A miss says so generically and lists what to check; focus moves to it."""
    page = open_page(service.url + "/order-status/", allow_network_errors=True)
    fill_and_submit(page, (DELIVERED[0], "someone.else@example.com"))
    heading = page.get_by_role("heading", name=re.compile("We could not find that order"))
    heading.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('hc-answer__title')")
    assert page.locator(".hc-problem li").count() == 3
    shot(page, "not-found")


def test_rate_limited_state(open_page, service):
    """A 429 says when to try again, from Retry-After."""
    page = open_page(service.url + "/order-status/", allow_network_errors=True)
    page.route(
        "**/api/orders/lookup",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "120", "Content-Type": "application/json"},
            body='{"error": {"status": 429, "title": "Too Many Requests", "detail": "Slow down."}}',
        ),
    )
    fill_and_submit(page, DELIVERED)
    page.get_by_role("heading", name=re.compile("Too many attempts")).wait_for()
    assert re.search(
        r"Try again in 2 minutes \(at \d\d:\d\d\)", page.locator(".hc-problem").inner_text()
    )
    shot(page, "rate-limited")


@pytest.fixture
def strict_service(tmp_path: Path, built_site: Path) -> Iterator:
    """The app with the real limiter allowing two failed lookups a minute."""
    app, server = start_service(tmp_path, built_site, rate="2/minute")
    with serving(server) as app.url:
        yield app


def test_rate_limited_by_the_real_limiter(open_page, strict_service):
    """Past the allowed misses the service's own 429 reaches the widget and the no-JS page."""
    page = open_page(strict_service.url + "/order-status/", allow_network_errors=True)
    guess = ("DEMO-9999", "guess@example.com")
    for _ in range(2):
        fill_and_submit(page, guess)
        page.get_by_role("heading", name=re.compile("could not find")).wait_for()
        page.locator(".hc-lookup__result").first.evaluate("e => e.replaceChildren()")
    fill_and_submit(page, guess)
    page.get_by_role("heading", name=re.compile("Too many attempts")).wait_for()
    text = page.locator(".hc-problem").inner_text()
    assert re.search(r"Try again in (\d+ seconds|\d+ minutes?) \(at \d\d:\d\d\)", text)

    plain = open_page(
        strict_service.url + "/order-status/", java_script_enabled=False, allow_network_errors=True
    )
    for _ in range(3):
        plain.goto(strict_service.url + "/order-status/")
        fill_and_submit(plain, guess)
        plain.wait_for_url(re.compile(r"/order-status/lookup$"))
    plain.get_by_role("heading", name=re.compile("Too many attempts")).wait_for()
    shot(plain, "no-js-rate-limited")


def test_loading_state(open_page, service):
    """While the answer is on its way the region says so and is busy."""
    page = open_page(service.url + "/order-status/")
    # Hold the request: Playwright lets a route wait until the test lets it through.
    held = []
    page.route("**/api/orders/lookup", lambda route: held.append(route))
    fill_and_submit(page, DELIVERED)
    result = page.locator(".hc-lookup__result").first
    page.get_by_text("Looking up your order…").wait_for()
    assert result.get_attribute("aria-busy") == "true"
    shot(page, "loading")
    held[0].continue_()
    page.locator(".hc-answer").wait_for()
    assert result.get_attribute("aria-busy") is None


def test_unreachable_state_keeps_contact_links(open_page, service):
    """With the service away, the widget says so and still shows how to reach the seller."""
    page = open_page(service.url + "/order-status/", allow_network_errors=True)
    page.route("**/api/orders/lookup", lambda route: route.abort("connectionrefused"))
    fill_and_submit(page, DELIVERED)
    page.get_by_role("heading", name=re.compile("not answering")).wait_for()
    link = page.get_by_role("link", name="How to contact a seller")
    assert link.get_attribute("href").endswith("/sellers/contact/")
    shot(page, "unreachable")


def test_site_hosted_apart_from_the_service(open_page, service, static_host):
    """A site on another host calls the configured API base across origins (CORS allowlist)."""
    page = open_page(static_host + "/order-status/")
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    assert_full_answer(page)
    assert service.url + "/api/orders/lookup" in requests
    # Every request stays on the site's host or the service: no third parties.
    assert all(url.startswith((static_host, service.url)) for url in requests)
    shot(page, "hosted-apart-answer")


def test_service_on_a_closed_port(open_page, tmp_path, built_site):
    """An API base nobody answers on gives the unreachable state, not a hang or a crash."""
    root = hosted_apart(built_site, tmp_path / "site", f"http://127.0.0.1:{free_port()}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=root))
    with serving(server) as url:
        page = open_page(url + "/order-status/", allow_network_errors=True)
        fill_and_submit(page, DELIVERED)
        page.get_by_role("heading", name=re.compile("not answering")).wait_for()
        assert page.get_by_role("link", name="How to contact a seller").is_visible()


def test_no_third_party_requests(open_page, service):
    """Loading pages and looking up an order touches the service's own host only."""
    page = open_page(service.url + "/")
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(service.url + "/order-status/")
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    assert requests and all(url.startswith(service.url) for url in requests)
