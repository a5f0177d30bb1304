"""MkDocs hook: tell the search indexer, which runs beside the site build, each page written.

Only when `helpcenter build` asks for it, by naming a file descriptor in HELPCENTER_PAGE_FEED
(see search.feed); otherwise the hook does nothing. Each language build announces its pages
once they are all read, then names each page once its file is written: MkDocs writes a page
right after its post-page hooks, so a page is named at the next page's, and the build's last
page when the build ends. If the indexer stops reading, the site build goes on without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import BinaryIO

from mkdocs.plugins import event_priority

from search.feed import FEED_ENV
from search.feed import announce
from search.feed import written

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

# The open feed, None before the first use or once the indexer stopped reading.
_feed: list[BinaryIO | None] = []
# The page being written, to name once it is.
_writing: list[str] = []


def _open_feed() -> BinaryIO | None:
    """The feed named in the environment, opened once; None when there is none."""
    if not _feed:
        descriptor = os.environ.get(FEED_ENV, "")
        _feed.append(open(int(descriptor), "wb") if descriptor.isdigit() else None)
    return _feed[0]


def _send(send: Callable[..., None], *args: object) -> None:
    """Send a message down the feed, if any; stop feeding when the indexer is gone."""
    feed = _open_feed()
    if feed is None:
        return
    try:
        send(feed, *args)
    except OSError:  # a broken pipe, above all
        _feed[0] = None


@event_priority(-1000)
def on_env(env: Environment, config: MkDocsConfig, files: Files, **kwargs) -> Environment:
    """Announce the pages this build is about to write (after every page was read)."""
    _send(announce, [file.dest_uri for file in files.documentation_pages()])
    return env


def _name_written() -> None:
    """Name the page written last, if not yet named."""
    if _writing:
        _send(written, _writing.pop())


@event_priority(-1000)
def on_post_page(output: str, page: Page, config: MkDocsConfig, **kwargs) -> str:
    """Name the page before this one, written by now; this one is next."""
    _name_written()
    _writing.append(page.file.dest_uri)
    return output


# Before mkdocs-static-i18n's (-100), which builds the next language from its post-build event.
@event_priority(50)
def on_post_build(config: MkDocsConfig, **kwargs) -> None:
    """Name this build's last page."""
    _name_written()
