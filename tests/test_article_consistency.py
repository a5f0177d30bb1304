"""The articles state each rule once: stages from the engine's table, figures on one page, terms
linked to the glossary, and store policies described exactly as the code applies them."""

from __future__ import annotations

import re
from collections import defaultdict
from html import unescape
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from lookup.next_steps import CHANGE_ACTIONS
from lookup.next_steps import CHANGES_BY_STAGE
from lookup.orders import STATUS_LABELS
from lookup.policy import load_policy

DOCS_DIR = PROJECT_DIR / "docs"
POLICY_PLACEHOLDER = re.compile(r"\{\{\s*policy\.([^\s}]*)\s*\}\}")
STAGES_PLACEHOLDER = re.compile(r"\{\{\s*stages\.[^\s}]*\s*\}\}")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")

# -- what a stage statement looks like -----------------------------------------------------------

# The buyer's actions whose stages live in the engine's table.
ACTION = re.compile(
    r"\bcancel\w*|\bchang\w* (?:the |your |a |my )?(?:delivery )?address|\bredirect\w*"
    r"|\b(?:drop|remov)\w* (?:some |an? )?items?|\bchang\w* (?:the )?quantit",
    re.I,
)
# Ways of naming a stage of an order: its labels and the phrases people use for them.
_TABLE_LABELS = [STATUS_LABELS[s] for s in CHANGES_BY_STAGE if s not in ("delivered",)]
STAGE = re.compile(
    "|".join([
        *(re.escape(label) for label in _TABLE_LABELS),
        r"\b(?:before|after|until|once) (?:you(?:'ve| have)? )?(?:pay|paid|payment|paying)\b",
        r"\b(?:before|after|until|once) (?:it|the order|the parcel|your order) "
        r"(?:ships|has shipped|is shipped|has been shipped|leaves)",
        r"\b(?:before|after) (?:shipping|shipment|dispatch)",
        r"\b(?:has|have|hasn't|has not|haven't|already|not yet|once it's|once it has|is) "
        r"(?:been )?shipped",
        r"\bnot shipped yet",
        r"\b(?:starts?|started|begins?|is|are) (?:preparing|packing)",
        r"\bas long as\b",
    ]),
    re.I,
)
# Seller procedures describe the seller's own actions, not the buyer's stages.
NOT_BUYER_PAGES = {"for-sellers/index.md"}

# -- the glossary ---------------------------------------------------------------------------------

GLOSSARY_TERMS = {
    "funding": r"\bfunding\b|\bfunded\b",
    "deposit": r"\bdeposits?\b",
    "second-payment": r"\bsecond (?:payment|bill)s?\b",
    "reception-report": r"\breception reports?\b",
    "store-policy": r"\bstore polic(?:y|ies)\b",
    "working-day": r"\bworking days?\b",
    "business-day": r"\bbusiness days?\b",
    "personal-customs-clearance-code": r"\bcustoms clearance codes?\b",
    "chargeback": r"\bchargebacks?\b",
}
# Overview pages are lists of links to topics: a term there may be the text of a topic link.
OVERVIEW_PAGES = {"orders/index.md", "delivery/index.md", "returns/index.md"}
# The home page is cards of topic names and links, with the glossary as one of its cards.
NO_GLOSSARY_LINKS = {"index.md", "glossary.md"}

# The section of the buyers' help that explains each figure a store policy may change.
OVERRIDE_SECTIONS = {
    "return_window_days": "../returns/policy.md#return-window",
    "exchange_window_days": "../returns/policy.md#exchanges",
    "not_as_described_window_months": "../returns/policy.md#not-as-described",
    "late_delivery_days": "../delivery/late-or-lost.md#parcel-late",
    "seller_reply_working_days": "contact.md#seller-not-answering",
}


def _doc_pages() -> list[Path]:
    # English articles; their Korean twins (name.ko.md) are checked in test_korean_pages.py.
    return sorted(p for p in DOCS_DIR.rglob("*.md") if not p.name.endswith(".ko.md"))


