"""WCAG 2.1 AA in Debian's Chromium: axe-core on every page, palette and widget state; keyboard."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from search import build_index
from tests.helpers import serving
from tests.test_widget_browser import DELIVERED
from tests.test_widget_browser import fill_and_submit
from tests.test_widget_browser import start_service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = PROJECT_DIR / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_DIR / "tests" / "artifacts" / "a11y"
# The WCAG 2.0 and 2.1 success criteria of levels A and AA, as axe-core tags its rules.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Browser colour preference -> the Material scheme it must select.
PALETTES = {"light": "default", "dark": "slate"}
DESKTOP = {"width": 1280, "height": 900}
# Reflow (WCAG 1.4.10): a 320 px phone, and a 1280 px window zoomed to 200%.
REFLOW_WIDTHS = (320, 640)
MISS = ("DEMO-0000", "nobody@example.com")
LOOKUP_API = "**/api/orders/lookup"


def site_paths(site: Path) -> list[str]:
    """Every page the build produced, as the path the server answers it on."""
    return [
        "/" + html.relative_to(site).as_posix().removesuffix("index.html")
        for html in sorted(site.rglob("*.html"))
    ]


# Transitions (a button's hover colour) run to their end, or are cancelled by a newer one: axe
# must not judge a colour in between.
MOTION_DONE = """() => Promise.all(document.getAnimations()
    .filter((a) => a.effect.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => null)))"""


def start_axe(page, scope: str = "document") -> None:
    """Inject axe-core if the page lacks it and start a WCAG A/AA run; axe_result collects it."""
    page.evaluate(MOTION_DONE)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    page.evaluate(
        """([scope, tags]) => {
            window.__axeRun = axe.run(scope === "document" ? document : scope, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            }).then((result) => result.violations.map((v) => ({
                rule: v.id,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            })));
        }""",
        [scope, WCAG_AA],
    )


def axe_result(page) -> list[dict]:
    """The violations of the run start_axe began, once it has finished."""
    return page.evaluate("() => window.__axeRun")


def axe_violations(page, scope: str = "document") -> list[dict]:
    """The WCAG A/AA violations axe-core finds in the page (or one part of it) as it is now."""
    start_axe(page, scope)
    return axe_result(page)


def describe(found: dict[str, list[dict]]) -> str:
    """One line per failing rule and view, with its first element: enough to start fixing."""
    lines = []
    for view, violations in found.items():
        for v in violations:
            first = v["nodes"][0]
            summary = " ".join((first["summary"] or "").split())[:200]
            lines.append(f"{view}: {v['rule']} x{len(v['nodes'])} at {first['target']}: {summary}")
    return "\n".join(lines)


def assert_no_violations(name: str, found: dict[str, list[dict]]) -> None:
    """Keep axe's raw results as a test artifact; fail with a readable list when any fail."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    failing = {view: v for view, v in found.items() if v}
    total = sum(len(v["nodes"]) for violations in failing.values() for v in violations)
    assert not failing, f"{total} failing elements over {len(found)} views:\n{describe(failing)}"


def sideways(page) -> dict[str, int]:
    """At each reflow width, how many CSS px the page is wider than the window, if it is."""
    wide = {}
    size = page.viewport_size
    for width in REFLOW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 640})
        extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if extra > 0:
            wide[f"{width}px"] = extra
    page.set_viewport_size(size)
    return wide


@pytest.fixture(scope="module")
def axe_installed() -> Path:
    """axe-core from npm, as `make test` installs it."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: `make axe` (run by `make test`) installs it")
    return AXE


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Iterator:
    """The app (site, API, search and no-JS page) with the demo orders, on a free port."""
    instance = tmp_path_factory.mktemp("a11y-instance")
    build_index(built_site, instance / "search-index")
    app, server = start_service(instance, built_site)
    with serving(server) as app.url:
        yield app


@pytest.fixture(scope="module")
def contexts(browser, axe_installed) -> Iterator[dict]:
    """One browser context per palette, shared by the tests of this module."""
    # The service's Content-Security-Policy forbids inline scripts, which is how Playwright
    # injects axe-core; bypassing it changes nothing else on the page.
    made = {
        name: browser.new_context(viewport=DESKTOP, color_scheme=name, bypass_csp=True)
        for name in PALETTES
    }
    yield made
    for context in made.values():
        context.close()


@pytest.fixture
def new_page(contexts) -> Iterator[Callable]:
    """Open a page in a palette's shared context; fail on script errors; close it after."""
    opened = []

    def opener(palette: str, url: str | None = None):
        page = contexts[palette].new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(str(exc)))
        opened.append(page)
        if url:
            page.goto(url)
        return page

    yield opener
    problems = [problem for page in opened for problem in page.problems]
    for page in opened:
        page.close()
    assert problems == []


