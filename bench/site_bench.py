"""The site: build time with the index's share, and search in Chromium, ours against Material's.

Builds run what `helpcenter build` runs (`mkdocs build --strict`, handing each page to the
indexer as it writes it) on generated help centers (bench/sitegen.py), beside the site built
alone and the index built alone from the files. In Chromium, a new visitor opens an article of a
2,000-article help center, types a question, and we time the moment the results are drawn: with
our help bar answered by /api/search, and with Material's built-in search (the help bar's
fallback, forced by blocking /api/search; its index is downloaded only then, so its first query
waits for it), served by the same gunicorn, with 50 ms added to every request's round trip and no
question asked of the service before it is timed. Each visitor's bytes are counted on both paths:
on ours Material's index must not be fetched at all. The same runs on our own built help center.

    .venv/bin/python bench/site_bench.py [--quick] [--work DIR]
"""

from __future__ import annotations

import gzip
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from common import CHROMIUM
from common import CHROMIUM_ARGS
from common import PROJECT_DIR
from common import Gunicorn
from common import median
from common import run_alone
from sitegen import generate
from sitegen import page_count

# Questions a buyer types, first query on the page and the next one. Each visitor asks a pair no
# visitor asked before: nothing the clock times was asked of the service beforehand.
QUERIES = [("parcel lost in the post", "refund to paypal"),
           ("how do i track my order", "cancel an unpaid order"),
           ("my package is late", "return window for a seller"),
           ("says delivered but I never got it", "customs fees on delivery"),
           ("exchange for another size", "tracking not updating"),
           ("charged twice for one order", "seller not answering my messages"),
           ("box arrived damaged", "change my delivery address"),
           ("when do i get my money back", "wrong colour sent"),
           ("how long is shipping abroad", "cancel after paying")]
# Added to every request's round trip, as between a buyer and a distant service.
LATENCY_MS = 50
# Builds of one size are timed this many times (the medians are the figures): one build of a
# 5,000-page site moved by a fifth between runs here.
BUILD_ROUNDS = 3
# Longest wait for results drawn; Material's first query on a 2,000-article site takes seconds.
WATCH_TIMEOUT_MS = 180_000
WIDGET_FILES = [PROJECT_DIR / "theme/assets/javascripts/order-lookup.js",
                PROJECT_DIR / "theme/assets/stylesheets/order-lookup.css"]

# Runs in the page: starts watching and returns {done}, a promise of the time from the first input
# event to results on screen (wrapped, so that evaluate_handle does not wait for it).
WATCH_JS = """
([engine, timeout]) => ({done: new Promise((resolve, reject) => {
  const input = document.querySelector('[data-md-component=search-query]');
  let start = null;
  input.addEventListener('input', () => { if (start === null) start = performance.now(); },
                         {capture: true});
  const shown = () => {
    const ours = document.querySelector('[data-helpbar-results]');
    const material = document.querySelector('[data-md-component=search-result]');
    const panel = engine === 'ours' ? ours : material;
    if (!panel || panel.hidden || (engine === 'material' && ours && !ours.hidden)) return false;
    return panel.querySelectorAll('.md-search-result__list > li').length > 0;
  };
  const check = () => {
    if (start !== null && shown()) {
      observer.disconnect();
      resolve(performance.now() - start);
      return true;
    }
    return false;
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                   characterData: true});
  // A search that never draws results fails the run instead of hanging it.
  setTimeout(() => {
    observer.disconnect();
    const ours = document.querySelector('[data-helpbar-results]');
    reject(new Error(`no ${engine} results in ${timeout} ms (help bar list ` +
                     `${ours && !ours.hidden ? 'shown' : 'hidden'})`));
  }, timeout);
})})
"""


def gzipped_size(path: Path) -> int:
    """Bytes of a file gzipped at the level web servers use."""
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def widget_weight() -> dict[str, int]:
    """Gzipped and raw bytes of the order-status widget's script and style sheet."""
    files = {path.name: {"raw": path.stat().st_size, "gzip": gzipped_size(path)}
             for path in WIDGET_FILES}
    total = {"raw": sum(f["raw"] for f in files.values()),
             "gzip": sum(f["gzip"] for f in files.values())}
    print(f"widget: {total['gzip']:,} bytes gzipped ({total['raw']:,} raw)")
    return {"files": files, **total}


