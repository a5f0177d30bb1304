"""Ask tests/relevance.toml's questions of our search and of Material's built-in search.

Material's search is driven in Debian's Chromium on the same built site, served statically (so the
help bar falls back to it, as it would for a site hosted alone). Prints success@3 and MRR@10.

    .venv/bin/python bench/search_relevance.py [--site DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
RELEVANCE_FILE = PROJECT_DIR / "tests" / "relevance.toml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


def first_hit(urls: list[str], case: dict) -> int | None:
    """The 1-based rank of the first acceptable URL, or None."""
    wanted = {case["url"], *case.get("also", [])}
    return next((rank for rank, url in enumerate(urls, 1) if url in wanted), None)


def evaluate(name: str, ask: Callable[[str], list[str]], cases: list[dict], verbose: bool) -> dict:
    """Run every case through ask (question -> ranked URLs); return success@3 and MRR@10."""
    ranks = []
    for case in cases:
        urls = ask(case["q"])[:10]
        rank = first_hit(urls, case)
        ranks.append(rank)
        if verbose and rank != 1:
            print(f"  {name}: rank {rank} for {case['q']!r} (want {case['url']}; got {urls[:3]})")
    return {
        "success@3": sum(1 for rank in ranks if rank and rank <= 3) / len(cases),
        "mrr@10": sum(1 / rank for rank in ranks if rank) / len(cases),
    }


def serve_static(site_dir: Path) -> http.server.ThreadingHTTPServer:
    """Serve the built site alone (no API) on a free local port, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that does not log every request."""

    def log_message(self, format: str, *args) -> None:
        pass


def material_search(base_url: str):
    """A function asking Material's own search in Chromium, and the objects to close afterwards."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url)
    box = page.locator("[data-md-component=search-query]")
    box.click()
    meta = page.locator("[data-md-component=search-result] .md-search-result__meta")
    # Material's worker loads its index first; its placeholder text then asks for a query.
    page.wait_for_function("() => !document.querySelector('[data-md-component=search-result] "
                           ".md-search-result__meta').textContent.includes('Initializing')")

    def ask(question: str, sections_only: bool = False) -> list[str]:
        box.fill("")
        box.press("End")
        box.fill(question)
        box.press("End")  # Material listens to keyup
        time.sleep(0.3)
        page.wait_for_timeout(50)
        meta.text_content()
        hrefs = page.eval_on_selector_all(
            "[data-md-component=search-result] .md-search-result__list a[href]",
            "links => links.map(a => a.href)")
        urls = []
        for href in hrefs:
            parts = urlsplit(href)
            url = parts.path + (f"#{parts.fragment}" if parts.fragment else "")
            # Material heads each group with its page; skipping those is the generous reading.
            if sections_only and not parts.fragment:
                continue
            if url not in urls:
                urls.append(url)
        return urls

    def close() -> None:
        browser.close()
        playwright.stop()

    return ask, close


def main() -> None:
    """Build (or take) the site, index it, and compare both searches on the relevance set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--verbose", action="store_true", help="show every question not ranked 1st")
    args = parser.parse_args()

    from lookup.web.cli import build_site
    from search import build_index
    from search import open_index

    cases = tomllib.loads(RELEVANCE_FILE.read_text(encoding="utf-8"))["case"]
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = args.site or Path(tmp) / "site"
        if args.site is None:
            build_site(site_dir)
        build_index(site_dir, Path(tmp) / "index")
        ours = open_index(Path(tmp) / "index")
        results = {"ours (Whoosh)": evaluate(
            "ours", lambda q: [r["url"] for r in ours.search(q, 10)["results"]], cases,
            args.verbose)}
        ours.close()
        server = serve_static(site_dir)
        ask, close = material_search(f"http://127.0.0.1:{server.server_address[1]}/")
        try:
            results["Material (lunr)"] = evaluate("material", ask, cases, args.verbose)
            results["Material, sections"] = evaluate(
                "material-sections", lambda q: ask(q, sections_only=True), cases, False)
        finally:
            close()
            server.shutdown()
    print(f"{len(cases)} questions from {RELEVANCE_FILE.relative_to(PROJECT_DIR)}")
    print(f"{'search':<20}{'success@3':>10}{'MRR@10':>10}")
    for name, figures in results.items():
        print(f"{name:<20}{figures['success@3']:>10.3f}{figures['mrr@10']:>10.3f}")
    print("(Material, sections: its page headers skipped, the reading most favourable to it)")
    best = max(results["Material (lunr)"]["mrr@10"], results["Material, sections"]["mrr@10"])
    lead = results["ours (Whoosh)"]["mrr@10"] - best
    print(f"MRR@10 lead over Material's best reading: {lead:+.3f} (target +0.15); "
          f"success@3 target 0.90")


if __name__ == "__main__":
    main()
