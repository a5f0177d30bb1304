"""The search package on small synthetic sites: parsing, building, swapping, answering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search import IndexUnavailable
from search import build_index
from search import open_index
from search.indexer import ContentParser
from search.indexer import page_url
from search.indexer import parse_page
from search.query import MAX_QUERY_CHARS
from search.query import Synonyms
from search.query import parse_query

NAV = """
<nav class="md-nav md-nav--primary"><ul>
  <li class="md-nav__item"><a><span class="md-ellipsis">Home</span></a></li>
  <li class="md-nav__item md-nav__item--active md-nav__item--section">
    <label><span class="md-ellipsis"> {section} </span></label>
    <nav class="md-nav"><ul>
      <li class="md-nav__item"><a><span class="md-ellipsis">Other page</span></a></li>
      <li class="md-nav__item md-nav__item--active"><a><span class="md-ellipsis">{page}</span></a>
        <nav class="md-nav md-nav--secondary"><ul>
          <li class="md-nav__item"><a><span class="md-ellipsis">A heading</span></a></li>
        </ul></nav>
      </li>
    </ul></nav>
  </li>
</ul></nav>
"""


def material_page(title: str, body: str, section: str = "Delivery") -> str:
    """A page shaped like Material's output: nav, then the article with permalinked headings."""
    return f"""<!doctype html><html><head><title>{title} - Help</title>
    <script>var x = "not content";</script></head><body>
    {NAV.format(section=section, page=title)}
    <article class="md-content__inner md-typeset">{body}</article>
    <footer>Footer text is not content</footer></body></html>"""


def heading(level: int, anchor: str, text: str) -> str:
    """A heading with the toc extension's permalink."""
    return (f'<h{level} id="{anchor}">{text}<a class="headerlink" href="#{anchor}" '
            f'title="Permanent link">&para;</a></h{level}>')


TRACKING = material_page("Tracking your parcel", "".join([
    heading(1, "tracking-your-parcel", "Tracking your parcel"),
    "<p>Every parcel gets a <strong>tracking</strong> number once shipped.</p>",
    heading(2, "track-your-parcel", "How do I track my parcel?"),
    "<p>Open the order and follow the carrier link.</p><script>ignored()</script>",
    heading(3, "carrier-site", "On the carrier's site"),
    "<p>Paste the number on the carrier&#39;s site &amp; wait.</p>",
    heading(4, "small-print", "Small print"),
    "<p>Minor headings stay in their section.</p>",
    heading(2, "tracking-not-updating", "Why is my tracking not updating?"),
    "<p>Tracking can stall for up to five working days at a sorting hub. "
    "Contact the seller if nothing moves.</p>",
]))

RETURNS = material_page("Returns", "".join([
    heading(1, "returns", "Returns"),
    "<p>Send things back within the return window.</p>",
    heading(2, "return-window", "Can I still return my order?"),
    "<p>You have 14 days after delivery to ask for a return. Use &lt;b&gt;the form&lt;/b&gt;.</p>",
    heading(2, "refund-times", "How long does a refund take?"),
    "<p>A refund reaches your card in 3 to 7 business days.</p>",
    heading(2, "wrong-item", "I received the wrong item"),
    "<p>The seller sends the right item and pays the postage both ways.</p>",
]), section="Returns &amp; refunds")


def write_site(site_dir: Path, pages: dict[str, str]) -> Path:
    """Write pages (path -> html) as a built site."""
    for path, html in pages.items():
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    return site_dir


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small built site: a home page, two articles, a 404 page and Material's search assets."""
    return write_site(tmp_path / "site", {
        "index.html": material_page("Help", heading(1, "help", "Help") + "<p>Start here.</p>"),
        "delivery/tracking/index.html": TRACKING,
        "returns/index.html": RETURNS,
        "404.html": material_page("Not found", heading(1, "nf", "Page not found")),
        "search/search_index.json": "{}",
        "assets/partial.html": "<p>not a page</p>",
    })


@pytest.fixture
def index(site: Path, tmp_path: Path):
    """The small site's index, opened."""
    build_index(site, tmp_path / "index")
    opened = open_index(tmp_path / "index")
    yield opened
    opened.close()


