"""Our search on the real articles: buyers' questions must find the section that answers them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from search import build_index
from search import open_index

RELEVANCE_FILE = Path(__file__).with_name("relevance.toml")
# Targets from issue 5. Material's built-in search scored MRR@10 0.645 on this set when measured
# (its page headers skipped, the reading kindest to it) with bench/search_relevance.py, so 0.80
# keeps us at least 0.15 above it.
MIN_SUCCESS_AT_3 = 0.90
MIN_MRR_AT_10 = 0.80


def load_cases() -> list[dict]:
    """The relevance set: question, expected section URL, other acceptable URLs."""
    return tomllib.loads(RELEVANCE_FILE.read_text(encoding="utf-8"))["case"]


def first_hit(urls: list[str], case: dict) -> int | None:
    """The 1-based rank of the first acceptable URL, or None."""
    wanted = {case["url"], *case.get("also", [])}
    return next((rank for rank, url in enumerate(urls, 1) if url in wanted), None)


@pytest.fixture(scope="module")
def site_search(built_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real site's index, opened."""
    index_dir = tmp_path_factory.mktemp("relevance") / "index"
    build_index(built_site, index_dir)
    opened = open_index(index_dir)
    yield opened
    opened.close()


def test_relevance_set_is_big_and_varied():
    cases = load_cases()
    assert len(cases) >= 40
    assert len({case["q"] for case in cases}) == len(cases)
    assert sum(1 for case in cases if case["q"].rstrip().endswith("?")) >= 2


def test_every_expected_section_exists(built_site: Path):
    for case in load_cases():
        for url in [case["url"], *case.get("also", [])]:
            path, _, anchor = url.partition("#")
            html = (built_site / path.lstrip("/") / "index.html").read_text(encoding="utf-8")
            assert not anchor or f'id="{anchor}"' in html, url


def test_success_at_3_and_mrr_at_10(site_search):
    cases = load_cases()
    ranks = []
    misses = []
    for case in cases:
        urls = [result["url"] for result in site_search.search(case["q"], 10)["results"]]
        rank = first_hit(urls, case)
        ranks.append(rank)
        if rank is None or rank > 3:
            misses.append((case["q"], case["url"], urls[:3]))
    success = sum(1 for rank in ranks if rank and rank <= 3) / len(cases)
    mrr = sum(1 / rank for rank in ranks if rank) / len(cases)
    assert success >= MIN_SUCCESS_AT_3, misses
    assert mrr >= MIN_MRR_AT_10, misses
