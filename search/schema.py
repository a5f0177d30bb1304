"""The one Whoosh schema of the help-center index, and the analysis both sides share."""

from __future__ import annotations

import functools

from whoosh.analysis import Analyzer
from whoosh.analysis import LowercaseFilter
from whoosh.analysis import RegexTokenizer
from whoosh.analysis import StemFilter
from whoosh.analysis import StopFilter
from whoosh.fields import ID
from whoosh.fields import STORED
from whoosh.fields import TEXT
from whoosh.fields import Schema
from whoosh.lang.porter import stem

from search.korean import HangulFilter

# Words; a dot may join parts ("e.g.", "3.5") but apostrophes split ("seller's" -> "seller", "s").
TOKEN_PATTERN = r"\w+(?:\.\w+)*"

# Whoosh's English stop words without "not" (buyers write "not received", "not as described"),
# plus the question and filler words buyers wrap around what they actually mean.
STOP_WORDS = frozenset(
    """
    a an and are as at be by can for from have if in is it may of on or tbd that the this to us
    we when will with yet you your
    how what where why who whom whose which do does did done doing am was were been being has
    had having i me my mine myself our ours he she him her his they them their there here
    would could should shall might must need needs want wants wanted please help hi hello thanks
    thank get gets got getting just still also so then than too very really any some about into
    its it's isn aren wasn weren hasn haven hadn doesn don didn won wouldn couldn shouldn can't
    cannot ll ve re hasnt havent isnt arent wasnt werent doesnt dont didnt wont cant couldnt
    wouldnt shouldnt
    """.split()
)

# Per-field weights: a match in a section heading says more than one in running text.
# The page title and breadcrumb are shared by every section of a page, so they weigh less.
# The anchor's words ("refund-times") are the author's own keywords for the section.
# The breadcrumb is stored for display only: its words are in the page titles above it.
# "asked" holds the questions the author says buyers ask for the section ("also asked as", in the
# page's front matter): buyers' own words for it, weighed almost like the heading, never shown.
FIELD_BOOSTS = {"heading": 3.0, "asked": 2.5, "anchor": 1.5, "title": 1.5, "text": 1.0}


@functools.lru_cache(maxsize=16384)
def stem_word(word: str) -> str:
    """Porter-stem one lowercased word.

    Cached: lru_cache is thread-safe, Whoosh's own cache is not.
    """
    return stem(word)


def make_analyzer() -> Analyzer:
    """Tokenize, cut Korean into syllable pairs, lowercase, drop stop words, stem: the same chain
    at index and at query time."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | HangulFilter()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=2)
        | StemFilter(stemfn=stem_word, cachesize=None)
    )


def make_schema() -> Schema:
    """One document per section of a page: where it lives and what it says."""
    analyzer = make_analyzer()
    # No `spelling=True`: typo corrections come from the impact table's own word list, and
    # Whoosh's separate spelling postings doubled the postings the build writes.
    return Schema(
        url=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True),
        heading=TEXT(analyzer=analyzer, stored=True),
        breadcrumb=STORED(),
        anchor=TEXT(analyzer=analyzer),
        asked=TEXT(analyzer=analyzer),
        text=TEXT(analyzer=analyzer, stored=True),
        page=STORED(),
        # Multiplies the section's score: below 1 for sections that mostly link elsewhere.
        weight=STORED(),
    )