def test_parser_splits_sections_at_the_served_anchors():
    page = parse_page(TRACKING, "/delivery/tracking/")
    assert page.title == "Tracking your parcel"
    assert page.breadcrumb == "Delivery › Tracking your parcel"
    anchors = [section.anchor for section in page.sections]
    assert anchors == ["", "track-your-parcel", "carrier-site", "tracking-not-updating"]
    carrier = page.sections[2]
    assert carrier.heading == "On the carrier's site"
    # The permalink's ¶ is not part of the heading, h4 text stays in its h3, scripts are dropped.
    assert "¶" not in "".join(s.heading for s in page.sections)
    assert "Small print Minor headings" in carrier.joined_text()
    assert "ignored" not in page.sections[1].joined_text()
    assert "Paste the number on the carrier's site & wait." in carrier.joined_text()


def test_parser_keeps_inline_text_together():
    parser = ContentParser()
    parser.feed('<article class="md-content__inner"><h2 id="a">A</h2><p>see <a href="x">the '
                'form</a>.</p><p>Next</p></article>')
    assert parser.sections[0].joined_text() == "see the form. Next"


def test_page_without_article_is_skipped():
    assert parse_page("<html><body><p>Redirecting…</p></body></html>", "/old/") is None


def test_page_urls_are_what_the_site_serves(tmp_path: Path):
    assert page_url(tmp_path, tmp_path / "index.html") == "/"
    assert page_url(tmp_path, tmp_path / "returns/policy/index.html") == "/returns/policy/"


def test_build_counts_sections_and_skips_non_articles(site: Path, tmp_path: Path):
    # home 1 + tracking 4 + returns 4; 404, search/ and assets/ are not indexed.
    assert build_index(site, tmp_path / "index") == 9


def test_build_without_a_site_fails_clearly(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="build the site first"):
        build_index(tmp_path / "nothing", tmp_path / "index")


