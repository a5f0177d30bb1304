"""Precomputed BM25F scores ("impacts"): what each stem and synonym phrase is worth in each section.

Whoosh scores a query by walking a tree of matchers in Python for every matching section: with
10,000 sections an OR of four common words takes ~45 ms however the query is shaped, and block-max
skipping does not help because common words have high maxima in every block. The index is rebuilt
at every deploy, so the scores can be computed once, at build time, exactly as Whoosh's BM25F
would compute them for our query shape (one term per field, field boosts, synonyms at 0.6,
synonym phrases as phrase-or-words). At query time a word is one precomputed list to add up.

The table lives next to Whoosh's files in the index folder, named after the Whoosh segment it
describes, so a searcher never pairs one build's documents with another build's scores.
"""

from __future__ import annotations

import heapq
import marshal
import math
import re
import sys
from array import array
from collections import Counter
from collections import defaultdict
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from itertools import chain
from itertools import compress
from itertools import repeat
from operator import add
from operator import truediv
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer
from whoosh.analysis import LowercaseFilter
from whoosh.analysis import RegexTokenizer
from whoosh.analysis import StopFilter
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte

from search.korean import HangulFilter
from search.korean import has_hangul
from search.korean import split_words
from search.schema import FIELD_BOOSTS
from search.schema import STOP_WORDS
from search.schema import TOKEN_PATTERN
from search.schema import stem_word
from search.synonyms import Form
from search.synonyms import Synonyms

FORMAT = "helpcenter-impacts-2"
FILE_PREFIX = "impacts-"
FILE_SUFFIX = ".bin"
# BM25F parameters: headings and titles are short, so their length says little.
K1 = 1.2
DEFAULT_B = 0.75
FIELD_B = {"heading": 0.3, "title": 0.3, "asked": 0.3}
# A synonym phrase's words still count, at half weight, when they are apart.
APART_WEIGHT = 0.5
# The fields whose words (as written) the typo corrector may suggest.
SPELLING_FIELDS = ("text", "heading", "title", "asked")
# The sections kept for an extra group (an intent's terms): the ones most about it. An intent only
# lifts the sections that answer it, so its cost stays the same however large the index grows.
GROUP_SECTIONS = 200
# The fields an unquoted phrase must appear in to rank first: where it names the section.
PHRASE_FIELDS = ("heading", "title")

# Sections (docnums) and what a word is worth in each, as the file stores them.
Packed = tuple[bytes, bytes]
Signature = tuple[tuple[Form, float], ...]


def file_name(segment_id: str) -> str:
    """The table's file name for a Whoosh segment."""
    return f"{FILE_PREFIX}{segment_id}{FILE_SUFFIX}"


def segment_id(reader: IndexReader) -> str:
    """The id of the one segment a reader reads ("empty" for an index without sections)."""
    segment = reader.segment()
    if segment is not None:
        return segment.segment_id()
    if reader.doc_count_all() == 0:
        return "empty"
    raise ValueError("the index has more than one segment: rebuild it")


def signature(alternatives: Mapping[Form, float]) -> tuple[Signature, float]:
    """A key for a set of weighted alternatives, scaled so the strongest counts 1, and the scale."""
    top = max(alternatives.values())
    key = tuple(sorted((form, round(weight / top, 6)) for form, weight in alternatives.items()))
    return key, top


def _pack(scores: Mapping[int, float]) -> Packed:
    """Sections in ascending order with their scores, as bytes."""
    docs = sorted(scores)
    return array("I", docs).tobytes(), array("f", map(scores.__getitem__, docs)).tobytes()


def _pack_sorted(docs: list[int], scores: list[float]) -> Packed:
    """_pack of sections already in ascending order, with their scores in the same order."""
    return array("I", docs).tobytes(), array("f", scores).tobytes()


def _bm25(idf: float, tf: int, length: float, average: float, b: float) -> float:
    """Whoosh's BM25 for one field."""
    return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - b) + b * length / average)))


def _occurs(sequence: list[str], form: Form) -> bool:
    """True when form appears in sequence as consecutive stems."""
    size = len(form)
    first = form[0]
    return any(sequence[i:i + size] == list(form)
               for i, stem in enumerate(sequence) if stem == first)


_TOKEN = re.compile(TOKEN_PATTERN, re.UNICODE)


