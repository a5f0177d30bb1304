"""Read the "also asked as" questions authors keep in each page's front matter.

    ---
    also_asked:
      refund-times:
        - where is my money
        - still no refund
    ---

Keys are the section anchors of that page (the `{#…}` after a heading); the questions are how
buyers put it. They are indexed with the section and weigh almost like its heading, and are never
shown, so an author fixes a search miss by adding a line here, without touching code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import yaml

from search.language import DEFAULT_LANGUAGE
from search.language import LANGUAGES

log = logging.getLogger(__name__)

FRONT_MATTER_KEY = "also_asked"
# The project's articles, when the package runs from its checkout (`helpcenter build`).
DEFAULT_DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
MAX_QUESTION_CHARS = 200

# Section URL (page path + "#anchor") -> the questions buyers ask for it.
AlsoAsked = dict[str, list[str]]


class AlsoAskedError(ValueError):
    """The front matter's `also_asked` is not a mapping of anchors to lists of questions."""


def front_matter(text: str) -> dict:
    """The YAML front matter of a Markdown file, or {} when it has none."""
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    if lines[0].strip() != "---":
        return {}
    for end, line in enumerate(lines[1:], 1):
        if line.strip() in ("---", "..."):
            data = yaml.safe_load("\n".join(lines[1:end]))
            return data if isinstance(data, dict) else {}
    return {}


def page_path(docs_dir: Path, path: Path) -> str:
    """The path the site serves a Markdown file at: `returns/policy.md` -> `/returns/policy/`,
    and a translation beside it (suffix structure) under its language: `returns/policy.ko.md`
    -> `/ko/returns/policy/`."""
    relative = path.relative_to(docs_dir).with_suffix("")
    prefix = ""
    code = relative.suffix.lstrip(".")
    if code in LANGUAGES and code != DEFAULT_LANGUAGE:
        relative, prefix = relative.with_suffix(""), f"/{code}"
    relative = relative.as_posix()
    if relative == "index":
        return f"{prefix}/"
    if relative.endswith("/index"):
        relative = relative[: -len("/index")]
    return f"{prefix}/{relative}/"


def questions_of(meta: Mapping, source: str) -> dict[str, list[str]]:
    """The `also_asked` entry of one page's front matter, checked: {anchor: [questions]}."""
    entry = meta.get(FRONT_MATTER_KEY)
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise AlsoAskedError(f"{source}: `{FRONT_MATTER_KEY}` must map section anchors to lists")
    found: dict[str, list[str]] = {}
    for anchor, questions in entry.items():
        if not isinstance(anchor, str) or not isinstance(questions, list) \
                or not all(isinstance(q, str) and q.strip() for q in questions):
            raise AlsoAskedError(
                f"{source}: `{FRONT_MATTER_KEY}.{anchor}` must be a list of questions (text)")
        found[anchor] = [" ".join(q.split())[:MAX_QUESTION_CHARS] for q in questions]
    return found


def read_also_asked(docs_dir: Path = DEFAULT_DOCS_DIR) -> AlsoAsked:
    """Every page's questions, keyed by section URL; {} when there are no articles."""
    docs_dir = Path(docs_dir)
    if not docs_dir.is_dir():
        return {}
    found: AlsoAsked = {}
    for path in sorted(docs_dir.rglob("*.md")):
        meta = front_matter(path.read_text(encoding="utf-8"))
        page = page_path(docs_dir, path)
        for anchor, questions in questions_of(meta, str(path)).items():
            found[f"{page}#{anchor}"] = questions
    return found


def unknown_sections(also_asked: Mapping[str, list[str]], urls: set[str]) -> list[str]:
    """The sections questions were written for that the built site does not have."""
    return sorted(url for url in also_asked if url not in urls)