def _children_cpu() -> float:
    """CPU seconds used by the finished child processes (the site build runs in one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(work_dir: Path, config_file: Path | None = None, rounds: int = BUILD_ROUNDS
          ) -> dict[str, Any]:
    """Build the help center three ways, each fresh: the site and its index as `helpcenter
    build` builds them (the index written as the pages are, see search.feed); the site alone;
    and the index alone from the built files. The index's share is what it adds to the build's
    wall-clock time: the first two are built one after the other in each of `rounds` rounds, and
    the figures are the rounds' medians (each round's in "rounds"). The index alone and the CPU
    seconds (steadier on a busy machine) beside it, once. The site and index that `helpcenter
    build` wrote last stay in work_dir/site and work_dir/index."""
    import search
    from lookup.web.cli import build_site
    from lookup.web.cli import build_site_and_index

    config_file = config_file or work_dir / "mkdocs.yml"
    site_dir, index_dir = work_dir / "site", work_dir / "index"
    alone_dir = work_dir / "site-alone"
    each = []
    for _ in range(rounds):
        # helpcenter build first: whatever a first build pays (files not yet cached), it pays.
        started = time.perf_counter()
        sections = build_site_and_index(site_dir, index_dir, config_file, every=10**9)
        total = time.perf_counter() - started
        started, cpu = time.perf_counter(), _children_cpu()
        build_site(alone_dir, config_file)
        site_seconds, site_cpu = time.perf_counter() - started, _children_cpu() - cpu
        shutil.rmtree(alone_dir)
        each.append({"site_s": site_seconds, "total_s": total,
                     "index_share": (total - site_seconds) / total, "site_cpu_s": site_cpu})
    # The index's CPU time counts the process it forks to read the pages beside it.
    started, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    search.build_index(site_dir, work_dir / "index-alone")
    index_seconds = time.perf_counter() - started
    index_cpu = time.process_time() + _children_cpu() - cpu
    shutil.rmtree(work_dir / "index-alone")
    site_seconds, total = (median([one[name] for one in each]) for name in ("site_s", "total_s"))
    site_cpu = median([one["site_cpu_s"] for one in each])
    return {"site_s": site_seconds, "total_s": total, "index_added_s": total - site_seconds,
            "index_share": median([one["index_share"] for one in each]),
            "index_s": index_seconds, "index_alone_share": index_seconds / (site_seconds
                                                                           + index_seconds),
            "site_cpu_s": site_cpu, "index_cpu_s": index_cpu,
            "index_cpu_share": index_cpu / (site_cpu + index_cpu), "sections": sections,
            "rounds": each}


def bench_builds(work: Path, sizes: list[int]) -> list[dict[str, Any]]:
    """Build help centers of each size (our articles plus generated ones)."""
    results = []
    for articles in sizes:
        work_dir = work / f"build-{articles}"
        generate(work_dir, articles)
        figures = {"articles": articles, "pages": page_count(work_dir), **build(work_dir)}
        results.append(figures)
        shares = ", ".join(f"{one['index_share']:.0%}" for one in figures["rounds"])
        print(f"build {figures['pages']:>6,} pages: site {figures['site_s']:6.1f} s, with the "
              f"index {figures['total_s']:6.1f} s ({figures['sections']:,} sections): index "
              f"share {figures['index_share']:.0%} (rounds {shares}); index alone "
              f"{figures['index_s']:.1f} s "
              f"({figures['index_alone_share']:.0%}; of CPU time "
              f"{figures['index_cpu_share']:.0%})")
        shutil.rmtree(work_dir)
    return results


def search_bytes(urls: dict[str, int], engine: str) -> int:
    """The bytes the engine's answers took: /api/search, or Material's index and worker."""
    if engine == "ours":
        return sum(size for url, size in urls.items() if "/api/search" in url)
    return fallback_bytes(urls)


def fallback_bytes(urls: dict[str, int]) -> int:
    """The bytes of Material's search index and worker (the worker is loaded on every page)."""
    return sum(size for url, size in urls.items()
               if "search_index.json" in url or "/workers/search" in url)


def index_bytes(urls: dict[str, int]) -> int:
    """The bytes of Material's search index: none unless the help bar fell back."""
    return sum(size for url, size in urls.items() if "search_index.json" in url)


