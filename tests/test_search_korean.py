"""Search in Korean: its own index and analysis, the relevance set, the API's `lang`."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from lookup import create_app
from search import build_index
from search import open_index
from search.asked import read_also_asked
from search.korean import split_word
from search.korean import split_words
from search.language import load_language
from search.language import query_language
from tests.test_helpbar_browser import service  # noqa: F401  (a fixture)

TESTS_DIR = Path(__file__).resolve().parent
DOCS_DIR = TESTS_DIR.parent / "docs"
KOREAN_BUYERS = TESTS_DIR / "relevance-ko-buyers.toml"
# Issue 16's target on the held-out part.
MIN_SUCCESS_AT_3 = 0.90
# What the held-out part reached with syllable pairs (0.910 / 0.868, from 0.371 / 0.307 before:
# bench/latest/relevance-ko-*.json): never less.
REACHED_SUCCESS_AT_3 = 0.91
REACHED_MRR_AT_10 = 0.86
RETURN_WINDOW = "/ko/returns/policy/#return-window"
_WORD = re.compile(r"\w+")


def load_cases(part: str | None = None) -> list[dict]:
    """The Korean buyers' questions (of one part)."""
    cases = tomllib.loads(KOREAN_BUYERS.read_text(encoding="utf-8"))["case"]
    return [case for case in cases if part is None or case["part"] == part]


def measure(site_search, cases: list[dict]) -> tuple[float, float, list]:
    """success@3, MRR@10 and the misses of a list of cases."""
    ranks, misses = [], []
    for case in cases:
        urls = [result["url"] for result in site_search.search(case["q"], 10)["results"]]
        wanted = {case["url"], *case.get("also", [])}
        rank = next((rank for rank, url in enumerate(urls, 1) if url in wanted), None)
        ranks.append(rank)
        if rank is None or rank > 3:
            misses.append((case["q"], case["url"], urls[:3]))
    success = sum(1 for rank in ranks if rank and rank <= 3) / len(cases)
    return success, sum(1 / rank for rank in ranks if rank) / len(cases), misses


def pairs(text: str) -> set[str]:
    """The syllable pairs (and other words) text is searched as."""
    return {term for term in split_words(_WORD.findall(text.lower())) if len(term) >= 2}


def headings() -> list[str]:
    """Every h1-h3 heading of the Korean articles, without its anchor."""
    found = []
    for path in DOCS_DIR.rglob("*.ko.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^#{1,3} (.*?)(\{#.*\})?\s*$", line)
            if match:
                found.append(match.group(1).strip())
    return found


def runs_across_words(heading: str, size: int = 6) -> set[str]:
    """The runs of `size` letters of a heading, spaces left out, that span two of its words."""
    letters, word_of = [], []
    for number, word in enumerate(_WORD.findall(heading)):
        letters.extend(word)
        word_of.extend([number] * len(word))
    return {"".join(letters[i:i + size]) for i in range(len(letters) - size + 1)
            if word_of[i] != word_of[i + size - 1]}


@pytest.fixture(scope="session")
def korean_index(built_index: Path) -> Path:
    """The real site's index folder (every language): the session's one, built once."""
    return built_index


@pytest.fixture(scope="module")
def korean_search(korean_index: Path):
    """The Korean pages' index, opened."""
    opened = open_index(korean_index, language=load_language("ko"))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def english_search(korean_index: Path):
    """The English pages' index, opened."""
    opened = open_index(korean_index)
    yield opened
    opened.close()


@pytest.fixture
def korean_client(tmp_path: Path, built_site: Path, korean_index: Path):
    """A test client of an app with the built index."""
    index_dir = tmp_path / "index"
    shutil.copytree(korean_index, index_dir)
    return create_app({
        "TESTING": True,
        "SITE_DIR": str(built_site),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
        "SEARCH_INDEX_DIR": str(index_dir),
    }).test_client()


def test_particles_and_endings_cut_to_the_word():
    for word in ["반품은", "반품하려면", "반품했는데", "반품기간"]:
        assert "반품" in [piece[0] for piece in split_word(word)], word
    assert split_word("return") == (("return", 0, 6),)
    assert [piece[0] for piece in split_word("cj대한통운")] == ["cj", "대한", "한통", "통운"]


def test_query_language():
    assert query_language("반품 기간") == "ko"
    assert query_language("refund times") == "en"
    assert query_language("refund", "ko-KR") == "ko"
    assert query_language("반품", "en") == "en"
    with pytest.raises(ValueError):
        query_language("refund", "fr")


