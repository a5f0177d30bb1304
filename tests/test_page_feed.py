"""`helpcenter build` indexes the pages as the site build writes them (search.feed), and the index
is the one built from the site's files afterwards; when the pages fed are not the files written,
the files are indexed instead; a site that fails to build leaves the index as it was."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import click
import pytest

from lookup import PROJECT_DIR
from lookup.web.cli import build_site_and_index
from search import build_index
from search import open_index
from search.feed import FeedMismatch
from search.feed import announce
from search.feed import fed_pages
from search.feed import written
from search.language import LANGUAGES
from search.language import language_dir
from search.language import load_language
from tests.test_index_build import _contents
from tests.test_search_index import material_page


def _feed(site: Path, *messages: tuple) -> io.BytesIO:
    """A feed holding the messages, ("pages", [paths]) or ("page", path, html): each page's HTML
    written under site as it is named."""
    feed = io.BytesIO()
    for message in messages:
        if message[0] == "pages":
            announce(feed, message[1])
        else:
            (site / message[1]).parent.mkdir(parents=True, exist_ok=True)
            (site / message[1]).write_text(message[2], encoding="utf-8")
            written(feed, message[1])
    feed.seek(0)
    return feed


def _everything(path: str) -> bool:
    return True


def test_pages_come_out_in_path_order_build_by_build(tmp_path: Path):
    feed = _feed(tmp_path, ("pages", ["b/index.html", "a/index.html", "a/z/index.html"]),
                 ("page", "a/z/index.html", "3"), ("page", "b/index.html", "2"),
                 ("page", "a/index.html", "1"),
                 ("pages", ["ko/b/index.html", "ko/a/index.html"]),
                 ("page", "ko/a/index.html", "4"), ("page", "ko/b/index.html", "5"))
    assert [html for _, html in fed_pages(feed, _everything, tmp_path)] == ["1", "3", "2", "4",
                                                                           "5"]


def test_pages_not_wanted_are_passed_over(tmp_path: Path):
    feed = _feed(tmp_path, ("pages", ["404.html", "a/index.html"]), ("page", "404.html", "x"),
                 ("page", "a/index.html", "1"))
    assert list(fed_pages(feed, lambda path: path != "404.html", tmp_path)) == [
        ("a/index.html", "1")]


@pytest.mark.parametrize("messages", [
    [("pages", ["a/index.html", "b/index.html"]), ("page", "b/index.html", "2")],
    [("pages", ["a/index.html"]), ("page", "c/index.html", "2")],
    [("pages", ["a/index.html"]), ("page", "a/index.html", "1"), ("page", "a/index.html", "1")],
], ids=["never came", "unannounced", "twice"])
def test_a_feed_that_is_not_the_build_is_refused(tmp_path: Path, messages):
    with pytest.raises(FeedMismatch):
        list(fed_pages(_feed(tmp_path, *messages), _everything, tmp_path))


def test_a_page_named_without_a_file_is_refused(tmp_path: Path):
    feed = io.BytesIO()
    announce(feed, ["a/index.html"])
    written(feed, "a/index.html")
    feed.seek(0)
    with pytest.raises(FeedMismatch, match="cannot be read"):
        list(fed_pages(feed, _everything, tmp_path))


def test_a_feed_cut_short_is_refused(tmp_path: Path):
    whole = _feed(tmp_path, ("pages", ["a/index.html"]), ("page", "a/index.html", "x")).getvalue()
    with pytest.raises(FeedMismatch):
        list(fed_pages(io.BytesIO(whole[:-3]), _everything, tmp_path))


def _project(tmp_path: Path) -> Path:
    """A copy of the project's articles with a mkdocs.yml inheriting ours; its config file."""
    work = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "docs", work / "docs")
    # Our config names theme/ relative to itself; the link makes that true here too.
    (work / "theme").symlink_to(PROJECT_DIR / "theme")
    config = work / "mkdocs.yml"
    config.write_text(f"INHERIT: {PROJECT_DIR / 'mkdocs.yml'}\ndocs_dir: docs\n",
                      encoding="utf-8")
    return config


def _same_index(one: Path, other: Path) -> None:
    for code in LANGUAGES:
        assert _contents(language_dir(one, code)) == _contents(language_dir(other, code)), code


def test_the_index_built_with_the_site_is_the_index_of_its_files(tmp_path: Path, capsys):
    config = _project(tmp_path)
    site, fed, files = tmp_path / "site", tmp_path / "fed", tmp_path / "files"
    sections = build_site_and_index(site, fed, config)
    assert "instead" not in capsys.readouterr().out
    assert build_index(site, files) == sections > 0
    _same_index(fed, files)
    # Both languages were fed and indexed.
    for code in LANGUAGES:
        index = open_index(fed, language=load_language(code))
        try:
            assert index.section_count() > 0
        finally:
            index.close()


def test_a_page_the_build_copies_rather_than_writes_is_indexed_from_the_files(
        tmp_path: Path, capsys):
    config = _project(tmp_path)
    # An HTML file among the articles is copied as it is: the feed never names it.
    copied = config.parent / "docs" / "archive" / "old-returns" / "index.html"
    copied.parent.mkdir(parents=True)
    copied.write_text(material_page("Old returns", "<h1 id='old'>Old returns</h1>"
                                    "<p>Returns posted before the spring sale.</p>"),
                      encoding="utf-8")
    site, fed, files = tmp_path / "site", tmp_path / "fed", tmp_path / "files"
    sections = build_site_and_index(site, fed, config)
    assert "indexing the site's files instead" in capsys.readouterr().out
    assert build_index(site, files) == sections
    _same_index(fed, files)
    index = open_index(fed)
    try:
        assert index.search("spring sale")["results"][0]["url"] == "/archive/old-returns/"
    finally:
        index.close()


def test_a_site_built_without_the_page_feed_is_indexed_from_its_files(tmp_path: Path, capsys):
    config = _project(tmp_path)
    hooks = [line.strip()[2:] for line in (PROJECT_DIR / "mkdocs.yml").read_text(
        encoding="utf-8").splitlines() if line.strip().startswith("- theme/hooks/")]
    assert "theme/hooks/page_feed.py" in hooks
    config.write_text(config.read_text(encoding="utf-8") + "hooks:\n" + "".join(
        f"  - {hook}\n" for hook in hooks if hook != "theme/hooks/page_feed.py"),
        encoding="utf-8")
    site, fed, files = tmp_path / "site", tmp_path / "fed", tmp_path / "files"
    sections = build_site_and_index(site, fed, config)
    assert "indexing the site's files instead" in capsys.readouterr().out
    assert build_index(site, files) == sections > 0
    _same_index(fed, files)


def test_a_site_that_fails_to_build_leaves_the_index_as_it_was(tmp_path: Path):
    config = _project(tmp_path)
    site, index_dir = tmp_path / "site", tmp_path / "index"
    build_site_and_index(site, index_dir, config)
    before = _contents(language_dir(index_dir, "en"))
    # A figure the policy does not hold fails the build.
    page = config.parent / "docs" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n{{ policy.no_such_rule }} days.\n",
                    encoding="utf-8")
    with pytest.raises(click.ClickException, match="did not build"):
        build_site_and_index(site, index_dir, config)
    assert _contents(language_dir(index_dir, "en")) == before
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".index.")]
