"""What the query side knows of one language, read from data files in search/lang/<code>/.

- filler.txt: words buyers wrap around a question, dropped from queries;
- vocabulary.txt: buyers' words => the articles' terms (one way);
- intents.toml: what buyers come for, recognised from their words, and the lookup page.

A second language adds a folder with the same three files (and its own analyzer in the schema);
nothing here branches on the language.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from search.korean import has_hangul
from search.korean import split_words
from search.schema import STOP_WORDS
from search.schema import TOKEN_PATTERN
from search.schema import stem_word

DEFAULT_LANGUAGE = "en"
# Every language of the site: the default at the site's root, each other one under /<code>/.
LANGUAGES = ("en", "ko")
# How common (Zipf scale: 3 is once per million words) a word must be in the language for the
# typo corrector to leave it alone: "stuff" and "shoes" are words, not typos of "staff" or "shows".
COMMON_ZIPF = 3.0
# The languages whose word list (wordfreq's) the corrector consults as words. Korean is
# indexed as syllable pairs, so its list is read as the pairs its words hold (wordfreq needs
# MeCab to look a Korean word up, but not to read its list).
WORD_LISTS = frozenset({"en"})
# The Korean words the pairs are taken from: common ones, as for English.
KOREAN_PAIR_ZIPF = 2.0
# Particles and endings that end a Korean word's first pair when it is a one-syllable word with
# what follows it (컵이, 젖어, 파는, 넣었): such a pair is a word being used, not a typo.
KOREAN_ENDINGS = frozenset("이가은는을를에도로와과서고어아었았요지게면니다야죠네데던든며랑께")
_WORD = re.compile(TOKEN_PATTERN)


def url_language(url: str) -> str:
    """The language of a page of the site, from its path: `/ko/returns/` -> "ko"."""
    first = url.lstrip("/").split("/", 1)[0]
    return first if first in LANGUAGES and first != DEFAULT_LANGUAGE else DEFAULT_LANGUAGE


def language_dir(index_dir: Path, code: str) -> Path:
    """Where a language's index lives: the default's in index_dir, another's in index_dir/<code>.

    One folder holds them all, so one swap replaces every language's index at once.
    """
    return Path(index_dir) if code == DEFAULT_LANGUAGE else Path(index_dir) / code


def query_language(query: str, asked: str | None = None) -> str:
    """The language to search in: the one asked for, else Korean for a query in Hangul.

    :raise ValueError: for a language the site does not have.
    """
    if asked:
        code = asked.strip().lower().replace("_", "-").split("-", 1)[0]
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {asked[:16]!r}: use one of {', '.join(LANGUAGES)}")
        return code
    return "ko" if has_hangul(query) else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Intent:
    """Something buyers come for: the word sets that say it, and what to search for it."""

    name: str
    # Each entry: stems that must all be in the question (in any order).
    when: tuple[tuple[str, ...], ...]
    # Phrases in the articles' words, searched as one more part of the question.
    search: tuple[str, ...]
    # The order lookup's next step that answers it for the buyer's own order, if any.
    lookup: str | None = None

    def alternatives(self) -> dict[tuple[str, ...], float]:
        """The stems searched for the intent, each counting the same."""
        words = split_words(_WORD.findall(" ".join(self.search).lower()))
        return {(stem_word(word),): 1.0 for word in words
                if len(word) >= 2 and word not in STOP_WORDS}

    def applies(self, stems: set[str], phrases: set[str]) -> bool:
        """True when every stem of an entry is among the question's stems, or the entry is one
        of the phrases its words stand for (a phrase's words alone would say more than it does)."""
        return any(stems.issuperset(entry) or " ".join(entry) in phrases for entry in self.when)


@dataclass(frozen=True)
class Language:
    """One language's query-side data."""

    code: str
    filler: frozenset[str]
    # (what buyers say, the articles' terms), one pair a rule.
    vocabulary: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    intents: tuple[Intent, ...]
    # The order lookup page: {"url", "title", "snippet"}.
    lookup: dict[str, str]

    def intents_of(self, stems: Iterable[str],
                   terms: Iterable[tuple[str, ...]] = ()) -> list[Intent]:
        """The intents a question says: its stems, and the terms (stems) its words stand for."""
        found = set(stems)
        phrases = set()
        for term in terms:
            if len(term) == 1:
                found.add(term[0])
            else:
                phrases.add(" ".join(term))
        return [intent for intent in self.intents if intent.applies(found, phrases)]

    def is_common(self, word: str) -> bool:
        """True for a correctly spelt, common word of the language (never "corrected").

        A Korean syllable pair is common when a common Korean word holds it (속상, 상자), or
        when it is a syllable with a particle or ending after it.
        """
        if self.code == "ko":
            return word[-1] in KOREAN_ENDINGS or word in _korean_pairs()
        return self.code in WORD_LISTS and _zipf(word, self.code) >= COMMON_ZIPF


@functools.lru_cache(maxsize=65536)
def _zipf(word: str, code: str) -> float:
    """How common a word is in the language, on the Zipf scale (0 for unknown words)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, code)


@functools.cache
def _korean_pairs() -> frozenset[str]:
    """Every pair of neighbouring syllables in wordfreq's common Korean words."""
    from wordfreq import get_frequency_dict

    least = 10 ** KOREAN_PAIR_ZIPF / 1e9
    return frozenset(word[i:i + 2] for word, frequency in get_frequency_dict("ko").items()
                     if frequency >= least for i in range(len(word) - 1))


def _stems(text: str) -> tuple[str, ...]:
    """The stems of every word of text, stop words included (they carry intent: "where")."""
    return tuple(stem_word(word) for word in split_words(_WORD.findall(text.lower())))


def _read(code: str, name: str) -> str:
    """One data file of a language."""
    return resources.files("search").joinpath("lang", code, name).read_text(encoding="utf-8")


def _lines(text: str) -> list[str]:
    """The lines of a data file without comments and blank lines."""
    return [line for raw in text.splitlines() if (line := raw.split("#", 1)[0].strip())]


def parse_vocabulary(text: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Rules `a, b => c, d`: what buyers say on the left, the articles' terms on the right."""
    rules = []
    for number, line in enumerate(_lines(text), 1):
        left, arrow, right = line.partition("=>")
        said = tuple(part.strip() for part in left.split(",") if part.strip())
        meant = tuple(part.strip() for part in right.split(",") if part.strip())
        if not arrow or not said or not meant:
            raise ValueError(f"vocabulary rule {number} must read `words => terms`: {line!r}")
        rules.append((said, meant))
    return tuple(rules)


def parse_intents(data: dict) -> tuple[tuple[Intent, ...], dict[str, str]]:
    """The intents and the lookup page of an intents.toml."""
    intents = []
    for entry in data.get("intent", []):
        when = tuple(_stems(words) for words in entry["when"])
        intents.append(Intent(name=entry["name"], when=when, search=tuple(entry["search"]),
                              lookup=entry.get("lookup")))
    return tuple(intents), dict(data.get("lookup", {}))


@functools.lru_cache(maxsize=8)
def load_language(code: str = DEFAULT_LANGUAGE) -> Language:
    """A language's data, read once per process."""
    filler = frozenset(" ".join(_lines(_read(code, "filler.txt"))).split())
    intents, lookup = parse_intents(tomllib.loads(_read(code, "intents.toml")))
    return Language(code=code, filler=filler,
                    vocabulary=parse_vocabulary(_read(code, "vocabulary.txt")),
                    intents=intents, lookup=lookup)
