"""Pages handed from the site build to the indexer as they are written, so both run at once.

The site build (theme/hooks/page_feed.py) writes to the file descriptor named by FEED_ENV: each
language build first announces its pages, then names each page once MkDocs has written its file.
The indexer reads the pages' files in the order it reads a built site in (sorted by path,
language by language; see search.indexer.iter_pages), holding back any that come early, so the
index is the one it would build from the files. It checks, at the end, that the pages fed are
the pages on disk: FeedMismatch otherwise, and the site is then indexed from its files.

Only names go down the pipe: the site build never waits for the indexer to keep up.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from pathlib import PurePosixPath
from typing import BinaryIO

# The environment variable holding the descriptor the site build feeds pages into.
FEED_ENV = "HELPCENTER_PAGE_FEED"
# Bytes the pipe may hold, so that the site build never waits for the indexer (Linux's limit for
# unprivileged processes by default: some 20,000 pages' names).
PIPE_BYTES = 1 << 20


class FeedMismatch(Exception):
    """The pages fed are not the pages the site build wrote."""


def page_order(path: str) -> tuple[str, ...]:
    """The key ordering built files as a sorted walk of the site folder does (by path parts)."""
    return PurePosixPath(path).parts


def open_feed() -> tuple[int, int]:
    """A pipe for the feed, as large as the system allows (up to PIPE_BYTES): (read, write)."""
    read_end, write_end = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # a smaller pipe only makes the site build wait for the indexer more often
    return read_end, write_end


def announce(feed: BinaryIO, paths: list[str]) -> None:
    """Say which pages (site-relative paths of their HTML) this language build will write."""
    marshal.dump(("pages", paths), feed)
    feed.flush()


def written(feed: BinaryIO, path: str) -> None:
    """Say that a page's file is written."""
    marshal.dump(("page", path), feed)
    feed.flush()


def _messages(feed: BinaryIO) -> Iterator[tuple]:
    """The feed's messages until the site build closes it."""
    while True:
        try:
            yield marshal.load(feed)
        except EOFError:
            return
        except (ValueError, TypeError) as error:  # a message cut short: the build stopped
            raise FeedMismatch(f"the page feed broke off: {error}") from None


def fed_pages(feed: BinaryIO, wanted: Callable[[str], bool], site_dir: Path
              ) -> Iterator[tuple[str, str]]:
    """(path, HTML) of each page wanted, read from site_dir, in page_order within each announced
    build; raise FeedMismatch when a page announced never comes or one comes unannounced."""
    expected: list[str] = []
    # Pages announced and not yet written; pages written, not yet read.
    announced: set[str] = set()
    waiting: set[str] = set()
    for message in _messages(feed):
        if message[0] == "pages":
            paths = sorted((path for path in message[1] if wanted(path)), key=page_order)
            # The order is kept reversed, so that the next page is popped from the end.
            expected[:0] = reversed(paths)
            announced.update(paths)
            continue
        path = message[1]
        if not wanted(path):
            continue
        if path not in announced:
            raise FeedMismatch(f"{path} was named unannounced or twice")
        announced.remove(path)
        waiting.add(path)
        while expected and expected[-1] in waiting:
            path = expected.pop()
            waiting.remove(path)
            try:
                text = (site_dir / path).read_text(encoding="utf-8")
            except OSError as error:  # MkDocs writes no file for a page that renders empty
                raise FeedMismatch(f"{path} was named but cannot be read: {error}") from None
            yield path, text
    if expected:
        raise FeedMismatch(f"{len(expected)} announced pages never came, e.g. {expected[-1]}")
