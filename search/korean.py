"""Korean words into index terms: overlapping syllable pairs (bigrams), as Lucene's CJK analyzer.

Korean glues particles and endings to the word (반품은, 반품하려면, 반품했는데) and buyers space
freely (반품 기간 / 반품기간). Pairs of neighbouring syllables find 반품 in every one of those
without a dictionary: 반품했는데 -> 반품 품했 했는 는데. A one-syllable word stays as it is.

Every part of the analysis (the index's words, the query's words, the synonyms' and intents'
words) passes through split_word, so a Hangul run is cut the same way everywhere; other words are
left alone, and English analysis does not change.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from collections.abc import Iterator

from whoosh.analysis import Filter
from whoosh.analysis import Token

# Hangul syllables, and the compatibility letters buyers type alone (ㅠㅠ, ㅋㅋ).
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]+")
# (term, start, end) with start and end offsets into the word.
Piece = tuple[str, int, int]
_SYLLABLES = re.compile(r"[\uac00-\ud7a3]+")
# Which analysis cuts Korean: "bigram" (the default), or "kiwi", the morphological analyzer
# measured against it (bench/search_relevance.py; `pip install .[kiwi]`). Index and queries must
# be cut the same way: the variable is read once, when the package is imported.
ANALYZER = os.environ.get("HELPCENTER_KOREAN_ANALYZER", "bigram")
# Kiwi's parts of speech that say what a question is about: nouns, verb and adjective stems,
# roots, adverbs, foreign words and numbers (particles, endings and suffixes are dropped).
KIWI_KEPT = ("NN", "NR", "NP", "VV", "VA", "XR", "MAG", "SL", "SN", "SH")


def has_hangul(text: str) -> bool:
    """True when text holds any Korean letter."""
    return _HANGUL.search(text) is not None


@functools.lru_cache(maxsize=65536)
def split_word(word: str) -> tuple[Piece, ...]:
    """The terms a word is indexed as: each Hangul run as overlapping syllable pairs.

    A word without Hangul is one term; "cj대한통운" -> "cj", "대한", "한통", "통운".
    """
    if not has_hangul(word):
        return ((word, 0, len(word)),)
    if ANALYZER == "kiwi":
        return _kiwi_pieces(word)
    pieces: list[Piece] = []
    last = 0
    for match in _HANGUL.finditer(word):
        start, end = match.span()
        if start > last:
            pieces.append((word[last:start], last, start))
        if end - start == 1:
            pieces.append((word[start:end], start, end))
        else:
            pieces.extend((word[i:i + 2], i, i + 2) for i in range(start, end - 1))
        last = end
    if last < len(word):
        pieces.append((word[last:], last, len(word)))
    return tuple(pieces)


@functools.cache
def _kiwi():  # noqa: ANN202 - kiwipiepy is an optional dependency
    """Kiwi, loaded once per process (seconds, and about half a gigabyte)."""
    from kiwipiepy import Kiwi

    return Kiwi()


def _kiwi_pieces(word: str) -> tuple[Piece, ...]:
    """A word's morphemes that carry meaning, as Kiwi analyses it (반품했는데 -> 반품)."""
    pieces = tuple((token.form, token.start, token.start + token.len)
                   for token in _kiwi().tokenize(word) if token.tag.startswith(KIWI_KEPT))
    return pieces or ((word, 0, len(word)),)


def bridge(previous: str, word: str) -> str | None:
    """The pair of syllables across the space after a one-syllable word or before one, which has
    no pair of its own: 두 번 is searched as 두번, as buyers type it. None when either is not Korean
    (and with Kiwi, whose dictionary finds the words whatever the spacing).

    Longer words need none: 반품기간 is 반품 품기 기간, and 반품 and 기간 find 반품 기간."""
    if ANALYZER != "bigram" or not previous or not word or min(len(previous), len(word)) > 1:
        return None
    pair = previous[-1] + word[0]
    return pair if _SYLLABLES.fullmatch(pair) else None


def split_words(words: Iterable[str]) -> list[str]:
    """The terms of a sequence of words, in order."""
    terms: list[str] = []
    previous = ""
    for word in words:
        across = bridge(previous, word)
        if across:
            terms.append(across)
        terms.extend(piece[0] for piece in split_word(word))
        previous = word
    return terms


class HangulFilter(Filter):
    """Whoosh's side of split_word: one token per term, positions renumbered to follow on."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        """Yield each token, or its terms when it holds Hangul."""
        shift = 0
        previous = ""
        for token in tokens:
            pieces = split_word(token.text)
            across = bridge(previous, token.text)
            previous = token.text
            if across:
                pieces = ((across, 0, 1), *pieces)
            if token.positions:
                token.pos += shift
            if len(pieces) == 1 and pieces[0][0] == token.text:
                yield token
                continue
            start = token.startchar if token.chars else 0
            base = token.pos if token.positions else 0
            for number, (text, first, end) in enumerate(pieces):
                token.text = text
                if token.positions:
                    token.pos = base + number
                if token.chars:
                    token.startchar, token.endchar = start + first, start + end
                yield token
            shift += len(pieces) - 1
