"""Answer a buyer's question from the index: our own parsing, synonyms, typos, phrases, snippets."""

from __future__ import annotations

import gc
import html
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from importlib import resources
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.analysis import LowercaseFilter
from whoosh.analysis import RegexTokenizer
from whoosh.highlight import ContextFragmenter
from whoosh.highlight import Formatter
from whoosh.highlight import get_text
from whoosh.highlight import highlight
from whoosh.index import EmptyIndexError
from whoosh.index import Index
from whoosh.query import And
from whoosh.query import Or
from whoosh.query import Phrase
from whoosh.query import Query
from whoosh.query import Term
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance

from search.schema import FIELD_BOOSTS
from search.schema import STOP_WORDS
from search.schema import TOKEN_PATTERN
from search.schema import make_analyzer
from search.schema import stem_word

# Longer input is cut, not refused: a pasted e-mail still finds something, and costs little.
MAX_QUERY_CHARS = 256
MAX_WORDS = 12
MAX_LIMIT = 50
# How much a word counts when it comes from somewhere other than the buyer's own typing.
SYNONYM_WEIGHT = 0.6
CORRECTION_WEIGHT = 0.8
PREFIX_WEIGHT = 0.5
PREFIX_TERMS = 8
# Candidates re-ranked by how many of the buyer's words they cover.
CANDIDATES = 60
SPELLING_FIELDS = ("text", "heading", "title")
SNIPPET_CHARS = 180


class IndexUnavailable(Exception):
    """The search index is missing or cannot be read."""


class SnippetFormatter(Formatter):
    """Escape the text and wrap each match in <mark>; ellipses where text was cut."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        """One matched word, marked."""
        return f"<mark>{html.escape(get_text(text, token, replace), quote=False)}</mark>"

    def format(self, fragments: list, replace: bool = False) -> str:
        """The fragments joined, with an ellipsis where the text goes on."""
        if not fragments:
            return ""
        out = self.between.join(self.format_fragment(f, replace=replace) for f in fragments)
        if fragments[0].startchar > 0:
            out = "… " + out
        if fragments[-1].endchar < len(fragments[-1].text):
            out += " …"
        return out


@dataclass
class Unit:
    """A run of the buyer's words that means one thing, with every way of saying it."""

    words: list[str]
    alternatives: dict[tuple[str, ...], float]
    correction: str | None = None
    stems: set[str] = field(default_factory=set)


def _indexed_form(words: Iterable[str]) -> tuple[str, ...]:
    """The stems the index holds for some words: stop words are not indexed."""
    return tuple(stem_word(word) for word in words if _is_content(word))


class Synonyms:
    """Groups of words and phrases that mean the same to a buyer, matched on their stems."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self._alternatives: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for group in groups:
            words = {phrase: [t.text for t in _tokenizer(phrase)] for phrase in group}
            keys = {tuple(stem_word(w) for w in ws): _indexed_form(ws) for ws in words.values()}
            keys.pop((), None)
            # What is searched for is the indexed form; phrases of stop words only are keys alone.
            forms = set(keys.values()) - {()}
            for key, form in keys.items():
                self._alternatives.setdefault(key, set()).update(forms - {form})
        self.longest = max((len(key) for key in self._alternatives), default=1)

    @classmethod
    def load(cls, path: Path | None = None) -> Synonyms:
        """Read a synonyms file: one comma-separated group a line, `#` starts a comment."""
        if path is None:
            text = resources.files("search").joinpath("synonyms.txt").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append([part.strip() for part in line.split(",") if part.strip()])
        return cls(groups)

    def get(self, key: tuple[str, ...]) -> set[tuple[str, ...]]:
        """The other ways of saying key (stems), or an empty set."""
        return self._alternatives.get(key, set())


@dataclass
class ParsedQuery:
    """What we understood of the query text: the buyer's words and the phrases they quoted."""

    words: list[str]
    stems: list[str]
    quoted: list[list[str]]
    in_progress: bool

    def content_stems(self) -> list[str]:
        """The stems of the words that are not stop or question words."""
        return [stem for word, stem in zip(self.words, self.stems, strict=True) if _is_content(word)]


_tokenizer = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()


def _is_content(word: str) -> bool:
    """False for stop and question words, and for single letters."""
    return len(word) >= 2 and word not in STOP_WORDS


def _content_words(text: str) -> list[str]:
    """The lowercased words of text that are not stop or question words."""
    return [t.text for t in _tokenizer(text) if _is_content(t.text)]


def parse_query(text: str) -> ParsedQuery:
    """Split query text into words; quotes mark phrases, every other operator is just text."""
    text = text[:MAX_QUERY_CHARS]
    words = [t.text for t in _tokenizer(text)][: MAX_WORDS * 3]
    quoted = [stems for part in re.findall(r'"([^"]+)"', text)
              if len(stems := [stem_word(w) for w in _content_words(part)]) > 1]
    in_progress = bool(text) and bool(re.match(r"\w", text[-1]))
    return ParsedQuery(words=words, stems=[stem_word(w) for w in words], quoted=quoted,
                       in_progress=in_progress)


