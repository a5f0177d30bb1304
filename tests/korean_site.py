"""The Korean order-status page for tests, until the Korean site is built.

Until the Korean site is built (docs/*.ko.md with mkdocs-static-i18n, on another branch), the
browser tests make /ko/order-status/ themselves: a copy of the built English page with
<html lang="ko"> and the widget as theme/hooks/order_lookup.py renders it for a `.ko.md` page.
When the Korean site lands, use its own /ko/order-status/ page instead and delete this module.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

from lookup import PROJECT_DIR

MARKER = "<!-- helpcenter:order-lookup -->"
WIDGET = re.compile(r'<div class="hc-lookup" data-hc-lookup.*?aria-live="polite"></div>\s*</div>',
                    re.S)


def load_hook():
    """The hook module, loaded by path as MkDocs loads it."""
    spec = importlib.util.spec_from_file_location(
        "order_lookup_hook", PROJECT_DIR / "theme" / "hooks" / "order_lookup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_widget(src_uri: str, locale: str | None = None) -> str:
    """The widget the hook puts on a page with this source file (and i18n locale, if any)."""
    from mkdocs.config import load_config

    config = load_config(config_file=str(PROJECT_DIR / "mkdocs.yml"))
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, locale=locale))
    return load_hook().on_page_content(MARKER, page=page, config=config, files=None)


def add_korean_order_status(site: Path) -> Path:
    """Until the Korean site is built: /ko/order-status/ made from the English page."""
    english = (site / "order-status" / "index.html").read_text(encoding="utf-8")
    html = WIDGET.sub(lambda _: render_widget("order-status/index.ko.md"), english, count=1)
    html = re.sub(r'<html lang="en"', '<html lang="ko"', html, count=1)
    # One folder deeper: relative links to the site's assets and root climb one more level.
    html = re.sub(r'((?:href|src)=")\.\./', r"\1../../", html)
    html = html.replace('"base": ".."', '"base": "../.."')
    html = re.sub(r'("search": ")\.\./', r"\1../../", html)
    target = site / "ko" / "order-status" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def korean_site_copy(built_site: Path, target: Path) -> Path:
    """A copy of the built site with the Korean order-status page (until the site is built)."""
    shutil.copytree(built_site, target)
    add_korean_order_status(target)
    return target
