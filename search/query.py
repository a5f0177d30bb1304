"""Answer a buyer's question from the index: our own parsing, synonyms, typos, phrases, snippets.

Scoring adds up the BM25F scores precomputed at build time (see search.impacts) rather than asking
Whoosh to score every matching section in Python; Whoosh still holds the sections, their stored
fields and word positions, and does the highlighting.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import html
import logging
import os
import re
import threading
import time
import warnings
from collections import Counter
from collections import OrderedDict
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from itertools import chain
from itertools import compress
from itertools import repeat
from operator import ge
from operator import mul
from operator import neg
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.analysis import Token
from whoosh.highlight import FIRST
from whoosh.highlight import BasicFragmentScorer
from whoosh.highlight import ContextFragmenter
from whoosh.highlight import Formatter
from whoosh.highlight import get_text
from whoosh.highlight import top_fragments
from whoosh.index import EmptyIndexError
from whoosh.index import Index
from whoosh.reading import IndexReader
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance

from search.clicks import ClickReader
from search.clicks import Clicks
from search.clicks import lifts
from search.clicks import normalize
from search.impacts import PHRASE_FIELDS
from search.impacts import ImpactTable
from search.impacts import merge
from search.impacts import question_key
from search.impacts import segment_id
from search.impacts import signature
from search.korean import has_hangul
from search.korean import split_word
from search.language import Intent
from search.language import Language
from search.language import language_dir
from search.language import load_language
from search.schema import STOP_WORDS
from search.schema import TOKEN_PATTERN
from search.schema import stem_word
from search.synonyms import SYNONYM_WEIGHT
from search.synonyms import Form
from search.synonyms import Synonyms
from search.synonyms import content_words
from search.synonyms import indexed_form
from search.synonyms import is_content
from search.synonyms import tokenizer

log = logging.getLogger(__name__)

__all__ = ["IndexUnavailable", "MAX_QUERY_CHARS", "ParsedQuery", "SearchIndex", "Synonyms",
           "open_index", "parse_query"]

# Longer input is cut, not refused: a pasted e-mail still finds something, and costs little.
MAX_QUERY_CHARS = 256
MAX_WORDS = 12
MAX_LIMIT = 50
# How much a word counts when it comes from somewhere other than the buyer's own typing.
CORRECTION_WEIGHT = 0.8
# What an intent's terms count for, against the buyer's own words at 1.
INTENT_WEIGHT = 0.5
# "Did you mean" only when the corrected words find this much better a best section than the
# words as typed (or when the words as typed find nothing).
SUGGEST_RATIO = 1.5
# How strongly covering more of the question counts: a score is times the share covered to this.
COVERAGE_POWER = 2
PREFIX_WEIGHT = 0.5
PREFIX_TERMS = 8
# Stems looked at when completing a word being typed; the commonest PREFIX_TERMS are searched.
PREFIX_SCAN = 600
# Candidates among which phrase matches are moved first.
CANDIDATES = 60
SNIPPET_CHARS = 180
_WORD = re.compile(TOKEN_PATTERN)
# Answers kept for repeated questions (the help bar asks again as the buyer edits); the index's
# segment is part of the key, so a rebuilt index never serves an old answer.
CACHE_SIZE = 256
# Idle searchers kept for reuse: about as many as queries run at once.
POOL_SIZE = 8
# Tables kept for open searchers: the current build, and the one before it during a swap.
TABLES_KEPT = 2
# How often (seconds) the recorded clicks are looked at again for new ones.
CLICKS_REFRESH_S = 60.0


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
    alternatives: dict[Form, float]
    correction: str | None = None
    stems: set[str] = field(default_factory=set)
    # Set for the part added for an intent the question says: never part of a suggestion.
    intent: Intent | None = None
    # How much covering this unit counts: a Korean word's later syllable pairs (했는, 는데) are
    # mostly its endings, so they count half as much as its first pair and as whole words.
    votes: int = 2


@dataclass
class ParsedQuery:
    """What we understood of the query text: the buyer's words and the phrases they quoted."""

    words: list[str]
    stems: list[str]
    quoted: list[list[str]]
    in_progress: bool
    # The first term of each word: a Korean word's other syllable pairs are mostly its
    # particles and endings, not worth correcting.
    heads: frozenset[str] = frozenset()

    def content_stems(self) -> list[str]:
        """The stems of the words that are not stop or question words."""
        return [stem for word, stem in zip(self.words, self.stems, strict=True) if is_content(word)]


