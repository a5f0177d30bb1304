"""MkDocs hook: print policy figures into articles from `{{ policy.<name> }}` placeholders."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError

from lookup.policy import format_value
from lookup.policy import load_policy

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

# Anything that looks like a policy placeholder, so a misspelt one fails instead of leaking out.
PLACEHOLDER = re.compile(r"\{\{\s*policy\.([^\s}]*)\s*\}\}")

_policy: dict = {}


def on_config(config: MkDocsConfig, **kwargs) -> MkDocsConfig:
    """Read the policy afresh for every build, so `mkdocs serve` picks up edits."""
    # The same variable the service reads, so the site and the lookup never disagree.
    _policy.clear()
    _policy.update(load_policy(os.environ.get("HELPCENTER_POLICY_FILE")))
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs) -> str:
    """Replace every policy placeholder on the page; an unknown name fails the build."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in _policy:
            raise PluginError(
                f"{page.file.src_uri}: unknown policy placeholder '{match.group(0)}' "
                f"(no '{name}' in the policy file)"
            )
        return format_value(_policy[name])

    return PLACEHOLDER.sub(replace, markdown)
