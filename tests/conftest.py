"""Shared fixtures: the app (flaskr style), a built site, and Debian's Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

# Tests that build through the API (`mkdocs.commands.build`) run on ProperDocs, as the command line
# does: importing its replacement module points every `mkdocs.*` import at `properdocs.*`.
import properdocs.replacement  # noqa: F401
import pytest

from lookup import PROJECT_DIR
from lookup import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]



@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's site, built once per test session with the real mkdocs.yml."""
    from lookup.web.cli import build_site

    site_dir = tmp_path_factory.mktemp("site")
    build_site(site_dir, PROJECT_DIR / "mkdocs.yml")
    return site_dir


@pytest.fixture(scope="session")
def built_index(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search index of the session's built site (read-only: queries never write)."""
    from search import build_index

    index_dir = tmp_path_factory.mktemp("built-index") / "index"
    build_index(built_site, index_dir)
    return index_dir


@pytest.fixture
def indexed_app(app, built_index: Path):
    """The app with the built site's search index, as `helpcenter serve` runs it."""
    app.config["SEARCH_INDEX_DIR"] = str(built_index)
    return app


@pytest.fixture
def app(tmp_path: Path, built_site: Path):
    """An app on a fresh instance folder, serving the session's built site."""
    app = create_app(
        {
            "TESTING": True,
            "SITE_DIR": str(built_site),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        }
    )
    yield app


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped with a reason where it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: `make test` installs it with apt")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port in a background thread; yields its base URL."""
    from werkzeug.serving import make_server

    from tests.helpers import serving

    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url
