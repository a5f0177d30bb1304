"""Every article section a next step links to exists in the built site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lookup.next_steps import ARTICLE_LINKS


@pytest.mark.parametrize("name", sorted(ARTICLE_LINKS))
def test_step_link_exists_in_the_built_site(built_site: Path, name: str):
    path, _, anchor = ARTICLE_LINKS[name]["url"].partition("#")
    page = built_site / path.strip("/") / "index.html"
    assert page.is_file(), f"{path} is not a page of the site"
    ids = set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    assert anchor in ids, f"{path} has no section #{anchor}"