def question_key(stems: Iterable[str]) -> str:
    """What a question asks, order aside: its distinct stems, sorted ("" when none)."""
    return " ".join(sorted(set(stems)))


def analyse(text: str) -> tuple[list[str], int]:
    """The schema's analysis before stemming, in C where it can be: the words kept, lowercased,
    and the position Whoosh gives the first (its StopFilter numbers from the first word kept).

    Same result as RegexTokenizer | LowercaseFilter | StopFilter(minsize=2) (a test checks it).
    """
    words = split_words(_TOKEN.findall(text))
    kept = [word for word in map(str.lower, words) if len(word) >= 2 and word not in STOP_WORDS]
    if not kept or len(kept) == len(words):
        return kept, 0
    first = kept[0]
    for position, word in enumerate(words):
        if word.lower() == first:
            return kept, position
    raise AssertionError("unreachable")


class ImpactBuilder:
    """Collect every section's stems while the index is written, then compute and save scores."""

    def __init__(self, synonyms: Synonyms, groups: Iterable[Mapping[Form, float]] = ()) -> None:
        """groups: more sets of weighted alternatives searched as one (the intents' terms)."""
        self._synonyms = synonyms
        self._groups = list(groups)
        self._words = (RegexTokenizer(TOKEN_PATTERN) | HangulFilter() | LowercaseFilter()
                       | StopFilter(stoplist=STOP_WORDS, minsize=2))
        self._fields = tuple(FIELD_BOOSTS)
        self._phrases: dict[str, list[Form]] = {}
        # Each phrase's words, as a set.
        self._phrase_words: dict[Form, frozenset[str]] = {}
        for form in synonyms.forms():
            if len(form) > 1:
                self._phrases.setdefault(form[0], []).append(form)
                self._phrase_words[form] = frozenset(form)
        # Per field: stem -> {docnum: term frequency}, for the sections that have it there.
        self._tfs: list[defaultdict[str, dict[int, int]]] = [defaultdict(dict)
                                                             for _ in self._fields]
        # Every stem, in the order first met (section by section, field by field).
        self._order: dict[str, None] = {}
        # phrase -> {docnum: indexes of the fields it appears in}
        self._phrase_fields: dict[Form, dict[int, tuple[int, ...]]] = {}
        self._lengths: list[list[int]] = [[] for _ in self._fields]
        self._totals = [0] * len(self._fields)
        self._spelling: Counter[str] = Counter()
        self._weights: list[float] = []
        # word -> stem, for this build (stem_word's shared cache is smaller than a vocabulary).
        self._stems: dict[str, str] = {}
        # lowercased ASCII word -> its stem, or "" when the analysis drops it (see _analyse).
        self._terms: dict[str, str] = {}
        self._headings: list[str] = []
        self._titles: list[str] = []
        # An "also asked as" question's stems (sorted, joined) -> the sections that list it.
        self._asked: dict[str, list[int]] = {}

    def _analyse(self, text: str, spelled: set[str] | None) -> tuple[list[str], int]:
        """analyse(text), stemmed; adds the words kept to spelled, when given.

        ASCII text has no Hangul and lowercases word by word as a whole: it is split once and
        each word looked up in this build's table of what it becomes ("" when dropped)."""
        terms = self._terms
        if text.isascii():
            words = _TOKEN.findall(text.lower())
            stems = list(map(terms.get, words))
            if None in stems:
                stems = [stem if stem is not None else self._term(word)
                         for stem, word in zip(stems, words, strict=True)]
            if "" not in stems:
                if spelled is not None:
                    spelled.update(words)
                return stems, 0
            if spelled is not None:
                spelled.update(compress(words, stems))
            first = 0
            while first < len(stems) and not stems[first]:
                first += 1
            kept = list(filter(None, stems))
            return kept, first if kept else 0
        words, first = analyse(text)
        if spelled is not None:
            spelled.update(words)
        stems_of = self._stems
        stems = list(map(stems_of.get, words))
        if None in stems:
            stems = [stem if stem is not None else stems_of.setdefault(word, stem_word(word))
                     for stem, word in zip(stems, words, strict=True)]
        return stems, first

    def _term(self, word: str) -> str:
        """What a lowercased ASCII word becomes: its stem, or "" for a word the analysis drops."""
        term = ""
        if len(word) >= 2 and word not in STOP_WORDS:
            term = self._stems.get(word) or self._stems.setdefault(word, stem_word(word))
        self._terms[word] = term
        return term

    def words_analyzer(self) -> Analyzer:
        """The index's analysis without stemming: the words as written, for spelling."""
        return self._words

    def add(self, document: Mapping[str, Any]) -> dict[str, tuple[list[str], int]]:
        """Take in the next section (in the order Whoosh numbers them).

        Returns each field's stems with the position Whoosh gives the first one, so the segment
        writer (search.segment) indexes the same tokens without analysing the text again.
        """
        docnum = len(self._weights)
        sequences = []
        analysed = {}
        field_counts: list[Counter[str]] = []
        spelled: set[str] = set()
        stems_of = self._stems
        width = len(self._fields)
        for index, name in enumerate(self._fields):
            stems, first = self._analyse(document.get(name) or "",
                                         spelled if name in SPELLING_FIELDS else None)
            sequences.append(stems)
            analysed[name] = (stems, first)
            self._totals[index] += len(stems)
            # Whoosh stores a section's field length in one byte; score with what it reads back.
            self._lengths[index].append(byte_to_length(length_to_byte(len(stems))) if stems else 0)
            found = Counter(stems)
            field_counts.append(found)
            # The frequencies just counted, each set as self._tfs[index][stem][docnum], in C.
            deque(map(dict.__setitem__, map(self._tfs[index].__getitem__, found),
                      repeat(docnum), found.values()), 0)
        # Every stem of the section, field by field, in order.
        counts = dict.fromkeys(chain.from_iterable(field_counts))
        self._order.update(counts)
        # Pairs of neighbouring stems per field: a phrase occurs only where all its pairs do.
        pairs: list[set[tuple[str, str]] | None] = [None] * width
        stems_here = counts.keys()
        for first in stems_here & self._phrases.keys():
            for form in self._phrases[first]:
                # Most phrases starting here have a word the section lacks altogether.
                if not stems_here >= self._phrase_words[form]:
                    continue
                where = []
                for i, stems in enumerate(sequences):
                    if len(stems) < len(form) or not all(
                            field_counts[i].get(stem) for stem in form):
                        continue
                    if pairs[i] is None:
                        pairs[i] = set(zip(stems, stems[1:], strict=False))
                    if all(pair in pairs[i] for pair in zip(form, form[1:], strict=False)) \
                            and (len(form) == 2 or _occurs(stems, form)):
                        where.append(i)
                where = tuple(where)
                if where:
                    self._phrase_fields.setdefault(form, {})[docnum] = where
        self._spelling.update(spelled)
        for question in (document.get("asked") or "").split("\n"):
            words = analyse(question)[0]
            key = question_key(stems_of.get(word) or stem_word(word) for word in words)
            if key and docnum not in self._asked.setdefault(key, []):
                self._asked[key].append(docnum)
        self._weights.append(float(document.get("weight", 1.0)))
        self._headings.append(" ".join(sequences[self._fields.index("heading")]))
        self._titles.append(" ".join(sequences[self._fields.index("title")]))
        return analysed

    def build(self, segment_id: str) -> dict[str, Any]:
        """Every stem's, synonym phrase's and synonym group's scores, ready to save."""
        count = len(self._weights)
        boosts = [FIELD_BOOSTS[name] for name in self._fields]
        bs = [FIELD_B.get(name, DEFAULT_B) for name in self._fields]
        # Each stem's idf per field, filled in as the stems are scored below.
        idfs: list[dict[str, float]] = [{} for _ in self._fields]
        averages = [(total / count if count else 0) or 1 for total in self._totals]
        lengths = self._lengths
        fields = range(len(self._fields))

        def field_score(stem: str, docnum: int, index: int) -> float:
            tf = self._tfs[index].get(stem, {}).get(docnum, 0)
            if not tf:
                return 0.0
            return boosts[index] * _bm25(idfs[index][stem], tf, lengths[index][docnum],
                                         averages[index], bs[index])

        # The part of BM25's denominator that depends on a section's field length, as _bm25
        # works it out.
        norms = [[K1 * ((1 - bs[i]) + bs[i] * length / averages[i]) for length in lengths[i]]
                 for i in fields]
        k1_plus_1 = K1 + 1
        # Each stem's sections (ascending, as added) and scores, as lists: a dict is made only
        # for the stems a phrase or a group reads (see by_doc).
        columns: dict[str, tuple[list[int], list[float]]] = {}
        for stem in self._order:
            # Each field's sections (ascending) and scores, for the fields the stem is in.
            parts = []
            for i in fields:
                found = self._tfs[i].get(stem)
                if found is None:
                    continue
                idf = idfs[i][stem] = math.log(count / (len(found) + 1)) + 1
                tfs = found.values()
                # field_score, term by term: the same operations in the same order, in C.
                ratios = map(truediv, map(k1_plus_1.__mul__, tfs),
                             map(add, tfs, map(norms[i].__getitem__, found)))
                parts.append((found, list(map(boosts[i].__mul__, map(idf.__mul__, ratios)))))
            if len(parts) == 1:
                columns[stem] = (list(parts[0][0]), parts[0][1])
                continue
            # Summed field by field, in order, as sum(field_score(...) for i in fields): the
            # fields without the stem add 0.0, which changes no sum, and 0 + x is x.
            total = dict.fromkeys(sorted(set().union(*(found for found, _ in parts))), 0)
            for found, scores in parts:
                total.update(zip(found, map(add, map(total.__getitem__, found), scores),
                                 strict=True))
            columns[stem] = (list(total), list(total.values()))
        made: dict[Form, dict[int, float]] = {}

        def by_doc(form: Form) -> dict[int, float]:
            """A stem's scores by section, as a dict made once ({} when it has none)."""
            found = made.get(form)
            if found is None:
                found = made[form] = (dict(zip(*columns[form[0]], strict=True))
                                      if form[0] in columns else {})
            return found

        phrases: dict[Form, dict[int, float]] = {}
        for form in self._synonyms.forms():
            if len(form) > 1 and all(stem in columns for stem in form):
                phrases[form] = self._phrase_scores(form, by_doc, field_score)
        expanded: dict[Signature, Packed] = {}
        groups = [(self._synonyms.alternatives(words), None) for words in self._synonyms.phrases]
        for alternatives, keep in groups + [(group, GROUP_SECTIONS) for group in self._groups]:
            if len(alternatives) < 2:
                continue
            key, top = signature(alternatives)
            if key in expanded:
                continue
            total: dict[int, float] = {}
            for form, weight in alternatives.items():
                if form in phrases:
                    docs, values = phrases[form].keys(), phrases[form].values()
                else:
                    docs, values = columns.get(form[0], ((), ())) if len(form) == 1 else ((), ())
                # total[docnum] = total.get(docnum, 0.0) + score * weight / top, section by
                # section in order, in C: new sections are added in the same order.
                total.update(zip(docs, map(add, map(total.get, docs, repeat(0.0)),
                                           map(truediv, map(weight.__mul__, values),
                                               repeat(top))), strict=True))
            if keep is not None and len(total) > keep:
                total = dict(heapq.nlargest(keep, total.items(), key=lambda item: item[1]))
            expanded[key] = _pack(total)
        terms = {stem: _pack_sorted(docs, values) for stem, (docs, values) in columns.items()}
        terms.update((" ".join(form), _pack(scores)) for form, scores in phrases.items() if scores)
        return {
            "format": FORMAT,
            "byteorder": sys.byteorder,
            "segment": segment_id,
            "count": count,
            "weights": array("f", self._weights).tobytes(),
            "headings": self._headings,
            "titles": self._titles,
            "terms": terms,
            "expanded": expanded,
            "spelling": dict(self._spelling),
            "asked": self._asked,
        }

    def _phrase_scores(self, form: Form, by_doc: Callable[[Form], dict[int, float]],
                       field_score: Any) -> dict[int, float]:
        """A synonym phrase: its words' scores in each field it appears in, plus half when apart."""
        docs = set(by_doc(form[:1]))
        for stem in form[1:]:
            docs &= by_doc((stem,)).keys()
        where = self._phrase_fields.get(form, {})
        result = {}
        for docnum in docs:
            together = sum(field_score(stem, docnum, index)
                           for index in where.get(docnum, ()) for stem in form)
            apart = APART_WEIGHT * sum(by_doc((stem,))[docnum] for stem in form)
            result[docnum] = together + apart
        return result

    def save(self, index_dir: Path, segment_id: str) -> None:
        """Write the table into the index folder, next to the segment it describes."""
        data = self.build(segment_id)
        (Path(index_dir) / file_name(segment_id)).write_bytes(marshal.dumps(data))


