"""The `helpcenter` command line: build the site and index, serve them, manage orders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import IO

import click
from flask import Flask
from flask.cli import FlaskGroup

from lookup import PROJECT_DIR
from lookup import create_app
from lookup import demo
from lookup import importer
from lookup import migrations
from lookup import report
from lookup.web import insights
from lookup.web.db import ensure_demo_orders
from lookup.web.db import get_store
from search.language import LANGUAGES
from search.language import language_dir

# A line of progress every so many pages indexed, or order lines read when not on a terminal.
BUILD_PROGRESS_PAGES = 100
IMPORT_PROGRESS_LINES = 50_000


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """Marketplace help center: articles, search and live order lookup."""


def _site_command(site_dir: Path, config_file: Path) -> list[str]:
    """The command that builds the site with ProperDocs, strictly, into site_dir."""
    return [sys.executable, "-m", "properdocs", "build", "--strict", "--quiet",
            "--config-file", str(config_file), "--site-dir", str(site_dir)]


def _site_failed() -> click.ClickException:
    """The error for a site build that failed (it printed why)."""
    return click.ClickException("the site did not build; the messages above say why")


def build_site(site_dir: Path, config_file: Path = PROJECT_DIR / "mkdocs.yml") -> None:
    """Build the site with ProperDocs, strictly, into site_dir, failing loudly on any warning."""
    result = subprocess.run(_site_command(site_dir, config_file), cwd=config_file.parent)
    if result.returncode != 0:
        raise _site_failed()


def _index_progress(pages: int | None, every: int) -> Callable[[int], None]:
    """A function that says how many pages are indexed, every so many."""
    about = f" of about {pages:,}" if pages is not None else ""

    def progress(done: int) -> None:
        if done % every == 0:
            click.echo(f"  indexed {done:,} pages{about} …")

    return progress


def index_site(site_dir: Path, index_dir: Path, every: int = BUILD_PROGRESS_PAGES) -> int:
    """Index the built site (search.build_index), saying how many pages are done as it goes."""
    import search

    pages = sum(1 for _ in site_dir.rglob("*.html"))
    return search.build_index(site_dir, index_dir, on_page=_index_progress(pages, every))


def build_site_and_index(site_dir: Path, index_dir: Path,
                         config_file: Path = PROJECT_DIR / "mkdocs.yml",
                         every: int = BUILD_PROGRESS_PAGES) -> int:
    """Build the site and index it at once: the site build names each page as it writes it
    (search.feed), so the index is written meanwhile, on the other core. Return the sections.

    The index is swapped in only once the site is built; if the pages named are not the pages
    written, the site's files are indexed after it instead.
    """
    import search
    from search.feed import FEED_ENV
    from search.feed import FeedMismatch
    from search.feed import fed_pages
    from search.feed import open_feed
    from search.indexer import is_article_file

    read_end, write_end = open_feed()
    try:
        site = subprocess.Popen(_site_command(site_dir, config_file), cwd=config_file.parent,
                                pass_fds=(write_end,), env={**os.environ, FEED_ENV: str(write_end)})
    finally:
        os.close(write_end)

    def site_built() -> None:
        if site.wait() != 0:
            raise _site_failed()

    try:
        with open(read_end, "rb") as feed:
            return search.build_index(site_dir, index_dir,
                                      fed=fed_pages(feed, is_article_file, site_dir),
                                      on_page=_index_progress(None, every), site_built=site_built)
    except FeedMismatch as error:
        # Closed by now: a site build still naming pages goes on without the index.
        site_built()
        click.echo(f"  the pages named while building were not the pages built ({error}); "
                   f"indexing the site's files instead …")
        return index_site(site_dir, index_dir, every)
    finally:
        if site.poll() is None:
            site.wait()


def build_all(app: Flask) -> None:
    """Build the site and its search index (at once, see build_site_and_index)."""
    site_dir = Path(app.config["SITE_DIR"])
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    click.echo(f"Building the site into {site_dir} and indexing it into {index_dir} …")
    sections = build_site_and_index(site_dir, index_dir)
    click.echo(f"Indexed {sections} sections into {index_dir}.")


@main.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Build the site and the search index."""
    app = ctx.obj.load_app()
    build_all(app)
    click.echo("Built.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="PORT",
              help="Port to listen on (or PORT).")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Build what is missing, then serve the site and the API on one port."""
    import waitress

    app = ctx.obj.load_app()
    if not (Path(app.config["SITE_DIR"]) / "index.html").is_file():
        build_all(app)
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    # An index from before the Korean edition has no Korean part: build it again.
    if not all(language_dir(index_dir, code).is_dir() for code in LANGUAGES):
        build_all(app)
    if ensure_demo_orders(app):
        click.echo("Created the demo order store (see the README for orders to try).")
    click.echo(f"Help center on http://{host}:{port}/ (Ctrl+C to stop)")
    # waitress drops X-Forwarded-For from peers it was not told to trust; the app's ProxyFix
    # (HELPCENTER_TRUSTED_PROXIES) decides how much of it to believe, as under gunicorn.
    behind_proxy = int(app.config.get("TRUSTED_PROXIES", 0) or 0) > 0
    waitress.serve(app, host=host, port=port, threads=threads, ident="helpcenter",
                   clear_untrusted_proxy_headers=not behind_proxy)



@contextmanager
def _progress(stream: IO[bytes]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar by bytes read on a terminal; elsewhere (a log, a pipe) a line now and then."""
    size = None
    if stream.seekable():
        size = stream.seek(0, os.SEEK_END)
        stream.seek(0)
    if not sys.stderr.isatty():
        yield _progress_lines(size)
        return
    if size is None:
        yield None
        return
    with click.progressbar(length=size, label="Importing", file=sys.stderr) as bar:
        yield bar.update