def parse_query(text: str) -> ParsedQuery:
    """Split query text into words; quotes mark phrases, every other operator is just text."""
    text = text[:MAX_QUERY_CHARS]
    words = [t.text for t in tokenizer(text)][: MAX_WORDS * 3]
    quoted = [stems for part in re.findall(r'"([^"]+)"', text)
              if len(stems := [stem_word(w) for w in content_words(part)]) > 1]
    in_progress = bool(text) and bool(re.match(r"\w", text[-1]))
    heads = frozenset(split_word(word)[0][0] for word in _WORD.findall(text.lower()))
    return ParsedQuery(words=words, stems=[stem_word(w) for w in words], quoted=quoted,
                       in_progress=in_progress, heads=heads)


def suggestion(q: str, units: list[Unit]) -> str:
    """The query with its misspelt words corrected.

    Korean is indexed as syllable pairs, not words: the pairs corrected are replaced where the
    buyer typed them (반풍하고 -> 반품하고), so the suggestion reads as the buyer wrote it.
    """
    if has_hangul(q):
        fixed = q.lower()
        for unit in units:
            if unit.correction and not unit.intent:
                fixed = fixed.replace(unit.words[0], unit.correction, 1)
        return " ".join(fixed.split())
    return " ".join(unit.correction or " ".join(unit.words) for unit in units if not unit.intent)


def units_stems(units: list[Unit]) -> Iterator[list[str]]:
    """The stems the buyer typed, unit by unit (their own words, not alternatives)."""
    for unit in units:
        yield list(indexed_form(unit.words))


def _contains(sequence: list[str], phrase: list[str]) -> bool:
    """True when phrase appears in sequence as consecutive words."""
    size = len(phrase)
    return any(sequence[i:i + size] == phrase
               for i, word in enumerate(sequence) if word == phrase[0])


