"""The index build's two processes and cheaper compression write the index one process writes."""

from __future__ import annotations

import marshal
from pathlib import Path

from search import build_index
from search import open_index
from tests.test_search_index import RETURNS
from tests.test_search_index import TRACKING
from tests.test_search_index import material_page
from tests.test_search_index import write_site


def _contents(index_dir: Path) -> tuple:
    """Everything a query reads: stored fields, postings, field lengths and the score table."""
    from search.impacts import FILE_PREFIX

    opened = open_index(index_dir)
    with opened._searcher() as searcher:
        reader = searcher.reader()
        stored = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
        postings = []
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            while matcher.is_active():
                postings.append((fieldname, text, matcher.id(), matcher.weight(),
                                 matcher.value(), matcher.block_max_weight()))
                matcher.next()
        lengths = [reader.doc_field_length(d, name) for d in range(reader.doc_count_all())
                   for name in ("heading", "anchor", "title", "text", "asked")]
    opened.close()
    [table] = index_dir.glob(FILE_PREFIX + "*")
    scores = marshal.loads(table.read_bytes())
    scores.pop("segment")
    return stored, postings, lengths, scores


def test_build_read_aside_is_the_build_in_one_process(tmp_path: Path, monkeypatch):
    import search.indexer

    forked = []
    read_aside = search.indexer._read_aside

    def recording(*args):
        aside = read_aside(*args)
        forked.append(aside is not None)
        return aside

    monkeypatch.setattr(search.indexer, "_read_aside", recording)
    pages = {"index.html": material_page("Help", "<h1 id='help'>Help</h1><p>Start here.</p>"),
             "delivery/tracking/index.html": TRACKING, "returns/index.html": RETURNS}
    pages.update({f"library/a{n}/index.html": material_page(f"Parcel {n}", TRACKING)
                  for n in range(80)})
    site = write_site(tmp_path / "site", pages)
    # Other tests may leave threads running: each build is told whether it may fork.
    monkeypatch.setattr(search.indexer, "can_fork", lambda: True)
    build_index(site, tmp_path / "aside")
    monkeypatch.setattr(search.indexer, "can_fork", lambda: False)
    build_index(site, tmp_path / "here")
    assert forked == [True, False]
    assert _contents(tmp_path / "aside") == _contents(tmp_path / "here")
    answers = []
    for folder in ("aside", "here"):
        opened = open_index(tmp_path / folder)
        answers.append([opened.search(q) for q in ("track parcel", "refund", "retrun", "wro")])
        opened.close()
    assert answers[0] == answers[1]
    assert answers[0][0]["results"]


def test_fast_compression_and_shared_values_read_back_the_same_fields_and_postings(
        tmp_path: Path):
    from whoosh import index as whoosh_index

    from search.schema import make_schema
    from search.segment import SegmentBuilder

    documents = [{"url": f"/p{n}/", "title": "Parcel", "heading": "Track", "anchor": "track",
                  "asked": "", "breadcrumb": "Delivery",
                  "text": "Open the order. " * (n % 3) + f"Parcel {n} is late.",
                  "page": f"/p{n}/", "weight": 1.0} for n in range(200)]
    read = []
    for fast in (False, True):
        folder = tmp_path / str(fast)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), make_schema())
        builder = SegmentBuilder(ix.writer(procs=1, multisegment=False), fast_stored=fast)
        for document in documents:
            # The text as tokens: postings with one position share their value (see _add_tokens).
            tokens = document["text"].lower().replace(".", "").split()
            builder.add(document, {"text": (tokens, 0)})
        builder.commit()
        with ix.reader() as reader:
            postings = []
            for fieldname, text in reader.all_terms():
                matcher = reader.postings(fieldname, text)
                while matcher.is_active():
                    postings.append((fieldname, text, matcher.id(), matcher.weight(),
                                     matcher.value()))
                    matcher.next()
            read.append(([reader.stored_fields(d) for d in range(len(documents))], postings))
        ix.close()
    assert read[0] == read[1]
    assert len(read[0][1]) > 600
