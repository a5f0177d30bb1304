"""MkDocs hook: print what a buyer can change at each order stage from `{{ stages.<name> }}`.

The answers come from the next-steps engine's own table (lookup.next_steps.CHANGES_BY_STAGE), so
the cancellations article and the order lookup can never state different stages for an action.
`{{ stages.table }}` prints the whole table; `{{ stages.<action> }}` the stages at which the buyer
can still do it (yes, or by asking the seller); `{{ stages.<action>.<answer> }}` the stages with
that answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError

from lookup.next_steps import CHANGE_ACTIONS
from lookup.next_steps import CHANGES_BY_STAGE
from lookup.orders import STATUS_LABELS

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

PLACEHOLDER = re.compile(r"\{\{\s*stages\.([^\s}]*)\s*\}\}")

# The words for each action and answer; the data itself lives in the engine's table.
ACTION_HEADINGS = {
    "cancel": "Cancel the whole order",
    "cancel_part": "Cancel some items or change quantities",
    "change_address": "Change the delivery address",
}
ANSWER_WORDS = {
    "yes": "Yes, yourself, from the order page",
    "ask": "Yes, by asking the seller",
    "redirect": "Only if the carrier can redirect the parcel: ask the seller",
    "no": "No",
}
# The answers under which the buyer can still do something about it.
STILL_POSSIBLE = ("yes", "ask")


def stages_table(table: Mapping[str, Mapping[str, str]]) -> str:
    """The whole table as Markdown: one row per stage, one column per action."""
    lines = [
        "| Your order shows | " + " | ".join(ACTION_HEADINGS[a] for a in CHANGE_ACTIONS) + " |",
        "|---" * (len(CHANGE_ACTIONS) + 1) + "|",
    ]
    for status, answers in table.items():
        cells = [ANSWER_WORDS[answers[action]] for action in CHANGE_ACTIONS]
        lines.append(f"| **{STATUS_LABELS[status]}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stages_phrase(table: Mapping[str, Mapping[str, str]], action: str,
                  answers: tuple[str, ...] = STILL_POSSIBLE) -> str:
    """The stages with one of `answers` for an action, as 'while your order shows A or B'."""
    labels = [f"**{STATUS_LABELS[status]}**" for status, row in table.items()
              if row[action] in answers]
    if not labels:
        raise ValueError(f"no stage answers {answers} for {action}")
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"while your order shows {listed}"


def render(name: str, table: Mapping[str, Mapping[str, str]] = CHANGES_BY_STAGE) -> str:
    """The text for one placeholder name such as 'table', 'cancel' or 'change_address.redirect'."""
    if name == "table":
        return stages_table(table)
    action, _, answer = name.partition(".")
    if action not in CHANGE_ACTIONS or (answer and answer not in ANSWER_WORDS):
        raise KeyError(name)
    return stages_phrase(table, action, (answer,) if answer else STILL_POSSIBLE)


def on_page_markdown(
    markdown: str, page: Page, config: MkDocsConfig, files: Files, **kwargs
) -> str:
    """Replace every stages placeholder on the page; an unknown one fails the build."""

    def replace(match: re.Match) -> str:
        try:
            return render(match.group(1))
        except (KeyError, ValueError) as exc:
            raise PluginError(
                f"{page.file.src_uri}: cannot fill '{match.group(0)}' from the stage table ({exc})"
            ) from exc

    return PLACEHOLDER.sub(replace, markdown)
