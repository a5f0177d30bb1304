"""The order-status widget as built into the site: placement, markup, config and size budget."""

from __future__ import annotations

import gzip
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from lookup import PROJECT_DIR
from lookup import messages
from lookup.orders import STATUSES

THEME = PROJECT_DIR / "theme"
WIDGET_ASSETS = [
    THEME / "assets" / "javascripts" / "order-lookup.js",
    THEME / "assets" / "stylesheets" / "order-lookup.css",
]
MARKER = "<!-- helpcenter:order-lookup -->"
ORDER_HELP_PAGES = [
    "order-status/index.html",
    "orders/status/index.html",
    "delivery/tracking/index.html",
    "delivery/late-or-lost/index.html",
    "returns/policy/index.html",
]


def load_hook():
    """The hook module, loaded by path as MkDocs loads it."""
    spec = importlib.util.spec_from_file_location(
        "order_lookup_hook", PROJECT_DIR / "theme" / "hooks" / "order_lookup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_widget(src_uri: str, locale: str | None = None) -> str:
    """The widget the hook puts on a page with this source file (and i18n locale, if any)."""
    from mkdocs.config import load_config

    config = load_config(config_file=str(PROJECT_DIR / "mkdocs.yml"))
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, locale=locale))
    return load_hook().on_page_content(MARKER, page=page, config=config, files=None)


class Ids(HTMLParser):
    """Collects every id attribute and every label's `for` on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"])
        if tag == "label" and values.get("for"):
            self.label_for.append(values["for"])


def test_javascript_and_css_stay_under_10_kb_gzipped():
    """The widget's whole weight on the wire, both files together."""
    size = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in WIDGET_ASSETS)
    assert size < 10 * 1024, f"{size} bytes gzipped"


def test_assets_make_no_third_party_requests():
    """No URL to another host anywhere in the widget's code or style."""
    for path in WIDGET_ASSETS:
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]", path.read_text(encoding="utf-8")), (
            path
        )


def test_hook_is_registered_in_mkdocs_yml():
    """MkDocs runs the hook (the one line this feature adds to mkdocs.yml)."""
    assert "theme/hooks/order_lookup.py" in (PROJECT_DIR / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("api_base", "action"),
    [
        ("", "/order-status/lookup"),
        (None, "/order-status/lookup"),
        ("https://api.example.com", "https://api.example.com/order-status/lookup"),
        ("https://api.example.com/", "https://api.example.com/order-status/lookup"),
    ],
)
def test_form_posts_to_the_service_page(api_base, action):
    """Without JavaScript the form posts to the service, wherever config says it lives."""
    assert load_hook().form_action(api_base) == action


@pytest.mark.parametrize("page", ORDER_HELP_PAGES)
def test_widget_is_on_every_order_help_page(built_site: Path, page: str):
    """Each marked page carries the form: labels, button, live region, no-JS action."""
    html = (built_site / page).read_text(encoding="utf-8")
    assert MARKER not in html
    assert html.count("data-hc-lookup") >= 1
    assert re.search(
        r'<form class="hc-lookup__form" method="post" action="/order-status/lookup"', html
    )
    assert re.search(r"<label for=\"[\w-]+\">Order number</label>", html)
    assert re.search(r"<label for=\"[\w-]+\">Email</label>", html)
    assert ">Look up order</button>" in html
    assert re.search(r'class="hc-lookup__result" role="status" aria-live="polite"', html)
    parser = Ids()
    parser.feed(html)
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    assert set(parser.label_for) <= set(parser.ids), "a label points at nothing"


def test_no_marker_is_left_anywhere(built_site: Path):
    """Every marker in the built site was replaced."""
    leftovers = [p for p in built_site.rglob("*.html") if MARKER in p.read_text(encoding="utf-8")]
    assert leftovers == []


def test_site_config_reaches_scripts_as_json(built_site: Path):
    """The API base travels in the __helpcenter JSON tag, next to the site's base."""
    import json

    html = (built_site / "order-status" / "index.html").read_text(encoding="utf-8")
    raw = re.search(
        r'<script id="__helpcenter" type="application/json">(.*?)</script>', html, re.S
    )[1]
    config = json.loads(raw)
    assert config["api_base"] == ""
    assert config["base"] == ".."
    assert "assets/javascripts/order-lookup.js" in html
    assert "assets/stylesheets/order-lookup.css" in html


def test_widget_sources_are_not_published(built_site: Path):
    """The hook and the partial stay out of the built site."""
    assert not list(built_site.rglob("order_lookup.py"))
    assert not list(built_site.rglob("order-lookup.html"))


def test_the_script_keeps_no_words_of_its_own():
    """order-lookup.js only prints: no status codes, stage names, verbs, months or weekdays."""
    script = (THEME / "assets" / "javascripts" / "order-lookup.js").read_text(encoding="utf-8")
    for code in STATUSES:
        assert f'"{code}"' not in script and f"{code}:" not in script, code
    for lang in messages.LANGS:
        for name in messages.entry(lang, "stages").values():
            assert f'"{name}"' not in script, name
        for verb in messages.entry(lang, "deadline.verbs").values():
            assert f'"{verb}"' not in script, verb
    for word in ("Jan", "Dec", "Mon", "Sat", "days left", "Order progress", "Look up order",
                 "Tracking", "What you can do next", "Seller not answering?"):
        assert word not in script, word


def test_one_module_reads_the_site_config():
    """config.js alone reads #__helpcenter; the page loads it before the scripts that use it."""
    scripts = THEME / "assets" / "javascripts"
    assert "__helpcenter" in (scripts / "config.js").read_text(encoding="utf-8")
    for name in ("order-lookup.js", "helpbar.js", "feedback.js"):
        text = (scripts / name).read_text(encoding="utf-8")
        assert "__helpcenter" not in text and "config.api_base" not in text, name
        assert "window.helpcenter" in text, name
    main = (THEME / "main.html").read_text(encoding="utf-8")
    order = [main.index(f"assets/javascripts/{name}") for name in
             ("config.js", "order-lookup.js", "helpbar.js")]
    assert order == sorted(order)


def test_the_built_page_loads_the_config_module_first(built_site: Path):
    html = (built_site / "order-status" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="[./]*assets/javascripts/([\w-]+\.js)"', html)
    assert scripts.index("config.js") < scripts.index("order-lookup.js")
    assert scripts.index("config.js") < scripts.index("helpbar.js")
    assert '<input type="hidden" name="lang" value="en">' in html


@pytest.mark.parametrize(("src_uri", "locale"), [
    ("order-status/index.ko.md", None),
    ("order-status/index.md", "ko"),
])
def test_a_korean_page_gets_the_korean_widget(src_uri, locale):
    """From the page's `.ko.md` name or the i18n plugin's locale: Korean labels and lang "ko"."""
    import json

    html = render_widget(src_uri, locale)
    assert re.search(r"<label for=\"[\w-]+\">주문번호</label>", html)
    assert re.search(r"<label for=\"[\w-]+\">이메일</label>", html)
    assert ">주문 조회</button>" in html
    assert '<input type="hidden" name="lang" value="ko">' in html
    words = json.loads(re.search(r"data-hc-words='([^']*)'", html)[1])
    assert words["not_found_title"] == messages.text("ko", "widget.not_found_title")
    assert words["contact_page"] == "/ko/sellers/contact/"


def test_an_english_page_keeps_the_english_widget():
    html = render_widget("order-status/index.md")
    assert ">Look up order</button>" in html
    assert '<input type="hidden" name="lang" value="en">' in html
