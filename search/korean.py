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
import re
from collections.abc import Iterable
from collections.abc import Iterator

from whoosh.analysis import Filter
from whoosh.analysis import Token

# Hangul syllables, and the compatibility letters buyers type alone (ㅠㅠ, ㅋㅋ).
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]+")
# (term, start, end) with start and end offsets into the word.
Piece = tuple[str, int, int]


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


def split_words(words: Iterable[str]) -> list[str]:
    """The terms of a sequence of words, in order."""
    return [piece[0] for word in words for piece in split_word(word)]


class HangulFilter(Filter):
    """Whoosh's side of split_word: one token per term, positions renumbered to follow on."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        """Yield each token, or its terms when it holds Hangul."""
        shift = 0
        for token in tokens:
            pieces = split_word(token.text)
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
