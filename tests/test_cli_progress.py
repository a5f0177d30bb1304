"""Progress from long commands: pages indexed during `helpcenter build`, lines read during an
import whose output goes to a log or a pipe rather than a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from lookup.web import cli
from lookup.web.cli import main
from search import open_index
from search.language import LANGUAGES
from search.language import load_language
from tests.lookup_fixtures import make_order


def test_indexing_says_how_many_pages_are_done(built_site: Path, tmp_path: Path, capsys):
    sections = cli.index_site(built_site, tmp_path / "index", every=5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [f"  indexed {n} pages of about {lines[0].split()[-2]} …"
                         for n in (5, 10, 15)]
    # Every language's sections: the English index and the Korean one beside it.
    indexes = [open_index(tmp_path / "index", language=load_language(code)) for code in LANGUAGES]
    try:
        assert sum(index.section_count() for index in indexes) == sections > 0
    finally:
        for index in indexes:
            index.close()


def test_an_import_into_a_log_prints_progress_lines(runner, app, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cli, "IMPORT_PROGRESS_LINES", 2)
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(json.dumps(make_order(order_number=f"PR-{n}")) + "\n"
                            for n in range(5)), encoding="utf-8")
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("Importing:")]
    assert [line.split(" lines read")[0] for line in progress] == ["Importing: 2", "Importing: 4"]
    assert progress[-1].endswith("%)")
    assert "5 new" in result.stdout


def test_an_import_from_stdin_prints_progress_lines(runner, app, monkeypatch):
    monkeypatch.setattr(cli, "IMPORT_PROGRESS_LINES", 1)
    lines = "".join(json.dumps(make_order(order_number=f"PP-{n}")) + "\n" for n in range(2))
    result = runner.invoke(main, ["import", "-"], input=lines.encode())
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("Importing:")]
    assert [line.split(",")[0] for line in progress] == [
        "Importing: 1 lines read", "Importing: 2 lines read"]
