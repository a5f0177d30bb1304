"""Build the index from the built site: one document per section, keyed by the served anchors."""

from __future__ import annotations

import copy
import gc
import html
import logging
import marshal
import os
import re
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from typing import BinaryIO

from whoosh import index

from search.asked import AlsoAsked
from search.asked import read_also_asked
from search.asked import unknown_sections
from search.feed import FeedMismatch
from search.impacts import ImpactBuilder
from search.impacts import segment_id as impacts_segment_id
from search.language import DEFAULT_LANGUAGE
from search.language import LANGUAGES
from search.language import language_dir
from search.language import load_language
from search.language import url_language
from search.schema import make_schema
from search.segment import SegmentBuilder
from search.synonyms import Synonyms

log = logging.getLogger(__name__)

SECTION_TAGS = frozenset({"h1", "h2", "h3"})
SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "svg", "button"})
# Elements that separate words: their edges become spaces, while inline tags join text as written.
BLOCK_TAGS = frozenset(
    {"address", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption", "figure",
     "h4", "h5", "h6", "hr", "label", "li", "ol", "p", "pre", "section", "summary", "table",
     "td", "th", "tr", "ul"}
)
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
     "wbr"}
)
BREADCRUMB_SEPARATOR = " › "
LINK_LIST_WEIGHT = 0.5
# Files of the built site that are not articles (each language has its own "not found" page).
SKIPPED_PAGES = frozenset({"404.html", *(f"{code}/404.html" for code in LANGUAGES)})
SKIPPED_DIRS = frozenset({"assets", "search"})
# Each language's home page: it routes buyers to the articles rather than answering them.
HOME_PAGES = frozenset("/" if code == DEFAULT_LANGUAGE else f"/{code}/" for code in LANGUAGES)


@dataclass
class Section:
    """One heading of a page with the text under it, up to the next h1-h3."""

    anchor: str
    heading: str
    text: list[str] = field(default_factory=list)
    link_chars: int = 0

    def joined_text(self) -> str:
        """The section's text with whitespace collapsed."""
        return re.sub(r"\s+", " ", "".join(self.text)).strip()

    def link_density(self) -> float:
        """The share of the text that is link text: near 1 for lists of links to other pages."""
        total = sum(len(part.strip()) for part in self.text)
        return self.link_chars / total if total else 0.0


# The only tags whose classes the parser looks at.
CLASSED_TAGS = frozenset({"a", "article", "li", "nav", "span"})
_NO_CLASSES: frozenset[str] = frozenset()
# One start tag, end tag or other markup of a page as Material writes it: a tag name, then
# attributes with quoted or plain values. Anything else falls back to HTMLParser (see _feed).
_NAME = r"[a-zA-Z][-.:a-zA-Z0-9_]*"
_SPACE = r"[ \t\n\r\f]"
_VALUE = r"""(?:"[^"]*"|'[^']*'|[^ \t\n\r\f"'=<>`]+)"""
_MARKUP = re.compile(
    rf"<(?:({_NAME})((?:{_SPACE}+{_NAME}(?:{_SPACE}*={_SPACE}*{_VALUE})?)*){_SPACE}*(/?)>"
    rf"|/({_NAME}){_SPACE}*>|[^>]*>?)")
_ATTRIBUTE = re.compile(
    rf"""({_NAME})({_SPACE}*={_SPACE}*(?:"([^"]*)"|'([^']*)'|([^ \t\n\r\f"'=<>`]+)))?""")
ATTRIBUTE_TAGS = CLASSED_TAGS | SECTION_TAGS
# Elements whose content HTMLParser reads as raw text (CDATA): left to HTMLParser itself.
RAW_TEXT_TAGS = frozenset({"script", "style"})


def _attributes(text: str) -> list[tuple[str, str | None]]:
    """A start tag's attributes as HTMLParser gives them: names lowercased, values unescaped."""
    attrs = []
    for name, given, double, single, plain in _ATTRIBUTE.findall(text):
        value = (double or single or plain) if given else None
        attrs.append((name.lower(), html.unescape(value) if value and "&" in value else value))
    return attrs