class ImpactTable:
    """The scores of one built index, loaded for queries; read-only, so shared by all threads."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.count: int = data["count"]
        self.weights = array("f")
        self.weights.frombytes(data["weights"])
        self.max_weight = max(self.weights, default=1.0)
        self.headings: list[str] = data["headings"]
        self.titles: list[str] = data["titles"]
        self._terms: dict[str, Packed] = data["terms"]
        self._expanded: dict[Signature, Packed] = data["expanded"]
        self.asked: dict[str, list[int]] = data["asked"]
        spelling: dict[str, int] = data["spelling"]
        self.spelling = spelling
        # Stems in order, for completing the word being typed.
        self.sorted_stems = sorted(self._terms)
        # Words by first letter and length: a correction keeps the first letter and is close in
        # length, so only a few hundred words are ever compared with a misspelt one.
        self.buckets: dict[tuple[str, int], list[tuple[str, int]]] = {}
        # Korean syllable pairs by their second syllable too: a typo may be in either one.
        self.pairs_by_end: dict[str, list[tuple[str, int]]] = {}
        for word, frequency in spelling.items():
            self.buckets.setdefault((word[0], len(word)), []).append((word, frequency))
            if len(word) == 2 and has_hangul(word):
                self.pairs_by_end.setdefault(word[1], []).append((word, frequency))
        if len(self.headings) != self.count or len(self.titles) != self.count \
                or len(self.weights) != self.count:
            raise ValueError("the impact table is inconsistent")

    @classmethod
    def load(cls, index_dir: Path, segment_id: str) -> ImpactTable:
        """Read the table for a segment; raise ValueError or OSError when it is missing or bad."""
        data = marshal.loads((Path(index_dir) / file_name(segment_id)).read_bytes())
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("the impact table is not in the expected format")
        if data.get("byteorder") != sys.byteorder or data.get("segment") != segment_id:
            raise ValueError("the impact table belongs to another index or machine")
        return cls(data)

    def has(self, stem: str) -> bool:
        """True when the stem occurs anywhere in the index."""
        return stem in self._terms

    def frequency(self, key: str) -> int:
        """How many sections hold a stem (or a phrase of stems joined by spaces)."""
        packed = self._terms.get(key)
        return len(packed[0]) // 4 if packed else 0

    def scores(self, form: Form) -> dict[int, float]:
        """What a stem or synonym phrase is worth in each section that has it."""
        packed = self._terms.get(" ".join(form))
        if packed:
            return _unpack(packed)
        if len(form) < 2 or not all(stem in self._terms for stem in form):
            return {}
        # A phrase added to the synonyms since the build: its words count where all of them
        # are, as when apart (where they stand together is only known after a rebuild).
        words = [_unpack(self._terms[stem]) for stem in form]
        docs = set(words[0]).intersection(*words[1:])
        return {doc: APART_WEIGHT * sum(scores[doc] for scores in words) for doc in docs}

    def expanded(self, key: Signature) -> dict[int, float] | None:
        """The precomputed sum over a synonym group's alternatives, or None if not precomputed."""
        packed = self._expanded.get(key)
        return _unpack(packed) if packed else None


def _unpack(packed: Packed) -> dict[int, float]:
    """Sections and scores as a dict (built in C: the fastest way to use them from Python)."""
    docs, scores = packed
    return dict(zip(memoryview(docs).cast("I"), memoryview(scores).cast("f"), strict=True))


def merge(maps: Iterable[tuple[dict[int, float], float]]) -> dict[int, float]:
    """Weighted sum of sparse score maps, computed with C-level iteration."""
    maps = [(scores, weight) for scores, weight in maps if scores]
    if not maps:
        return {}
    if len(maps) == 1 and maps[0][1] == 1.0:
        return maps[0][0]
    docs = set().union(*(scores for scores, _ in maps))
    # One column per map, read in the same (set) order; float.__mul__ keeps the loop in C.
    columns = [map(weight.__mul__, map(scores.get, docs, repeat(0.0))) for scores, weight in maps]
    return dict(zip(docs, map(sum, zip(*columns, strict=False)), strict=False))