def _progress_lines(size: int | None) -> Callable[[int], None]:
    """A progress callback printing one line every IMPORT_PROGRESS_LINES lines read."""
    lines = read = 0

    def advance(length: int) -> None:
        nonlocal lines, read
        lines, read = lines + 1, read + length
        if lines % IMPORT_PROGRESS_LINES == 0:
            share = f" ({read / size:.0%})" if size else ""
            click.echo(f"Importing: {lines:,} lines read, {read / 2**20:,.1f} MiB{share}", err=True)

    return advance


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.pass_context
def import_orders(ctx: click.Context, file: IO[bytes]) -> None:
    """Import orders from FILE, JSON Lines (`-` for stdin): all of them, or none."""
    app = ctx.obj.load_app()
    try:
        with app.app_context(), _progress(file) as progress:
            count, result = importer.import_stream(get_store(), file, progress)
    except importer.ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(f"{file.name}: {error}", err=True)
        more = " (the first ones)" if len(rejected.errors) >= importer.MAX_REPORTED_ERRORS else ""
        raise click.ClickException(
            f"nothing imported: {len(rejected.errors)} bad line(s){more}") from None
    except BrokenProcessPool:
        raise click.ClickException("nothing imported: a process checking the lines stopped "
                                   "(out of memory?); the import was rolled back") from None
    click.echo(f"Imported {count} order line(s): {result.created} new, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.older} older than the stored order (kept).")


@main.command("demo")
@click.option("--list", "list_only", is_flag=True, help="Only print the table of demo orders.")
@click.pass_context
def demo_command(ctx: click.Context, list_only: bool) -> None:
    """(Re)create the demo orders, dated from today, and print them as a table."""
    app = ctx.obj.load_app()
    today = date.today()
    with app.app_context():
        if not list_only:
            count = demo.install_demo(get_store(), today)
            click.echo(f"Wrote {count} demo orders, dated from {today.isoformat()}.\n")
        click.echo(demo.demo_table(today, app.extensions["policy"]))


@main.group("db")
def db_group() -> None:
    """The database's schema: apply migrations, show the revision."""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the schema migrations the database lacks (the service also does on start)."""
    app = ctx.obj.load_app()
    with app.app_context():
        store = get_store()
        try:
            before = store.schema_revision()
            reached = store.upgrade_schema()
        finally:
            store.dispose()
    if before == reached:
        click.echo(f"The database is at the newest revision, {reached}.")
    else:
        click.echo(f"Upgraded the database from {before or 'no revision'} to {reached}.")


@db_group.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision, and the newest this release knows."""
    app = ctx.obj.load_app()
    with app.app_context():
        store = get_store()
        try:
            revision = store.schema_revision()
        finally:
            store.dispose()
    click.echo(f"{revision or 'no revision (not made yet, or made before migrations)'}"
               f" (newest: {migrations.head()})")


@main.command("report")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the period (YYYY-MM-DD, UTC).")
@click.option("--days", type=click.IntRange(1, 3660), default=None,
              help=f"The last N days, today included [default: {report.DEFAULT_DAYS}].")
@click.option("--limit", type=click.IntRange(1, 1000), default=report.DEFAULT_LIMIT,
              show_default=True, help="Rows per section.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for other tools.")
@click.option("--prune", is_flag=True,
              help="Only delete search counts older than HELPCENTER_SEARCH_KEEP_DAYS.")
@click.pass_context
def report_command(ctx: click.Context, since: datetime | None, days: int | None, limit: int,
                   as_json: bool, prune: bool) -> None:
    """Votes and searches per language, unhelpful articles, top and zero-result searches and
    next steps shown, for a period."""
    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    app = ctx.obj.load_app()
    if prune:
        keep = int(app.config["SEARCH_KEEP_DAYS"])
        with app.app_context():
            gone = insights.get_insights().prune_searches(insights.today() - timedelta(days=keep))
        click.echo(f"Deleted {gone} search counts older than {keep} days.")
        return
    with app.app_context():
        first, last = report.period(since.date() if since else None, days, insights.today())
        data = report.build_report(insights.get_insights(), first, last, limit)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(report.format_text(data), nl=False)
