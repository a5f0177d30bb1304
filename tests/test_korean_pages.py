"""The Korean edition: every English page has a Korean twin under /ko/ with the same anchors."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
import yaml

from lookup import PROJECT_DIR
from lookup.next_steps import CHANGES_BY_STAGE
from lookup.policy import POLICY_FILE
from lookup.policy import format_value
from lookup.policy import load_policy
from tests.helpers import free_port
from tests.helpers import serving
from tests.helpers import wait_for_material
from theme.hooks import languages
from theme.hooks import policy as policy_hook
from theme.hooks import stages

DOCS_DIR = PROJECT_DIR / "docs"
# A page is Korean when at least this share of the letters in its article are Hangul.
MIN_HANGUL_SHARE = 0.60
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
# Scripts, styles and the order widget's form (its labels come from the widget, not the page).
NOT_PROSE = ("script", "style", "form")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _english_pages() -> list[str]:
    """Every English article, relative to docs/ (their twins are name.ko.md)."""
    return sorted(p.relative_to(DOCS_DIR).as_posix() for p in DOCS_DIR.rglob("*.md")
                  if not p.name.endswith(".ko.md"))


def _twin(rel: str) -> Path:
    """The Korean source file of an English article."""
    return DOCS_DIR / (rel[: -len(".md")] + ".ko.md")


def _url_path(rel: str) -> str:
    """The path an English article is served at: 'returns/policy.md' -> '/returns/policy/'."""
    stem = rel[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")]
    else:
        stem += "/"
    return "/" + stem


class PageParts(HTMLParser):
    """The parts of a built page these tests read: lang, head links, switcher, article."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.alternates: dict[str, str] = {}
        self.switcher: dict[str, str] = {}
        self.heading_ids: list[str] = []
        self.article_links: list[str] = []
        self.text: list[str] = []
        self._in_head = False
        self._article_depth = 0
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "head":
            self._in_head = True
        elif tag == "link" and self._in_head and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates.setdefault(a["hreflang"], a["href"])
        elif tag == "a" and "md-select__link" in (a.get("class") or ""):
            self.switcher[a.get("hreflang", "")] = a["href"]
        if tag == "article":
            self._article_depth += 1
        elif self._article_depth:
            # The title (h1) carries no anchor of its own: sections are h2 and below.
            if re.fullmatch(r"h[2-6]", tag) and a.get("id"):
                self.heading_ids.append(a["id"])
            if tag == "a" and a.get("href") and "headerlink" not in (a.get("class") or ""):
                self.article_links.append(a["href"])
            if tag in NOT_PROSE:
                self._skip_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "article":
            self._article_depth -= 1
        elif tag in NOT_PROSE and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._article_depth and not self._skip_depth:
            self.text.append(data)


def _parts(site: Path, url_path: str) -> PageParts:
    """Parse the built page served at url_path."""
    parser = PageParts()
    parser.feed((site / url_path.lstrip("/") / "index.html").read_text(encoding="utf-8"))
    return parser


def _resolve(page_path: str, href: str) -> str:
    """The site path a link on page_path points to, without its fragment."""
    return urlsplit(urljoin("http://site" + page_path, href)).path


