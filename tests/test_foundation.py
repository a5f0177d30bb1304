"""The ground: the policy placeholders, the strict build, the CLI, the served site and health."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lookup import PROJECT_DIR
from lookup.policy import POLICY_FILE
from lookup.policy import effective_policy
from lookup.policy import format_value
from lookup.policy import load_policy
from lookup.web.cli import build_site
from lookup.web.cli import main
from tests.helpers import free_port
from tests.helpers import wait_for

MINI_CONFIG = """
site_name: Mini
docs_dir: {docs}
theme:
  name: material
  custom_dir: {project}/theme
hooks:
  - {project}/theme/hooks/policy.py
"""


def mini_site(tmp_path: Path, page: str) -> Path:
    """Write a one-page site that uses the project's theme and policy hook; return its config."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(page, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(MINI_CONFIG.format(docs=docs, project=PROJECT_DIR), encoding="utf-8")
    return config


def test_policy_file_is_the_one_source():
    """The policy loads from its file, every figure is named once, and formats for people."""
    policy = load_policy()
    assert policy["return_window_days"] == 14
    assert format_value(policy["free_shipping_domestic"]) == "20,000 KRW"
    assert format_value(policy["free_shipping_international"]) == "$120"
    assert set(policy["seller_may_override"]) <= set(policy)


def test_seller_may_only_change_allowed_figures():
    """A seller's store policy overrides allowed figures and nothing else."""
    policy = load_policy()
    merged = effective_policy(
        policy, {"return_window_days": 30, "unpaid_cancel_days": 1, "exchange_window_days": "x"}
    )
    assert merged["return_window_days"] == 30
    assert merged["unpaid_cancel_days"] == policy["unpaid_cancel_days"]
    assert merged["exchange_window_days"] == policy["exchange_window_days"]


def test_strict_build_of_the_real_site(built_site: Path):
    """The project's site builds with --strict and no placeholder survives."""
    index = (built_site / "index.html").read_text(encoding="utf-8")
    assert "{{" not in index
    assert (built_site / "search" / "search_index.json").is_file(), (
        "Material's search is the fallback")


def test_changed_policy_value_changes_article_text(tmp_path: Path, monkeypatch):
    """Editing a figure in the policy file changes what the article prints."""
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        POLICY_FILE.read_text(encoding="utf-8").replace(
            "return_window_days = 14", "return_window_days = 21"
        ),
        encoding="utf-8",
    )
    config = mini_site(tmp_path,
                       "# Returns\n\nReturn within {{ policy.return_window_days }} days.\n")
    monkeypatch.setenv("HELPCENTER_POLICY_FILE", str(policy_file))
    build_site(tmp_path / "site", config)
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Return within 21 days." in html


def test_unknown_placeholder_fails_the_build_naming_page_and_placeholder(tmp_path: Path):
    """A misspelt placeholder stops the build with a message that names the page and the name."""
    config = mini_site(tmp_path,
                       "# Returns\n\nReturn within {{ policy.retrun_window_days }} days.\n")
    result = subprocess.run(
        [sys.executable, "-m", "properdocs", "build", "--strict", "-f", str(config),
         "-d", str(tmp_path / "site")],
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "index.md" in result.stderr
    assert "{{ policy.retrun_window_days }}" in result.stderr


def test_health_answers(client):
    """/api/health reports each check and an overall status."""
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] in {"ok", "degraded"}
    assert body["checks"]["site"]["status"] == "ok"


def test_site_is_served_from_the_app(client):
    """The app serves the built site: home page, folders with a slash, a 404 page for the rest."""
    with client.get("/") as home:
        assert home.status_code == 200
        assert b"<html" in home.data
    assert client.get("/orders").status_code == 308
    with client.get("/no-such-page/") as missing:
        assert missing.status_code == 404
        assert b"<html" in missing.data, "the site's own 404 page"
    with client.get("/../pyproject.toml") as climbing:
        assert climbing.status_code in {400, 404}
        assert b"[project]" not in climbing.data


def test_unbuilt_site_answers_503_not_a_crash(tmp_path: Path):
    """With no site built yet, pages answer 503 with advice and the API still answers."""
    from lookup import create_app

    app = create_app({"TESTING": True, "SITE_DIR": str(tmp_path / "nothing"),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert b"helpcenter build" in response.data
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert health["checks"]["site"]["status"] == "degraded"


def test_unknown_api_route_is_json(client):
    """A route the API does not have answers with the one JSON error shape."""
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_cli_help_lists_the_commands():
    """`helpcenter --help` names serve, build, import and demo."""
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "build", "import", "demo"):
        assert command in result.output


def test_cli_build_makes_site_and_index(tmp_path: Path, monkeypatch):
    """`helpcenter build` builds the site and the search index where the config says."""
    monkeypatch.setenv("HELPCENTER_SITE_DIR", str(tmp_path / "site"))
    monkeypatch.setenv("HELPCENTER_SEARCH_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", f"sqlite:///{tmp_path / 'o.sqlite'}")
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "index.html").is_file()
    assert any((tmp_path / "index").iterdir())


@pytest.mark.slow
def test_serve_runs_site_and_api_on_one_port(tmp_path: Path, built_site: Path):
    """`helpcenter serve --port` serves the site and /api/health from one process."""
    port = free_port()
    env = {**os.environ,
           "HELPCENTER_SITE_DIR": str(built_site),
           "HELPCENTER_SEARCH_INDEX_DIR": str(tmp_path / "index"),
           "HELPCENTER_DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}"}
    helpcenter = shutil.which("helpcenter", path=str(Path(sys.executable).parent))
    process = subprocess.Popen([helpcenter, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/api/health", timeout=120)
        assert b'"status"' in health
        assert b"<html" in wait_for(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_app_asks_once_whether_a_function_is_async(app):
    """Plain views and hooks run as they are; an async one still goes to Flask, every time, and
    a callable that cannot be a cache key is asked each time."""

    def view() -> str:
        return "plain"

    async def coroutine() -> str:
        return "async"

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> str:
            return "called"

    odd = Unhashable()
    for _ in range(2):  # the second time from what was worked out the first
        assert app.ensure_sync(view) is view
        assert app.ensure_sync(odd) is odd
        # Flask wraps a coroutine function, or says what it needs to (the async extra).
        try:
            wrapped = app.ensure_sync(coroutine)
        except RuntimeError as exc:
            assert "async" in str(exc)
        else:
            assert wrapped is not coroutine and wrapped() == "async"