class SearchIndex:
    """The help-center index opened for queries: share one per process, it is thread-safe."""

    def __init__(self, ix: Index, synonyms: Synonyms, index_dir: Path,
                 cache_size: int = CACHE_SIZE, language: Language | None = None,
                 clicks: ClickReader | None = None) -> None:
        self._ix = ix
        self._dir = Path(index_dir)
        self._synonyms = synonyms
        self._language = language or load_language()
        self._read_clicks = clicks
        self._clicks: Clicks = {}
        # Changes whenever the clicks read differ, so cached answers made before are not reused.
        self._clicks_stamp: int = 0
        self._clicks_checked = float("-inf")
        self._clicks_lock = threading.Lock()
        self._tables: OrderedDict[str, ImpactTable] = OrderedDict()
        self._tables_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int, str], dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._pool: list[tuple[tuple[int, int, int], Searcher]] = []
        self._pool_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Release the index's files."""
        with self._pool_lock:
            self._closed = True
            idle = [searcher for _, searcher in self._pool]
            self._pool.clear()
        for searcher in idle:
            searcher.close()
        self._ix.close()

    def section_count(self) -> int:
        """How many sections are indexed."""
        try:
            return self._ix.doc_count()
        except Exception as exc:
            raise IndexUnavailable(str(exc)) from exc

    def clear_cache(self) -> None:
        """Forget the remembered answers (benchmarks measure cold queries)."""
        with self._cache_lock:
            self._cache.clear()

    def _stamp(self) -> tuple[int, int, int]:
        """What identifies the index folder now: a rebuild swaps in a new folder, a new stamp."""
        try:
            info = os.stat(self._dir)
        except OSError as exc:
            raise IndexUnavailable(f"no search index in {self._dir}: {exc}") from exc
        return info.st_ino, info.st_mtime_ns, info.st_ctime_ns

    @contextmanager
    def _searcher(self) -> Iterator[Searcher]:
        """A searcher for this query alone, reused by later queries while the index is the same.

        Opening a Whoosh searcher copies its term files into memory (~3 ms at 10,000 sections),
        so idle searchers wait in a small pool; a searcher is never used by two queries at once.
        """
        stamp = self._stamp()
        searcher = None
        stale = []
        with self._pool_lock:
            while self._pool and searcher is None:
                held_stamp, held = self._pool.pop()
                if held_stamp == stamp:
                    searcher = held
                else:
                    stale.append(held)
        for held in stale:
            held.close()
        if searcher is None:
            try:
                searcher = self._ix.searcher()
            except Exception as exc:
                raise IndexUnavailable(str(exc)) from exc
        try:
            yield searcher
        except BaseException:
            searcher.close()
            raise
        with self._pool_lock:
            if not self._closed and len(self._pool) < POOL_SIZE:
                self._pool.append((stamp, searcher))
                return
        searcher.close()

    def table(self, reader: IndexReader) -> tuple[str, ImpactTable]:
        """The precomputed scores of the build the reader reads, loaded once per build."""
        try:
            segment = segment_id(reader)
        except Exception as exc:
            raise IndexUnavailable(str(exc)) from exc
        found = self._tables.get(segment)
        if found is not None:
            return segment, found
        with self._tables_lock:
            found = self._tables.get(segment)
            if found is None:
                try:
                    found = ImpactTable.load(self._dir, segment)
                except Exception as exc:
                    raise IndexUnavailable(
                        f"the search index in {self._dir} has no usable score table ({exc!r}); "
                        "it was built by another version: rebuild it") from exc
                self._tables[segment] = found
                while len(self._tables) > TABLES_KEPT:
                    self._tables.popitem(last=False)
        return segment, found

    def search(self, q: str, limit: int = 10) -> dict[str, Any]:
        """Answer the query text: {"query", "results": [{"title", "url", "snippet", "score", ...}],
        "suggestion"?, "lookup"?}; `lookup` ({"url", "title", "snippet", "step"}) when the order
        lookup answers the question for the buyer's own order."""
        limit = max(1, min(int(limit), MAX_LIMIT))
        q = q[:MAX_QUERY_CHARS] if isinstance(q, str) else ""
        parsed = parse_query(q)
        answer: dict[str, Any] = {"query": q, "results": []}
        if not parsed.content_stems():
            return answer
        clicked = self._clicked(q)
        with self._searcher() as searcher:
            segment, table = self.table(searcher.reader())
            key = (q, limit, segment, self._clicks_stamp)
            cached = self._cached(key)
            if cached is not None:
                return cached
            units = self._units(table, parsed)
            units += self._intent_units(parsed, units)
            ranked = self._ranked(table, units) if units else []
            if units:
                answer["results"] = self._run(searcher, table, units, ranked, parsed, limit,
                                              clicked)
            # Misspelt words are searched as corrected already; the suggestion tells the buyer
            # so, when the correction is what found the answers.
            if any(unit.correction for unit in units) and self._corrections_help(
                    table, parsed, units, ranked):
                answer["suggestion"] = suggestion(q, units)
        lookup = next((unit.intent.lookup for unit in units if unit.intent and unit.intent.lookup),
                      None)
        if lookup and self._language.lookup:
            # A question the order lookup answers for the buyer's own order: link it first.
            answer["lookup"] = {**self._language.lookup, "step": lookup}
        self._remember(key, answer)
        return answer

    def _intent_units(self, parsed: ParsedQuery, units: list[Unit]) -> list[Unit]:
        """One more part of the question for each intent its words (and their terms) say."""
        terms = [form for unit in units for form in unit.alternatives]
        added = []
        for intent in self._language.intents_of(parsed.stems, terms):
            alternatives = {form: weight * INTENT_WEIGHT
                            for form, weight in intent.alternatives().items()}
            if alternatives:
                added.append(Unit(words=[], alternatives=alternatives, intent=intent,
                                  stems={stem for form in alternatives for stem in form}))
        return added

    def _corrections_help(self, table: ImpactTable, parsed: ParsedQuery, units: list[Unit],
                          corrected: list[tuple[float, int]]) -> bool:
        """True when the corrected words find a clearly better best section than the rest alone."""
        if not corrected:
            return False
        # The rest alone: without the corrected words, nor the intents only they revealed.
        rest = [unit for unit in units if not unit.correction and not unit.intent]
        plain = self._ranked(table, rest + self._intent_units(parsed, rest))
        # Best scores, not first places: the results list is reordered in place (phrases first).
        best = max(score for score, _ in corrected)
        return not plain or best >= SUGGEST_RATIO * max(score for score, _ in plain)

    def _clicked(self, q: str) -> dict[str, float]:
        """What buyers' clicks lift for this query (URL -> factor), from the recorded clicks."""
        if self._read_clicks is None:
            return {}
        now = time.monotonic()
        if now - self._clicks_checked >= CLICKS_REFRESH_S:
            with self._clicks_lock:
                if now - self._clicks_checked >= CLICKS_REFRESH_S:
                    self._clicks_checked = now
                    self._reload_clicks()
        return lifts(self._clicks.get(normalize(q), {}))

    def _reload_clicks(self) -> None:
        """Read the recorded clicks again."""
        try:
            clicks = self._read_clicks()
        except Exception:  # clicks only refine the order: a counter away must not stop search
            log.warning("could not read the recorded clicks", exc_info=True)
            return
        if clicks != self._clicks:
            self._clicks = clicks
            self._clicks_stamp += 1

    def _cached(self, key: tuple) -> dict[str, Any] | None:
        """A copy of a remembered answer, or None."""
        with self._cache_lock:
            answer = self._cache.get(key)
            if answer is None:
                return None
            self._cache.move_to_end(key)
        return {**answer, "results": [dict(result) for result in answer["results"]]}

    def _remember(self, key: tuple, answer: dict[str, Any]) -> None:
        """Keep a copy of an answer, forgetting the least recently used beyond the cache size."""
        if self._cache_size <= 0:
            return
        kept = {**answer, "results": [dict(result) for result in answer["results"]]}
        with self._cache_lock:
            self._cache[key] = kept
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _units(self, table: ImpactTable, parsed: ParsedQuery) -> list[Unit]:
        """Group the words into units, each with its synonyms, typo corrections or completions."""
        units: list[Unit] = []
        stems = parsed.stems
        # Filler ("tf", "seriously") is dropped, unless it is all the buyer typed.
        filler = self._language.filler
        if all(word in filler for word in parsed.words if is_content(word)):
            filler = frozenset()
        i = 0
        while i < len(stems) and len(units) < MAX_WORDS:
            for length in range(min(self._synonyms.longest, len(stems) - i), 0, -1):
                key = tuple(stems[i:i + length])
                if length == 1 or self._synonyms.get(key):
                    break
            words = parsed.words[i:i + length]
            i += length
            alternatives = self._synonyms.alternatives(words)
            if not alternatives or (length == 1 and words[0] in filler):
                # A stop, question or filler word on its own.
                continue
            unit = Unit(words=words, alternatives=alternatives)
            if length == 1 and words[0] not in parsed.heads and has_hangul(words[0]):
                unit.votes = 1
            if length == 1 and not any(table.has(stem) for alt in alternatives for stem in alt):
                last = i == len(stems) and parsed.in_progress
                if words[0] in parsed.heads or not has_hangul(words[0]):
                    self._repair(table, unit, complete=last)
            units.append(unit)
        for unit in units:
            unit.stems = {stem for alt in unit.alternatives for stem in alt}
        return units

    def _repair(self, table: ImpactTable, unit: Unit, complete: bool) -> None:
        """Add completions of a word being typed, or corrections of a misspelt one."""
        word = unit.words[0]
        if complete and len(word) >= 2:
            completions = self._completions(table, word)
            for stem in completions:
                unit.alternatives.setdefault((stem,), PREFIX_WEIGHT)
            if completions:
                return
        # A Korean term is a pair of syllables: two letters say as much as an English word's five.
        if len(word) < (2 if has_hangul(word) else 3) or len(word) > 24 or not word.isalpha():
            return
        if self._language.is_common(word):
            # A real word the articles happen not to use ("stuff", "shoes"): not a typo.
            return
        correction = self._correct(table, word)
        if correction is None:
            return
        unit.correction = correction
        key = (stem_word(correction),)
        unit.alternatives.setdefault(key, CORRECTION_WEIGHT)
        for alternative in sorted(self._synonyms.get(key)):
            unit.alternatives.setdefault(alternative, CORRECTION_WEIGHT * SYNONYM_WEIGHT)

    def _completions(self, table: ImpactTable, prefix: str) -> list[str]:
        """The most frequent indexed stems that start with prefix."""
        stems = table.sorted_stems
        start = bisect.bisect_left(stems, prefix)
        found = []
        for stem in stems[start:start + PREFIX_SCAN]:
            if not stem.startswith(prefix):
                break
            found.append(stem)
        return sorted(found, key=lambda stem: -table.frequency(stem))[:PREFIX_TERMS]

    def _correct(self, table: ImpactTable, word: str) -> str | None:
        """The closest indexed word (as written) with the same first letter, commoner on ties."""
        if has_hangul(word):
            return _correct_hangul(table, word)
        maxdist = 1 if len(word) <= 4 else 2
        letters = set(word)
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - maxdist, len(word) + maxdist + 1):
            for candidate, frequency in table.buckets.get((word[0], length), ()):
                # An edit adds or removes at most two distinct letters: a cheap test, in C,
                # that rules out most words before the edit distance is computed in Python.
                if candidate == word or len(letters.symmetric_difference(candidate)) > 2 * maxdist:
                    continue
                rank = (distance(word, candidate, limit=maxdist), -frequency, candidate)
                if rank[0] <= maxdist and (best is None or rank < best):
                    best = rank
        return best[2] if best else None

    def _unit_scores(self, table: ImpactTable, unit: Unit) -> tuple[dict[int, float], float]:
        """What the unit is worth in each section, and a factor to multiply that by."""
        key, top = signature(unit.alternatives)
        expanded = table.expanded(key)
        if expanded is not None:
            # The synonym group was added up at build time.
            return expanded, top
        alternatives = unit.alternatives.items()
        return merge((table.scores(form), weight) for form, weight in alternatives), 1.0

    def _ranked(self, table: ImpactTable, units: list[Unit]) -> list[tuple[float, int]]:
        """The best candidates as (score, docnum): BM25F times the squared share covered."""
        maps = [self._unit_scores(table, unit) for unit in units]
        # Every step below iterates in C (map, zip, Counter): Python never loops per section.
        covered = Counter(chain.from_iterable(scores for scores, _ in maps))
        votes = len(units)
        if len({unit.votes for unit in units}) > 1:
            # Korean endings among whole words: count the whole words' sections once more.
            covered.update(chain.from_iterable(
                scores for unit, (scores, _) in zip(units, maps, strict=True) if unit.votes > 1))
            votes = sum(unit.votes for unit in units)
        if not covered:
            return []
        docs = list(covered)
        counts = list(covered.values())
        shares = [(count / votes) ** COVERAGE_POWER for count in range(votes + 1)]
        # The most a section covering n votes can score: the best units' maxima, scaled (a unit
        # counted as two votes at most, so the bound stays above every section's score).
        maxima = sorted((factor * max(scores.values(), default=0.0) for scores, factor in maps),
                        reverse=True)
        ceilings = [sum(maxima[:n]) * shares[n] * table.max_weight for n in range(votes + 1)]
        # Score the sections covering the most units first; stop once no section covering fewer
        # can reach the candidates (usually after one or two levels, not the whole union).
        best: list[tuple[float, int]] = []
        for level in range(max(counts), 0, -1):
            if level > 1 and sum(map(ge, counts, repeat(level))) < CANDIDATES:
                continue
            selected = list(compress(docs, map(ge, counts, repeat(level))))
            best = self._best(table, maps, covered, shares, selected)
            if len(best) >= CANDIDATES and best[-1][0] > ceilings[level - 1]:
                break
        return best

    def _best(self, table: ImpactTable, maps: list[tuple[dict[int, float], float]],
              covered: Counter[int], shares: list[float],
              docs: list[int]) -> list[tuple[float, int]]:
        """The best CANDIDATES of docs as (score, docnum), best first."""
        sums = map(sum, zip(*[map(factor.__mul__, map(scores.get, docs, repeat(0.0)))
                              for scores, factor in maps], strict=False))
        finals = map(mul, map(mul, sums, map(shares.__getitem__, map(covered.__getitem__, docs))),
                     map(table.weights.__getitem__, docs))
        # Ties go to the earlier section, as Whoosh ranks them.
        best = heapq.nlargest(CANDIDATES, zip(finals, map(neg, docs), strict=False))
        return [(score, -negdoc) for score, negdoc in best]

    def _phrase_docs(self, searcher: Searcher, table: ImpactTable, parsed: ParsedQuery,
                     units: list[Unit], docs: list[int]) -> set[int]:
        """The candidates holding the quoted phrases, or else all the buyer's words in order."""
        phrases = parsed.quoted
        # Unquoted, the phrase must stand for the whole question, not for one part of it.
        if not phrases and all(indexed_form(unit.words) for unit in units):
            content = parsed.content_stems()
            phrases = [content] if len(content) > 1 else []
        # A question an author listed for a section ("also asked as"), asked in other words order.
        found = set(table.asked.get(question_key(chain.from_iterable(units_stems(units))), ()))
        found &= set(docs)
        for phrase in phrases:
            # Unquoted, only where it names the section (heading, title); quoted, anywhere.
            for name in PHRASE_FIELDS:
                sequences = table.headings if name == "heading" else table.titles
                found.update(doc for doc in docs if _contains(sequences[doc].split(), phrase))
            if parsed.quoted:
                found |= _text_phrase_docs(searcher.reader(), phrase, sorted(set(docs) - found))
        return found

    def _run(self, searcher: Searcher, table: ImpactTable, units: list[Unit],
             ranked: list[tuple[float, int]], parsed: ParsedQuery, limit: int,
             clicked: dict[str, float]) -> list[dict[str, Any]]:
        """Order the ranked candidates with phrase matches first, and shape the results."""
        if clicked:
            # Only the candidates the words found are lifted: clicks reorder, never add.
            ranked = [(score * clicked.get(searcher.stored_fields(doc)["url"], 1.0), doc)
                      for score, doc in ranked]
        asked = [unit for unit in units if not unit.intent]
        phrase_docs = self._phrase_docs(searcher, table, parsed, asked, [d for _, d in ranked])
        ranked.sort(key=lambda item: (item[1] not in phrase_docs, -item[0], item[1]))
        terms = set().union(*(unit.stems for unit in units))
        return [self._result(searcher, doc, score, terms) for score, doc in ranked[:limit]]

    def _result(self, searcher: Searcher, docnum: int, score: float,
                terms: set[str]) -> dict[str, Any]:
        """One result as the API returns it."""
        fields = searcher.stored_fields(docnum)
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
        # Whoosh's highlight(), fed by one tokenizing loop instead of its chain of filters.
        fragments = fragmenter.fragment_tokens(text, _snippet_tokens(text, frozenset(terms)))
        best = top_fragments(fragments, 1, BasicFragmentScorer(), FIRST, minscore=1)
        out = SnippetFormatter()(text, best)
        if out:
            return out
        if len(text) <= SNIPPET_CHARS:
            return html.escape(text, quote=False)
        cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
        return html.escape(cut, quote=False) + " …"


