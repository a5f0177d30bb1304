"""How buyers say things: synonym groups matched on stems, shared by indexer and queries."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from whoosh.analysis import LowercaseFilter
from whoosh.analysis import RegexTokenizer

from search.korean import HangulFilter
from search.language import DEFAULT_LANGUAGE
from search.language import load_language
from search.schema import STOP_WORDS
from search.schema import TOKEN_PATTERN
from search.schema import stem_word

# How much a word counts when it comes from the synonym list rather than the buyer's own typing.
SYNONYM_WEIGHT = 0.6

# An alternative way of saying something: the stems the index holds for it, in order.
Form = tuple[str, ...]

tokenizer = RegexTokenizer(TOKEN_PATTERN) | HangulFilter() | LowercaseFilter()


def is_content(word: str) -> bool:
    """False for stop and question words, and for single letters."""
    return len(word) >= 2 and word not in STOP_WORDS


def content_words(text: str) -> list[str]:
    """The lowercased words of text that are not stop or question words."""
    return [t.text for t in tokenizer(text) if is_content(t.text)]


def indexed_form(words: Iterable[str]) -> Form:
    """The stems the index holds for some words: stop words are not indexed."""
    return tuple(stem_word(word) for word in words if is_content(word))


class Synonyms:
    """Groups of words and phrases that mean the same to a buyer, matched on their stems."""

    def __init__(self, groups: Iterable[Iterable[str]],
                 rules: Iterable[tuple[Iterable[str], Iterable[str]]] = ()) -> None:
        """groups: phrases that all find each other; rules: (buyers' words, the terms they find)."""
        self._alternatives: dict[Form, set[Form]] = {}
        # Every phrase of the file as words, so the indexer can expand each one ahead of time.
        self.phrases: list[list[str]] = []
        for group in groups:
            words = {phrase: [t.text for t in tokenizer(phrase)] for phrase in group}
            self.phrases.extend(ws for ws in words.values() if ws)
            keys = {tuple(stem_word(w) for w in ws): indexed_form(ws) for ws in words.values()}
            keys.pop((), None)
            # What is searched for is the indexed form; phrases of stop words only are keys alone.
            forms = set(keys.values()) - {()}
            for key, form in keys.items():
                self._alternatives.setdefault(key, set()).update(forms - {form})
        for said, meant in rules:
            # One way: "smashed" finds "damaged", but "damaged" does not find "smashed".
            terms = {indexed_form(t.text for t in tokenizer(phrase)) for phrase in meant} - {()}
            for phrase in said:
                words = [t.text for t in tokenizer(phrase)]
                if words:
                    self.phrases.append(words)
                    key = tuple(stem_word(w) for w in words)
                    self._alternatives.setdefault(key, set()).update(terms - {indexed_form(words)})
        self.longest = max((len(key) for key in self._alternatives), default=1)

    @classmethod
    def load(cls, path: Path | None = None, language: str = DEFAULT_LANGUAGE) -> Synonyms:
        """Read a synonyms file: one comma-separated group a line, `#` starts a comment.

        Without a path: the package's synonyms and the language's buyers' vocabulary.
        """
        rules: tuple = ()
        if path is None:
            text = resources.files("search").joinpath("synonyms.txt").read_text(encoding="utf-8")
            rules = load_language(language).vocabulary
        else:
            text = Path(path).read_text(encoding="utf-8")
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append([part.strip() for part in line.split(",") if part.strip()])
        return cls(groups, rules)

    def get(self, key: Form) -> set[Form]:
        """The other ways of saying key (stems), or an empty set."""
        return self._alternatives.get(key, set())

    def alternatives(self, words: list[str]) -> dict[Form, float]:
        """Every way of saying words (as typed) that is searched, with how much each counts."""
        found: dict[Form, float] = {}
        form = indexed_form(words)
        if form:
            found[form] = 1.0
        # Sorted, so that the same words always give the same expansion.
        for alternative in sorted(self.get(tuple(stem_word(w) for w in words))):
            found.setdefault(alternative, SYNONYM_WEIGHT)
        return found

    def forms(self) -> set[Form]:
        """Every form any phrase of the file is searched as."""
        found: set[Form] = set()
        for words in self.phrases:
            found.update(self.alternatives(words))
        return found
