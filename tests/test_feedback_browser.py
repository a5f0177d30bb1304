"""In Debian's Chromium: vote on an article, search for something absent, see both in the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from search import build_index

pytestmark = pytest.mark.browser

TOKEN = "operator-token-for-the-browser-test"
ARTICLE = "/returns/policy/"
HELPFUL = "button[title='This page was helpful']"
NOT_HELPFUL = "button[title='This page could be improved']"
BOX = "[data-md-component=search-query]"
OURS = "[data-helpbar-results]"


@pytest.fixture
def service(app, built_site: Path, tmp_path: Path, live_server: str) -> str:
    """The whole service with a search index and an operator (counts go to the test's database)."""
    build_index(built_site, tmp_path / "index")
    app.config.update(SEARCH_INDEX_DIR=str(tmp_path / "index"), OPERATOR_TOKEN=TOKEN)
    # A ready service: the index and the word lists loaded (seconds on a busy machine), so the
    # help bar's first question is not the one that waits for them and falls back to Material.
    # Asked of the index directly, so nothing is counted.
    from lookup.web.search_api import get_search_index

    with app.app_context():
        get_search_index().search("zebar refnud")
    return live_server


@pytest.fixture
def page(browser):
    """A fresh page that fails the test on any script error or unexpected failed request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Expected: the refused second vote (409) and the operator's sign-in page (401).
    expected = re.compile(r"status of (409|401)")
    page.on("console", lambda msg: msg.type == "error" and not expected.search(msg.text)
            and errors.append(f"{msg.text} {msg.location['url']}"))
    yield page
    context.close()
    assert errors == []


def votes(app) -> list[tuple[str, bool, str | None]]:
    """The stored votes: (page, helpful, comment)."""
    insights = app.extensions["insights"]
    insights.ensure_schema()
    with insights.orders.read() as conn:
        rows = conn.execute(select(insights.votes)).all()
    return sorted((r.page, r.helpful, r.comment) for r in rows)


def test_vote_search_and_see_both_in_the_report(app, service, page):
    sent = []
    page.on("request", lambda r: r.url.endswith("/api/feedback") and sent.append(r.post_data))

    # A "yes" in one view of the article: stored, thanked, a comment offered.
    page.goto(service + ARTICLE)
    # Controls are pressed from the keyboard: what may overlap them on screen (the table of
    # contents, while the page settles) cannot take the press.
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as answered:
        page.locator(HELPFUL).press("Enter")
    assert answered.value.status == 201
    assert page.get_by_text("Thanks for your feedback!").first.is_visible()
    page.locator("[data-feedback-comment]").wait_for()

    # A second vote from the same view is not sent, and the server refuses it if forced.
    page.evaluate("document.forms.feedback.querySelector('fieldset').disabled = false")
    page.locator(NOT_HELPFUL).dispatch_event("click")
    replay = page.evaluate("""body => fetch('/api/feedback', {method: 'POST', body,
        headers: {'Content-Type': 'application/json'}}).then(r => r.status)""", sent[0])
    assert replay == 409
    # Requests are reported in order: had the click sent a vote, it would stand before the replay.
    assert sent == [sent[0], sent[0]]
    assert votes(app) == [(ARTICLE, True, None)]

    # A "no" with a comment in a new view: the contact path appears, prefilled with the page.
    page.reload()
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")):
        page.locator(NOT_HELPFUL).press("Enter")
    contact = page.get_by_role("link", name="Contact our support team about this page")
    contact.wait_for()
    assert contact.get_attribute("href").endswith(
        f"/sellers/contact/?page={ARTICLE}#contact-support")
    page.get_by_label("Anything we should add or fix? (optional)").fill(
        "Which courier do I use for the return?")
    with page.expect_response(lambda r: r.url.endswith("/api/feedback/comment")) as commented:
        page.get_by_role("button", name="Send comment").press("Enter")
    assert commented.value.status == 200
    page.get_by_text("Thank you, your comment was sent.").wait_for()
    assert votes(app) == [(ARTICLE, False, "Which courier do I use for the return?"),
                          (ARTICLE, True, None)]
    assert page.context.cookies() == []
    contact.press("Enter")
    page.wait_for_url(re.compile(r"/sellers/contact/\?page=/returns/policy/#contact-support$"))

    # A search for something the articles do not cover, and one whose answer is opened.
    page.locator(BOX).click()
    page.locator(BOX).fill("xylophone zebra")
    page.locator(f"{OURS}[data-query='xylophone zebra'] .md-search-result__meta").get_by_text(
        "No matching").wait_for()
    page.locator(BOX).fill("refund")
    first = page.locator(f"{OURS}[data-query='refund'] .md-search-result__item a").first
    first.wait_for()
    with page.expect_request(lambda r: r.url.endswith("/api/search/click")) as clicked:
        first.press("Enter")
    beacon = json.loads(clicked.value.post_data)
    assert beacon["query"] == "refund"
    assert beacon["url"].startswith("/") and "#" in beacon["url"], "the opened section's path"
    page.wait_for_load_state()

    # The operator signs in with the token and sees the votes and the search gap.
    page.goto(service + "/operator/report")
    page.get_by_label("Operator token").fill(TOKEN)
    page.get_by_role("button", name="Show the report").press("Enter")
    page.get_by_role("heading", name="Help center report").wait_for()
    articles = page.locator("section", has=page.locator("#articles"))
    assert ARTICLE in articles.inner_text()
    assert "50%" in articles.inner_text()
    assert "Which courier do I use for the return?" in articles.inner_text()
    gaps = page.locator("section", has=page.locator("#zero-result")).inner_text()
    assert "xylophone zebra" in gaps
    top = page.locator("section", has=page.locator("#top-searches")).inner_text()
    assert re.search(r"refund\s+\d+\s+0\s+1", top)