def test_rebuild_swaps_the_new_index_in(site: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    build_index(site, index_dir)
    opened = open_index(index_dir)
    (site / "returns" / "index.html").unlink()
    assert build_index(site, index_dir) == 5
    # An index opened before the swap answers from the new one with its next searcher.
    assert opened.section_count() == 5
    opened.close()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")]
    assert leftovers == []


def test_failed_build_leaves_the_old_index(site: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    build_index(site, index_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("search.indexer.write_index", broken)
    with pytest.raises(RuntimeError):
        build_index(site, index_dir)
    assert open_index(index_dir).section_count() == 9
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")] == []


def test_missing_or_broken_index_is_unavailable(tmp_path: Path):
    with pytest.raises(IndexUnavailable):
        open_index(tmp_path / "absent")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "_MAIN_1.toc").write_bytes(b"not an index")
    with pytest.raises(IndexUnavailable):
        open_index(broken)


def urls(answer: dict) -> list[str]:
    """The result URLs of an answer."""
    return [result["url"] for result in answer["results"]]


def test_results_link_to_the_section(index):
    answer = index.search("tracking not updating")
    assert urls(answer)[0] == "/delivery/tracking/#tracking-not-updating"
    first = answer["results"][0]
    assert first["title"] == "Why is my tracking not updating?"
    assert first["page"] == "Tracking your parcel"
    assert first["breadcrumb"] == "Delivery › Tracking your parcel"
    assert isinstance(first["score"], float)


def test_intro_links_to_the_page_itself(index):
    assert "/returns/" in urls(index.search("send things back"))


def test_stemming_and_question_words(index):
    found = urls(index.search("How do I track my parcels?"))
    assert "/delivery/tracking/#track-your-parcel" in found[:2]


def test_synonyms_find_other_words(index):
    # "package" is only in the synonyms: the articles say "parcel".
    assert "/delivery/tracking/#track-your-parcel" in urls(index.search("track package"))[:2]
    assert urls(index.search("money back"))[0] == "/returns/#refund-times"
    assert urls(index.search("incorrect item"))[0] == "/returns/#wrong-item"


def test_synonyms_file_is_data(tmp_path: Path):
    path = tmp_path / "synonyms.txt"
    path.write_text("# comment\nparcel, package, money back\n\n", encoding="utf-8")
    synonyms = Synonyms.load(path)
    assert synonyms.get(("packag",)) == {("parcel",), ("monei", "back")}
    assert synonyms.get(("unknown",)) == set()


def test_typos_are_corrected_with_a_suggestion(index):
    answer = index.search("refnud")
    assert urls(answer)[0] == "/returns/#refund-times"
    assert answer["suggestion"] == "refund"


def test_no_suggestion_for_known_words(index):
    assert "suggestion" not in index.search("refund")


def test_word_being_typed_is_completed(index):
    assert urls(index.search("refu"))[0] == "/returns/#refund-times"


def test_quoted_phrase_ranks_first(index):
    answer = index.search('"sorting hub" seller')
    assert urls(answer)[0] == "/delivery/tracking/#tracking-not-updating"


def test_snippets_are_escaped_with_marks(index):
    snippet = index.search("form")["results"][0]["snippet"]
    assert "<mark>form</mark>" in snippet
    assert "&lt;b&gt;" in snippet
    assert "<b>" not in snippet


@pytest.mark.parametrize("query", [
    "", "   ", "how do I", "AND OR NOT", 'title:refund', '"unbalanced', "refund^3 ~2 *",
    "(((", "text:* OR heading:[a TO z]", "🙂📦", "배송 조회", "доставка", "x" * 5000,
    "refund " * 2000, "\x00\x01", "<script>alert(1)</script>", "%s %(x)s {0}",
])
def test_any_query_text_is_answered(index, query):
    answer = index.search(query)
    assert isinstance(answer["results"], list)
    assert len(answer["query"]) <= MAX_QUERY_CHARS


def test_limit_is_respected(index):
    assert len(index.search("parcel", limit=1)["results"]) == 1
    assert len(index.search("the parcel seller refund return", limit=500)["results"]) <= 50


def test_parse_query_ignores_operators():
    parsed = parse_query('title:"money back" AND refund*')
    assert parsed.content_stems() == ["titl", "monei", "back", "refund"]
    assert parsed.quoted == [["monei", "back"]]
    assert parsed.in_progress is False


# The precomputed scores (search.impacts) and the query machinery around them.


def test_precomputed_scores_are_whooshs_bm25f(site: Path, tmp_path: Path):
    from whoosh import index as whoosh_index
    from whoosh.query import Or
    from whoosh.query import Term
    from whoosh.scoring import BM25F

    from search.impacts import FIELD_B
    from search.impacts import K1
    from search.schema import FIELD_BOOSTS

    build_index(site, tmp_path / "index")
    opened = open_index(tmp_path / "index")
    ix = whoosh_index.open_dir(str(tmp_path / "index"))
    weighting = BM25F(B=0.75, K1=K1, **{f"{name}_B": b for name, b in FIELD_B.items()})
    with ix.searcher(weighting=weighting) as searcher:
        _, table = opened.table(searcher.reader())
        for stem in ("parcel", "track", "refund", "seller", "return"):
            query = Or([Term(name, stem, boost=boost) for name, boost in FIELD_BOOSTS.items()])
            expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            assert expected
            assert table.scores((stem,)) == pytest.approx(expected, rel=1e-5)
    ix.close()
    opened.close()


def test_synonym_phrases_score_as_phrase_or_words(tmp_path: Path):
    from whoosh import index as whoosh_index
    from whoosh.query import And
    from whoosh.query import Or
    from whoosh.query import Phrase
    from whoosh.query import Term
    from whoosh.scoring import BM25F

    from search.impacts import APART_WEIGHT
    from search.impacts import FIELD_B
    from search.impacts import K1
    from search.indexer import write_index
    from search.schema import FIELD_BOOSTS

    documents = [
        {"url": f"/p/#s{number}", "title": "Refunds", "heading": heading, "anchor": "",
         "breadcrumb": "", "text": text, "page": "/p/", "weight": 1.0}
        for number, (heading, text) in enumerate([
            ("Money back", "You get your money back within days."),
            ("Paying", "Money is taken at checkout; back orders ship later."),
            ("Other", "Nothing about it here."),
            ("Guarantee", "Money back guarantee: money back, no questions."),
        ])
    ]
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    write_index(iter(documents), index_dir, synonyms=Synonyms([["money back", "refund"]]))
    opened = open_index(index_dir)
    ix = whoosh_index.open_dir(str(index_dir))
    weighting = BM25F(B=0.75, K1=K1, **{f"{name}_B": b for name, b in FIELD_B.items()})
    stems = ["monei", "back"]
    query = Or([Phrase(name, stems, slop=1, boost=boost) for name, boost in FIELD_BOOSTS.items()]
               + [And([Or([Term(name, stem, boost=boost * APART_WEIGHT)
                           for name, boost in FIELD_BOOSTS.items()]) for stem in stems])])
    with ix.searcher(weighting=weighting) as searcher:
        _, table = opened.table(searcher.reader())
        expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    assert set(expected) == {0, 1, 3}
    assert table.scores(("monei", "back")) == pytest.approx(expected, rel=1e-5)
    # Together the words count more than apart.
    assert expected[0] > expected[1]
    ix.close()
    opened.close()


def test_precomputed_synonym_groups_add_up_the_alternatives(index):
    from search.impacts import merge
    from search.impacts import signature

    synonyms = Synonyms.load()
    with index._searcher() as searcher:
        _, table = index.table(searcher.reader())
    for words in (["parcel"], ["money", "back"], ["refund"], ["wrong"]):
        alternatives = synonyms.alternatives(words)
        key, top = signature(alternatives)
        expanded = table.expanded(key)
        assert expanded is not None
        summed = merge((table.scores(form), weight) for form, weight in alternatives.items())
        assert {doc: score * top for doc, score in expanded.items()} == pytest.approx(summed)


def test_missing_or_corrupt_score_table_is_unavailable(site: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    build_index(site, index_dir)
    [table_file] = index_dir.glob("impacts-*.bin")
    table_file.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(IndexUnavailable, match="rebuild"):
        open_index(index_dir)
    table_file.unlink()
    with pytest.raises(IndexUnavailable, match="rebuild"):
        open_index(index_dir)


def test_rebuilt_index_answers_from_the_new_build(site: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    build_index(site, index_dir)
    opened = open_index(index_dir)
    assert urls(opened.search("refund"))[0] == "/returns/#refund-times"
    (site / "returns" / "index.html").unlink()
    build_index(site, index_dir)
    # Neither a remembered answer nor the old build's scores outlive the swap.
    assert not any(url.startswith("/returns/") for url in urls(opened.search("refund")))
    assert urls(opened.search("parcel"))[0].startswith("/delivery/tracking/")
    opened.close()


def test_a_word_found_nowhere_does_not_hide_the_others(index):
    answer = index.search("zzzzqx refund")
    assert urls(answer)[0] == "/returns/#refund-times"


def test_remembered_answers_are_equal_and_not_shared(index):
    first = index.search("tracking not updating")
    first["results"][0]["title"] = "changed by a caller"
    second = index.search("tracking not updating")
    assert second["results"][0]["title"] == "Why is my tracking not updating?"
    index.clear_cache()
    assert index.search("tracking not updating") == second


def test_concurrent_searches_agree(index):
    from concurrent.futures import ThreadPoolExecutor

    queries = ["track parcel", "refund", "wrong item", "send things back", "refnud", "carrier"] * 8
    expected = {query: index.search(query) for query in set(queries)}
    index.clear_cache()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(index.search, queries))
    assert answers == [expected[query] for query in queries]


def test_an_index_dropped_without_close_releases_its_files(site: Path, tmp_path: Path):
    import gc
    import os
    import warnings

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    build_index(site, tmp_path / "index")
    before = open_files()
    opened = open_index(tmp_path / "index")
    opened.search("parcel")
    # Idle searchers are kept for the next query, with their files open...
    assert open_files() > before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del opened
        gc.collect()
    # ...and released with the index, quietly.
    assert open_files() == before
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_close_releases_idle_searchers(site: Path, tmp_path: Path):
    import os

    build_index(site, tmp_path / "index")
    before = len(os.listdir("/proc/self/fd"))
    opened = open_index(tmp_path / "index")
    opened.search("parcel")
    opened.close()
    assert len(os.listdir("/proc/self/fd")) == before


def test_transposed_letters_are_corrected(index):
    answer = index.search("carreir")
    assert answer["suggestion"] == "carrier"
    assert urls(answer)[0] == "/delivery/tracking/#carrier-site"


def test_analysis_for_the_build_is_the_schemas(site: Path):
    """The build's one-pass analysis gives Whoosh's tokens and positions, before stemming."""
    from whoosh.analysis import LowercaseFilter
    from whoosh.analysis import RegexTokenizer
    from whoosh.analysis import StopFilter

    from search.impacts import analyse
    from search.indexer import iter_documents
    from search.schema import STOP_WORDS
    from search.schema import TOKEN_PATTERN

    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS,
                                                                           minsize=2)
    texts = ["The refund", "a an the", "", "I'm NOT e.g. 3.5 seller's Ünïcode ok", "x y Zz"]
    texts += [document[name] for document in iter_documents(site)
              for name in ("heading", "anchor", "title", "text")]
    for text in texts:
        tokens = [(token.text, token.pos) for token in chain(text, positions=True)]
        words, first = analyse(text)
        assert words == [word for word, _ in tokens]
        assert [pos for _, pos in tokens] == list(range(first, first + len(words)))


def test_segment_is_what_whooshs_writer_writes(site: Path, tmp_path: Path):
    """The build's own segment writer writes the terms, postings and fields Whoosh's would."""
    from whoosh import index as whoosh_index

    from search.impacts import ImpactBuilder
    from search.indexer import iter_documents
    from search.schema import make_schema
    from search.segment import SegmentBuilder
    from search.synonyms import Synonyms

    documents = list(iter_documents(site))
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "ours").mkdir()
    theirs = whoosh_index.create_in(str(tmp_path / "whoosh"), make_schema())
    writer = theirs.writer()
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    ours = whoosh_index.create_in(str(tmp_path / "ours"), make_schema())
    impacts = ImpactBuilder(Synonyms.load())
    builder = SegmentBuilder(ours.writer(limitmb=256, procs=1, multisegment=False))
    for document in documents:
        builder.add(document, impacts.add(document))
    builder.commit()

    def postings(reader, fieldname, text):
        matcher = reader.postings(fieldname, text)
        found = []
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value(),
                          matcher.block_min_length(), matcher.block_max_length(),
                          matcher.block_max_weight()))
            matcher.next()
        return found

    with theirs.reader() as expected, ours.reader() as actual:
        terms = list(expected.all_terms())
        assert terms and list(actual.all_terms()) == terms
        for fieldname, text in terms:
            assert (vars(actual.term_info(fieldname, text))
                    == vars(expected.term_info(fieldname, text)))
            assert postings(actual, fieldname, text) == postings(expected, fieldname, text)
        assert actual.doc_count_all() == expected.doc_count_all() == len(documents)
        for docnum in range(len(documents)):
            assert actual.stored_fields(docnum) == expected.stored_fields(docnum)
            for fieldname in ("heading", "anchor", "title", "text"):
                assert actual.doc_field_length(docnum, fieldname) \
                    == expected.doc_field_length(docnum, fieldname)
        for fieldname in ("heading", "anchor", "title", "text"):
            assert actual.field_length(fieldname) == expected.field_length(fieldname)