def assert_palette(page, palette: str) -> None:
    """The page really shows the palette under test."""
    scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert scheme == PALETTES[palette], f"{page.url} shows {scheme} for {palette}"


# What Material's palette toggle does: copy the chosen palette's colours onto <body>. Unlike a
# click on the toggle it stores nothing, so the next page follows the browser's preference again.
SWITCH_PALETTE = """(scheme) => {
    const option = document.querySelector(`[data-md-color-scheme="${scheme}"].md-option`);
    for (const key of ["scheme", "primary", "accent", "media"]) {
        document.body.setAttribute(`data-md-color-${key}`, option.dataset[`mdColor${
            key[0].toUpperCase()}${key.slice(1)}`]);
    }
}"""


def test_every_page_meets_wcag_aa_in_both_palettes(new_page, service, built_site):
    """axe-core finds no WCAG 2.1 A/AA violation on any built page; none scrolls sideways."""
    paths = site_paths(built_site)
    assert len(paths) > 10
    page = new_page("light")
    found = {}
    wide = {}
    for path in paths:
        # Loaded in the light palette, checked, then switched to the dark one and checked again.
        page.goto(service.url + path)
        for palette, scheme in PALETTES.items():
            if palette != "light":
                page.evaluate(SWITCH_PALETTE, scheme)
            assert_palette(page, palette)
            found[f"{path} [{palette}]"] = axe_violations(page)
        wide.update({f"{path} at {w}": extra for w, extra in sideways(page).items()})
    assert_no_violations("pages", found)
    assert wide == {}


def widget_page(new_page, service, palette: str):
    """The widget's own page, its form ready."""
    page = new_page(palette, service.url + "/order-status/")
    page.locator(".hc-lookup form").wait_for()
    assert_palette(page, palette)
    return page


def settled(page, heading: str | re.Pattern = "") -> None:
    """Wait until the region is no longer busy and shows the answer (or problem) expected."""
    page.locator(".hc-lookup__result:not([aria-busy])").get_by_role(
        "heading", name=heading or re.compile(".")
    ).first.wait_for()


def state_empty(page) -> None:
    """Nothing asked yet."""


def state_invalid(page) -> None:
    """An order number of blanks only and an email without its @: each field says what is wrong."""
    fill_and_submit(page, ("   ", "minho.kang"))
    page.locator(".hc-lookup__error:visible").nth(1).wait_for()


def state_answer(page) -> None:
    """A delivered demo order, with its fold of earlier updates opened."""
    fill_and_submit(page, DELIVERED)
    settled(page, re.compile("Order DEMO-1011"))
    page.locator("details.hc-older summary").click()


def state_not_found(page) -> None:
    """A miss."""
    fill_and_submit(page, MISS)
    settled(page, re.compile("could not find"))


def state_too_many_attempts(page) -> None:
    """The service's 429 with its Retry-After."""
    page.route(
        LOOKUP_API,
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "120", "Content-Type": "application/json"},
            body='{"error": {"status": 429, "title": "Too Many Requests"}}',
        ),
    )
    fill_and_submit(page, DELIVERED)
    settled(page, re.compile("Too many attempts"))
    page.unroute(LOOKUP_API)


def state_service_away(page) -> None:
    """The service cannot be reached."""
    page.route(LOOKUP_API, lambda route: route.abort("connectionrefused"))
    fill_and_submit(page, DELIVERED)
    settled(page, re.compile("not answering"))
    page.unroute(LOOKUP_API)


def state_loading(page) -> None:
    """The request held on its way (left held: this state comes last)."""
    page.route(LOOKUP_API, lambda route: None)
    fill_and_submit(page, DELIVERED)
    page.locator(".hc-lookup__result[aria-busy=true]").wait_for()


# In this order on one page: each lookup replaces the state before it.
WIDGET_STATES = {
    "empty": state_empty,
    "invalid": state_invalid,
    "answer": state_answer,
    "not-found": state_not_found,
    "too-many-attempts": state_too_many_attempts,
    "service-away": state_service_away,
    "loading": state_loading,
}


@pytest.mark.parametrize("palette", PALETTES)
def test_every_widget_state_meets_wcag_aa(new_page, service, palette):
    """axe-core finds no violation in any state of the order widget; the answer reflows."""
    page = widget_page(new_page, service, palette)
    found = {}
    # The page around the widget is checked by the test above; here the widget's states are.
    for state, reach in WIDGET_STATES.items():
        reach(page)
        found[f"widget {state} [{palette}]"] = axe_violations(page, ".hc-lookup")
        if state == "answer":
            assert sideways(page) == {}
    assert_no_violations(f"widget-{palette}", found)


