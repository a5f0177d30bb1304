"""MkDocs hook: print what a buyer can change at each order stage from `{{ stages.<name> }}`.

The answers come from the next-steps engine's own table (lookup.next_steps.CHANGES_BY_STAGE), so
the cancellations article and the order lookup can never state different stages for an action.
`{{ stages.table }}` prints the whole table; `{{ stages.<action> }}` the stages at which the buyer
can still do it (yes, or by asking the seller); `{{ stages.<action>.<answer> }}` the stages with
that answer. A page's twin in another language (`name.ko.md`) gets the same table in its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from babel.lists import format_list
from mkdocs.exceptions import PluginError

from lookup import messages
from lookup.next_steps import CHANGE_ACTIONS
from lookup.next_steps import CHANGES_BY_STAGE

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

PLACEHOLDER = re.compile(r"\{\{\s*stages\.([^\s}]*)\s*\}\}")

# The words for each action and answer live in each language's catalogue (lookup/messages/,
# under [stage_table]); the data itself lives in the engine's table. Stage names are the
# catalogue's [status] labels, or its shorter [stage_table.status] names where it has them.
def _words(language: str) -> dict[str, Mapping[str, str]]:
    """The stage table's words in a language, from its catalogue."""
    found = messages.catalogue(language)
    table = found["stage_table"]
    return {"status": table.get("status", found["status"]), "action": table["action"],
            "answer": table["answer"], "text": table["text"]}


WORDS: dict[str, dict[str, Mapping[str, str]]] = {lang: _words(lang) for lang in messages.LANGS}
# The English words under their first names, which the article tests read.
ACTION_HEADINGS = WORDS["en"]["action"]
ANSWER_WORDS = WORDS["en"]["answer"]
# The answers under which the buyer can still do something about it.
STILL_POSSIBLE = ("yes", "ask")


def words_for(language: str) -> dict[str, Mapping[str, str]]:
    """The catalogue for a language; a language without one fails rather than prints English."""
    if language not in WORDS:
        raise KeyError(f"no stage wording for language '{language}'")
    return WORDS[language]


def join_or(items: list[str], language: str) -> str:
    """'A, B or C' in English as the articles always wrote it; Babel's list pattern otherwise."""
    if language == "en":
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
    return format_list(items, style="or", locale=language)


def stages_table(table: Mapping[str, Mapping[str, str]], language: str = "en") -> str:
    """The whole table as Markdown: one row per stage, one column per action."""
    words = words_for(language)
    lines = [
        f"| {words['text']['stage']} | "
        + " | ".join(words["action"][a] for a in CHANGE_ACTIONS) + " |",
        "|---" * (len(CHANGE_ACTIONS) + 1) + "|",
    ]
    for status, answers in table.items():
        cells = [words["answer"][answers[action]] for action in CHANGE_ACTIONS]
        lines.append(f"| **{words['status'][status]}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stages_phrase(table: Mapping[str, Mapping[str, str]], action: str,
                  answers: tuple[str, ...] = STILL_POSSIBLE, language: str = "en") -> str:
    """The stages with one of `answers` for an action, as 'while your order shows A or B'."""
    words = words_for(language)
    labels = [f"**{words['status'][status]}**" for status, row in table.items()
              if row[action] in answers]
    if not labels:
        raise ValueError(f"no stage answers {answers} for {action}")
    return words["text"]["while"].format(stages=join_or(labels, language))


def render(name: str, table: Mapping[str, Mapping[str, str]] = CHANGES_BY_STAGE,
           language: str = "en") -> str:
    """The text for one placeholder name such as 'table', 'cancel' or 'change_address.redirect'."""
    if name == "table":
        return stages_table(table, language)
    action, _, answer = name.partition(".")
    if action not in CHANGE_ACTIONS or (answer and answer not in words_for(language)["answer"]):
        raise KeyError(name)
    return stages_phrase(table, action, (answer,) if answer else STILL_POSSIBLE, language)


def on_page_markdown(
    markdown: str, page: Page, config: MkDocsConfig, files: Files, **kwargs
) -> str:
    """Replace every stages placeholder on the page; an unknown one fails the build."""

    # mkdocs-static-i18n marks each file with its language; English when the plugin is absent.
    language = getattr(page.file, "locale", None) or "en"

    def replace(match: re.Match) -> str:
        try:
            return render(match.group(1), language=language)
        except (KeyError, ValueError) as exc:
            raise PluginError(
                f"{page.file.src_uri}: cannot fill '{match.group(0)}' from the stage table ({exc})"
            ) from exc

    return PLACEHOLDER.sub(replace, markdown)
