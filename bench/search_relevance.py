"""Ask the relevance sets' questions of our search and of Material's built-in search, in one run.

Two sets, each split into a development part and a held-out part:
tests/relevance.toml (questions that mostly use the articles' own words) and
tests/relevance-buyers.toml (questions in buyers' own words). Material's search is driven in
Debian's Chromium on the same built site, served statically (as the help bar's fallback would
see it), and read fairly: its page results count when the answer is on that page. Prints
success@3 and MRR@10 per set and part, and writes every question's rank as JSON with --out.

    .venv/bin/python bench/search_relevance.py [--site DIR] [--out FILE] [--no-material] [--verbose]
        [--dev-only]

Korean: tests/relevance-ko-buyers.toml, asked of the Korean index with the analysis
HELPCENTER_KOREAN_ANALYZER picks ("bigram", the default, or "kiwi"), with the analysis's load
time and memory; --korean-index en asks the same questions of the English index (what the help
bar did before Korean had an index of its own):

    HELPCENTER_KOREAN_ANALYZER=kiwi .venv/bin/python bench/search_relevance.py --korean [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
RELEVANCE_SETS = {
    "articles' words": PROJECT_DIR / "tests" / "relevance.toml",
    "buyers' words": PROJECT_DIR / "tests" / "relevance-buyers.toml",
    # Written after the tuning by someone who saw neither the search nor its data: held-out only.
    "buyers' words, fresh": PROJECT_DIR / "tests" / "relevance-buyers-fresh.toml",
    # Written later, to find more misses to learn from: development only.
    "buyers' words, more": PROJECT_DIR / "tests" / "relevance-buyers-more.toml",
    "buyers' words, third": PROJECT_DIR / "tests" / "relevance-buyers-third.toml",
}
KOREAN_SET = PROJECT_DIR / "tests" / "relevance-ko-buyers.toml"
PARTS = ("dev", "held-out")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


def load_cases(path: Path) -> list[dict]:
    """The cases of one relevance file: question, expected URL, other acceptable URLs, part."""
    return tomllib.loads(path.read_text(encoding="utf-8"))["case"]


def first_hit(urls: list[str], case: dict, pages: bool = False) -> int | None:
    """The 1-based rank of the first acceptable URL, or None.

    With pages, a page-level result (no anchor) counts when an acceptable section is on it: how
    Material's search, which lists pages with their sections, is read fairly.
    """
    wanted = {case["url"], *case.get("also", [])}
    if pages:
        wanted |= {url.partition("#")[0] for url in wanted}
    return next((rank for rank, url in enumerate(urls, 1) if url in wanted), None)


def figures(ranks: list[int | None]) -> dict[str, float]:
    """success@3 and MRR@10 of a list of first-hit ranks."""
    count = len(ranks) or 1
    return {
        "success@3": sum(1 for rank in ranks if rank and rank <= 3) / count,
        "mrr@10": sum(1 / rank for rank in ranks if rank and rank <= 10) / count,
    }


def evaluate(name: str, ask: Callable[[str], list[str]], cases: list[dict], verbose: bool,
             pages: bool = False) -> dict[str, Any]:
    """Run every case through ask (question -> ranked URLs): figures and each question's rank."""
    ranks = {}
    for case in cases:
        urls = ask(case["q"])[:10]
        rank = first_hit(urls, case, pages)
        ranks[case["q"]] = rank
        if verbose and rank != 1:
            print(f"  {name}: rank {rank} for {case['q']!r} (want {case['url']}; got {urls[:3]})")
    return {**figures(list(ranks.values())), "questions": len(cases), "ranks": ranks}


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
    # Served alone, the site has no /api/search: the help bar's first question fails and hands
    # the box to Material's search, whose index is downloaded only then.
    box.fill("refund")
    page.wait_for_function("() => window.helpcenterSearchFallback.released")
    meta = page.locator("[data-md-component=search-result] .md-search-result__meta")
    # Material's worker loads its index first; its placeholder text then asks for a query.
    page.wait_for_function("() => !document.querySelector('[data-md-component=search-result] "
                           ".md-search-result__meta').textContent.includes('Initializing')")

    def ask(question: str) -> list[str]:
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
            if url not in urls:
                urls.append(url)
        return urls

    def close() -> None:
        browser.close()
        playwright.stop()

    return ask, close


