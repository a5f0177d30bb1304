"""MkDocs hook: put the order-lookup widget where a page says `<!-- helpcenter:order-lookup -->`."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from lookup import messages
from lookup.schema import FORM_MAXLENGTH

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

MARKER = "<!-- helpcenter:order-lookup -->"

# Python-Markdown keeps a raw HTML comment as it is, possibly wrapped in a paragraph.
MARKER_HTML = re.compile(r"(?:<p>\s*)?" + re.escape(MARKER) + r"(?:\s*</p>)?")

# The no-JavaScript page of the service (lookup/web/pages.py) that the form posts to.
LOOKUP_PATH = "/order-status/lookup"
CONTACT_PAGE = "/sellers/contact/"


def form_action(api_base: str | None) -> str:
    """The URL the form posts to without JavaScript: the service's lookup page."""
    return (api_base or "").rstrip("/") + LOOKUP_PATH


def page_lang(page: Page) -> str:
    """The language a page is written in: the i18n plugin's locale, or its `.ko.md` name."""
    locale = messages.pick_lang(getattr(page.file, "locale", None))
    if locale:
        return locale
    suffixes = PurePosixPath(page.file.src_uri).suffixes
    named = messages.pick_lang(suffixes[-2].lstrip(".")) if len(suffixes) > 1 else None
    return named or messages.DEFAULT_LANG


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files, **kwargs) -> str:
    """Replace each marker with the widget, rendered from theme/partials/order-lookup.html."""
    if MARKER not in html:
        return html
    template = config.theme.get_env().get_template("partials/order-lookup.html")
    action = form_action(config.extra.get("api_base"))
    lang = page_lang(page)
    # The seller-contact article for the "service not answering" state, in the page's language.
    words = {**messages.entry(lang, "widget"),
             "contact_page": messages.site_path(lang, CONTACT_PAGE)}
    count = 0

    def render(match: re.Match) -> str:
        nonlocal count
        count += 1
        # Ids must stay unique when a page carries the widget more than once.
        return template.render(action=action, uid=f"hc-lookup-{count}", lang=lang, words=words,
                               maxlength=FORM_MAXLENGTH)

    return MARKER_HTML.sub(render, html)