def _rel(path: Path) -> str:
    return path.relative_to(DOCS_DIR).as_posix()


def _body(text: str) -> str:
    """A page without its front matter, comments and heading attributes."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        text = text[end + 5:] if end != -1 else text
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"\s*\{#[^}]*\}", "", text)


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for each section; the text before the first `##` has the page title."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in _body(text).splitlines():
        match = HEADING.match(line)
        if match:
            sections.append((match.group(2), []))
        else:
            sections[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in sections]


def _statements(body: str) -> list[str]:
    """The sentences, list items and table cells of a section body, one line each."""
    body = STAGES_PLACEHOLDER.sub("STAGES", body)
    body = LINK.sub(r"\1", body)
    # A table row stays whole: its first cell names the stage, the others what can be done.
    parts = re.split(r"(?<=[.!?;:])\s+|\n(?=\s*(?:[-*]|\d+\.)\s)|\n(?=\|)|\n\s*\n", body)
    return [" ".join(part.split()) for part in parts if part.strip()]


def stage_statements(text: str) -> list[str]:
    """Statements that tie one of the buyer's actions to a stage in typed words."""
    found = []
    for heading, body in _sections(text):
        about_action = bool(ACTION.search(heading))
        for statement in _statements(body):
            if statement.endswith("?"):
                continue  # a question states no rule
            if (about_action or ACTION.search(statement)) and STAGE.search(statement):
                found.append(f"[{heading or 'intro'}] {statement}")
    return found


@pytest.mark.parametrize("heading, body", [
    ("Can I cancel only part of my order?",
     "Yes, as long as the order hasn't shipped: message the seller."),
    ("Can I cancel my order?",
     "You can cancel until the seller starts preparing your shipment; after that, return it."),
    ("Orders", "Once the seller is preparing or has shipped the order it can't be cancelled."),
    ("Order status", "| Paid, waiting for the seller | Cancel it if you change your mind. |"),
    ("Addresses", "You can change the delivery address before it ships."),
])
def test_stage_detector_catches_a_typed_stage(heading, body):
    """The scan finds the contradictions the articles once had."""
    assert stage_statements(f"# Page\n\n## {heading}\n\n{body}\n")


@pytest.mark.parametrize("body", [
    "You can cancel the whole order yourself {{ stages.cancel }}.",
    "An order nobody pays for is cancelled by itself.",
    "If the button is missing, see [the table](#cancel-by-stage).",
])
def test_stage_detector_passes_generated_or_stageless_text(body):
    """Stages printed from the table, and sentences naming no stage, are not flagged."""
    assert not stage_statements(f"# Page\n\n## Can I cancel?\n\n{body}\n")


def test_no_page_types_a_stage_for_an_action():
    """Stages for cancelling or changing an order come only from the engine's table.

    Two pages therefore cannot state different stages for the same action: any stage typed next
    to an action, on any page, fails here; the placeholders print the one table everywhere.
    """
    found = []
    for path in _doc_pages():
        if _rel(path) in NOT_BUYER_PAGES:
            continue
        found += [f"{_rel(path)}: {s}" for s in stage_statements(path.read_text(encoding="utf-8"))]
    assert not found, "stages typed instead of {{ stages.<action> }}:\n" + "\n".join(found)


