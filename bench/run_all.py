"""Every benchmark in one run: figures next to their references, a table, a plot.

Writes bench/results/results.json (raw figures), bench/results/RESULTS.md (the table) and
bench/results/bench.png (the plot), then copies the table and the plot to bench/latest/.

    .venv/bin/python bench/run_all.py [--quick] [--keep-work]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lookup_bench  # noqa: E402
import site_bench  # noqa: E402
from common import BENCH_DIR  # noqa: E402
from common import BIN_DIR  # noqa: E402
from common import PROJECT_DIR  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"
LATEST_DIR = BENCH_DIR / "latest"

# The targets: lookups with the production limits on (counters in memory, or in Redis).
TARGET_RATIO = 0.6
TARGET_RATIO_REDIS = 0.5
TARGET_P99_MS = 50
TARGET_IMPORT_RATE = 20_000
TARGET_SEARCH_P95_MS = 20
TARGET_BROWSER_RATIO = 0.2
TARGET_INDEX_SHARE = 0.25
# Issue 13: buyers' own words, held-out part; the articles' own words lose nothing.
TARGET_BUYERS_SUCCESS = 0.90
TARGET_BUYERS_MRR = 0.80
TARGET_ARTICLES_SUCCESS = 0.96
# Relevance before the buyers' words work (issue 13), measured by the same script.
RELEVANCE_BEFORE = LATEST_DIR / "relevance-before.json"
KOREAN_BEFORE = LATEST_DIR / "relevance-ko-before.json"
# Issue 16: Korean buyers' words, held-out part, with the analysis the service uses.
TARGET_KOREAN_SUCCESS = 0.90


def real_site(work: Path) -> dict[str, Any]:
    """Build our own help center, timed as the generated ones (site_bench.build): the service
    under load serves it and its index."""
    from site_bench import build

    work_dir = work / "real"
    work_dir.mkdir()
    figures = build(work_dir, PROJECT_DIR / "mkdocs.yml")
    pages = sum(1 for _ in (PROJECT_DIR / "docs").rglob("*.md"))
    print(f"our help center: {pages} pages, site {figures['site_s']:.1f} s, with the index "
          f"{figures['total_s']:.1f} s")
    return {"site_dir": str(work_dir / "site"), "index_dir": str(work_dir / "index"),
            "pages": pages, **figures}


def korean_analyzers() -> list[str]:
    """The Korean analyses to measure: syllable pairs, and Kiwi when its extra is installed."""
    found = subprocess.run([str(BIN_DIR / "python"), "-c", "import kiwipiepy"],
                           capture_output=True).returncode == 0
    return ["bigram", "kiwi"] if found else ["bigram"]


def search_speed(sizes: list[int], lang: str = "en",
                 analyzer: str = "bigram") -> list[dict[str, float]]:
    """Run the search engineer's bench/search_speed.py and read its table."""
    command = [str(BIN_DIR / "python"), str(BENCH_DIR / "search_speed.py"), "--sizes",
               *map(str, sizes), "--lang", lang]
    output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_DIR,
                            env={**os.environ, "HELPCENTER_KOREAN_ANALYZER": analyzer}).stdout
    print(output.rstrip())
    rows = []
    for line in output.splitlines():
        numbers = re.findall(r"\d+(?:\.\d+)?", line)
        # Rows are: sections, build s, p50 ms, p95 ms, max ms.
        if len(numbers) >= 4 and not re.search(r"[a-z]", line):
            rows.append({"sections": int(numbers[0]), "build_s": float(numbers[1]),
                         "p50_ms": float(numbers[2]), "p95_ms": float(numbers[3])})
    return rows


def relevance(site_dir: Path) -> dict[str, Any]:
    """Run bench/search_relevance.py (ours and Material's, both sets and parts) on the real site."""
    out = RESULTS_DIR / "relevance.json"
    command = [str(BIN_DIR / "python"), str(BENCH_DIR / "search_relevance.py"), "--site",
               str(site_dir), "--out", str(out)]
    print(subprocess.run(command, capture_output=True, text=True, check=True,
                         cwd=PROJECT_DIR).stdout.rstrip())
    before = json.loads(RELEVANCE_BEFORE.read_text(encoding="utf-8"))
    return {"now": json.loads(out.read_text(encoding="utf-8")), "before": before}


