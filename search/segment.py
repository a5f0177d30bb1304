"""Write the one Whoosh segment of a build directly, from tokens the indexer has already analysed.

Whoosh's own writer analyses every field again, pickles every posting into a sorting pool, sorts
them, and then looks up each posting's field length through a column reader: at 1,000 pages that
was most of `helpcenter build`. Here each field is analysed once (the same chain as the schema's
analyzer: see `search.impacts.analyse`), postings are collected per term in docnum order, and
each term's blocks are written in one pass, as Whoosh's postings writer writes them. The files
are byte for byte what `IndexWriter.add_document` + `commit` would write for the same documents
(a test checks it).

Everything here leans on whoosh-reloaded 2.7.5's writer internals, which are frozen.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable
from collections.abc import Mapping
from itertools import chain
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.system import pack_int
from whoosh.system import pack_long
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

# field -> term bytes -> [docnums, weights, encoded values]
Postings = dict[str, dict[bytes, tuple[list[int], list[float], list[bytes]]]]


def _compress_small(data: bytes, level: int) -> bytes:
    """zlib data at level, set up with a 4 KB window and the smallest hash table."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 12, 1)
    return compressor.compress(data) + compressor.flush()


def _compress_block(data: bytes, level: int) -> bytes:
    """zlib data at level, set up with a 4 KB window and a 2,048-slot hash table.

    A block of postings is up to a few KB: the smallest hash table's 128-symbol buffer cuts it
    into many deflate blocks, each with its own Huffman tables, which costs more than the larger
    table's set-up (29% fewer instructions on a 5,145-page site, 13% on 150 pages)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 12, 4)
    return compressor.compress(data) + compressor.flush()


def _term_postings(docs: list[int], weights: list[float], values: list[bytes],
                   lengths: list[int], fixed: int | None, limit: int, level: int,
                   squeeze: Callable[[bytes, int], bytes], copy: bool
                   ) -> tuple[list[bytes], bytes]:
    """One term's postings as whoosh-reloaded 2.7.5's W3PostingsWriter writes them: its blocks'
    bytes, and its W3TermInfo's bytes but for the extent (offset and length) at the end.

    Whoosh adds the postings one by one to a block and works out each block's statistics as it
    goes; here each block is made from slices of the lists, its statistics in C. fixed: the
    format's fixed value size; squeeze compresses a block's data at level (when not 0); copy:
    each value pickled as its own bytes, as Whoosh's, even where postings share one (see
    SegmentBuilder._add_tokens).
    """
    chunks = [WHOOSH3_HEADER_MAGIC]
    total_weight: float = 0
    term_min: int | None = None
    term_max = 0
    term_max_weight: float = 0
    size = len(docs)
    for start in range(0, size, limit):
        end = start + limit
        ids = docs[start:end] if start or end < size else docs
        block_weights = weights[start:end] if start or end < size else weights
        block_values = list(filter(None, values[start:end]))
        if copy:
            block_values = list(map(bytes, map(memoryview, block_values)))
        # Whoosh keeps a block's weights as 32-bit floats.
        stored = array("f", block_weights)
        count = len(ids)
        if stored.count(1.0) == count:
            mini_weights: Any = None
        elif stored.count(stored[0]) == count:
            mini_weights = stored[0]
        else:
            mini_weights = tuple(stored)
        mini_values: Any
        if fixed is None or fixed < 0:
            mini_values = tuple(block_values)
        else:
            mini_values = b"".join(block_values) if fixed else None
        # Docnums as the differences from the one before (the first from 0).
        data = dumps((tuple(map(sub, ids, chain((0,), ids))), mini_weights, mini_values), 2)
        if level:
            data = squeeze(data, level)
        block_lengths = list(map(lengths.__getitem__, ids))
        nonzero = list(filter(None, block_lengths))
        min_length = min(nonzero) if nonzero else None
        max_length = max(block_lengths)
        max_weight = max(0, max(block_weights))
        info = dumps((count, ids[-1], max_weight, level, length_to_byte(min_length),
                      length_to_byte(max_length)), 2)
        blocklength = len(info) + len(data)
        chunks += [pack_int(-blocklength if end >= size else blocklength), info, data]
        # W3TermInfo.add_block
        total_weight += sum(stored)
        term_min = min_length if not start else min(term_min, min_length)
        term_max = max(term_max, max_length)
        term_max_weight = max(term_max_weight, max_weight)
    terminfo = W3TermInfo._struct.pack(
        False, total_weight, size, 0 if term_min is None else length_to_byte(term_min),
        length_to_byte(term_max), term_max_weight, docs[0], docs[-1])
    return chunks, terminfo


class SegmentBuilder:
    """Add analysed documents to a fresh single-segment writer, then commit it."""

    def __init__(self, writer: SegmentWriter, fast_stored: bool = False) -> None:
        """fast_stored: compress the stored fields and the postings with zlib's small-memory
        settings, and let postings with the same positions share one value (pickled once in a
        block); the same fields and postings read back, in other bytes than Whoosh's own."""
        if not isinstance(writer, SegmentWriter) or writer.docnum != 0:
            raise TypeError("needs a fresh single-segment writer")
        self._writer = writer
        if fast_stored:
            # Whoosh's zlib.compress sets up 256 KB of tables for each section's few hundred
            # bytes; a small hash table and window cost a fraction of that.
            writer.perdocwriter._colwriters["_stored"]._child._compress = _compress_small
        self._fast = fast_stored
        self._schema = writer.schema
        self._postings: Postings = {}
        # The same for the fields given as tokens, keyed by the token (see _add_tokens).
        self._tokens: dict[str, dict[str, tuple[list[int], list[float], list[bytes]]]] = {}
        # position -> the encoded value of a posting with that one position.
        self._single: dict[int, bytes] = {}
        # field -> the length Whoosh reads back for each docnum (0 where the field is empty).
        self._lengths: dict[str, list[int]] = {}

    def add(self, document: Mapping[str, Any],
            analysed: Mapping[str, tuple[list[str], int]]) -> None:
        """Add the next document; analysed gives some TEXT fields' tokens and first position."""
        writer = self._writer
        schema = self._schema
        perdoc = writer.perdocwriter
        docnum = writer.docnum
        perdoc.start_doc(docnum)
        try:
            for name in sorted(name for name in document if not name.startswith("_")):
                value = document[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    if name in analysed:
                        terms = self._tokens.setdefault(name, {})
                        length = self._add_tokens(terms, field, docnum, *analysed[name])
                    else:
                        terms = self._postings.setdefault(name, {})
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if field.scorable:
                                length += freq
                            entry = terms.get(tbytes)
                            if entry is None:
                                entry = terms[tbytes] = ([], [], [])
                            entry[0].append(docnum)
                            entry[1].append(weight)
                            entry[2].append(vbytes)
                    lengths = self._lengths.setdefault(name, [])
                    lengths.extend([0] * (docnum - len(lengths)))
                    lengths.append(byte_to_length(length_to_byte(length)) if length else 0)
                if field.separate_spelling() or field.vector or field.column_type:
                    raise TypeError(f"field {name!r}: spelling, vectors and columns not supported")
                perdoc.add_field(name, field, value if field.stored else None, length)
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _add_tokens(self, terms: dict, field: Any, docnum: int, tokens: list[str],
                    first: int) -> int:
        """Postings of one analysed field, as Whoosh's Positions format encodes them.

        terms is keyed by the token itself here (encoded when written: UTF-8 sorts as the
        code points do)."""
        fmt = field.format
        if type(fmt).__name__ != "Positions":
            raise TypeError("only TEXT fields with positions can be given as tokens")
        boost = fmt.field_boost
        encode = fmt.encode
        # Each token's last position; when no token repeats, its only one.
        last = dict(zip(tokens, range(first, first + len(tokens)), strict=True))
        if len(last) == len(tokens):
            found = [(token, 1, position) for token, position in last.items()]
        else:
            positions: dict[str, list[int]] = {}
            for position, token in enumerate(tokens, first):
                known = positions.get(token)
                if known is None:
                    positions[token] = [position]
                else:
                    known.append(position)
            found = [(token, len(poslist), poslist[0] if len(poslist) == 1 else poslist)
                     for token, poslist in positions.items()]
        single = self._single
        for token, frequency, where in found:
            if frequency == 1:
                # Most postings have one position: encoded once per position, not per posting.
                value = single.get(where)
                if value is None:
                    value = single[where] = encode([where])
            else:
                value = encode(where)
            entry = terms.get(token)
            if entry is None:
                entry = terms[token] = ([], [], [])
            entry[0].append(docnum)
            entry[1].append(frequency * boost)
            entry[2].append(value)
        return len(tokens)

    def _write_postings(self) -> None:
        """Every field's terms in order, each term's postings in blocks, as Whoosh writes them."""
        fieldwriter = self._writer.fieldwriter
        count = self._writer.docnum
        for name, terms in self._tokens.items():
            if name in self._postings:
                raise TypeError(f"field {name!r} given both as tokens and as text")
            self._postings[name] = {token.encode("utf-8"): postings
                                    for token, postings in terms.items()}
        postfile = fieldwriter._postfile
        tindex = fieldwriter._tindex
        # Whoosh's zlib.compress would set up (and clear) 256 KB of tables for every block of
        # every term.
        squeeze = _compress_block if self._fast else zlib.compress
        for name in sorted(self._postings):
            terms = self._postings[name]
            if not terms:
                continue
            lengths = self._lengths.get(name, [])
            lengths.extend([0] * (count - len(lengths)))
            fieldwriter.start_field(name, self._schema[name])
            postwriter = fieldwriter._postwriter
            if postwriter._inlinelimit > 1 or postwriter._byteids:
                raise TypeError("inlined postings and byte ids are not supported")
            limit, level = postwriter._blocklimit, postwriter._compression
            fixed = self._schema[name].format.fixed_value_size()
            prefix = pack_ushort(fieldwriter._fieldid)
            offset = postfile.tell()
            for tbytes in sorted(terms):
                chunks, terminfo = _term_postings(*terms[tbytes], lengths, fixed, limit, level,
                                                  squeeze, not self._fast)
                written = b"".join(chunks)
                postfile.write(written)
                # W3FieldWriter.finish_term: the term's row, with where its postings are.
                tindex.add(prefix + tbytes, terminfo + pack_long(offset) + pack_int(len(written)))
                offset += len(written)
            fieldwriter.finish_field()

    def segment_id(self) -> str:
        """The id of the segment being written (its files and the score table are named so)."""
        return self._writer.newsegment.segment_id()

    def cancel(self) -> None:
        """Give up: Whoosh removes the segment's files."""
        self._writer.cancel()

    def commit(self) -> None:
        """Write the postings, then let Whoosh finish the segment in one commit.

        Its pool is empty by then.
        """
        try:
            self._write_postings()
        except BaseException:
            self._writer.cancel()
            raise
        self._writer.commit()