def test_parsing_only_the_parts_read_gives_the_whole_pages_sections():
    """The parser reads title, navigation and article only: the same as reading the whole page."""
    from search.indexer import _parts

    html = TRACKING
    assert len(_parts(html)) == 3
    whole = ContentParser()
    whole.feed(html)
    whole.close()
    page = parse_page(html, "/delivery/tracking/")
    assert page.breadcrumb == " › ".join(whole.breadcrumb)
    assert [(s.anchor, s.heading, s.joined_text(), s.link_density()) for s in page.sections] \
        == [(s.anchor, s.heading, s.joined_text(), s.link_density()) for s in whole.sections]


def _html_parser_page(html: str) -> tuple:
    """What HTMLParser itself reads from a page's parts: title, breadcrumb and sections."""
    from search.indexer import _parts

    parser = ContentParser()
    for part in _parts(html):
        parser.feed(part)
    parser.close()
    return (parser.title, parser.breadcrumb,
            [(s.anchor, s.heading, s.text, s.link_chars) for s in parser.sections])


def _fast_page(html: str, navs=None) -> tuple | None:
    """What the build's own tokenizer reads from a page's parts (None when it falls back)."""
    from search.indexer import _feed_parts
    from search.indexer import _parts

    parser = ContentParser()
    if not _feed_parts(parser, _parts(html), navs):
        return None
    return (parser.title, parser.breadcrumb,
            [(s.anchor, s.heading, s.text, s.link_chars) for s in parser.sections])


