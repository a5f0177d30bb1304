"""The order-status widget as built into the site: placement, markup, config and size budget."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lookup import PROJECT_DIR

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


def load_hook():
    """The hook module, loaded by path as MkDocs loads it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "order_lookup_hook", THEME / "hooks" / "order_lookup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