def hangul_share(text: str) -> float:
    """The share of Hangul among the letters of text."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if HANGUL.match(ch)) / len(letters)


# Sources ---------------------------------------------------------------------------------------

def test_there_are_english_pages_to_twin():
    """The list the other tests walk is the real one, not an empty glob."""
    assert len(_english_pages()) >= 20


@pytest.mark.parametrize("rel", _english_pages())
def test_every_english_page_has_a_korean_twin(rel: str):
    """docs/x.md has docs/x.ko.md beside it."""
    assert _twin(rel).is_file(), f"{rel} has no Korean page {_twin(rel).name}"


@pytest.mark.parametrize("rel", _english_pages())
def test_twin_keeps_the_front_matter_without_the_english_questions(rel: str):
    """Layout keys match; English search questions (also_asked) are never copied over."""
    english = yaml.safe_load(m.group(1)) if (m := FRONT_MATTER.match(
        (DOCS_DIR / rel).read_text(encoding="utf-8"))) else {}
    korean = yaml.safe_load(m.group(1)) if (m := FRONT_MATTER.match(
        _twin(rel).read_text(encoding="utf-8"))) else {}
    english, korean = english or {}, korean or {}
    asked_en, asked_ko = english.pop("also_asked", {}), korean.pop("also_asked", {})
    assert korean == english
    # The twins share their anchors: compare the questions, not the anchors they are listed under.
    questions_en = {q for questions in asked_en.values() for q in questions}
    questions_ko = {q for questions in asked_ko.values() for q in questions}
    assert not questions_en & questions_ko, "English also_asked questions copied to Korean"


# The built site --------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", _english_pages())
def test_twins_serve_the_same_section_anchors(built_site: Path, rel: str):
    """The section ids of /x/ and /ko/x/ are the same, so a link only changes its prefix."""
    path = _url_path(rel)
    english = _parts(built_site, path).heading_ids
    korean = _parts(built_site, "/ko" + path).heading_ids
    assert english, f"{path} has no heading ids"
    assert korean == english


@pytest.mark.parametrize("rel", _english_pages())
def test_korean_page_is_written_in_korean(built_site: Path, rel: str):
    """Most letters in the Korean article body are Hangul."""
    text = " ".join(_parts(built_site, "/ko" + _url_path(rel)).text)
    share = hangul_share(text)
    assert share >= MIN_HANGUL_SHARE, f"/ko{_url_path(rel)}: only {share:.0%} Hangul"


def test_hangul_share_tells_korean_from_english():
    """The measure itself: English prose fails it, a Korean sentence with a brand name passes."""
    assert hangul_share("Return within 14 days of delivery.") == 0
    assert hangul_share("PayPal 환불은 최대 30일이 걸려요.") >= MIN_HANGUL_SHARE
    assert hangul_share("") == 0


@pytest.mark.parametrize("rel", _english_pages())
def test_html_lang_and_hreflang_alternates(built_site: Path, rel: str):
    """Each page says its language; its head names both languages by their roots.

    The roots are what Material's script loads a sitemap from (theme/hooks/languages.py); the
    page-to-page pairs are in sitemap.xml (test_sitemap_pairs_every_page_with_its_twin).
    """
    path = _url_path(rel)
    for page_path, lang in ((path, "en"), ("/ko" + path, "ko")):
        parts = _parts(built_site, page_path)
        assert parts.lang == lang, f"{page_path}: <html lang={parts.lang!r}>"
        resolved = {code: _resolve(page_path, href) for code, href in parts.alternates.items()}
        assert resolved == {"en": "/", "ko": "/ko/"}, page_path


@pytest.mark.parametrize("rel", _english_pages())
def test_language_switcher_links_the_twin(built_site: Path, rel: str):
    """The header's language selector goes to the same page in the other language."""
    path = _url_path(rel)
    for page_path in (path, "/ko" + path):
        switcher = _parts(built_site, page_path).switcher
        resolved = {code: _resolve(page_path, href) for code, href in switcher.items()}
        assert resolved == {"en": path, "ko": "/ko" + path}, page_path


def test_korean_links_stay_in_korean(built_site: Path):
    """Every link between articles on a Korean page leads to a Korean page."""
    strays = []
    for rel in _english_pages():
        page_path = "/ko" + _url_path(rel)
        for href in _parts(built_site, page_path).article_links:
            if href.startswith(("#", "mailto:", "http://", "https://")):
                continue
            target = _resolve(page_path, href)
            if not target.startswith("/ko/"):
                strays.append(f"{page_path} -> {href}")
    assert not strays, "\n".join(strays)


def _sitemap(path: Path) -> dict[str, dict[str, str]]:
    """A sitemap as {page path: {hreflang: twin path}}."""
    entries = {}
    for url in re.findall(r"<url>(.*?)</url>", path.read_text(encoding="utf-8"), re.S):
        loc = urlsplit(re.search(r"<loc>([^<]+)</loc>", url).group(1)).path
        entries[loc] = {lang: urlsplit(href).path for lang, href in re.findall(
            r'<xhtml:link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', url)}
    return entries


