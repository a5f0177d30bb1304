"""`make docs`, the writers' preview: a saved edit shows in the open page; the widget and the help
bar answer in the preview from the service running beside it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from tests.helpers import free_port
from tests.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIN = Path(sys.executable).parent
DEMO_ORDER = ("DEMO-1011", "minho.kang@example.com")


@dataclass
class Preview:
    """The running `make docs`: the preview's address and the copy of the docs it watches."""

    url: str
    docs: Path


@pytest.fixture(scope="module")
def preview(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """`make docs` on free ports, previewing a temporary copy of the docs (the real ones stay)."""
    import search

    tmp = tmp_path_factory.mktemp("preview")
    copy = tmp / "project"
    shutil.copytree(PROJECT_DIR / "docs", copy / "docs")
    shutil.copytree(PROJECT_DIR / "theme", copy / "theme")
    shutil.copy(PROJECT_DIR / "mkdocs.yml", copy / "mkdocs.yml")
    search.build_index(built_site, tmp / "search-index")
    port, docs_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")}
    env |= {
        "HELPCENTER_SITE_DIR": str(built_site),
        "HELPCENTER_SEARCH_INDEX_DIR": str(tmp / "search-index"),
        "HELPCENTER_DATABASE_URL": f"sqlite:///{tmp / 'orders.sqlite'}",
    }
    subprocess.run([str(BIN / "helpcenter"), "demo"], env=env, check=True, capture_output=True,
                   timeout=120)
    log = (tmp / "make-docs.log").open("wb")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "docs", f"PORT={port}", f"DOCS_PORT={docs_port}",
         f"DOCS_CONFIG={copy / 'mkdocs.yml'}"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", timeout=120)
        url = f"http://127.0.0.1:{docs_port}"
        wait_for(url + "/", timeout=120)
        yield Preview(url, copy / "docs")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_a_saved_edit_shows_in_the_open_preview(preview: Preview, page):
    page.goto(preview.url + "/returns/policy/")
    marker = f"Preview check {uuid.uuid4().hex[:8]}"
    article = preview.docs / "returns" / "policy.md"
    article.write_text(article.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")
    # The preview rebuilds and reloads the page by itself: no navigation from the test.
    page.get_by_text(marker).wait_for(timeout=60_000)
    assert page.url.startswith(preview.url + "/returns/policy/")


def test_the_widget_answers_in_the_preview(preview: Preview, page):
    page.goto(preview.url + "/order-status/")
    widget = page.locator(".hc-lookup").first
    widget.get_by_label("Order number").fill(DEMO_ORDER[0])
    widget.get_by_label("Email").fill(DEMO_ORDER[1])
    widget.get_by_role("button", name="Look up order").click()
    answer = page.locator(".hc-answer")
    answer.wait_for(timeout=30_000)
    assert DEMO_ORDER[0] in answer.inner_text()


def test_the_help_bar_answers_in_the_preview(preview: Preview, page):
    page.goto(preview.url + "/")
    page.locator("[data-md-component=search-query]").click()
    page.locator("[data-md-component=search-query]").press_sequentially("refund", delay=20)
    first = page.locator("[data-helpbar-results] .md-search-result__item a").first
    first.wait_for(timeout=30_000)
    # Results come from the service, linked to pages of the preview.
    assert first.get_attribute("href").startswith(("/", preview.url))