def test_set_is_big_split_and_never_copies_a_heading():
    cases = load_cases()
    assert len(cases) >= 150
    assert len({case["q"] for case in cases}) == len(cases)
    assert abs(len(load_cases("held-out")) - len(cases) / 2) <= 1
    assert {case["part"] for case in cases} == {"dev", "held-out"}
    for case in cases:
        asked = pairs(case["q"])
        compact = "".join(_WORD.findall(case["q"].lower()))
        for heading in headings():
            # A heading of three words or more is a sentence: its words are not all repeated...
            if len(heading.split()) >= 3:
                assert not pairs(heading) <= asked, (case["q"], heading)
            # ...and no six letters of it that run over two of its words are.
            assert not any(run in compact for run in runs_across_words(heading.lower())), (
                case["q"], heading)


def test_every_expected_section_exists(built_site: Path):
    for case in load_cases():
        for url in [case["url"], *case.get("also", [])]:
            assert url.startswith("/ko/"), url
            page, _, anchor = url.partition("#")
            html = (built_site / page.lstrip("/") / "index.html").read_text(encoding="utf-8")
            assert not anchor or f'id="{anchor}"' in html, url


def test_also_asked_never_copies_a_held_out_question():
    held_out = [pairs(case["q"]) for case in load_cases("held-out")]
    for url, questions in read_also_asked(DOCS_DIR).items():
        if not url.startswith("/ko/"):
            continue
        for question in questions:
            mine = pairs(question)
            for theirs in held_out:
                overlap = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0
                assert overlap < 0.6, (url, question, theirs)


def test_each_language_has_its_own_pages(korean_search, english_search):
    korean = korean_search.search("반품", 50)["results"]
    assert korean and all(result["url"].startswith("/ko/") for result in korean)
    english = english_search.search("returns", 50)["results"]
    assert english and not any(result["url"].startswith("/ko/") for result in english)
    assert not english_search.search("반품", 50)["results"]


@pytest.mark.parametrize("query", ["반품은 언제까지", "반품하려면 기간이", "반품했는데 기간 지났나",
                                   "반품 기간", "반품기간"])
def test_particles_endings_and_spacing_find_the_answer(korean_search, query: str):
    urls = [result["url"] for result in korean_search.search(query, 3)["results"]]
    assert RETURN_WINDOW in urls, (query, urls)


@pytest.mark.parametrize(("query", "wanted"), [
    ("반품 기깐", RETURN_WINDOW),
    ("반풍 기간", RETURN_WINDOW),
    ("환뷸 얼마나 걸려요", "/ko/refunds/#refund-times"),
    ("배송조휘", "/ko/delivery/tracking/#track-your-parcel"),
    # A wrong letter in the first syllable, where no indexed pair starts the same way.
    ("횐불 얼마나 걸려요", "/ko/refunds/#refund-times"),
    ("밴품 기간", RETURN_WINDOW),
])
def test_common_typos_find_the_answer(korean_search, query: str, wanted: str):
    urls = [result["url"] for result in korean_search.search(query, 3)["results"]]
    assert wanted in urls, (query, urls)


@pytest.mark.parametrize("query", ["반풍 기간", "환뷸 얼마나 걸려요", "배송조휘", "페이펄 환불"])
def test_did_you_mean_never_suggests_an_english_word(korean_search, query: str):
    suggestion = korean_search.search(query, 5).get("suggestion", "")
    assert not re.search(r"[a-z]", suggestion), (query, suggestion)


def test_did_you_mean_reads_as_typed(korean_search):
    assert korean_search.search("반풍 기간", 5).get("suggestion") == "반품 기간"


def test_held_out_keeps_what_was_reached(korean_search):
    success, mrr, misses = measure(korean_search, load_cases("held-out"))
    assert success >= REACHED_SUCCESS_AT_3, (success, misses)
    assert mrr >= REACHED_MRR_AT_10, (mrr, misses)


def test_held_out_at_the_target(korean_search):
    success, _, misses = measure(korean_search, load_cases("held-out"))
    assert success >= MIN_SUCCESS_AT_3, (success, misses)


def test_api_searches_korean_pages_with_lang(korean_client):
    answer = korean_client.get("/api/search", query_string={"q": "반품 기간", "lang": "ko"})
    assert answer.status_code == 200
    urls = [result["url"] for result in answer.get_json()["results"]]
    assert urls[0] == RETURN_WINDOW
    english = korean_client.get("/api/search", query_string={"q": "return window", "lang": "en"})
    assert english.get_json()["results"][0]["url"] == "/returns/policy/#return-window"


def test_api_sends_a_hangul_query_without_lang_to_korean(korean_client):
    answer = korean_client.get("/api/search", query_string={"q": "환불 언제 돼요"}).get_json()
    assert answer["results"]
    assert all(result["url"].startswith("/ko/") for result in answer["results"])


@pytest.mark.parametrize("lang", ["fr", "x" * 300, "ko;drop"])
def test_api_refuses_an_unknown_language(korean_client, lang: str):
    response = korean_client.get("/api/search", query_string={"q": "반품", "lang": lang})
    assert response.status_code == 400
    assert "lang" in response.get_json()["error"]["detail"]