def _feed(parser: ContentParser, part: str) -> bool:
    """Feed part to parser's handlers as HTMLParser would (with the attributes they read), with
    one regex: several times faster.

    Handles the markup Material writes (tags with quoted attributes, character references in
    text); False, having fed a part of it maybe, at anything else (comments, raw text elements,
    a stray "<"), for HTMLParser to parse the page again.
    """
    handle_data = parser.handle_data
    handle_starttag = parser.handle_starttag
    handle_endtag = parser.handle_endtag
    position = 0
    for match in _MARKUP.finditer(part):
        start = match.start()
        if start > position:
            data = part[position:start]
            handle_data(html.unescape(data) if "&" in data else data)
        position = match.end()
        tag, attributes, closed, end_tag = match.groups()
        if tag:
            tag = tag.lower()
            if tag in RAW_TEXT_TAGS:
                return False
            # The handlers read the attributes of these tags only.
            attrs = _attributes(attributes) if attributes and tag in ATTRIBUTE_TAGS else []
            handle_starttag(tag, attrs)
            if closed:
                handle_endtag(tag)
        elif end_tag:
            handle_endtag(end_tag.lower())
        else:
            return False
    if position < len(part):
        data = part[position:]
        handle_data(html.unescape(data) if "&" in data else data)
    return True


def _classes(attrs: list[tuple[str, str | None]]) -> set[str]:
    """The class names of a start tag."""
    return set((dict(attrs).get("class") or "").split())


# ContentParser's depths in the page, and everything it reads but the title.
_DEPTHS = ("_article", "_skip", "_heading", "_headerlink", "_link", "_nav", "_label")
_STATE = frozenset({*_DEPTHS, "sections", "breadcrumb", "_stack", "_title_tag", "_items"})


