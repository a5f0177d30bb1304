"""The help articles: every topic has its section, links resolve, figures come from the policy."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest

from lookup import PROJECT_DIR
from lookup.policy import POLICY_FILE
from lookup.policy import format_value
from lookup.policy import load_policy

DOCS_DIR = PROJECT_DIR / "docs"
SEEDS_DIR = PROJECT_DIR.parent / "shared" / "seeds"
LOOKUP_MARKER = "<!-- helpcenter:order-lookup -->"

# The sections other parts of the product deep-link to (the order lookup's next steps, search).
REQUIRED_ANCHORS: dict[str, list[str]] = {
    "orders/status/": [
        "order-statuses", "order-details", "estimated-delivery", "not-shipped-yet",
        "unpaid-orders-cancelled", "automatic-completion", "confirm-receipt",
        "report-a-problem", "message-window",
    ],
    "orders/change/": ["change-address", "address-after-shipping", "edit-order"],
    "payments/": ["pay-for-an-order", "deposit-top-up", "deposit-withdrawal", "second-payment"],
    "payments/problems/": [
        "payment-failed", "charged-twice", "receipts-and-invoices", "refund-not-arrived",
        "currency-and-statement",
    ],
    "cancellations/": [
        "cancel-by-stage", "cancel-before-shipment", "cancel-after-shipment",
        "partial-cancellation", "funding-cancellation", "funding-not-reached",
        "funding-design-changes",
    ],
    "delivery/tracking/": ["track-your-parcel", "tracking-not-updating"],
    "delivery/customs/": [
        "customs-charges", "customs-payment-request", "refused-customs-charges",
        "personal-customs-code", "customs-and-returns",
    ],
    "delivery/late-or-lost/": [
        "parcel-late", "parcel-lost", "delivered-not-received", "delivery-insurance",
        "delivery-problem",
    ],
    "returns/policy/": [
        "return-window", "not-as-described", "return-conditions", "returns-refused",
        "return-costs", "exchanges", "wrong-size-or-colour", "wrong-item", "game-coupons",
        "funding-items", "how-to-return",
    ],
    "refunds/": ["refund-times", "refund-late", "chargebacks-and-disputes", "refund-refused"],
    "shipping/": ["shipping-costs", "free-shipping"],
    "sellers/": ["who-is-the-seller", "store-policies", "what-store-policies-change"],
    "sellers/contact/": ["contact-the-seller", "seller-not-answering", "contact-support"],
    "buyer-protection/": ["open-a-case", "case-evidence", "case-timeline", "case-outcomes"],
    "account/": ["unknown-order-email", "missing-emails"],
    "for-sellers/": [
        "late-shipments", "cancelled-for-late-delivery", "buyer-cancelled-after-shipment",
        "divert-a-parcel", "change-delivery-address", "compliance-penalty",
        "parcel-lost-on-return", "tracked-shipping", "in-person-and-local-courier",
    ],
    "glossary/": [
        "business-day", "case", "chargeback", "deposit", "funding",
        "personal-customs-clearance-code", "reception-report", "second-payment", "store-policy",
        "working-day",
    ],
}

# Pages where a buyer wants to check their own order: the lookup widget goes there.
LOOKUP_PAGES = [
    "order-status.md",
    "orders/status.md",
    "delivery/tracking.md",
    "delivery/late-or-lost.md",
    "returns/policy.md",
]

ARTICLE = re.compile(r"<article\b[^>]*>(.*?)</article>", re.S)
HREF = re.compile(r"""\bhref\s*=\s*["']([^"']*)["']""")
ELEMENT_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
PLACEHOLDER = re.compile(r"\{\{\s*policy\.([^\s}]*)\s*\}\}")
UNIT = r"(?:calendar\s+|working\s+|business\s+)?(?:days?|months?|weeks?|hours?)\b"
SEED_RUN = 8
# Figures spelt out in words are figures too ("fourteen days").
NUMBER_WORDS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 14: "fourteen", 15: "fifteen",
    20: "twenty", 21: "twenty-one", 28: "twenty-eight", 30: "thirty", 45: "forty-five",
    50: "fifty", 60: "sixty", 90: "ninety",
}


def _ids(page: Path) -> set[str]:
    """Every element id on a built page."""
    return set(ELEMENT_ID.findall(page.read_text(encoding="utf-8")))


def _page_url(site: Path, page: Path) -> str:
    """The site path a built page is served at, such as /orders/status/."""
    rel = page.relative_to(site).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def _target_file(site: Path, path: str) -> Path:
    """The built file a site path points at."""
    rel = unquote(path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    target = site / rel
    if target.is_dir():
        target = target / "index.html"
    return target


def _doc_pages() -> list[Path]:
    """All English Markdown articles (their Korean twins, name.ko.md, have their own tests)."""
    return sorted(p for p in DOCS_DIR.rglob("*.md") if not p.name.endswith(".ko.md"))


def _rendered_markdown(path: Path, policy: Mapping) -> str:
    """An article's text with its placeholders filled in and link targets dropped."""
    text = path.read_text(encoding="utf-8")
    text = PLACEHOLDER.sub(lambda m: format_value(policy[m.group(1)]), text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\{#[^}]*\}", "", text)
    return text


def _words(text: str) -> list[str]:
    """Lowercased words with punctuation stripped."""
    return re.sub(r"[^\w\s]", "", text.lower()).split()


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    """Every run of SEED_RUN consecutive words."""
    return {tuple(words[i : i + SEED_RUN]) for i in range(len(words) - SEED_RUN + 1)}


def _figure_patterns(policy: Mapping) -> list[re.Pattern]:
    """Patterns matching a policy figure typed literally, with its unit or currency."""
    counts: set[int] = set()
    patterns: list[re.Pattern] = []
    for value in policy.values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            counts.add(value)
        elif isinstance(value, Mapping) and {"amount", "currency"} <= value.keys():
            amount = re.escape(f"{value['amount']:,}").replace(",", ",?")
            rendered = format_value(value)
            patterns.append(re.compile(rf"(?<![\d,.]){amount}\s*{value['currency']}\b", re.I))
            if not rendered[0].isdigit():
                symbol = re.escape(rendered[0])
                patterns.append(re.compile(rf"{symbol}\s?{amount}(?![\d,])"))
            if value["amount"] >= 1000:
                patterns.append(re.compile(rf"(?<![\d,.]){amount}(?![\d,])"))
    for count in sorted(counts):
        if count in NUMBER_WORDS:
            word = NUMBER_WORDS[count]
            patterns.append(re.compile(rf"(?<![\w-]){word}(?:\s|-)+{UNIT}", re.I))
        number = re.escape(f"{count:,}").replace(",", ",?")
        # "14 days", "14-day", and the first number of a range such as "3-7 business days".
        patterns.append(re.compile(rf"(?<![\w.,]){number}(?:\s|-)+{UNIT}", re.I))
        patterns.append(
            re.compile(rf"(?<![\w.,]){number}\s*(?:-|–|to)\s*\d+(?:\s|-)+{UNIT}", re.I)
        )
    return patterns


@pytest.mark.parametrize("page_path", sorted(REQUIRED_ANCHORS))
def test_every_topic_has_its_own_section(built_site: Path, page_path: str) -> None:
    """Each issue-3 topic is a section with its fixed anchor on the right page."""
    page = built_site / page_path / "index.html"
    assert page.is_file(), f"/{page_path} was not built"
    missing = [anchor for anchor in REQUIRED_ANCHORS[page_path] if anchor not in _ids(page)]
    assert not missing, f"/{page_path} lacks the sections {missing}"


def test_internal_links_resolve(built_site: Path) -> None:
    """Every internal link in the articles points at a built page and an existing anchor."""
    ids_cache: dict[Path, set[str]] = {}
    broken: list[str] = []
    checked = 0
    for page in sorted(built_site.rglob("*.html")):
        match = ARTICLE.search(page.read_text(encoding="utf-8"))
        if not match:
            continue
        base = _page_url(built_site, page)
        for href in HREF.findall(match.group(1)):
            href = html.unescape(href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # external, mailto: and the like
            path, fragment = urlsplit(urljoin(base, href))[2], parts.fragment
            target = _target_file(built_site, path)
            checked += 1
            if not target.is_file():
                broken.append(f"{base}: {href} (no such page)")
                continue
            if fragment:
                if target not in ids_cache:
                    ids_cache[target] = _ids(target)
                if unquote(fragment) not in ids_cache[target]:
                    broken.append(f"{base}: {href} (no such anchor)")
    assert checked > 100, f"only {checked} internal links found; is the article markup parsed?"
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_no_placeholder_left_in_built_pages(built_site: Path) -> None:
    """No '{{' survives into any built page."""
    leftovers = [
        page.relative_to(built_site).as_posix()
        for page in built_site.rglob("*.html")
        if "{{" in page.read_text(encoding="utf-8")
    ]
    assert not leftovers, f"unrendered placeholders in {leftovers}"


def test_no_policy_figure_typed_literally() -> None:
    """Articles print policy figures through placeholders, never as typed numbers."""
    patterns = _figure_patterns(load_policy())
    found: list[str] = []
    for path in _doc_pages():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern in patterns:
                for match in pattern.finditer(line):
                    rel = path.relative_to(DOCS_DIR).as_posix()
                    found.append(f"{rel}:{number}: {match.group(0)!r}")
    assert not found, "figures typed instead of {{ policy.<name> }}:\n" + "\n".join(found)


def test_figure_patterns_catch_typed_figures() -> None:
    """The literal-figure scan does flag typed figures (it is not vacuously passing)."""
    policy = load_policy()
    patterns = _figure_patterns(policy)
    samples = [
        f"within {policy['return_window_days']} days of delivery",
        f"over {format_value(policy['free_shipping_domestic'])}",
        f"over {format_value(policy['free_shipping_international'])}",
        f"{policy['refund_business_days_min']}-{policy['refund_business_days_max']} business days",
        f"answers within {NUMBER_WORDS[policy['seller_reply_working_days']]} working days",
        f"a {NUMBER_WORDS[policy['return_window_days']]}-day return window",
        f"decided in {policy['case_decision_working_days']} working days",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in patterns), f"not caught: {sample!r}"


def test_articles_do_not_copy_the_seeds() -> None:
    """No article shares a run of eight consecutive words with a seed page."""
    seeds = sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []
    if not seeds:
        pytest.skip(f"no seed pages at {SEEDS_DIR} to compare the articles with")
    seed_runs: set[tuple[str, ...]] = set()
    for seed in seeds:
        seed_runs |= _runs(_words(seed.read_text(encoding="utf-8")))
    policy = load_policy()
    copied = []
    for path in _doc_pages():
        shared = _runs(_words(_rendered_markdown(path, policy))) & seed_runs
        copied += [f"{path.relative_to(DOCS_DIR)}: {' '.join(run)}" for run in sorted(shared)]
    assert not copied, "runs copied from the seeds:\n" + "\n".join(copied)


@pytest.mark.parametrize("page", LOOKUP_PAGES)
def test_order_pages_carry_the_lookup_marker(page: str) -> None:
    """The order-help pages have the widget marker on a line of its own."""
    lines = (DOCS_DIR / page).read_text(encoding="utf-8").splitlines()
    assert LOOKUP_MARKER in lines, f"{page} lacks the line {LOOKUP_MARKER}"
    at = lines.index(LOOKUP_MARKER)
    assert lines[at - 1] == "" and lines[at + 1] == "", f"{page}: marker needs blank lines"


@pytest.mark.parametrize("path", _doc_pages(), ids=lambda p: p.relative_to(DOCS_DIR).as_posix())
def test_every_article_ends_with_a_help_path(path: Path) -> None:
    """Each article ends with 'Still need help?' linking to the seller and to support."""
    text = path.read_text(encoding="utf-8")
    heading = text.rfind("## Still need help?")
    assert heading != -1, "no 'Still need help?' section"
    tail = text[heading:]
    assert "## " not in tail[3:], "'Still need help?' is not the last section"
    assert "#contact-the-seller" in tail, "no path to the seller"
    assert "#contact-support" in tail, "no path to support"


def test_changing_a_policy_value_changes_the_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new return window in the policy file shows up in the built returns page."""
    from lookup.web.cli import build_site

    current = load_policy()["return_window_days"]
    new_value = 21 if current != 21 else 28
    source = POLICY_FILE.read_text(encoding="utf-8")
    changed, count = re.subn(
        r"(?m)^return_window_days\s*=\s*\d+", f"return_window_days = {new_value}", source
    )
    assert count == 1
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(changed, encoding="utf-8")
    monkeypatch.setenv("HELPCENTER_POLICY_FILE", str(policy_file))

    site_dir = tmp_path / "site"
    build_site(site_dir)
    page = (site_dir / "returns" / "policy" / "index.html").read_text(encoding="utf-8")
    assert f"{new_value} days" in page
