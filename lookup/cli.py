"""The `helpcenter` command line: build the site and index, serve them, manage orders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from lookup import PROJECT_DIR
from lookup import create_app
from lookup import demo


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """Marketplace help center: articles, search and live order lookup."""


def build_site(site_dir: Path, config_file: Path = PROJECT_DIR / "mkdocs.yml") -> None:
    """Build the MkDocs site strictly into site_dir, failing loudly on any warning."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
               "--config-file", str(config_file), "--site-dir", str(site_dir)]
    result = subprocess.run(command, env=env, cwd=config_file.parent)
    if result.returncode != 0:
        raise click.ClickException("the site did not build; the messages above say why")


def build_all(app: Flask) -> None:
    """Build the site and then the search index from it."""
    import search

    site_dir = Path(app.config["SITE_DIR"])
    click.echo(f"Building the site into {site_dir} …")
    build_site(site_dir)
    sections = search.build_index(site_dir, Path(app.config["SEARCH_INDEX_DIR"]))
    click.echo(f"Indexed {sections} sections into {app.config['SEARCH_INDEX_DIR']}.")


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
    if not Path(app.config["SEARCH_INDEX_DIR"]).is_dir():
        build_all(app)
    with app.app_context():
        if demo.ensure_demo_store():
            click.echo("Created the demo order store (see the README for orders to try).")
    click.echo(f"Help center on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="helpcenter")
