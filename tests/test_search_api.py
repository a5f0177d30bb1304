"""GET /api/search: the contract, the 503 when the index is away, zero-result counting, health."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from lookup import create_app
from lookup.web.insights import today


@pytest.fixture(scope="session")
def site_index(built_index: Path) -> Path:
    """The real site's search index: the session's one (tests/conftest.py), built once."""
    return built_index


@pytest.fixture
def search_app(tmp_path: Path, built_site: Path, site_index: Path):
    """An app whose search index is built (a copy, so tests may break it)."""
    # Not conftest's tmp_path / "search-index": a test may use both apps and that one has none.
    index_dir = tmp_path / "built-index"
    shutil.copytree(site_index, index_dir)
    return create_app({
        "TESTING": True,
        "SITE_DIR": str(built_site),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
        "SEARCH_INDEX_DIR": str(index_dir),
    })


@pytest.fixture
def search_client(search_app):
    """A test client for the app with an index."""
    return search_app.test_client()


def assert_api_error(response, status: int) -> dict:
    """The canonical error shape from lookup.web.errors, with the expected status."""
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == status
    assert set(error) >= {"status", "title", "detail"}
    return error


def test_search_answers_with_sections(search_client):
    response = search_client.get("/api/search", query_string={"q": "refund times", "limit": 5})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["query"] == "refund times"
    assert 1 <= len(answer["results"]) <= 5
    first = answer["results"][0]
    assert set(first) >= {"title", "url", "snippet", "score"}
    assert first["url"] == "/refunds/#refund-times"
    assert "<mark>" in first["snippet"]
    scores = [result["score"] for result in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_every_result_url_is_served_by_the_site(search_client, built_site: Path):
    answer = search_client.get("/api/search?q=order&limit=50").get_json()
    assert answer["results"]
    for result in answer["results"]:
        path, _, anchor = result["url"].partition("#")
        html = (built_site / path.lstrip("/") / "index.html").read_text(encoding="utf-8")
        if anchor:
            assert f'id="{anchor}"' in html


def test_suggestion_for_a_typo(search_client):
    answer = search_client.get("/api/search?q=refnud").get_json()
    assert answer["suggestion"] == "refund"
    assert answer["results"][0]["url"].startswith("/refunds/")


@pytest.mark.parametrize("query", [
    "", "refund AND", 'title:"x', "a" * 5000, "🙂", "환불", "\u202e\u200b", "../../etc/passwd",
    "*?~^:[]{}()", "%00", "OR OR OR",
])
def test_never_a_server_error(search_client, query):
    response = search_client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200
    assert isinstance(response.get_json()["results"], list)


def test_missing_q_is_an_empty_answer(search_client):
    assert search_client.get("/api/search").get_json() == {"query": "", "results": []}


def test_bad_limit_is_a_400(search_client):
    assert_api_error(search_client.get("/api/search?q=refund&limit=ten"), 400)


def test_limit_is_clamped(search_client):
    assert len(search_client.get("/api/search?q=order&limit=0").get_json()["results"]) == 1
    assert len(search_client.get("/api/search?q=order&limit=999").get_json()["results"]) <= 50


def test_missing_index_is_a_503_and_logs_how_to_rebuild(client, caplog):
    # conftest's app has an empty instance folder: no index was ever built.
    with caplog.at_level(logging.WARNING, logger="lookup.web.search_api"):
        response = client.get("/api/search?q=refund")
        client.get("/api/search?q=refund")
    error = assert_api_error(response, 503)
    assert "helpcenter build" in error["detail"]
    rebuild_hints = [r for r in caplog.records if "helpcenter build" in r.getMessage()]
    assert len(rebuild_hints) == 1
    # The rest of the service keeps working.
    page = client.get("/")
    assert page.status_code == 200
    page.close()


def test_broken_index_is_a_503(search_app, search_client):
    index_dir = Path(search_app.config["SEARCH_INDEX_DIR"])
    for toc in index_dir.glob("*.toc"):
        toc.write_bytes(b"garbage")
    assert_api_error(search_client.get("/api/search?q=refund"), 503)


def test_index_deleted_while_serving_is_a_503_then_recovers(search_app, search_client,
                                                           site_index: Path):
    assert search_client.get("/api/search?q=refund").status_code == 200
    index_dir = Path(search_app.config["SEARCH_INDEX_DIR"])
    shutil.rmtree(index_dir)
    assert_api_error(search_client.get("/api/search?q=refund"), 503)
    shutil.copytree(site_index, index_dir)
    assert search_client.get("/api/search?q=refund").status_code == 200


def test_index_is_opened_once_per_app(search_app, search_client):
    search_client.get("/api/search?q=refund")
    opened = search_app.extensions["search"].index
    search_client.get("/api/search?q=return")
    assert search_app.extensions["search"].index is opened


def test_zero_result_queries_are_counted(search_app, search_client):
    """Searches are counted by their normalised text, with how many found nothing."""
    search_client.get("/api/search?q=Xylophone  Zebra")
    search_client.get("/api/search?q=xylophone zebra")
    search_client.get("/api/search?q=refund")
    day = today()
    rows = search_app.extensions["insights"].search_days(day, day)
    assert [(query, searches, zero) for query, searches, zero, _ in rows] == [
        ("xylophone zebra", 2, 2), ("refund", 1, 0)]
    search_client.get("/api/search?q=실로폰 얼룩말")
    result = search_app.test_cli_runner().invoke(args=["search-misses"])
    lines = result.output.splitlines()
    assert lines[0].split() == ["2", day.isoformat(), "en", "xylophone", "zebra"]
    assert lines[1].split() == ["1", day.isoformat(), "ko", "실로폰", "얼룩말"]


def test_health_reports_the_index(search_client, client):
    checks = search_client.get("/api/health").get_json()["checks"]
    assert checks["search"]["status"] == "ok"
    assert checks["search"]["sections"] > 50
    missing = client.get("/api/health").get_json()
    assert missing["status"] == "degraded"
    assert missing["checks"]["search"]["status"] == "degraded"
    assert "helpcenter build" in missing["checks"]["search"]["detail"]


def test_repeated_question_gets_the_same_answer(search_client):
    # The second answer may come from the index's answer cache: it must not differ.
    first = search_client.get("/api/search", query_string={"q": "where is my parcel"}).get_json()
    second = search_client.get("/api/search", query_string={"q": "where is my parcel"}).get_json()
    assert first["results"]
    assert second == first


def test_lookup_questions_carry_the_lookup_link(search_client):
    answer = search_client.get("/api/search?q=where+is+my+parcel").get_json()
    assert answer["lookup"]["url"] == "/order-status/"
    assert answer["lookup"]["step"] == "track"
    # The contract's fields are all still there.
    assert answer["results"] and {"title", "url", "snippet", "score"} <= answer["results"][0].keys()
    other = search_client.get("/api/search?q=free+shipping").get_json()
    assert "lookup" not in other