def test_fast_parsing_reads_what_html_parser_reads(built_site: Path):
    """Every page of the real site, English and Korean, parsed as HTMLParser parses it."""
    from search.indexer import _NavStates

    navs = _NavStates()
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 40
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert _fast_page(html, navs) == _html_parser_page(html), path


def test_unusual_markup_falls_back_to_html_parser():
    """Comments, scripts and stray angle brackets are left to HTMLParser, with the same result."""
    plain = TRACKING.replace("<script>ignored()</script>", "")
    assert _fast_page(plain) is not None
    for extra in ("<!-- a > b -->", "<script>if (a<b) {}</script>", "a < b", "<p class=x=y>"):
        html = plain.replace("<p>Open the order", f"{extra}<p>Open the order")
        assert _fast_page(html) is None
        page = parse_page(html, "/delivery/tracking/")
        assert [(s.anchor, s.heading, s.joined_text()) for s in page.sections] \
            == [(s[0], s[1], re.sub(r"\s+", " ", "".join(s[2])).strip())
                for s in _html_parser_page(html)[2]]


def test_attributes_and_references_read_as_html_parser_reads_them():
    html = TRACKING.replace("<script>ignored()</script>", "").replace(
        '<h2 id="track-your-parcel">',
        "<h2 data-x ID='track-your-parcel' class=\"a&amp;b\">").replace(
        "<p>Open the order", "<P>Caf&eacute; &#233; &amp;amp<br/>Open the order")
    assert _fast_page(html) == _html_parser_page(html)
    assert "Café é &amp" in parse_page(html, "/t/").sections[1].joined_text()