def test_sitemap_pairs_every_page_with_its_twin(built_site: Path):
    """sitemap.xml lists every page in both languages, each with hreflang links to both."""
    sitemap = _sitemap(built_site / "sitemap.xml")
    for rel in _english_pages():
        path = _url_path(rel)
        for page_path in (path, "/ko" + path):
            assert sitemap.get(page_path) == {"en": path, "ko": "/ko" + path}, page_path


def test_korean_root_has_its_own_sitemap_and_404(built_site: Path):
    """/ko/sitemap.xml (which Material loads for /ko/) lists the Korean pages; 404s stay apart."""
    korean = _sitemap(built_site / "ko" / "sitemap.xml")
    assert set(korean) == {"/ko" + _url_path(rel) for rel in _english_pages()}
    assert '<html lang="en"' in (built_site / "404.html").read_text(encoding="utf-8")
    assert '<html lang="ko"' in (built_site / "ko" / "404.html").read_text(encoding="utf-8")


def test_materials_search_index_has_the_korean_pages(built_site: Path):
    """The built-in search (the help bar's fallback) knows Korean and finds Korean sections."""
    import json

    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "ko" in index["config"]["lang"]
    locations = {doc["location"] for doc in index["docs"]}
    assert "ko/returns/policy/#return-window" in locations
    assert "returns/policy/#return-window" in locations


# Figures in Korean -----------------------------------------------------------------------------

def test_korean_figures_are_written_the_korean_way():
    """Won as 20,000원, dates as 12월 12일(토), counts with separators; English as before."""
    fmt = policy_hook.format_localized
    assert fmt({"amount": 20000, "currency": "KRW"}, "ko") == "20,000원"
    assert fmt({"amount": 120, "currency": "USD"}, "ko") == "US$120"
    assert fmt(datetime.date(2026, 12, 12), "ko") == "12월 12일(토)"
    assert fmt(1500, "ko") == "1,500"
    for value in (14, {"amount": 20000, "currency": "KRW"}, {"amount": 120, "currency": "USD"}):
        assert fmt(value, "en") == format_value(value)


def test_hook_takes_the_language_from_the_page():
    """A page the i18n plugin marks Korean gets Korean figures; an unmarked page stays English."""
    policy_hook.on_config(config=None)
    text = "Free over {{ policy.free_shipping_domestic }}."
    korean = type("P", (), {"file": type("F", (), {"locale": "ko", "src_uri": "x.ko.md"})})
    english = type("P", (), {"file": type("F", (), {"src_uri": "x.md"})})
    domestic = load_policy()["free_shipping_domestic"]
    assert policy_hook.on_page_markdown(text, page=korean, config=None, files=None) == (
        f"Free over {domestic['amount']:,}원.")
    assert policy_hook.on_page_markdown(text, page=english, config=None, files=None) == (
        f"Free over {format_value(domestic)}.")


def test_korean_stage_table_and_phrases_follow_the_engine():
    """The Korean table has a row per engine stage; phrases list the stages in Korean."""
    words = stages.WORDS["ko"]
    lines = stages.render("table", language="ko").splitlines()
    assert len(lines) == 2 + len(CHANGES_BY_STAGE)
    for line, status in zip(lines[2:], CHANGES_BY_STAGE, strict=True):
        assert line.startswith(f"| **{words['status'][status]}** |")
    table = {"awaiting_payment": {"cancel": "yes"}, "paid": {"cancel": "ask"}}
    assert stages.stages_phrase(table, "cancel", language="ko") == (
        "주문 상태가 **결제 대기** 또는 **결제 완료**일 때")
    assert set(words["status"]) == set(stages.WORDS["en"]["status"])
    assert set(words["answer"]) == set(stages.WORDS["en"]["answer"])


