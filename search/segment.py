"""Write the one Whoosh segment of a build directly, from tokens the indexer has already analysed.

Whoosh's own writer analyses every field again, pickles every posting into a sorting pool, sorts
them, and then looks up each posting's field length through a column reader: at 1,000 pages that
was most of `helpcenter build`. Here each field is analysed once (the same chain as the schema's
analyzer: see `search.impacts.analyse`), postings are collected per term in docnum order, and
each term's blocks are handed to Whoosh's own postings writer whole. The files are byte for byte
what `IndexWriter.add_document` + `commit` would write for the same documents (a test checks it).

Everything here leans on whoosh-reloaded 2.7.5's writer internals, which are frozen.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Mapping
from pickle import dumps
from types import MethodType
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

# field -> term bytes -> [docnums, weights, encoded values]
Postings = dict[str, dict[bytes, tuple[list[int], list[float], list[bytes]]]]


def _compress_small(data: bytes, level: int) -> bytes:
    """zlib data at level, set up with a 4 KB window and the smallest hash table."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 12, 1)
    return compressor.compress(data) + compressor.flush()


def _write_block_small(postwriter: Any, last: bool = False) -> None:
    """whoosh-reloaded 2.7.5's W3PostingsWriter._write_block, compressing with _compress_small.

    Its reader decompresses a block whatever zlib's settings were; the other bytes are its own.
    """
    if not postwriter._blockcount:
        postwriter._postfile.write(WHOOSH3_HEADER_MAGIC)
    postwriter._terminfo.add_block(postwriter)
    data = (postwriter._mini_ids(), postwriter._mini_weights(), postwriter._mini_values())
    databytes = dumps(data, 2)
    # Whoosh compresses every block, however small, when a level is set.
    comp = postwriter._compression
    if comp:
        databytes = _compress_small(databytes, comp)
    ids = postwriter._ids
    infobytes = dumps((len(ids), ids[-1], postwriter._maxweight, comp,
                       length_to_byte(postwriter._minlength),
                       length_to_byte(postwriter._maxlength)), 2)
    postfile = postwriter._postfile
    blocklength = len(infobytes) + len(databytes)
    postfile.write_int(-blocklength if last else blocklength)
    postfile.write(infobytes)
    postfile.write(databytes)
    postwriter._blockcount += 1
    postwriter._new_block()


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
        for name in sorted(self._postings):
            terms = self._postings[name]
            if not terms:
                continue
            lengths = self._lengths.get(name, [])
            lengths.extend([0] * (count - len(lengths)))
            fieldwriter.start_field(name, self._schema[name])
            if self._fast:
                # Each field has a postings writer of its own; Whoosh's zlib.compress would set
                # up (and clear) 256 KB of tables for every block of every term.
                postwriter = fieldwriter._postwriter
                postwriter._write_block = MethodType(_write_block_small, postwriter)
            for tbytes in sorted(terms):
                docs, weights, values = terms[tbytes]
                fieldwriter.start_term(tbytes)
                postwriter = fieldwriter._postwriter
                limit = postwriter._blocklimit
                for start in range(0, len(docs), limit):
                    if start:
                        postwriter._write_block()
                    end = start + limit
                    block_lengths = [lengths[d] for d in docs[start:end]]
                    nonzero = [n for n in block_lengths if n]
                    postwriter._ids = array("I", docs[start:end])
                    postwriter._weights = array("f", weights[start:end])
                    postwriter._values = list(filter(None, values[start:end]))
                    if not self._fast:
                        # Copies: a value shared by two postings (see _add_tokens) would be
                        # pickled once, unlike Whoosh's.
                        postwriter._values = list(map(bytes, map(memoryview,
                                                                 postwriter._values)))
                    postwriter._minlength = min(nonzero) if nonzero else None
                    postwriter._maxlength = max(block_lengths)
                    postwriter._maxweight = max(0, max(weights[start:end]))
                fieldwriter.finish_term()
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