def no_js_page(new_page, service, palette: str, state: str):
    """The service's own order-status page (the form's target without JavaScript) in a state."""
    from lookup.web import pages

    url = service.url + "/order-status/lookup"
    page = new_page(palette)
    if state in ("limited", "unreachable"):
        # States the demo service cannot be pushed into at will: its own renderer draws them.
        with service.test_request_context("/order-status/lookup", method="POST"):
            html = pages.render(state, 503, retry_after=120).get_data(as_text=True)
        page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    else:
        order, email = {"answer": DELIVERED, "not_found": MISS, "invalid": ("", "")}[state]
        form = f"order_number={order}&email={email.replace('@', '%40')}"
        # The browser's address bar cannot post: the route turns this one navigation into the
        # form's POST, which the real service answers.
        page.route(
            url,
            lambda route: route.continue_(
                method="POST",
                post_data=form,
                headers={
                    **route.request.headers,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            ),
        )
    page.goto(url)
    page.locator(".hc-answer__title").wait_for()
    return page


def test_no_javascript_page_meets_wcag_aa(new_page, service):
    """axe-core finds no violation on the no-JS answer page in any of its states."""
    # Without a script to read the browser's preference, the page wears the site's first palette.
    palette = "light"
    found = {}
    wide = {}
    marked = 0
    for state in ("answer", "not_found", "invalid", "limited", "unreachable"):
        page = no_js_page(new_page, service, palette, state)
        found[f"no-js {state} [{palette}]"] = axe_violations(page)
        if state == "answer":
            wide = sideways(page)
        if state == "invalid":
            # Both fields were sent empty: both are marked, and tied to what the page says.
            marked = page.locator("[aria-invalid=true][aria-describedby$=hc-page-problem]").count()
        page.close()
    assert_no_violations(f"no-js-{palette}", found)
    assert wide == {}
    assert marked == 2


FOCUS_RING = r"""() => {
    // A visually hidden control (Material's palette switch) shows its focus on its label.
    const focused = document.activeElement;
    const shown = focused.offsetWidth && focused.offsetHeight ? focused
        : (focused.labels || [])[0] || focused;
    const style = getComputedStyle(shown);
    if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 1) return "";
    // The ring is drawn outside the element: measure it against the first opaque background
    // around the element (WCAG 1.4.11 asks 3:1 of it).
    const rgb = (css) => css.match(/[\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map((c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    let around = shown.parentElement;
    while (around && (rgb(getComputedStyle(around).backgroundColor)[3] ?? 1) < 1) {
        around = around.parentElement;
    }
    const back = rgb(around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)");
    const [a, b] = [luminance(rgb(style.outlineColor)), luminance(back)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    return ratio >= 3 ? `${style.outlineStyle} ${style.outlineColor} ${ratio.toFixed(1)}:1` : "";
}"""


def focus_ring(page) -> str:
    """How the focused element shows its focus (a ring of 3:1 or more), or "" when it does not."""
    return page.evaluate(FOCUS_RING)


def tab_until(page, condition: str, limit: int = 60) -> list[str]:
    """Press Tab until the condition holds; every stop on the way must show its focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => { const e = document.activeElement;
                const name = e.getAttribute("aria-label") || e.textContent || e.name || "";
                return `${e.tagName} ${name.trim().slice(0, 40)}`; }"""
        )
        assert focus_ring(page), f"no visible focus on {stop} after {stops}"
        stops.append(stop)
        if page.evaluate(condition):
            return stops
    raise AssertionError(f"{condition} never held after {limit} tabs: {stops}")


@pytest.mark.parametrize("palette", PALETTES)
def test_keyboard_alone_looks_up_an_order_and_opens_a_next_step(new_page, service, palette):
    """Skip link, fields, Enter, the answer's heading, a next step's article: no mouse at all."""
    page = widget_page(new_page, service, palette)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('md-skip')")
    assert focus_ring(page)
    page.keyboard.press("Enter")
    tab_until(page, "document.activeElement.name === 'order_number'")
    page.keyboard.type(DELIVERED[0])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "email"
    assert focus_ring(page)
    page.keyboard.type(DELIVERED[1])
    page.keyboard.press("Enter")
    settled(page, re.compile("Order DEMO-1011"))
    # The answer's heading has the focus: a screen reader reads it, the next Tab goes on from it.
    assert page.evaluate("document.activeElement.matches('h3.hc-answer__title')")
    # The stages are a list with the current one marked; deadlines are words, not a colour.
    assert page.locator("ol.hc-stages > li[aria-current=step]").count() == 1
    for due in page.locator(".hc-card__due").all_inner_texts():
        assert re.fullmatch(r"\w+( it)? by \w{3} \d{1,2} \w{3}( \d{4})? — .+", due), due
    tab_until(
        page,
        "!!document.activeElement.closest('.hc-card') && "
        "document.activeElement.href.startsWith(location.origin)",
    )
    target = page.evaluate("document.activeElement.href")
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    assert page.locator("article h1").is_visible()