class ContentParser(HTMLParser):
    """Split a Material page into sections at its h1-h3 ids and read the active nav path."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.breadcrumb: list[str] = []
        self.title = ""
        self._stack: list[str] = []
        # Depths (in _stack) of the elements we are inside of, or None when outside.
        self._article: int | None = None
        self._skip: int | None = None
        self._heading: int | None = None
        self._headerlink: int | None = None
        self._link: int | None = None
        self._nav: int | None = None
        self._title_tag = False
        # Inside the primary nav: one entry per open <li>, [is_active, label parts, label done].
        self._items: list[list] = []
        self._label: int | None = None

    def at_rest(self) -> bool:
        """True outside every tracked element, before any section or navigation item."""
        return (not self._stack and not self.sections and not self.breadcrumb
                and not self._items and not self._title_tag
                and all(getattr(self, name) is None for name in _DEPTHS))

    def state(self) -> dict:
        """A copy of what the parser has read, but the page's title."""
        return copy.deepcopy({name: value for name, value in vars(self).items()
                              if name in _STATE})

    def restore(self, state: dict) -> None:
        """Take up a state kept by state(): as if its part had been fed again."""
        vars(self).update(copy.deepcopy(state))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track where we are: article, heading, skipped element, primary navigation."""
        if tag in BLOCK_TAGS and self.sections and self._heading is None:
            self.sections[-1].text.append(" ")
        if tag in VOID_TAGS:
            return
        self._stack.append(tag)
        depth = len(self._stack)
        classes = _classes(attrs) if tag in CLASSED_TAGS else _NO_CLASSES
        if tag == "title" and self._article is None:
            self._title_tag = True
        if self._article is None and tag == "article" and "md-content__inner" in classes:
            self._article = depth
        elif self._article is not None:
            self._start_in_article(tag, attrs, classes, depth)
        elif tag == "nav" and "md-nav--primary" in classes and self._nav is None:
            self._nav = depth
        elif self._nav is not None:
            if tag == "li":
                self._items.append(["md-nav__item--active" in classes, [], False])
            elif (tag == "span" and "md-ellipsis" in classes and self._items
                  and not self._items[-1][2]):
                self._label = depth

    def _start_in_article(self, tag: str, attrs: list, classes: set[str], depth: int) -> None:
        """Open a section at each h1-h3 with an id; note the parts whose text is not content."""
        if self._skip is not None:
            return
        if tag in SKIPPED_TAGS:
            self._skip = depth
        elif tag in SECTION_TAGS and self._heading is None:
            anchor = dict(attrs).get("id") or ""
            if tag == "h1":
                # The page's intro is reached by the page URL itself, not by the h1's anchor.
                anchor = ""
            elif not anchor:
                return
            self.sections.append(Section(anchor=anchor, heading=""))
            self._heading = depth
        elif tag == "a" and "headerlink" in classes:
            self._headerlink = depth
        elif tag == "a" and self._link is None:
            self._link = depth

    def handle_endtag(self, tag: str) -> None:
        """Close whatever element ends here, tolerating sloppy nesting."""
        if tag in BLOCK_TAGS and self.sections and self._heading is None:
            self.sections[-1].text.append(" ")
        if tag in VOID_TAGS or tag not in self._stack:
            return
        while self._stack:
            depth = len(self._stack)
            closed = self._stack.pop()
            self._close(closed, depth)
            if closed == tag:
                break

    def _close(self, tag: str, depth: int) -> None:
        """Leave the tracked element that started at depth, if any."""
        if tag == "title":
            self._title_tag = False
        if self._skip == depth:
            self._skip = None
        if self._headerlink == depth:
            self._headerlink = None
        if self._link == depth:
            self._link = None
        if self._heading == depth:
            self._heading = None
            section = self.sections[-1]
            section.heading = re.sub(r"\s+", " ", section.heading).strip()
        if self._article == depth:
            self._article = None
        if self._label == depth:
            self._label = None
            self._items[-1][2] = True
        if self._nav is not None and tag == "li" and self._items:
            active, parts, _ = self._items.pop()
            label = re.sub(r"\s+", " ", "".join(parts)).strip()
            if active and label:
                # Inner items close first; the outermost active item ends up first.
                self.breadcrumb.insert(0, label)
        if self._nav == depth:
            self._nav = None

    def handle_data(self, data: str) -> None:
        """Send text to the heading, the section body, the nav label or the page title."""
        if self._title_tag:
            self.title += data
        if self._label is not None:
            self._items[-1][1].append(data)
        if self._article is None or self._skip is not None or self._headerlink is not None:
            return
        if not self.sections:
            if not data.strip():
                return
            # Text before the first heading belongs to an untitled intro.
            self.sections.append(Section(anchor="", heading=""))
        if self._heading is not None:
            self.sections[-1].heading += data
        else:
            self.sections[-1].text.append(data)
            if self._link is not None:
                self.sections[-1].link_chars += len(data.strip())


@dataclass
class Page:
    """A built page: its URL path, title, breadcrumb and sections."""

    url: str
    title: str
    breadcrumb: str
    sections: list[Section]


def _parts(html: str) -> list[str]:
    """The parts of a Material page the parser reads: title, primary navigation, article.

    The navigation part runs up to the article, so that a page outside the navigation has the
    same navigation part as its neighbours (see _NavStates).

    Parsing is most of the index's build time, and the rest of a page (head, header, search,
    footer, scripts) says nothing the parser keeps. The whole page when the
    layout is not the one expected.
    """
    title = html.find("<title>")
    title_end = html.find("</title>", title)
    nav = html.find('<nav class="md-nav md-nav--primary')
    article = html.find('<article class="md-content__inner', nav)
    article_end = html.find("</article>", article)
    if min(title, title_end, nav, article, article_end) < 0 or not title < nav:
        return [html]
    if html.find("<title", title_end, article) >= 0:
        return [html]
    return [html[title:title_end + 8], html[nav:article], html[article:article_end + 10]]


class _NavStates:
    """The parser's state after the few navigation parts seen last: most pages of a large help
    center are outside the navigation, which is then the same from page to page."""

    SIZE = 8

    def __init__(self) -> None:
        self._states: dict[str, dict] = {}

    def feed(self, parser: ContentParser, part: str) -> bool:
        """Feed the navigation part to a parser just past the title: the primary navigation's
        state restored when it was seen before, and the rest of the part (the page's own table
        of contents) parsed."""
        if not parser.at_rest():
            return _feed(parser, part)
        end = _primary_nav_end(part)
        nav = part[:end]
        state = self._states.get(nav)
        if state is not None:
            parser.restore(state)
        else:
            if not _feed(parser, nav):
                return False
            if len(self._states) >= self.SIZE:
                del self._states[next(iter(self._states))]
            self._states[nav] = parser.state()
        return _feed(parser, part[end:])


_NAV_TAG = re.compile(r"<(/?)nav[ \t\n\r\f>]")


def _primary_nav_end(part: str) -> int:
    """Where the first nav element of part ends (where its last nested nav ends, if unclosed).

    Any tag boundary would parse the same: this one makes the part before it a page's primary
    navigation, the same on neighbouring pages."""
    depth = 0
    end = 0
    for match in _NAV_TAG.finditer(part):
        depth += -1 if match.group(1) else 1
        if match.group(1):
            end = part.find(">", match.start()) + 1
            if depth <= 0:
                break
    return end


def _feed_parts(parser: ContentParser, parts: list[str], navs: _NavStates | None) -> bool:
    """Feed the parts of a page with _feed (the navigation through navs, when given)."""
    if navs is None or len(parts) != 3:
        return all(_feed(parser, part) for part in parts)
    title, nav, article = parts
    return _feed(parser, title) and navs.feed(parser, nav) and _feed(parser, article)


def parse_page(html: str, url: str, navs: _NavStates | None = None) -> Page | None:
    """Parse one built page; None when it has no article (redirects and the like).

    navs: the navigation parts' states, kept from page to page while parsing a whole site.
    """
    parts = _parts(html)
    parser = ContentParser()
    if not _feed_parts(parser, parts, navs):
        parser = ContentParser()
        for part in parts:
            parser.feed(part)
        parser.close()
    if not parser.sections:
        return None
    intro = parser.sections[0]
    title = intro.heading if intro.anchor == "" and intro.heading else parser.title.split(" - ")[0]
    title = re.sub(r"\s+", " ", title).strip()
    return Page(url=url, title=title, breadcrumb=BREADCRUMB_SEPARATOR.join(parser.breadcrumb),
                sections=parser.sections)


def page_url(site_dir: Path, path: Path) -> str:
    """The path the site serves a built file at.

    `returns/policy/index.html` -> `/returns/policy/`.
    """
    return relative_url(path.relative_to(site_dir).as_posix())


def relative_url(relative: str) -> str:
    """The path the site serves the built file at relative (a site-relative POSIX path)."""
    if relative == "index.html":
        return "/"
    if relative.endswith("/index.html"):
        return "/" + relative[: -len("index.html")]
    return "/" + relative


def is_article_file(relative: str) -> bool:
    """True for a built file (site-relative POSIX path) that may hold an article."""
    return (relative.endswith(".html") and relative not in SKIPPED_PAGES
            and relative.split("/", 1)[0] not in SKIPPED_DIRS)


def article_files(site_dir: Path) -> list[str]:
    """The built files that may hold articles, site-relative, in a stable order (by path)."""
    relatives = (path.relative_to(site_dir).as_posix() for path in sorted(site_dir.rglob("*.html")))
    return [relative for relative in relatives if is_article_file(relative)]


def _file_language(relative: str) -> str:
    """The language of a built file."""
    return url_language(relative_url(relative))


def _checked_feed(fed: Iterator[tuple[str, str]], site_dir: Path) -> Iterator[tuple[str, str]]:
    """The pages fed, then FeedMismatch unless they were each language's files on disk, in the
    order iter_pages reads them from the site folder."""
    seen: list[str] = []
    for relative, text in fed:
        seen.append(relative)
        yield relative, text
    on_disk = article_files(site_dir)
    for code in LANGUAGES:
        if ([path for path in seen if _file_language(path) == code]
                != [path for path in on_disk if _file_language(path) == code]):
            missing = sorted(set(on_disk) - set(seen))
            raise FeedMismatch(f"the {code} pages fed are not those in {site_dir} "
                               f"(e.g. not fed: {missing[:3]})")


def iter_pages(site_dir: Path, fed: Iterator[tuple[str, str]] | None = None) -> Iterator[Page]:
    """Every article page of the built site, in a stable order.

    fed: the pages' (site-relative path, HTML) as the site build hands them over (see
    search.feed), checked against the files once all are read; by default the files are read.
    """
    navs = _NavStates()
    if fed is None:
        files = ((relative, (site_dir / relative).read_text(encoding="utf-8"))
                 for relative in article_files(site_dir))
    else:
        files = _checked_feed(fed, site_dir)
    for relative, text in files:
        page = parse_page(text, relative_url(relative), navs)
        if page is not None:
            yield page


def counting_pages(documents: Iterator[dict[str, str]],
                   on_page: Callable[[int], None]) -> Iterator[dict[str, str]]:
    """The documents as they come, telling on_page the count of pages done at each new page."""
    done, page = 0, None
    for document in documents:
        if document["page"] != page:
            done, page = done + 1, document["page"]
            on_page(done)
        yield document


def iter_documents(site_dir: Path, also_asked: AlsoAsked | None = None,
                   fed: Iterator[tuple[str, str]] | None = None) -> Iterator[dict[str, str]]:
    """One index document per section of every page, with the questions buyers also ask for it
    (fed: as iter_pages takes it)."""
    also_asked = also_asked or {}
    seen: set[str] = set()
    for page in iter_pages(site_dir, fed):
        for section in page.sections:
            text = section.joined_text()
            heading = section.heading or page.title
            if not text and section.anchor == "" and not heading:
                continue
            url = page.url + (f"#{section.anchor}" if section.anchor else "")
            # Lists of links (the home page's topic cards) point at answers rather than give them.
            # and the home page only routes buyers to the articles that answer them.
            home = page.url in HOME_PAGES
            weight = LINK_LIST_WEIGHT if section.link_density() > 0.5 or home else 1.0
            seen.add(url)
            yield {"url": url, "title": page.title, "heading": heading,
                   "anchor": section.anchor.replace("-", " ").replace("_", " "),
                   "asked": "\n".join(also_asked.get(url, [])),
                   "breadcrumb": page.breadcrumb, "text": text, "page": page.url,
                   "weight": weight}
    unknown = unknown_sections(also_asked, seen)
    if unknown:
        # A renamed heading anchor: the questions wait, unused, until the front matter follows.
        log.warning("also_asked names %d sections the built site does not have, e.g. %s",
                    len(unknown), unknown[0])


def write_index(documents: Iterator[dict[str, str]], index_dir: Path,
                synonyms: Synonyms | None = None,
                on_page: Callable[[int], None] | None = None) -> int:
    """Write the documents into a fresh index in index_dir (which must be empty); return the count.

    Each language's sections go to an index of their own (see language_dir): a Korean page
    is searched with Korean pages only. synonyms: the English index's (default: the package's);
    on_page: told the count of pages done at each new page (see counting_pages).

    The documents are read, and their scores worked out, in a forked process that hands each
    section over to this one, which writes the segments meanwhile (see _read_aside).
    """
    writers: dict[str, _LanguageWriter] = {}
    scores: Callable[..., None] = _done
    try:
        for code in LANGUAGES:
            folder = language_dir(index_dir, code)
            folder.mkdir(exist_ok=True)
            writers[code] = _LanguageWriter(folder, code,
                                            synonyms if code == DEFAULT_LANGUAGE else None)
        aside = _read_aside(documents, writers)
        if aside is not None:
            documents, scores = aside
            for writer in writers.values():
                writer.scored_aside = True
        for document in counting_pages(documents, on_page) if on_page else documents:
            writers[url_language(document["url"])].add(document)
    except BaseException:
        scores(check=False)
        for writer in writers.values():
            writer.cancel()
        raise
    count = 0
    waiting = list(writers.values())
    try:
        while waiting:
            count += waiting[0].commit()
            waiting.pop(0)
        scores()
    except BaseException:
        scores(check=False)
        # The failed writer has given up its segment; the others have not begun theirs.
        for writer in waiting[1:]:
            writer.cancel()
        raise
    return count


def _done(check: bool = True) -> None:
    """Nothing to wait for."""


# The key of a section handed over that holds its fields' tokens (left out of the index: Whoosh
# fields never start with "_").
ANALYSED = "_analysed"
# Sections handed over at a time: large enough that the pipe costs little, small enough that
# the segment's writing starts at once.
HANDOVER_BATCH = 64


def _read_aside(documents: Iterator[dict[str, str]], writers: dict[str, _LanguageWriter]
                ) -> tuple[Iterator[dict[str, str]], Callable[..., None]] | None:
    """Read the documents in a forked process that adds up and saves each language's scores
    (ImpactBuilder) while handing every section over, in order, through a pipe.

    Returns the sections as handed over and a function that waits for the process, as
    run_aside's does; None when this process cannot fork (see can_fork): then the writers
    work out the scores themselves.
    """
    if not can_fork():
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read and score, never return into the caller
        status = 1
        try:
            os.close(read_end)
            with open(write_end, "wb") as pipe:
                _score_handing_over(documents, writers, pipe)
            status = 0
        except (BrokenPipeError, FeedMismatch):
            pass  # the writing side gave up first, or was told why
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write_end)
    pipe = open(read_end, "rb")
    wait = _waiter(pid, "reading the pages or working out the search scores")

    def finish(check: bool = True) -> None:
        # Closed first: a process still handing sections over stops at once.
        pipe.close()
        wait(check)

    return _handed_over(pipe), finish


def _score_handing_over(documents: Iterator[dict[str, str]],
                        writers: dict[str, _LanguageWriter], pipe: BinaryIO) -> None:
    """Add each document to its language's scores, then hand it over with its fields' tokens
    through pipe (in batches, None after the last); save the scores once all are handed over. A
    FeedMismatch is handed over as its message."""
    batch: list[dict[str, Any]] = []
    try:
        for document in documents:
            # The fields' tokens go along: the writing side need not analyse them again.
            analysed = writers[url_language(document["url"])].add_scores(document)
            batch.append({**document, ANALYSED: analysed})
            if len(batch) >= HANDOVER_BATCH:
                marshal.dump(batch, pipe)
                pipe.flush()
                batch = []
    except FeedMismatch as error:
        # Handed over as a message, raised again on the writing side (see _handed_over).
        marshal.dump(str(error), pipe)
        pipe.flush()
        raise
    marshal.dump(batch, pipe)
    marshal.dump(None, pipe)
    pipe.flush()
    for writer in writers.values():
        writer.save_scores()


def _handed_over(pipe: BinaryIO) -> Iterator[dict[str, str]]:
    """The documents handed over through pipe by _score_handing_over."""
    while True:
        try:
            batch = marshal.load(pipe)
        except EOFError:
            raise RuntimeError("the process reading the pages stopped before the last") from None
        if batch is None:
            return
        if isinstance(batch, str):
            raise FeedMismatch(batch)
        yield from batch


class _LanguageWriter:
    """One language's index being written: Whoosh's segment and the table of scores beside it."""

    def __init__(self, index_dir: Path, code: str, synonyms: Synonyms | None) -> None:
        self.index_dir = index_dir
        self.ix = index.create_in(str(index_dir), make_schema())
        # The intents' terms are searched as one group each: add them up now, as the synonyms'.
        groups = [intent.alternatives() for intent in load_language(code).intents]
        self.impacts = ImpactBuilder(synonyms or Synonyms.load(language=code), groups)
        # One writer, one segment, one commit: a single segment keeps fuzzy and prefix lookups
        # fast.
        writer = self.ix.writer(limitmb=256, procs=1, multisegment=False)
        self.segment = SegmentBuilder(writer, fast_stored=True)
        self.urls: list[str] = []
        # True when another process works out and saves the scores (see _read_aside).
        self.scored_aside = False

    def add(self, document: dict[str, Any]) -> None:
        """Take in the next section: each field is analysed once, for scores and postings alike
        (by the process working out the scores, which hands the tokens over, when there is one)."""
        if self.scored_aside:
            analysed = document.pop(ANALYSED)
        else:
            analysed = self.impacts.add(document)
        self.segment.add(document, analysed)
        self.urls.append(document["url"])

    def add_scores(self, document: dict[str, str]) -> dict[str, tuple[list[str], int]]:
        """Take in the next section for the scores only (in the process working them out);
        return its fields' tokens (see ImpactBuilder.add)."""
        self.urls.append(document["url"])
        return self.impacts.add(document)

    def expected_segment(self) -> str:
        """The id of the segment the sections taken in will be in ("empty" for none)."""
        return self.segment.segment_id() if self.urls else "empty"

    def save_scores(self) -> None:
        """Work out and save the scores of the sections taken in."""
        self.impacts.save(self.index_dir, self.expected_segment())

    def cancel(self) -> None:
        """Give up the segment being written."""
        self.segment.cancel()
        self.ix.close()

    def commit(self) -> int:
        """Write the segment and the scores; return how many sections were written."""
        urls = self.urls
        expected = self.expected_segment()
        scores: Callable[..., None] = _done
        try:
            if not self.scored_aside:
                # The scores are worked out on the other core while Whoosh writes the segment.
                try:
                    scores = run_aside(self.save_scores)
                except BaseException:
                    self.segment.cancel()
                    raise
            self.segment.commit()
            with self.ix.reader() as reader:
                segment_id = impacts_segment_id(reader)
                # The table is indexed by docnum: Whoosh must have numbered the sections as added.
                if urls and (reader.doc_count_all() != len(urls)
                             or reader.stored_fields(0)["url"] != urls[0]
                             or reader.stored_fields(len(urls) - 1)["url"] != urls[-1]):
                    raise RuntimeError(
                        "Whoosh numbered the sections differently from the order added")
            scores()
            if segment_id != expected:
                raise RuntimeError(f"Whoosh wrote segment {segment_id}, not {expected}")
        finally:
            scores(check=False)
            self.ix.close()
        return len(urls)


