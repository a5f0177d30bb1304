"""Our search on the real articles: buyers' questions must find the section that answers them.

Two sets, each split into a development part (techniques may be tuned on it) and a held-out part
(only ever measured): tests/relevance.toml, questions that mostly use the articles' own words, and
tests/relevance-buyers.toml, questions in buyers' own words. The targets are held on the held-out
part of the buyers' set, and on tests/relevance-buyers-fresh.toml, held-out questions written
after the tuning; the articles' words set must lose nothing (issue 13).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from search import build_index
from search import open_index
from search.asked import read_also_asked

TESTS_DIR = Path(__file__).parent
ARTICLES_WORDS = TESTS_DIR / "relevance.toml"
BUYERS_WORDS = TESTS_DIR / "relevance-buyers.toml"
# Written after the tuning, by someone who saw neither the search nor its data: held-out only.
BUYERS_FRESH = TESTS_DIR / "relevance-buyers-fresh.toml"
DOCS_DIR = TESTS_DIR.parent / "docs"
# Issue 13's targets, on the held-out part of the buyers' words.
MIN_SUCCESS_AT_3 = 0.90
MIN_MRR_AT_10 = 0.80
# What the held-out part reached: 0.871 / 0.752 (from 0.505 / 0.433) on the articles before their
# rewrite. The rewrite added pages whose sections now compete, the labels were updated from them
# (a customs question replaced, new sections accepted): 0.871 / 0.742 before tuning, 0.882 / 0.736
# after tuning on the development part (bench/latest/relevance-after-*.json); 0.882 / 0.811 with
# more "also asked as" lines in every article. Never less.
REACHED_SUCCESS_AT_3 = 0.88
REACHED_MRR_AT_10 = 0.81
# The articles' words set scored 0.984 / 0.933 (both parts) before the buyers' words work:
# "no loss" within one question of 64.
ARTICLES_MIN_SUCCESS_AT_3 = 0.96
ARTICLES_MIN_MRR_AT_10 = 0.92
QUESTION_WORDS = set("a an the i my is do does did have to of it can what how why when where who "
                     "if and or be in on for me".split())


def load_cases(path: Path, part: str | None = None) -> list[dict]:
    """The cases of one set (of one part): question, expected URL, other acceptable URLs."""
    cases = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
    return [case for case in cases if part is None or case["part"] == part]


def first_hit(urls: list[str], case: dict) -> int | None:
    """The 1-based rank of the first acceptable URL, or None."""
    wanted = {case["url"], *case.get("also", [])}
    return next((rank for rank, url in enumerate(urls, 1) if url in wanted), None)


def measure(site_search, cases: list[dict]) -> tuple[float, float, list]:
    """success@3, MRR@10 and the misses (question, wanted, top three) of a list of cases."""
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
    return success, mrr, misses


def words(text: str) -> list[str]:
    """Lowercased words, apostrophes kept inside them."""
    return re.findall(r"[a-z0-9']+", text.lower())


def headings() -> list[str]:
    """Every h1-h3 heading of the articles, without its anchor."""
    found = []
    for path in DOCS_DIR.rglob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^#{1,3} (.*?)(\{#.*\})?\s*$", line)
            if match:
                found.append(match.group(1))
    return found


@pytest.fixture(scope="module")
def site_search(built_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real site's index, opened."""
    index_dir = tmp_path_factory.mktemp("relevance") / "index"
    build_index(built_site, index_dir)
    opened = open_index(index_dir)
    yield opened
    opened.close()


@pytest.mark.parametrize("path", [ARTICLES_WORDS, BUYERS_WORDS], ids=["articles", "buyers"])
def test_sets_are_split_in_two_varied_parts(path: Path):
    cases = load_cases(path)
    assert len({case["q"] for case in cases}) == len(cases)
    assert {case["part"] for case in cases} == {"dev", "held-out"}
    held_out = len(load_cases(path, "held-out"))
    assert abs(held_out - len(cases) / 2) <= 1
    assert sum(1 for case in cases if case["q"].rstrip().endswith("?")) >= 2