def test_field_errors_are_tied_to_their_fields(new_page, service):
    """A field sent wrong says so under it, is marked invalid, and gets the focus."""
    page = widget_page(new_page, service, "light")
    state_invalid(page)
    order = page.locator(".hc-lookup").first.get_by_label("Order number")
    assert order.evaluate("e => e === document.activeElement")
    for field in (order, page.locator(".hc-lookup").first.get_by_label("Email")):
        assert field.get_attribute("aria-invalid") == "true"
        error = field.get_attribute("aria-describedby").split()[-1]
        assert page.locator(f"#{error}").inner_text().startswith("⚠ Enter ")
    assert page.locator(".hc-lookup__result").first.inner_text() == ""
    # Corrected and sent again: the marks go, the answer comes.
    fill_and_submit(page, DELIVERED)
    settled(page, re.compile("Order DEMO-1011"))
    assert page.locator("[aria-invalid]").count() == 0
    assert page.locator(".hc-lookup__error:visible").count() == 0


WATCH_REGION = """(region) => {
    // Every change to the live region, and the answers among them, as a screen reader gets them.
    window.__changes = [];
    new MutationObserver((records) => records.forEach((record) => {
        const answer = [...record.addedNodes].find((n) => n.nodeType === 1 &&
            n.matches(".hc-answer, .hc-problem"));
        window.__changes.push(answer ? answer.querySelector(".hc-answer__title").textContent : "");
    })).observe(region, {childList: true, subtree: true, characterData: true});
}"""
AFTER_TWO_FRAMES = """() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(done)))"""


def test_live_region_announces_one_answer_per_lookup(new_page, service):
    """Each lookup puts one answer in the live region, then leaves it alone until the next."""
    page = widget_page(new_page, service, "light")
    page.locator(".hc-lookup__result").first.evaluate(WATCH_REGION)
    lookups = [(DELIVERED, "Order DEMO-1011"), (MISS, "could not find"), (DELIVERED, "DEMO-1011")]
    for done, (order, says) in enumerate(lookups, start=1):
        fill_and_submit(page, order)
        page.wait_for_function(f"window.__changes.filter(Boolean).length >= {done}")
        settled(page, re.compile(says))
        # Anything queued behind the answer would have run by the second frame after it.
        page.evaluate(AFTER_TWO_FRAMES)
        changes = page.evaluate("window.__changes")
        answers = [title for title in changes if title]
        assert len(answers) == done, changes
        assert says in answers[-1]
        # After the answer, nothing more in the region: the last change is the answer itself.
        assert changes[-1] == answers[-1], changes


@pytest.mark.parametrize("palette", PALETTES)
def test_help_bar_from_the_keyboard(new_page, service, palette):
    """Results reached with the arrows, each showing its focus, closed with Escape; no violation."""
    page = new_page(palette, service.url + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.matches('[data-md-component=search-query]')")
    page.keyboard.type("refund")
    results = page.locator("[data-helpbar-results] a[data-helpbar-result]")
    results.first.wait_for()
    assert_no_violations(f"help-bar-{palette}", {
        f"help bar results [{palette}]": axe_violations(page, ".md-search")
    })
    assert page.locator("[data-helpbar-results] .md-search-result__meta").get_attribute(
        "aria-live"
    ) == "polite"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.matches('a[data-helpbar-result]')")
    assert focus_ring(page)
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.matches('[data-md-component=search-query]')")
    page.keyboard.press("Escape")
    page.evaluate(MOTION_DONE)
    assert not page.evaluate("document.getElementById('__search').checked")
    assert page.locator(".md-search__output").bounding_box()["height"] == 0
    # The focus is not left behind on a result that is no longer shown.
    assert not page.evaluate("!!document.activeElement.closest('[data-helpbar-results]')")


def test_reduced_motion_is_respected(browser, service):
    """With less motion asked for, nothing animates, transitions or scrolls smoothly."""
    context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(service.url + "/order-status/")
        fill_and_submit(page, DELIVERED)
        settled(page, re.compile("Order DEMO-1011"))
        moving = page.evaluate(
            """() => [...document.querySelectorAll("body *")].filter((e) => {
                const s = getComputedStyle(e);
                const longest = (v) => Math.max(...v.split(",").map((t) => parseFloat(t) || 0));
                return longest(s.transitionDuration) > 0.01 || longest(s.animationDuration) > 0.01
                    || s.scrollBehavior === "smooth";
            }).map((e) => e.className || e.tagName).slice(0, 10)"""
        )
    finally:
        context.close()
    assert moving == []