def visit(browser: Any, url: str, engine: str, first: str, second: str) -> dict[str, float]:
    """One new visitor: open the page, search twice; time both, count the bytes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if engine == "material":
        # As on a host without the service: the help bar falls back to Material's search.
        context.route("**/api/search*", lambda route: route.abort())
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    # Every request, the page's own and the search's, pays the same added round trip.
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": LATENCY_MS,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent",
           lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))

    def finished(event: dict) -> None:
        target = urls.get(event["requestId"], "?")
        sizes[target] = sizes.get(target, 0) + int(event["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)
    try:
        page.goto(url, wait_until="load")
        box = page.locator("[data-md-component=search-query]")
        timings = []
        for query in (first, second):
            box.click()
            box.fill("")
            page.wait_for_timeout(200)  # let the cleared box settle before the clock starts
            watch = page.evaluate_handle(WATCH_JS, [engine, WATCH_TIMEOUT_MS])
            box.fill(query)
            box.press("End")  # Material searches on keyup
            timings.append(page.evaluate("(watch) => watch.done", watch))
        page.wait_for_timeout(300)  # let late responses finish, so their bytes count
        return {"first_ms": timings[0], "next_ms": timings[1],
                "search_bytes": search_bytes(sizes, engine),
                "index_bytes": index_bytes(sizes),
                "all_search_bytes": search_bytes(sizes, "ours") + fallback_bytes(sizes),
                # Bytes per visitor: everything the page fetched, the article and its search.
                "page_bytes": sum(sizes.values())}
    finally:
        context.close()


def bench_browser(work: Path, articles: int, trials: int,
                  site: tuple[Path, Path] | None = None) -> dict[str, Any]:
    """Both engines, visitor after visitor, alternating: on a generated help center of
    `articles` articles, or on a built `site` (its site and index folders)."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"Chromium not found at {CHROMIUM}"}
    from playwright.sync_api import sync_playwright

    from lookup.web.cli import build_site_and_index

    work_dir = work / f"browser-{articles if site is None else 'real'}"
    if site is None:
        generate(work_dir, articles)
        build_site_and_index(work_dir / "site", work_dir / "index", work_dir / "mkdocs.yml")
        site_dir, index_dir, path = work_dir / "site", work_dir / "index", "/library/c000/a00000/"
    else:
        work_dir.mkdir(parents=True, exist_ok=True)
        (site_dir, index_dir), path = site, "/returns/policy/"
        articles = sum(1 for _ in site_dir.rglob("index.html"))
    env = {"HELPCENTER_SITE_DIR": str(site_dir), "HELPCENTER_SEARCH_INDEX_DIR": str(index_dir),
           "HELPCENTER_DATABASE_URL": f"sqlite:///{work_dir / 'orders.sqlite'}"}
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "material": []}
    material_index_bytes = (site_dir / "search" / "search_index.json").stat().st_size
    trials = min(trials, len(QUERIES))
    try:
        with Gunicorn("lookup:create_app()", env) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page_url = server.url + path
            try:
                # No warm-up: the service starts as a deploy leaves it, and every timed question
                # is asked for the first time.
                for trial in range(trials):
                    first, second = QUERIES[trial]
                    for engine in ("ours", "material"):
                        figures = visit(browser, page_url, engine, first, second)
                        runs[engine].append(figures)
                        print(f"browser {engine:<9} first {figures['first_ms']:7.0f} ms  next "
                              f"{figures['next_ms']:6.0f} ms  search bytes "
                              f"{figures['search_bytes']:>10,}  index bytes "
                              f"{figures['index_bytes']:>10,}  page bytes "
                              f"{figures['page_bytes']:>10,}")
            finally:
                browser.close()
    finally:
        if site is None:
            shutil.rmtree(work_dir, ignore_errors=True)
    summary = {engine: {key: median([run[key] for run in figures]) for key in figures[0]}
               for engine, figures in runs.items()}
    ratios = {key: median([ours[key] / material[key]
                           for ours, material in zip(runs["ours"], runs["material"], strict=True)])
              for key in ("first_ms", "next_ms", "search_bytes", "page_bytes")}
    return {"articles": articles, "trials": trials, "runs": runs, "summary": summary,
            "ratio": ratios, "material_index_bytes": material_index_bytes,
            "latency_ms": LATENCY_MS, "page": path}


def run(quick: bool, work: Path, real_site: tuple[Path, Path] | None = None) -> dict[str, Any]:
    """Widget weight, builds and the browser comparison (also on the real site when given)."""
    results = {
        "widget": widget_weight(),
        "builds": bench_builds(work, [100, 300] if quick else [100, 1000, 5000]),
        "browser": bench_browser(work, 300 if quick else 2000, 3 if quick else 7),
    }
    if real_site:
        results["browser_real"] = bench_browser(work, 0, 3 if quick else 7, real_site)
    return results


def run_with_our_site(quick: bool, work: Path) -> dict[str, Any]:
    """run(), with our own help center built here for the browser comparison on it."""
    from lookup.web.cli import build_site_and_index

    site_dir, index_dir = work / "real-site", work / "real-index"
    build_site_and_index(site_dir, index_dir)
    return run(quick, work, (site_dir, index_dir))


def main() -> None:
    """Run the site benchmarks alone and print their figures."""
    results = run_alone(run_with_our_site, __doc__.splitlines()[0], "bench-site-")
    for key, where in (("browser", "generated site"), ("browser_real", "our site")):
        browser = results.get(key, {})
        if "summary" not in browser:
            continue
        ours, material = browser["summary"]["ours"], browser["summary"]["material"]
        ratio = browser["ratio"]
        print(f"{where}: ours/Material first query {ratio['first_ms']:.2f}, next query "
              f"{ratio['next_ms']:.2f}, bytes {ratio['search_bytes']:.3f}")
        print(f"{where}: bytes per visitor (median), ours {ours['page_bytes']:,.0f} (Material's "
              f"index {ours['index_bytes']:,.0f}), fallback {material['page_bytes']:,.0f} (index "
              f"{material['index_bytes']:,.0f}), ours/fallback {ratio['page_bytes']:.3f}")


if __name__ == "__main__":
    main()
