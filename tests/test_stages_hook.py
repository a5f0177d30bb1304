"""The build hook that prints the stage table and stage phrases from the engine's data."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from lookup.next_steps import CHANGES_BY_STAGE
from lookup.orders import STATUS_LABELS
from theme.hooks import stages


def _page(uri: str = "x.md") -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=uri))


def test_table_has_a_row_per_stage_and_a_column_per_action():
    """Every stage of the engine's table becomes one row, in the engine's order."""
    lines = stages.render("table").splitlines()
    assert len(lines) == 2 + len(CHANGES_BY_STAGE)
    for line, status in zip(lines[2:], CHANGES_BY_STAGE, strict=True):
        assert line.startswith(f"| **{STATUS_LABELS[status]}** |")


def test_phrases_follow_the_data():
    """A phrase lists exactly the stages the table allows, so a changed table changes the text."""
    table = {"awaiting_payment": {"cancel": "yes"}, "paid": {"cancel": "no"}}
    assert stages.stages_phrase(table, "cancel") == (
        f"while your order shows **{STATUS_LABELS['awaiting_payment']}**")
    table["paid"]["cancel"] = "ask"
    assert STATUS_LABELS["paid"] in stages.stages_phrase(table, "cancel")


def test_hook_fills_placeholders_and_refuses_unknown_ones():
    """Known names are replaced; an unknown action or answer fails the build with the page named."""
    out = stages.on_page_markdown("You can cancel {{ stages.cancel }}.", page=_page(), config=None,
                                  files=None)
    assert "{{" not in out and STATUS_LABELS["paid"] in out
    for bad in ("{{ stages.refund }}", "{{ stages.cancel.maybe }}", "{{ stages.cancel.never }}"):
        with pytest.raises(PluginError, match="x.md"):
            stages.on_page_markdown(bad, page=_page(), config=None, files=None)