@pytest.mark.parametrize(("path", "size"), [(BUYERS_WORDS, 150), (BUYERS_FRESH, 100)],
                         ids=["buyers", "fresh"])
def test_buyers_set_is_big_and_never_copies_a_heading(path: Path, size: int):
    cases = load_cases(path)
    assert len(cases) >= size
    for case in cases:
        asked = words(case["q"])
        for heading in headings():
            said = words(heading)
            content = [word for word in said if word not in QUESTION_WORDS]
            assert len(content) < 2 or not set(content) <= set(asked), (case["q"], heading)
            # A run of four words copies a heading when it carries two of its content words:
            # "do i have to pay" asks like "Do I have to pay customs duty…?" but copies nothing.
            runs = {" ".join(said[i:i + 4]) for i in range(len(said) - 3)
                    if len(set(said[i:i + 4]) - QUESTION_WORDS) >= 2}
            assert not any(run in " ".join(asked) for run in runs), (case["q"], heading)


def test_also_asked_never_copies_a_held_out_question():
    # An author's line that repeats a held-out question would make the held-out figures a
    # memory test.
    held_out = [set(words(case["q"])) - QUESTION_WORDS
                for path in (BUYERS_WORDS, BUYERS_FRESH) for case in load_cases(path, "held-out")]
    for url, questions in read_also_asked(DOCS_DIR).items():
        for question in questions:
            mine = set(words(question)) - QUESTION_WORDS
            for theirs in held_out:
                overlap = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0
                assert overlap < 0.6, (url, question, theirs)


@pytest.mark.parametrize("path", [ARTICLES_WORDS, BUYERS_WORDS, BUYERS_FRESH],
                         ids=["articles", "buyers", "fresh"])
def test_every_expected_section_exists(built_site: Path, path: Path):
    for case in load_cases(path):
        for url in [case["url"], *case.get("also", [])]:
            page, _, anchor = url.partition("#")
            html = (built_site / page.lstrip("/") / "index.html").read_text(encoding="utf-8")
            assert not anchor or f'id="{anchor}"' in html, url


def test_every_also_asked_section_exists(built_site: Path):
    also_asked = read_also_asked(DOCS_DIR)
    assert len(also_asked) >= 50
    for url in also_asked:
        page, _, anchor = url.partition("#")
        html = (built_site / page.lstrip("/") / "index.html").read_text(encoding="utf-8")
        assert f'id="{anchor}"' in html, url


def test_buyers_words_held_out_keep_what_was_reached(site_search):
    success, mrr, misses = measure(site_search, load_cases(BUYERS_WORDS, "held-out"))
    assert success >= REACHED_SUCCESS_AT_3, (success, misses)
    assert mrr >= REACHED_MRR_AT_10, (mrr, misses)


def test_buyers_words_held_out_at_the_targets(site_search):
    # 0.892 / 0.812 until the rules learnt from a third development set
    # (tests/relevance-buyers-third.toml); 0.903 / 0.820 measured once after them.
    success, mrr, misses = measure(site_search, load_cases(BUYERS_WORDS, "held-out"))
    assert success >= MIN_SUCCESS_AT_3, (success, misses)
    assert mrr >= MIN_MRR_AT_10, (mrr, misses)


def test_fresh_buyers_questions_at_the_targets(site_search):
    # 0.940 / 0.890 the first time they were asked; 0.940 / 0.878 once four questions that repeated
    # a heading were reworded and the "also asked as" lines close to any of them were deleted.
    cases = load_cases(BUYERS_FRESH)
    assert {case["part"] for case in cases} == {"held-out"}
    success, mrr, misses = measure(site_search, cases)
    assert success >= MIN_SUCCESS_AT_3, (success, misses)
    assert mrr >= MIN_MRR_AT_10, (mrr, misses)


def test_articles_words_lose_nothing(site_search):
    success, mrr, misses = measure(site_search, load_cases(ARTICLES_WORDS))
    assert success >= ARTICLES_MIN_SUCCESS_AT_3, (success, misses)
    assert mrr >= ARTICLES_MIN_MRR_AT_10, (mrr, misses)