@pytest.mark.slow
def test_won_amount_on_the_korean_page_comes_from_the_policy_file(
        built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Change the free-shipping threshold in the policy file and the Korean page follows."""
    from lookup.web.cli import build_site

    shipping = "ko/shipping/index.html"
    assert "20,000원" in (built_site / shipping).read_text(encoding="utf-8")
    changed = tmp_path / "policy.toml"
    changed.write_text(POLICY_FILE.read_text(encoding="utf-8").replace(
        'free_shipping_domestic = { amount = 20000, currency = "KRW" }',
        'free_shipping_domestic = { amount = 35000, currency = "KRW" }'), encoding="utf-8")
    assert load_policy(changed)["free_shipping_domestic"]["amount"] == 35000
    monkeypatch.setenv("HELPCENTER_POLICY_FILE", str(changed))
    site = tmp_path / "site"
    build_site(site)
    page = (site / shipping).read_text(encoding="utf-8")
    assert "35,000원" in page and "20,000원" not in page


# Material's instant navigation -----------------------------------------------------------------

def test_head_links_are_pointed_at_the_language_roots():
    """Only the head's hreflang links change; the header selector keeps the page's twins."""
    page = ('<head><link rel="alternate" href="../../ko/x/" hreflang="ko">'
            '<link rel="alternate" href="./" hreflang="en"></head><body>'
            '<a href="../../ko/x/" hreflang="ko" class="md-select__link">한국어</a></body>')
    out = languages.head_links_to_roots(page, {"en": "/", "ko": "/ko/"})
    assert '<link rel="alternate" href="/ko/" hreflang="ko">' in out
    assert '<link rel="alternate" href="/" hreflang="en">' in out
    assert '<a href="../../ko/x/" hreflang="ko" class="md-select__link">' in out


def test_language_sitemap_keeps_only_its_pages():
    """The Korean sitemap takes the Korean entries, whole, and nothing else."""
    sitemap = ("<urlset><url><loc>http://h/a/</loc></url>"
               "<url><loc>http://h/ko/a/</loc><xhtml:link hreflang=\"en\"/></url></urlset>")
    out = languages.sitemap_of(sitemap, "http://h/ko/")
    assert "<loc>http://h/ko/a/</loc>" in out and 'hreflang="en"' in out
    assert "<loc>http://h/a/</loc>" not in out


@pytest.fixture(scope="module")
def instant_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built for, and served at, its own address: Material navigates instantly there."""
    from lookup.web.cli import build_site

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    site = tmp_path_factory.mktemp("ko-instant-site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPCENTER_SITE_URL", url + "/")
        build_site(site)
    handler = partial(QuietHandler, directory=str(site))
    with serving(ThreadingHTTPServer(("127.0.0.1", port), handler)) as base:
        yield base


class QuietHandler(SimpleHTTPRequestHandler):
    """A static host that keeps the test output clean."""

    def log_message(self, format: str, *args) -> None:
        """Say nothing."""


@pytest.mark.browser
def test_switching_language_after_instant_navigation(browser, instant_site: str):
    """After pages opened instantly, links go where they point and the selector to the twin."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(instant_site + "/returns/")
        wait_for_material(page)
        page.evaluate("window.__sameDocument = true")
        page.locator("article a[href*='refunds/#refund-times']").first.click()
        page.wait_for_url(re.compile(r"/refunds/#refund-times$"))
        # A link below a page visited before must open its own target, instantly.
        page.locator("article a[href*='returns/policy/#return-costs']").first.click()
        page.wait_for_url(re.compile(r"/returns/policy/#return-costs$"))
        assert page.evaluate("window.__sameDocument === true"), "the click reloaded the page"
        korean = page.locator(".md-select__link[hreflang=ko]")
        page.wait_for_function("document.querySelector('.md-select__link[hreflang=ko]')"
                               ".href.endsWith('/ko/returns/policy/')")
        page.locator(".md-header__option .md-select button").hover()
        korean.click()
        page.wait_for_url(instant_site + "/ko/returns/policy/")
        assert page.locator("html").get_attribute("lang") == "ko"
        assert page.locator("article h1").inner_text().startswith("교환/반품 정책")
        page.locator(".md-header__option .md-select button").hover()
        page.locator(".md-select__link[hreflang=en]").click()
        page.wait_for_url(instant_site + "/returns/policy/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert not problems, problems
    finally:
        page.close()