class SearchIndex:
    """The help-center index opened for queries: share one per process, it is thread-safe."""

    def __init__(self, ix: Index, synonyms: Synonyms) -> None:
        self._ix = ix
        self._synonyms = synonyms
        self._analyzer = make_analyzer()
        self._weighting = BM25F(B=0.75, K1=1.2, heading_B=0.3, title_B=0.3, breadcrumb_B=0.3)

    def close(self) -> None:
        """Release the index's files."""
        self._ix.close()

    def section_count(self) -> int:
        """How many sections are indexed."""
        try:
            return self._ix.doc_count()
        except Exception as exc:
            raise IndexUnavailable(str(exc)) from exc

    def _searcher(self) -> Searcher:
        """A fresh searcher: one per query, never shared between threads."""
        try:
            return self._ix.searcher(weighting=self._weighting)
        except Exception as exc:
            raise IndexUnavailable(str(exc)) from exc

    def search(self, q: str, limit: int = 10) -> dict[str, Any]:
        """Answer the query text: {"query", "results": [{"title", "url", "snippet", "score", ...}], "suggestion"?}."""
        limit = max(1, min(int(limit), MAX_LIMIT))
        q = q[:MAX_QUERY_CHARS] if isinstance(q, str) else ""
        parsed = parse_query(q)
        answer: dict[str, Any] = {"query": q, "results": []}
        if not parsed.content_stems():
            return answer
        with self._searcher() as searcher:
            units = self._units(searcher.reader(), parsed)
            if not units:
                return answer
            results = self._run(searcher, units, parsed, limit)
        answer["results"] = results
        # Misspelt words are searched as corrected already; the suggestion tells the buyer so.
        if any(unit.correction for unit in units):
            answer["suggestion"] = " ".join(
                unit.correction or " ".join(unit.words) for unit in units
            )
        return answer

    def _known(self, reader: IndexReader, stem: str) -> bool:
        """True when the stem occurs anywhere in the index."""
        return any(reader.doc_frequency(name, stem) for name in SPELLING_FIELDS)

    def _units(self, reader: IndexReader, parsed: ParsedQuery) -> list[Unit]:
        """Group the words into units, each with its synonyms, typo corrections or completions."""
        units: list[Unit] = []
        stems = parsed.stems
        i = 0
        while i < len(stems) and len(units) < MAX_WORDS:
            for length in range(min(self._synonyms.longest, len(stems) - i), 0, -1):
                key = tuple(stems[i:i + length])
                if length == 1 or self._synonyms.get(key):
                    break
            words = parsed.words[i:i + length]
            i += length
            alternatives = {}
            if _indexed_form(words):
                alternatives[_indexed_form(words)] = 1.0
            for alternative in self._synonyms.get(key):
                alternatives.setdefault(alternative, SYNONYM_WEIGHT)
            if not alternatives:
                # A stop or question word on its own.
                continue
            unit = Unit(words=words, alternatives=alternatives)
            if length == 1 and not any(
                self._known(reader, stem) for alt in alternatives for stem in alt
            ):
                last = i == len(stems) and parsed.in_progress
                self._repair(reader, unit, complete=last)
            units.append(unit)
        for unit in units:
            unit.stems = {stem for alt in unit.alternatives for stem in alt}
        return units

    def _repair(self, reader: IndexReader, unit: Unit, complete: bool) -> None:
        """Add completions of a word being typed, or corrections of a misspelt one."""
        word = unit.words[0]
        if complete and len(word) >= 2:
            completions = self._completions(reader, word)
            for stem in completions:
                unit.alternatives.setdefault((stem,), PREFIX_WEIGHT)
            if completions:
                return
        if len(word) < 3 or len(word) > 24 or not word.isalpha():
            return
        correction = self._correct(reader, word)
        if correction is None:
            return
        unit.correction = correction
        key = (stem_word(correction),)
        unit.alternatives.setdefault(key, CORRECTION_WEIGHT)
        for alternative in self._synonyms.get(key):
            unit.alternatives.setdefault(alternative, CORRECTION_WEIGHT * SYNONYM_WEIGHT)

    def _completions(self, reader: IndexReader, prefix: str) -> list[str]:
        """The most frequent indexed stems that start with prefix."""
        seen: dict[str, int] = {}
        for name in SPELLING_FIELDS:
            for count, raw in enumerate(reader.expand_prefix(name, prefix)):
                if count >= 200:
                    break
                stem = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                seen[stem] = max(seen.get(stem, 0), reader.doc_frequency(name, stem))
        return sorted(seen, key=lambda stem: -seen[stem])[:PREFIX_TERMS]

    def _correct(self, reader: IndexReader, word: str) -> str | None:
        """The closest indexed word (as written, not stemmed), preferring the commoner one."""
        maxdist = 1 if len(word) <= 4 else 2
        best: tuple[int, int, str] | None = None
        for name in SPELLING_FIELDS:
            spelling = "spell_" + name
            for candidate in reader.terms_within(name, word, maxdist, prefix=1):
                if candidate == word:
                    continue
                rank = (distance(word, candidate), -reader.doc_frequency(spelling, candidate),
                        candidate)
                if best is None or rank < best:
                    best = rank
        return best[2] if best else None

    def _unit_query(self, unit: Unit) -> Query:
        """Any way of saying the unit, in any field, weighted by field and by how sure we are."""
        clauses: list[Query] = []
        for alternative, weight in unit.alternatives.items():
            if len(alternative) == 1:
                clauses.extend(Term(name, alternative[0], boost=boost * weight)
                               for name, boost in FIELD_BOOSTS.items())
                continue
            # A phrase scores most as written, and still counts with its words apart.
            clauses.extend(Phrase(name, list(alternative), slop=1, boost=boost * weight)
                           for name, boost in FIELD_BOOSTS.items())
            clauses.append(And([Or([Term(name, stem, boost=boost * weight * 0.5)
                                    for name, boost in FIELD_BOOSTS.items()])
                                for stem in alternative]))
        return Or(clauses)

    def _phrase_query(self, parsed: ParsedQuery, units: list[Unit]) -> Query | None:
        """The quoted phrases, or else all the buyer's words in order, as phrases to rank first."""
        phrases = parsed.quoted
        # Unquoted, the phrase must stand for the whole question, not for one part of it.
        if not phrases and all(_indexed_form(unit.words) for unit in units):
            content = parsed.content_stems()
            phrases = [content] if len(content) > 1 else []
        # Quoted, the phrase may be anywhere; unquoted, only where it names the section.
        names = ("heading", "text", "title") if parsed.quoted else ("heading", "title")
        clauses = [Phrase(name, stems, slop=1) for stems in phrases for name in names]
        return Or(clauses) if clauses else None

    def _run(self, searcher: Searcher, units: list[Unit], parsed: ParsedQuery,
             limit: int) -> list[dict[str, Any]]:
        """Score, re-rank by coverage with phrase matches first, and shape the results."""
        query = Or([self._unit_query(unit) for unit in units])
        hits = searcher.search(query, limit=CANDIDATES)
        phrase_query = self._phrase_query(parsed, units)
        phrase_docs = set(searcher.docs_for_query(phrase_query)) if phrase_query else set()
        ranked = []
        for hit in hits:
            matched = set(hit.get("stems", "").split())
            covered = sum(1 for unit in units if unit.stems & matched)
            coverage = covered / len(units)
            score = hit.score * coverage * coverage * hit.get("weight", 1.0)
            ranked.append((hit.docnum in phrase_docs, score, hit.rank, hit, matched))
        ranked.sort(key=lambda item: (not item[0], -item[1], item[2]))
        terms = set().union(*(unit.stems for unit in units))
        return [self._result(hit, score, terms) for _, score, _, hit, _ in ranked[:limit]]

    def _result(self, hit: Any, score: float, terms: set[str]) -> dict[str, Any]:
        """One result as the API returns it."""
        fields = hit.fields()
        return {
            "title": fields["heading"],
            "url": fields["url"],
            "snippet": self.snippet(fields.get("text", ""), terms),
            "score": round(score, 4),
            "page": fields["title"],
            "breadcrumb": fields.get("breadcrumb", ""),
        }

    def snippet(self, text: str, terms: set[str]) -> str:
        """The part of text with the most query words, escaped, matches in <mark>."""
        fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        out = highlight(text, terms, self._analyzer, fragmenter, SnippetFormatter(), top=1)
        if out:
            return out
        if len(text) <= SNIPPET_CHARS:
            return html.escape(text, quote=False)
        cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
        return html.escape(cut, quote=False) + " …"


def open_index(index_dir: Path, synonyms_file: Path | None = None) -> SearchIndex:
    """Open the index built by build_index; raise IndexUnavailable when it is missing or broken."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise IndexUnavailable(f"no search index in {index_dir}")
    reason = ""
    # Whoosh leaves the file of a broken table of contents open; close it here, quietly, so the
    # failure is reported once, as IndexUnavailable, and not again as a ResourceWarning later.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            ix = index.open_dir(str(index_dir), readonly=True)
        except EmptyIndexError:
            reason = f"no search index in {index_dir}"
        except Exception as exc:
            reason = f"the search index in {index_dir} cannot be read: {exc!r}"
        if reason:
            gc.collect()
    if reason:
        raise IndexUnavailable(reason)
    return SearchIndex(ix, Synonyms.load(synonyms_file))