# Operator side ---------------------------------------------------------------------------------

def test_report_tables_align_korean_by_display_width():
    from lookup.report import display_width
    from lookup.report import table

    assert display_width("반품 기간") == 9
    assert display_width("refund") == 6
    assert display_width("e\u0301") == 1
    lines = table(["query", "searches"], [["반품 기간", 12], ["refund", 3], ["환불", 100]])
    lines = lines.splitlines()
    # Every row's count ends in the same terminal column.
    ends = {display_width(line) for line in lines if not line.strip().startswith("-")}
    assert len(ends) == 1, lines
    assert lines[2].startswith("  반품 기간  ")


# The help bar on a Korean page --------------------------------------------------------------

def test_help_bar_on_a_korean_page_searches_korean_pages(browser, service: str):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url)
            if "/api/search?" in request.url else None)
    try:
        page.goto(service + "/ko/")
        page.locator("[data-md-component=search-query]").click()
        page.locator("[data-md-component=search-query]").press_sequentially("반품 기간", delay=20)
        panel = page.locator('[data-helpbar-results][data-query="반품 기간"]')
        panel.wait_for()
        # "By when can I return" is answered for the buyer's own order first, in Korean.
        links = panel.locator(".md-search-result__item a")
        assert links.first.get_attribute("data-helpbar-lookup") == "return"
        assert links.first.get_attribute("href").endswith("/ko/order-status/")
        assert links.nth(1).get_attribute("href").endswith("/ko/returns/policy/#return-window")
        assert any("lang=ko" in url for url in asked), asked
    finally:
        context.close()


# ── Korean buyers' own words: intents, vocabulary and typos, each shown helping ──

PACKAGE_SYNONYMS = Path(__file__).parent.parent / "search" / "synonyms.txt"


def rank_of(answer: dict, url: str) -> int | None:
    """The 1-based rank of url in an answer, or None."""
    found = [result["url"] for result in answer["results"]]
    return found.index(url) + 1 if url in found else None


@pytest.fixture(scope="module")
def plain_index(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site indexed without the articles' "also asked as" lines: what a question no
    author foresaw meets, where the words' own understanding has to do the work."""
    index_dir = tmp_path_factory.mktemp("korean-plain") / "index"
    build_index(built_site, index_dir, also_asked={})
    return index_dir


def ask_both(index_dir: Path, question: str, url: str, **without) -> tuple:
    """The rank of url with all the Korean data, and with part of it left out."""
    import dataclasses

    language = load_language("ko")
    full = open_index(index_dir, language=language)
    if "synonyms_file" in without:
        plain = open_index(index_dir, synonyms_file=without["synonyms_file"], language=language)
    else:
        plain = open_index(index_dir, language=dataclasses.replace(language, **without))
    try:
        return rank_of(full.search(question), url), rank_of(plain.search(question), url)
    finally:
        full.close()
        plain.close()


@pytest.mark.parametrize(("question", "url"), [
    ("택배 언제와요", "/ko/delivery/tracking/#track-your-parcel"),
    ("이틀만에 고장났어요", "/ko/orders/status/#report-a-problem"),
])
def test_korean_intents_understand_symptoms(plain_index: Path, question: str, url: str):
    after, before = ask_both(plain_index, question, url, intents=())
    assert after is not None and after <= 2
    assert before is None or before > after


def test_a_korean_where_is_it_question_links_the_korean_lookup_first(korean_search):
    answer = korean_search.search("내 택배 어디쯤 왔어요")
    assert answer["lookup"]["url"] == "/ko/order-status/"
    assert answer["lookup"]["step"] == "track"
    assert "lookup" not in korean_search.search("판매자 연락처")


@pytest.mark.parametrize("question", ["컵이 깨져서 왔어요 속상해요", "상자가 다 젖어서 왔어요"])
def test_korean_vocabulary_maps_symptoms_to_the_articles(plain_index: Path, question: str):
    after, before = ask_both(plain_index, question, "/ko/orders/status/#report-a-problem",
                             synonyms_file=PACKAGE_SYNONYMS)
    assert after is not None and after <= 2
    assert before is None or before > after


@pytest.mark.parametrize("question", ["속상해요", "상자가 다 젖어서 왔어요", "컵이 깨졌어요"])
def test_korean_words_the_articles_do_not_use_are_not_taken_for_typos(korean_search, question):
    # 속상 is not 색상, 젖어 is not 적어: Korean words in common use are left as typed.
    assert "suggestion" not in korean_search.search(question)
    language = load_language("ko")
    assert language.is_common("속상") and language.is_common("젖어")
    assert not language.is_common("횐불") and not language.is_common("반풍")