@pytest.mark.parametrize("other_thread", [False, True], ids=["aside", "here"])
def test_scores_that_fail_fail_the_build(site: Path, tmp_path: Path, monkeypatch,
                                         other_thread: bool):
    import threading

    index_dir = tmp_path / "index"
    build_index(site, index_dir)

    def broken(*args, **kwargs):
        raise ValueError("no scores")

    monkeypatch.setattr("search.impacts.ImpactBuilder.save", broken)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    if other_thread:
        thread.start()  # the scores are then worked out in this process
    try:
        with pytest.raises((RuntimeError, ValueError)):
            build_index(site, index_dir)
    finally:
        stop.set()
        if other_thread:
            thread.join()
    assert open_index(index_dir).section_count() == 9
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")] == []


def test_work_aside_runs_in_another_process_unless_threads_run():
    import os
    import threading

    from search.indexer import run_aside

    pids: list[int] = []
    wait = run_aside(lambda: pids.append(os.getpid()))
    wait()
    # Forked (nothing added here) when this process has no other thread; here otherwise.
    assert pids == ([] if threading.active_count() == 1 else [os.getpid()])
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        run_aside(lambda: pids.append(os.getpid()))()
    finally:
        stop.set()
        thread.join()
    assert pids[-1] == os.getpid()


def test_work_aside_that_fails_raises_when_waited_for():
    from search.indexer import run_aside

    def broken() -> None:
        raise ValueError("no")

    try:
        wait = run_aside(broken)
    except ValueError:
        return  # ran here, as with other threads running: raised at once
    with pytest.raises(RuntimeError, match="failed"):
        wait()
    wait(check=False)