def korean_relevance(site_dir: Path, analyzer: str) -> dict[str, Any]:
    """Run bench/search_relevance.py --korean with one Korean analysis on the real site."""
    out = RESULTS_DIR / f"relevance-ko-{analyzer}.json"
    command = [str(BIN_DIR / "python"), str(BENCH_DIR / "search_relevance.py"), "--korean",
               "--site", str(site_dir), "--out", str(out)]
    print(subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_DIR,
                         env={**os.environ, "HELPCENTER_KOREAN_ANALYZER": analyzer}
                         ).stdout.rstrip())
    return json.loads(out.read_text(encoding="utf-8"))


def korean_markdown(results: dict[str, Any]) -> list[str]:
    """The Korean table: each analysis measured, held-out and dev, with its p95 and load."""
    before = json.loads(KOREAN_BEFORE.read_text(encoding="utf-8"))
    out = ["", "## Korean search (bench/search_relevance.py --korean, the real Korean articles)",
           "",
           "success@3 / MRR@10 on tests/relevance-ko-buyers.toml; p95 per query at 10,000 "
           "generated Korean sections (bench/search_speed.py --lang ko). *Before*: Hangul "
           "questions asked of the English index (raw ranks in "
           "bench/latest/relevance-ko-before.json). Tuned on the development part only.", "",
           "| analysis | dev | held-out | p95 ms | loads in |",
           "|---|---:|---:|---:|---:|",
           f"| before | {before['dev']['success@3']:.2f} / {before['dev']['mrr@10']:.2f} | "
           f"{before['held-out']['success@3']:.2f} / {before['held-out']['mrr@10']:.2f} "
           "| — | — |"]
    for analyzer, got in results.items():
        speed = got.get("speed") or [{}]
        out.append(f"| {analyzer} | {got['dev']['success@3']:.2f} / {got['dev']['mrr@10']:.2f} | "
                   f"{got['held-out']['success@3']:.2f} / {got['held-out']['mrr@10']:.2f} | "
                   f"{speed[-1].get('p95_ms', float('nan')):.1f} | {got['load_seconds']} s |")
    return out


def relevance_markdown(results: dict[str, Any]) -> list[str]:
    """The relevance table: ours before and now, Material in the same run, per set and part."""
    now, before = results["now"], results["before"]
    out = ["", "## Search relevance (bench/search_relevance.py, the real articles)", "",
           "success@3 / MRR@10. *Before*: the search before issue 13 (raw ranks in "
           "bench/latest/relevance-before.json); *now* and Material's built-in search measured in "
           "this run (raw ranks in bench/latest/relevance.json). Material read fairly: a page "
           "result counts when the answer is on that page. Techniques were tuned on the "
           "development parts only.", "",
           "| questions | part | n | ours before | ours now | Material |",
           "|---|---|---:|---:|---:|---:|"]
    for name, parts in now.items():
        for part, engines in parts.items():
            cells = []
            earlier = before.get(name, {}).get(part, {}).get("ours")
            for got in (earlier, engines["ours"], engines.get("material")):
                cells.append(f"{got['success@3']:.2f} / {got['mrr@10']:.2f}" if got else "—")
            out.append(f"| {name} | {part} | {engines['ours']['questions']} | "
                       + " | ".join(cells) + " |")
    return out


def articles_success(relevance_now: dict[str, Any]) -> float:
    """success@3 of our search on both parts of the articles' words set together."""
    parts = relevance_now["articles' words"].values()
    ranks = [rank for part in parts for rank in part["ours"]["ranks"].values()]
    return sum(1 for rank in ranks if rank and rank <= 3) / len(ranks)


