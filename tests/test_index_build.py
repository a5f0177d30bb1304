"""The index build's cheaper compression reads back what Whoosh's own writes."""

from __future__ import annotations

from pathlib import Path


def test_fast_stored_compression_reads_back_the_same_fields(tmp_path: Path):
    from whoosh import index as whoosh_index

    from search.schema import make_schema
    from search.segment import SegmentBuilder

    documents = [{"url": f"/p{n}/", "title": "Parcel", "heading": "Track", "anchor": "track",
                  "asked": "", "breadcrumb": "Delivery", "text": "Open the order. " * n,
                  "page": f"/p{n}/", "weight": 1.0} for n in range(200)]
    stored = []
    for fast in (False, True):
        folder = tmp_path / str(fast)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), make_schema())
        builder = SegmentBuilder(ix.writer(procs=1, multisegment=False), fast_stored=fast)
        for document in documents:
            builder.add(document, {})
        builder.commit()
        with ix.reader() as reader:
            stored.append([reader.stored_fields(d) for d in range(len(documents))])
        ix.close()
    assert stored[0] == stored[1]
