"""MkDocs hook: make the site's second language (mkdocs-static-i18n) fit Material's instant pages.

mkdocs-static-i18n sets Material's `extra.alternate` to each page's twins, so the language selector
in the header links the same page in the other language. Material also prints those links in the
head as `<link rel="alternate" hreflang>`, and its script treats every such link as the root of a
whole language: it fetches `<link>/sitemap.xml` (a 404 for an article) and, once instant
navigation has visited a page, sends later clicks below that page's address to the page itself
(mkdocs-material issue 6582). So this hook:

- points the head's hreflang links at the language roots (`/`, `/ko/`), as Material expects; the
  page-to-page pairs are in sitemap.xml, which lists every page with its twin;
- writes `/ko/sitemap.xml` with the Korean pages, the sitemap Material loads for `/ko/`;
- writes the Korean 404 page to `/ko/404.html`, so it no longer replaces the English one;
- quiets the plugin's warning about instant navigation, which theme/main.html answers by keeping
  the selector on the current page's twins.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.plugins import event_priority
from mkdocs.utils import write_file

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

# The plugin's logger and the one message of it that theme/main.html makes moot.
# The plugin's logger under MkDocs' and under ProperDocs' plugin loggers.
I18N_LOGGERS = ("mkdocs.plugins.mkdocs_static_i18n.reconfigure",
                "properdocs.plugins.mkdocs_static_i18n.reconfigure")
INSTANT_WARNING = "language switcher contextual link is not compatible"

# Material's head links, as its base.html prints them from extra.alternate.
HEAD_ALTERNATE = re.compile(r'<link rel="alternate" href="[^"]*" hreflang="([^"]+)">')
SITEMAP_URL = re.compile(r"<url>.*?</url>", re.S)
SITEMAP_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
                'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')


class DropInstantNavigationWarning(logging.Filter):
    """Drop the plugin's navigation.instant warning; pass everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return INSTANT_WARNING not in record.getMessage()


def install_filter() -> None:
    """Install the filter (once per process) on the plugin's logger."""
    for name in I18N_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropInstantNavigationWarning) for f in logger.filters):
            logger.addFilter(DropInstantNavigationWarning())


@event_priority(100)
def on_config(config: MkDocsConfig, **kwargs) -> MkDocsConfig:
    """Install the filter before the plugin configures each build."""
    install_filter()
    return config


def language_roots(config: MkDocsConfig) -> dict[str, str]:
    """Each built language's root address, as the plugin computed it: {'en': '/', 'ko': '/ko/'}."""
    i18n = config.plugins.get("i18n")
    return {alt["lang"]: alt["link"] for alt in getattr(i18n, "extra_alternate", None) or []}


def head_links_to_roots(html: str, roots: dict[str, str]) -> str:
    """Point the head's hreflang links at the language roots; the body is left as it is."""
    head, sep, body = html.partition("</head>")

    def to_root(match: re.Match) -> str:
        lang = match.group(1)
        if lang not in roots:
            return match.group(0)
        return f'<link rel="alternate" href="{roots[lang]}" hreflang="{lang}">'

    return HEAD_ALTERNATE.sub(to_root, head) + sep + body


def sitemap_of(sitemap: str, prefix: str) -> str:
    """The entries of a sitemap whose address starts with prefix, as a sitemap of their own."""
    entries = [u for u in SITEMAP_URL.findall(sitemap)
               if re.search(r"<loc>" + re.escape(prefix), u)]
    return SITEMAP_HEAD + "".join(f"    {u}\n" for u in entries) + "</urlset>\n"


def _other_language(config: MkDocsConfig) -> str | None:
    """The language being built when it is not the default one (mkdocs-static-i18n builds each)."""
    i18n = config.plugins.get("i18n")
    if i18n is None or i18n.current_language == i18n.default_language:
        return None
    return i18n.current_language


def on_post_page(output: str, page: Page, config: MkDocsConfig, **kwargs) -> str:
    """Every page's head names the language roots, which Material's script can load."""
    roots = language_roots(config)
    return head_links_to_roots(output, roots) if roots else output


def on_post_template(output: str, template_name: str, config: MkDocsConfig, **kwargs) -> str:
    """Give the second language its own 404 page and sitemap beside its pages."""
    language = _other_language(config)
    if language is None:
        return output
    folder = Path(config.site_dir) / language
    if template_name == "404.html":
        write_file(output.encode("utf-8"), str(folder / "404.html"))
        # Empty output: MkDocs keeps the default language's 404.html at the site root.
        return ""
    if template_name == "sitemap.xml":
        prefix = (config.site_url or "/") + f"{language}/"
        write_file(sitemap_of(output, prefix).encode("utf-8"), str(folder / "sitemap.xml"))
    return output