def can_fork() -> bool:
    """True when this process may fork: it has no other thread (forking one that has is unsafe)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def run_aside(work: Callable[[], None]) -> Callable[..., None]:
    """Start work in a forked process, so it runs beside this one; return a function that waits
    for it and raises if it failed (with check=False: only waits, if it has not already).

    Only when this process has no other thread (forking one that has is unsafe): otherwise the
    work runs here and now.
    """
    if not can_fork():
        work()
        return _done
    pid = os.fork()
    if pid == 0:  # the child: do the work, never return into the caller
        status = 1
        try:
            work()
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    return _waiter(pid, "working out the search scores")


def _waiter(pid: int, doing: str) -> Callable[..., None]:
    """A function that waits for the forked process pid and raises if it failed (with
    check=False: only waits, if it has not already)."""
    waited: list[int] = []

    def wait(check: bool = True) -> None:
        if not waited:
            waited.append(os.waitpid(pid, 0)[1])
        if check and waited[0] != 0:
            raise RuntimeError(f"{doing} failed (wait status {waited[0]})")

    return wait


def swap_in(built: Path, index_dir: Path) -> None:
    """Replace index_dir by the freshly built folder, so readers never see a half-written index."""
    old = None
    if index_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.old-", dir=index_dir.parent))
        os.replace(index_dir, old / "index")
    # Open searchers keep reading the old files (still open); new ones see the new folder.
    os.replace(built, index_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_index(site_dir: Path, index_dir: Path, also_asked: AlsoAsked | None = None,
                on_page: Callable[[int], None] | None = None,
                fed: Iterator[tuple[str, str]] | None = None,
                site_built: Callable[[], None] | None = None) -> int:
    """Index the built site into index_dir (built aside, then swapped in); return the sections
    of every language.

    also_asked defaults to the questions in the front matter of the project's articles;
    on_page, when given, is told how many pages are done each time one is. fed: the pages as
    the site build writes them (see search.feed), indexed while it runs; site_built is then
    called before the index is swapped in, to wait for the build and raise if it failed.
    """
    site_dir = Path(site_dir)
    index_dir = Path(index_dir)
    if fed is None and not (site_dir / "index.html").is_file():
        raise FileNotFoundError(f"no built site in {site_dir}: build the site first")
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.new-", dir=index_dir.parent))
    # The build keeps millions of small objects and makes no cycles worth collecting meanwhile:
    # the cyclic collector walking them all, again and again, was a fifth of it at 5,000 pages.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if also_asked is None:
            also_asked = read_also_asked()
        count = write_index(iter_documents(site_dir, also_asked, fed), built, on_page=on_page)
        if site_built is not None:
            site_built()
        swap_in(built, index_dir)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    finally:
        if collecting:
            gc.enable()
    log.info("indexed %d sections from %s into %s", count, site_dir, index_dir)
    return count