def verdict(met: bool) -> str:
    """A target's outcome, as the table shows it."""
    return "met" if met else "**missed**"


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each target with what was measured: (what, target, measured, met)."""
    rows: list[tuple[str, str, str, bool]] = []
    summary = results["lookup"]["throughput"]["summary"]
    for store in ("sqlite", "postgresql"):
        for name, counters, ratio in ((store, "memory", TARGET_RATIO),
                                      (f"{store}_redis", "Redis", TARGET_RATIO_REDIS)):
            if name not in summary:
                continue
            figures = summary[name]
            what = f"{store}, limits on ({counters})"
            rows.append((f"Lookup throughput, {what}", f"≥ {ratio} of bare Flask",
                         f"{figures['ratio']:.2f}", figures["ratio"] >= ratio))
            rows.append((f"Lookup p99, {what}", f"< {TARGET_P99_MS} ms",
                         f"{figures['p99_ms']:.1f} ms", figures["p99_ms"] < TARGET_P99_MS))
    imports = results["lookup"]["imports"]
    largest = imports["sqlite"][-1]
    rows.append(("Import rate, SQLite", f"≥ {TARGET_IMPORT_RATE:,} orders/s",
                 f"{largest['rate']:,.0f} orders/s", largest["rate"] >= TARGET_IMPORT_RATE))
    # The importing process and its workers together (older runs measured the process alone).
    peaks = [run.get("peak_tree_pss_mib", run["peak_rss_mib"]) for run in imports["sqlite"]]
    flat = max(peaks) <= 1.2 * min(peaks)
    rows.append(("Import memory (with its workers)", "flat as the file grows",
                 " → ".join(f"{peak:.0f}" for peak in peaks) + " MiB", flat))
    if results["search"]:
        top = results["search"][-1]
        rows.append((f"Search p95 at {top['sections']:,} sections", f"< {TARGET_SEARCH_P95_MS} ms",
                     f"{top['p95_ms']:.1f} ms", top["p95_ms"] < TARGET_SEARCH_P95_MS))
    for key_site, where in (("browser", "generated site"), ("browser_real", "our site")):
        browser = results["site"].get(key_site, {})
        if "ratio" not in browser:
            continue
        for key, label in (("first_ms", "first query on the page"), ("next_ms", "next query")):
            ratio = browser["ratio"][key]
            rows.append((f"Search in Chromium, {where}, {label}",
                         f"ours ≤ {TARGET_BROWSER_RATIO} × Material",
                         f"{ratio:.2f} ×", ratio <= TARGET_BROWSER_RATIO))
    if results.get("relevance"):
        for name in ("buyers' words", "buyers' words, fresh"):
            buyers = results["relevance"]["now"].get(name, {}).get("held-out", {}).get("ours")
            if not buyers:
                continue
            label = f"Search, {name} (held-out)"
            rows.append((f"{label}: success@3", f"≥ {TARGET_BUYERS_SUCCESS}",
                         f"{buyers['success@3']:.2f}",
                         buyers["success@3"] >= TARGET_BUYERS_SUCCESS))
            rows.append((f"{label}: MRR@10", f"≥ {TARGET_BUYERS_MRR}",
                         f"{buyers['mrr@10']:.2f}", buyers["mrr@10"] >= TARGET_BUYERS_MRR))
        success = articles_success(results["relevance"]["now"])
        rows.append(("Search, articles' words (both parts): success@3",
                     f"≥ {TARGET_ARTICLES_SUCCESS} (no loss)", f"{success:.2f}",
                     success >= TARGET_ARTICLES_SUCCESS))
    if results.get("korean"):
        bigram = results["korean"]["bigram"]
        rows.append(("Korean search, buyers' words (held-out): success@3",
                     f"≥ {TARGET_KOREAN_SUCCESS}", f"{bigram['held-out']['success@3']:.2f}",
                     bigram["held-out"]["success@3"] >= TARGET_KOREAN_SUCCESS))
        top = bigram["speed"][-1]
        rows.append((f"Korean search p95 at {top['sections']:,} sections",
                     f"< {TARGET_SEARCH_P95_MS} ms", f"{top['p95_ms']:.1f} ms",
                     top["p95_ms"] < TARGET_SEARCH_P95_MS))
    for build in results["site"]["builds"]:
        rows.append((f"Build, {build['pages']:,} pages: the index's share",
                     f"≤ {TARGET_INDEX_SHARE:.0%}",
                     f"{build['index_share']:.0%}", build["index_share"] <= TARGET_INDEX_SHARE))
    return rows


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    meta = results["meta"]
    out = [f"# Benchmark results ({'quick' if meta['quick'] else 'full'} run)", "",
           f"{meta['when']} · commit {meta.get('commit', 'unknown')} · {meta['machine']} · "
           f"{meta['minutes']:.0f} min. Medians over rounds; each ratio is taken against its "
           "reference measured in the same round. Raw figures: results.json beside this file.", ""]
    out += ["## Targets", "", "| what | target | measured | |", "|---|---|---|---|"]
    out += [f"| {what} | {target} | {measured} | {verdict(met)} |"
            for what, target, measured, met in targets(results)]

    throughput = results["lookup"]["throughput"]
    out += ["", f"## Lookup throughput: gunicorn, {throughput['workers']} sync workers, "
            f"{throughput['connections']} connections (wrk), {throughput['orders']:,} orders", "",
            f"{throughput['rounds']} rounds of {throughput['seconds']} s. The reference is a bare "
            f"Flask endpoint that parses the same JSON and returns a fixed "
            f"{throughput['answer_bytes']:,}-byte "
            "answer (bench/reference_app.py).", "",
            "| service | req/s | × reference | p50 ms | p99 ms | errors "
            "| RSS/worker MiB | PSS/worker MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    labels = {"reference": "bare Flask (reference)"}
    for store, title in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        labels |= {store: f"ours, {title}, limits on (memory)",
                   f"{store}_redis": f"ours, {title}, limits on (Redis)",
                   f"{store}_limits_off": f"ours, {title}, limits off (benchmark switch)"}
    for name, figures in throughput["summary"].items():
        memory = throughput.get("memory", {}).get(name, {})
        out.append(f"| {labels.get(name, name)} | {figures['rps']:,.0f} | {figures['ratio']:.2f} | "
                   f"{figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | {figures['errors']} | "
                   f"{memory.get('rss_mib', float('nan')):.0f} | "
                   f"{memory.get('pss_mib', float('nan')):.0f} |")

    imports = results["lookup"]["imports"]
    out += ["", f"## Import (`helpcenter import FILE`, {imports['file_mb']:,.0f} MB of JSON Lines "
            "at the largest size)", "",
            "The importing process checks lines in worker processes, one per CPU: its own peak "
            "RSS, and the peak PSS of it and its workers together.", "",
            "| store | orders | seconds | orders/s | peak RSS MiB | with workers, PSS MiB |",
            "|---|---:|---:|---:|---:|---:|"]

    def import_row(what: str, run: dict[str, Any]) -> str:
        tree = run.get("peak_tree_pss_mib")
        return (f"| {what} | {run['orders']:,} | {run['seconds']:.1f} | {run['rate']:,.0f} | "
                f"{run['peak_rss_mib']:.0f} | {'–' if tree is None else f'{tree:.0f}'} |")

    out += [import_row("SQLite", run) for run in imports["sqlite"]]
    if imports.get("postgresql"):
        out.append(import_row("PostgreSQL", imports["postgresql"]))
    out.append(import_row("reference: plain sqlite3, parse and insert, no checks",
                          imports["reference"]))

    out += ["", "## Search on the server (bench/search_speed.py, generated sections)", "",
            "| sections | index build s | p50 ms | p95 ms |", "|---:|---:|---:|---:|"]
    out += [f"| {row['sections']:,} | {row['build_s']:.1f} | {row['p50_ms']:.2f} | "
            f"{row['p95_ms']:.2f} |"
            for row in results["search"]]

    if results.get("relevance"):
        out += relevance_markdown(results["relevance"])
    if results.get("korean"):
        out += korean_markdown(results["korean"])

    for key_site in ("browser", "browser_real"):
        browser = results["site"].get(key_site, {})
        if "summary" not in browser:
            continue
        ours, material = browser["summary"]["ours"], browser["summary"]["material"]
        title = (f"{browser['articles']:,}-article generated help center" if key_site == "browser"
                 else f"our own help center ({browser['articles']} pages)")
        out += ["", f"## Search in Chromium: {title}, {browser['trials']} new visitors each", "",
                "From the input event to results drawn. *First*: typed as soon as the page has "
                "loaded. *Next*: a second question on the same page. Every request pays "
                f"{browser.get('latency_ms', 0)} ms of added round trip; no timed question was "
                "asked of the service before. Material's search is the help bar's fallback, "
                "forced by blocking /api/search; its index is downloaded only then.", "",
                "| search | first query ms | next query ms | bytes for its answers | "
                "Material's index fetched | search bytes the page fetched | bytes per visitor |",
                "|---|---:|---:|---:|---:|---:|---:|",
                f"| ours (/api/search) | {ours['first_ms']:.0f} | {ours['next_ms']:.0f} | "
                f"{ours['search_bytes']:,.0f} | {ours['index_bytes']:,.0f} | "
                f"{ours['all_search_bytes']:,.0f} | {ours['page_bytes']:,.0f} |",
                f"| Material (lunr in a worker) | {material['first_ms']:.0f} | "
                f"{material['next_ms']:.0f} | {material['search_bytes']:,.0f} | "
                f"{material['index_bytes']:,.0f} | {material['all_search_bytes']:,.0f} | "
                f"{material['page_bytes']:,.0f} |",
                f"| ours ÷ Material (median of pairs) | {browser['ratio']['first_ms']:.2f} | "
                f"{browser['ratio']['next_ms']:.2f} | {browser['ratio']['search_bytes']:.4f} | | | "
                f"{browser['ratio'].get('page_bytes', float('nan')):.3f} |"]

    out += ["",
            "## Build (`helpcenter build`: the site, and the index written as the pages are)", "",
            "*Site alone*: `mkdocs build --strict` by itself. *helpcenter build*: the same build "
            "handing each page to the indexer as it writes it (search.feed), the index written "
            "meanwhile. *Index share*: what the index adds to the build's time, of the whole. "
            "*Index alone*: `search.build_index` on the built files afterwards, with its share of "
            "site + index, in wall-clock and in CPU seconds. Each build fresh; `helpcenter "
            "build` then the site alone, in each of three rounds: the medians, and each round's "
            "index share; the index alone once.", "",
            "| pages | site alone s | helpcenter build s | index share | each round | "
            "index alone s | index alone share | of CPU | sections |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    real = results["real_site"]
    rows = [(f"{real['pages']} (our own articles)", real),
            *((f"{build['pages']:,}", build) for build in results["site"]["builds"])]
    for label, build in rows:
        shares = ", ".join(f"{one['index_share']:.0%}" for one in build.get("rounds", []))
        out.append(f"| {label} | {build['site_s']:.1f} | {build['total_s']:.1f} | "
                   f"{build['index_share']:.0%} | {shares} | {build['index_s']:.1f} | "
                   f"{build['index_alone_share']:.0%} | {build['index_cpu_share']:.0%} | "
                   f"{build['sections']:,} |")

    widget = results["site"]["widget"]
    out += ["", "## Weight and memory", "",
            f"- Order-status widget: **{widget['gzip']:,} bytes gzipped** ({widget['raw']:,} raw): "
            + ", ".join(f"{name} {sizes['gzip']:,}" for name, sizes in widget["files"].items())
            + "."]
    memory = throughput.get("memory", {})
    if "sqlite" in memory:
        out.append(f"- Service memory per gunicorn worker after the load (search index open): "
                   f"**{memory['sqlite']['rss_mib']:.0f} MiB RSS**, "
                   f"{memory['sqlite']['pss_mib']:.0f} MiB PSS; the bare Flask reference: "
                   f"{memory['reference']['rss_mib']:.0f} MiB RSS.")
    if results["lookup"].get("postgresql_skipped"):
        out.append(f"- PostgreSQL skipped: {results['lookup']['postgresql_skipped']}")
    return "\n".join(out) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    """Six panels: throughput, p99, import memory, search, browser, build."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    throughput = results["lookup"]["throughput"]["summary"]
    names = list(throughput)
    short = {"reference": "bare Flask"}
    for store, title in (("sqlite", "SQLite"), ("postgresql", "PG")):
        short |= {store: f"{title}\nmemory", f"{store}_redis": f"{title}\nRedis",
                  f"{store}_limits_off": f"{title}\noff"}
    colors = ["#9e9e9e" if name == "reference" else "#00897b" for name in names]
    ax = axes[0][0]
    ax.bar([short.get(n, n) for n in names], [throughput[n]["rps"] for n in names], color=colors)
    for i, name in enumerate(names):
        ax.annotate(f"×{throughput[name]['ratio']:.2f}", (i, throughput[name]["rps"]),
                    ha="center", va="bottom")
    ax.axhline(TARGET_RATIO * throughput["reference"]["rps"], color="#e65100", ls="--",
               label=f"target: {TARGET_RATIO} × reference")
    ax.set_title(f"Lookups/s, {results['lookup']['throughput']['orders']:,} orders")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[0][1]
    ax.bar([short.get(n, n) for n in names], [throughput[n]["p99_ms"] for n in names], color=colors)
    ax.axhline(TARGET_P99_MS, color="#e65100", ls="--", label=f"target {TARGET_P99_MS} ms")
    ax.set_title("Lookup p99 latency (ms), 32 connections")
    ax.legend(loc="upper right", fontsize=8)

    imports = results["lookup"]["imports"]["sqlite"]
    ax = axes[0][2]
    counts = [run["orders"] for run in imports]
    ax.plot(counts, [run["peak_rss_mib"] for run in imports], "o-", color="#00897b",
            label="peak RSS (MiB)")
    ax.set_ylim(0, max(run["peak_rss_mib"] for run in imports) * 1.6)
    ax.set_xscale("log")
    ax.set_xlabel("orders imported (SQLite)")
    ax.set_ylabel("peak RSS, MiB")
    twin = ax.twinx()
    twin.plot(counts, [run["rate"] for run in imports], "s--", color="#5e35b1", label="orders/s")
    twin.axhline(TARGET_IMPORT_RATE, color="#e65100", ls=":", label="target orders/s")
    twin.set_ylim(0, max(TARGET_IMPORT_RATE, *(run["rate"] for run in imports)) * 1.3)
    twin.set_ylabel("orders/s")
    ax.set_title("Import: memory stays flat")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right", fontsize=8)

    ax = axes[1][0]
    search = results["search"]
    if search:
        sections = [row["sections"] for row in search]
        ax.plot(sections, [row["p50_ms"] for row in search], "o-", label="p50", color="#00897b")
        ax.plot(sections, [row["p95_ms"] for row in search], "s-", label="p95", color="#5e35b1")
        ax.axhline(TARGET_SEARCH_P95_MS, color="#e65100", ls="--", label="target p95")
        ax.set_xscale("log")
        ax.set_xlabel("sections")
        ax.legend(fontsize=8)
    ax.set_title("Server search time (ms)")

    ax = axes[1][1]
    browser = results["site"]["browser"]
    if "summary" in browser:
        keys = ["first_ms", "next_ms"]
        labels = ["first query", "next query"]
        x = range(len(keys))
        ax.bar([i - 0.2 for i in x], [browser["summary"]["ours"][k] for k in keys], 0.4,
               label="ours", color="#00897b")
        ax.bar([i + 0.2 for i in x], [browser["summary"]["material"][k] for k in keys], 0.4,
               label="Material", color="#9e9e9e")
        ax.set_xticks(list(x), labels)
        ax.set_ylabel("ms from typing to results")
        ax.legend(fontsize=8)
        ax.set_title(f"Chromium, {browser['articles']:,} articles")

    ax = axes[1][2]
    builds = results["site"]["builds"]
    pages = [f"{build['pages']:,}" for build in builds]
    ax.bar(pages, [build["site_s"] for build in builds], label="mkdocs build", color="#9e9e9e")
    ax.bar(pages, [build["index_added_s"] for build in builds],
           bottom=[build["site_s"] for build in builds], label="the index adds",
           color="#00897b")
    for i, build in enumerate(builds):
        ax.annotate(f"index {build['index_share']:.0%}", (i, build["total_s"]), ha="center",
                    va="bottom", fontsize=8)
    ax.set_xlabel("pages")
    ax.set_ylabel("seconds")
    ax.set_title("Build time")
    ax.legend(fontsize=8)
    fig.suptitle(f"Help center benchmarks ({results['meta']['when']})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def measured_commit() -> str:
    """The commit this run measures, marked "+changes" when the work tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_DIR,
                          capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=PROJECT_DIR, capture_output=True, text=True).stdout.strip()
    return f"{head}+changes" if dirty else head


def main() -> None:
    """Run every benchmark, write the results, the table and the plot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (100,000 orders, small sites) for development")
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch folder")
    parser.add_argument("--table-only", action="store_true",
                        help="measure nothing: rewrite RESULTS.md from bench/latest/results.json")
    args = parser.parse_args()
    os.chdir(PROJECT_DIR)
    if args.table_only:
        results = json.loads((LATEST_DIR / "results.json").read_text(encoding="utf-8"))
        (LATEST_DIR / "RESULTS.md").write_text(markdown(results), encoding="utf-8")
        return
    started = time.perf_counter()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="helpcenter-bench-"))
    results: dict[str, Any] = {"meta": {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "quick": args.quick,
        "machine": f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
                   f"{platform.python_version()}, {platform.system()}",
        "commit": measured_commit()}}
    try:
        results["real_site"] = real_site(work)
        results["lookup"] = lookup_bench.run(args.quick, work,
                                             Path(results["real_site"]["site_dir"]),
                                             Path(results["real_site"]["index_dir"]))
        results["site"] = site_bench.run(args.quick, work,
                                         (Path(results["real_site"]["site_dir"]),
                                          Path(results["real_site"]["index_dir"])))
        results["search"] = search_speed([200, 2000] if args.quick else [200, 2000, 10000])
        results["relevance"] = relevance(Path(results["real_site"]["site_dir"]))
        results["korean"] = {}
        for analyzer in korean_analyzers():
            results["korean"][analyzer] = korean_relevance(
                Path(results["real_site"]["site_dir"]), analyzer)
            results["korean"][analyzer]["speed"] = search_speed(
                [2000] if args.quick else [10000], "ko", analyzer)
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    results["meta"]["minutes"] = (time.perf_counter() - started) / 60
    (RESULTS_DIR / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    table = markdown(results)
    (RESULTS_DIR / "RESULTS.md").write_text(table, encoding="utf-8")
    plot(results, RESULTS_DIR / "bench.png")
    LATEST_DIR.mkdir(exist_ok=True)
    shutil.copy(RESULTS_DIR / "RESULTS.md", LATEST_DIR / "RESULTS.md")
    shutil.copy(RESULTS_DIR / "bench.png", LATEST_DIR / "bench.png")
    shutil.copy(RESULTS_DIR / "relevance.json", LATEST_DIR / "relevance.json")
    # The raw figures of this table, committed beside it.
    shutil.copy(RESULTS_DIR / "results.json", LATEST_DIR / "results.json")
    for analyzer in results.get("korean", {}):
        shutil.copy(RESULTS_DIR / f"relevance-ko-{analyzer}.json",
                    LATEST_DIR / f"relevance-ko-{analyzer}.json")
    print()
    print(table)
    print(f"Wrote {RESULTS_DIR / 'results.json'}, RESULTS.md and bench.png; copied the table and "
          f"the plot to {LATEST_DIR}.")


if __name__ == "__main__":
    main()