# Initial consonants a slipped Shift key swaps (ㄱ/ㄲ, ㄷ/ㄸ, ㅂ/ㅃ, ㅅ/ㅆ, ㅈ/ㅉ), by their
# index in Unicode's Hangul syllable order.
_TENSE_PAIRS = frozenset({(0, 1), (3, 4), (7, 8), (9, 10), (12, 13)})


def _letters(syllable: str) -> tuple[int, int, int] | None:
    """A Hangul syllable's initial consonant, vowel and final consonant, or None."""
    code = ord(syllable) - 0xAC00
    return (code // 588, code % 588 // 28, code % 28) if 0 <= code < 11172 else None


def _syllable_typo(typed: str, meant: str) -> bool:
    """True when typed is meant with one letter slipped: the vowel (ㅗ/ㅘ) or the final
    consonant (반푸/반품), or a Shift on the initial. Another initial consonant makes another
    word (떠요/어요, 파는/하는), so it is not taken for a typo."""
    a, b = _letters(typed), _letters(meant)
    if a is None or b is None or a == b:
        return False
    if a[0] != b[0]:
        return tuple(sorted((a[0], b[0]))) in _TENSE_PAIRS and a[1:] == b[1:]
    return a[1] == b[1] or a[2] == b[2]


def _correct_hangul(table: ImpactTable, pair: str) -> str | None:
    """The commonest indexed syllable pair that a misspelt one is a typo of (횐불, 환뷸 -> 환불).

    Either syllable may hold the typo, so candidates share the first syllable or the second.
    """
    if len(pair) != 2:
        return None
    best: tuple[int, str] | None = None
    for candidate, frequency in table.buckets.get((pair[0], 2), ()):
        if _syllable_typo(pair[1], candidate[1]) and (best is None or -frequency < best[0]):
            best = (-frequency, candidate)
    for candidate, frequency in table.pairs_by_end.get(pair[1], ()):
        if _syllable_typo(pair[0], candidate[0]) and (best is None or -frequency < best[0]):
            best = (-frequency, candidate)
    return best[1] if best else None


def _snippet_tokens(text: str, terms: frozenset[str]) -> Iterator[Token]:
    """The tokens Whoosh's highlighting analysis yields for text, marked when a term matches.

    Same tokens as make_analyzer() with stop words kept (and not stemmed), but in one loop: the
    filter chain costs ~4 us a word, most of a query's time on long sections.
    """
    token = Token(positions=False, chars=True, removestops=False, mode="query")
    for match in _WORD.finditer(text):
        word = match.group().lower()
        token.stopped = len(word) < 2 or word in STOP_WORDS
        token.text = word if token.stopped else stem_word(word)
        token.startchar, token.endchar = match.span()
        # A Korean word is marked when one of its syllable pairs was searched for.
        token.matched = token.text in terms or (
            has_hangul(word) and any(piece[0] in terms for piece in split_word(word)))
        yield token


def _text_phrase_docs(reader: IndexReader, phrase: list[str], docs: Iterable[int]) -> set[int]:
    """Which of docs (ascending) hold the phrase in their text, read from Whoosh's positions.

    Only the candidates are looked up (skipping through each word's postings), so this costs the
    same however common the words are, unlike a Whoosh Phrase query over the whole index.
    """
    try:
        matchers = [reader.postings("text", stem) for stem in phrase]
    except TermNotFound:
        return set()
    found = set()
    for doc in docs:
        positions = []
        for matcher in matchers:
            if not matcher.is_active():
                return found
            matcher.skip_to(doc)
            if not matcher.is_active():
                return found
            if matcher.id() != doc:
                break
            positions.append(set(matcher.value_as("positions")))
        else:
            if any(all(start + i in positions[i] for i in range(1, len(positions)))
                   for start in positions[0]):
                found.add(doc)
    return found


def open_index(index_dir: Path, synonyms_file: Path | None = None,
               cache_size: int = CACHE_SIZE, clicks: ClickReader | None = None,
               language: Language | None = None) -> SearchIndex:
    """Open the index built by build_index; raise IndexUnavailable when it is missing or broken.

    clicks: reads buyers' clicks on results (search.clicks), to learn from, every minute;
    language: the query side's words (default: English, from search/lang/en/); its index is
    the one language_dir names in index_dir.
    """
    language = language or load_language()
    index_dir = language_dir(Path(index_dir), language.code)
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
    opened = SearchIndex(ix, Synonyms.load(synonyms_file, language.code), index_dir,
                         cache_size=cache_size, clicks=clicks, language=language)
    # The language's word list is large: load it now, not during the first buyer's query.
    opened._language.is_common("a")
    try:
        # Load the score table now: a missing one is reported at once, not at the first query.
        with opened._searcher() as searcher:
            opened.table(searcher.reader())
    except IndexUnavailable:
        opened.close()
        raise
    return opened