def test_the_cancel_table_in_the_site_is_the_engines(built_site: Path):
    """The built cancellations page shows, stage by stage, exactly the engine's answers."""
    from theme.hooks.stages import ANSWER_WORDS

    page = (built_site / "cancellations" / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="cancel-by-stage"'):]
    table = section[: section.index("</table>")]
    words_to_answer = {words: answer for answer, words in ANSWER_WORDS.items()}
    label_to_status = {label: status for status, label in STATUS_LABELS.items()}
    shown = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        shown[label_to_status[cells[0]]] = dict(
            zip(CHANGE_ACTIONS, (words_to_answer[c] for c in cells[1:]), strict=True))
    assert shown == CHANGES_BY_STAGE


def test_stage_placeholders_are_the_only_cancel_table():
    """The table is printed once, on the cancellations page; others link to it."""
    pages = [_rel(p) for p in _doc_pages() if "stages.table" in p.read_text(encoding="utf-8")]
    assert pages == ["cancellations/index.md"]


def test_each_policy_figure_is_printed_on_exactly_one_page():
    """One statement of each figure: every figure appears, and on one page only."""
    pages_by_name: dict[str, set[str]] = defaultdict(set)
    for path in _doc_pages():
        for name in POLICY_PLACEHOLDER.findall(path.read_text(encoding="utf-8")):
            pages_by_name[name].add(_rel(path))
    policy = load_policy()
    figures = {name for name, value in policy.items() if not isinstance(value, list)}
    assert set(pages_by_name) == figures, "figures never printed or unknown"
    repeated = {name: sorted(pages) for name, pages in pages_by_name.items() if len(pages) > 1}
    assert not repeated, f"figures printed on more than one page: {repeated}"


def _first_use_problems(rel: str, text: str) -> list[str]:
    """Glossary terms whose first use on the page is not a link to their glossary entry."""
    lines = [line for line in _body(text).splitlines() if not HEADING.match(line)]
    body = POLICY_PLACEHOLDER.sub(" ", STAGES_PLACEHOLDER.sub(" ", "\n".join(lines)))
    links = [(m.start(1), m.end(1), m.group(2)) for m in LINK.finditer(body)]
    masked = LINK.sub(lambda m: f"[{m.group(1)}]({' ' * len(m.group(2))})", body)
    problems = []
    for anchor, pattern in GLOSSARY_TERMS.items():
        match = re.search(pattern, masked, re.I)
        if not match:
            continue
        target = next((url for start, end, url in links if start <= match.start() < end), None)
        to_entry = target is not None and f"glossary.md#{anchor}" in target
        to_topic = target is not None and rel in OVERVIEW_PAGES and "glossary" not in target
        ok = to_entry or to_topic
        if not ok:
            context = " ".join(masked[max(0, match.start() - 30): match.end() + 30].split())
            problems.append(f"{rel}: '{match.group(0)}' first used unlinked: …{context}…")
    return problems


def test_first_use_of_each_term_links_to_the_glossary():
    """On every page, the first use of a glossary word links to its entry."""
    problems = []
    for path in _doc_pages():
        if _rel(path) not in NO_GLOSSARY_LINKS:
            problems += _first_use_problems(_rel(path), path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_first_use_check_flags_an_unlinked_term():
    """The glossary check is not vacuous."""
    assert _first_use_problems("x.md", "# X\n\nPay from your deposit.\n")
    elsewhere = "# X\n\nPay from your [deposit](pay.md#top-up), a [deposit](glossary.md#deposit).\n"
    assert _first_use_problems("x.md", elsewhere)
    linked = "# X\n\nYour [deposit](glossary.md#deposit) or deposit.\n"
    assert not _first_use_problems("x.md", linked)


def test_glossary_has_every_term():
    """Each term the check looks for has its entry."""
    text = (DOCS_DIR / "glossary.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r"\{#([^}]+)\}", text))
    assert set(GLOSSARY_TERMS) <= anchors


def test_store_policy_section_covers_exactly_what_a_seller_may_change():
    """'What can a store policy change' links to the rule of every figure a seller may change."""
    policy = load_policy()
    assert set(OVERRIDE_SECTIONS) == set(policy["seller_may_override"])
    text = (DOCS_DIR / "sellers" / "index.md").read_text(encoding="utf-8")
    section = dict(_sections(text))["What can a store policy change?"]
    missing = [url for url in OVERRIDE_SECTIONS.values() if f"]({url})" not in section]
    assert not missing, f"the store-policy section does not link to {missing}"
    # The direction the code enforces is the one the section states.
    assert "longer" in section and "sooner" in section and "shorter" in section
    assert "can't shorten" in section