def run(site_dir: Path | None, material: bool = True, verbose: bool = False,
        parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """Build (or take) the site, index it, and ask both searches every set's questions.

    Returns {set: {part: {engine: {"success@3", "mrr@10", "questions", "ranks"}}}}.
    """
    from lookup.web.cli import build_site
    from search import build_index
    from search import open_index

    sets = {name: load_cases(path) for name, path in RELEVANCE_SETS.items()}
    results: dict[str, Any] = {name: {part: {} for part in parts} for name in sets}
    with tempfile.TemporaryDirectory() as tmp:
        site = site_dir or Path(tmp) / "site"
        if site_dir is None:
            build_site(site)
        build_index(site, Path(tmp) / "index")
        ours = open_index(Path(tmp) / "index")
        engines: list[tuple[str, Callable[[str], list[str]], bool]] = [
            ("ours", lambda q: [r["url"] for r in ours.search(q, 10)["results"]], False)]
        close = None
        server = None
        try:
            if material:
                server = serve_static(site)
                ask, close = material_search(f"http://127.0.0.1:{server.server_address[1]}/")
                engines.append(("material", ask, True))
            for name, cases in sets.items():
                for part in parts:
                    selected = [case for case in cases if case["part"] == part]
                    if not selected:
                        del results[name][part]
                        continue
                    for engine, ask_engine, pages in engines:
                        # Misses are shown for the development part only: tuning looks nowhere else.
                        results[name][part][engine] = evaluate(
                            engine, ask_engine, selected, verbose and part == "dev", pages)
        finally:
            ours.close()
            if close is not None:
                close()
            if server is not None:
                server.shutdown()
    return results


def resident_mb() -> float:
    """This process's resident memory now, in MB (its peak, ru_maxrss, starts at the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def korean_run(site_dir: Path | None, index_language: str = "ko",
               verbose: bool = False) -> dict[str, Any]:
    """The Korean set asked of one index, with what loading the Korean analysis costs.

    Returns {"analyzer", "index", "load_seconds", "load_mb", part: {"success@3", ...}}.
    """
    import os

    started = time.perf_counter()
    before = resident_mb()
    # The first Korean word loads the analysis (Kiwi's model), as a service's first query does.
    try:
        from search.korean import split_word
    except ImportError:
        # The search before Korean had an analysis of its own (run with that checkout's search/
        # first on PYTHONPATH, and --korean-index en): nothing to load.
        split_word = str.split
    split_word("반품했는데")
    load_seconds = time.perf_counter() - started
    load_mb = resident_mb() - before

    from lookup.web.cli import build_site
    from search import build_index
    from search import open_index
    from search.language import load_language

    cases = load_cases(KOREAN_SET)
    results: dict[str, Any] = {
        "analyzer": os.environ.get("HELPCENTER_KOREAN_ANALYZER", "bigram"),
        "index": index_language, "load_seconds": round(load_seconds, 2),
        "load_mb": round(load_mb)}
    with tempfile.TemporaryDirectory() as tmp:
        site = site_dir or Path(tmp) / "site"
        if site_dir is None:
            build_site(site)
        build_index(site, Path(tmp) / "index")
        opened = open_index(Path(tmp) / "index", language=load_language(index_language))
        try:
            for part in PARTS:
                selected = [case for case in cases if case["part"] == part]
                results[part] = evaluate(
                    "ours", lambda q: [r["url"] for r in opened.search(q, 10)["results"]],
                    selected, verbose and part == "dev")
        finally:
            opened.close()
    return results


def korean_table(results: dict[str, Any]) -> str:
    """The Korean figures as plain text, one row per part."""
    lines = [f"Korean buyers' words, analysis {results['analyzer']}, {results['index']} index "
             f"(analysis loads in {results['load_seconds']} s, +{results['load_mb']} MB)",
             f"{'part':<10}{'n':>5}{'success@3':>11}{'MRR@10':>9}"]
    for part in PARTS:
        got = results[part]
        lines.append(f"{part:<10}{got['questions']:>5}{got['success@3']:>11.3f}"
                     f"{got['mrr@10']:>9.3f}")
    return "\n".join(lines)


def table(results: dict[str, Any]) -> str:
    """The figures as plain text, one row per set, part and engine."""
    lines = [f"{'set':<22}{'part':<10}{'search':<10}{'n':>5}{'success@3':>11}{'MRR@10':>9}"]
    for name, parts in results.items():
        for part, engines in parts.items():
            for engine, got in engines.items():
                lines.append(f"{name:<22}{part:<10}{engine:<10}{got['questions']:>5}"
                             f"{got['success@3']:>11.3f}{got['mrr@10']:>9.3f}")
    lines.append("(Material read fairly: a page result counts when the answer is on that page)")
    return "\n".join(lines)


def main() -> None:
    """Measure both searches on both sets and parts; print the table, write the ranks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--out", type=Path, help="write every question's rank here (JSON)")
    parser.add_argument("--no-material", action="store_true", help="measure our search only")
    parser.add_argument("--verbose", action="store_true",
                        help="show every development question not ranked 1st")
    parser.add_argument("--dev-only", action="store_true",
                        help="ask the development parts only (what tuning may look at)")
    parser.add_argument("--korean", action="store_true", help="measure the Korean set only")
    parser.add_argument("--korean-index", default="ko", choices=["ko", "en"],
                        help="the index the Korean questions are asked of")
    args = parser.parse_args()
    if args.korean:
        results = korean_run(args.site, args.korean_index, verbose=args.verbose)
        print(korean_table(results))
    else:
        results = run(args.site, material=not args.no_material, verbose=args.verbose,
                      parts=("dev",) if args.dev_only else PARTS)
        print(table(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
