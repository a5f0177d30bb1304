"""Orders: import rate and peak memory, then lookup throughput under gunicorn against a reference.

Imports run `helpcenter import FILE` as a buyer of the product would, one process per size, and
read that process's own peak RSS. Throughput runs wrk (32 connections) against gunicorn with
2 workers for the bare Flask reference (bench/reference_app.py) and for our service on SQLite and
PostgreSQL, round after round, so each figure has its reference measured minutes apart.

    .venv/bin/python bench/lookup_bench.py [--quick] [--work DIR]
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from common import BENCH_DIR
from common import BIN_DIR
from common import POSTGRES_URL
from common import PROJECT_DIR
from common import REDIS_URL
from common import Gunicorn
from common import median
from common import postgres_available
from common import pss_kib
from common import redis_available
from common import rss_kib
from common import run_alone
from common import run_measured
from common import run_wrk
from orders import order_email
from orders import order_number
from orders import write_orders

LUA = BENCH_DIR / "lookup.lua"
SEARCHES = ["refund", "parcel never arrived", "how long do refunds take", "retrun window",
            "cancel my order", "tracking not updating", "contact the seller", "customs fees"]


def copy_head(source: Path, target: Path, lines: int) -> None:
    """Copy the first `lines` lines of source to target, streaming."""
    with source.open("rb") as src, target.open("wb") as out:
        for number, line in enumerate(src):
            if number >= lines:
                break
            out.write(line)


def import_figures(seconds: float, peak_kib: int, tree_kib: int, count: int
                   ) -> dict[str, float]:
    """Rate and memory of one import run: the importing process's own peak RSS, and the peak
    PSS of it and its worker processes together."""
    return {"orders": count, "seconds": seconds, "rate": count / seconds,
            "peak_rss_mib": peak_kib / 1024, "peak_tree_pss_mib": tree_kib / 1024}


def bench_imports(work: Path, sizes: list[int], pg_prefix: str | None) -> dict[str, Any]:
    """Import each size into a fresh SQLite file (and the largest into PostgreSQL)."""
    largest = max(sizes)
    source = work / f"orders-{largest}.jsonl"
    started = time.perf_counter()
    size_bytes = write_orders(source, largest)
    print(f"generated {largest:,} orders ({size_bytes / 1e6:,.0f} MB) in "
          f"{time.perf_counter() - started:.0f} s")
    helpcenter = str(BIN_DIR / "helpcenter")
    results: dict[str, Any] = {"file_mb": size_bytes / 1e6, "sqlite": [], "postgresql": None}
    for size in sorted(sizes):
        path = source if size == largest else work / f"orders-{size}.jsonl"
        if size != largest:
            copy_head(source, path, size)
        database = work / f"orders-{size}.sqlite"
        env = {"HELPCENTER_DATABASE_URL": f"sqlite:///{database}"}
        seconds, peak, tree, _ = run_measured([helpcenter, "import", str(path)], env=env)
        figures = import_figures(seconds, peak, tree, size)
        results["sqlite"].append(figures)
        print(f"import SQLite {size:>9,}: {figures['rate']:>8,.0f} orders/s, "
              f"peak RSS {figures['peak_rss_mib']:.0f} MiB, with its workers PSS "
              f"{figures['peak_tree_pss_mib']:.0f} MiB ({seconds:.1f} s)")
        if size != largest:
            path.unlink()
            database.unlink()
    # The reference: the same file into SQLite by plain sqlite3, parse and insert only.
    reference_db = work / "reference.sqlite"
    seconds, peak, tree, _ = run_measured([str(BIN_DIR / "python"),
                                     str(BENCH_DIR / "import_reference.py"),
                                     str(source), str(reference_db)])
    results["reference"] = import_figures(seconds, peak, tree, largest)
    reference_db.unlink()
    print(f"import reference  {largest:>9,}: {results['reference']['rate']:>8,.0f} lines/s "
          f"(plain sqlite3, no checks)")
    if pg_prefix:
        env = {"HELPCENTER_DATABASE_URL": POSTGRES_URL,
               "HELPCENTER_DATABASE_TABLE_PREFIX": pg_prefix}
        seconds, peak, tree, _ = run_measured([helpcenter, "import", str(source)], env=env)
        results["postgresql"] = import_figures(seconds, peak, tree, largest)
        print(f"import PostgreSQL {largest:>9,}: {results['postgresql']['rate']:>8,.0f} orders/s, "
              f"peak RSS {results['postgresql']['peak_rss_mib']:.0f} MiB ({seconds:.1f} s)")
    source.unlink()
    return results


def lookup_answer(base_url: str, i: int) -> bytes:
    """POST one lookup of generated order i; return the raw answer."""
    body = json.dumps({"order_number": order_number(i), "email": order_email(i)}).encode()
    request = urllib.request.Request(base_url + "/api/orders/lookup", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def worker_memory(server: Gunicorn) -> dict[str, float]:
    """RSS and PSS of each worker, in MiB (medians over the workers)."""
    workers = server.workers()
    return {"rss_mib": median([rss_kib(pid) / 1024 for pid in workers]),
            "pss_mib": median([pss_kib(pid) / 1024 for pid in workers]),
            "workers": len(workers)}


def bench_throughput(work: Path, count: int, pg_prefix: str | None, site_dir: Path | None,
                     index_dir: Path | None, rounds: int, seconds: int) -> dict[str, Any]:
    """wrk against the reference and our service on each store, interleaved round by round."""
    # Production settings first: the failed-lookup limits on, counters in memory or in Redis.
    # "off" (a switch that exists only for benchmarks) is measured beside them for comparison.
    service_env: dict[str, str] = {}
    if site_dir and index_dir:
        service_env |= {"HELPCENTER_SITE_DIR": str(site_dir),
                        "HELPCENTER_SEARCH_INDEX_DIR": str(index_dir)}
    stores = {"sqlite": {"HELPCENTER_DATABASE_URL": f"sqlite:///{work / f'orders-{count}.sqlite'}"}}
    if pg_prefix:
        stores["postgresql"] = {"HELPCENTER_DATABASE_URL": POSTGRES_URL,
                                "HELPCENTER_DATABASE_TABLE_PREFIX": pg_prefix}
    redis_missing = redis_available()
    configs: dict[str, dict[str, str]] = {}
    for store, store_env in stores.items():
        configs[store] = {**service_env, **store_env}
        if redis_missing is None:
            configs[f"{store}_redis"] = {
                **configs[store], "HELPCENTER_RATELIMIT_STORAGE_URL": REDIS_URL,
                "HELPCENTER_RATELIMIT_KEY_PREFIX": f"bench{uuid.uuid4().hex[:8]}"}
        configs[f"{store}_limits_off"] = {**configs[store], "HELPCENTER_LOOKUP_RATE_LIMIT": "off"}
    servers: dict[str, Gunicorn] = {}
    results: dict[str, Any] = {"rounds": rounds, "seconds": seconds, "connections": 32,
                               "workers": 2, "orders": count, "runs": {}}
    try:
        for name, env in configs.items():
            servers[name] = Gunicorn("lookup:create_app()", env).__enter__()
        # The reference answers with a real answer of median size, so both send the same bytes.
        samples = sorted((lookup_answer(servers["sqlite"].url, i * 7919 % count)
                          for i in range(1, 41)), key=len)
        answer_file = work / "answer.json"
        answer_file.write_bytes(samples[len(samples) // 2])
        results["answer_bytes"] = len(samples[len(samples) // 2])
        servers["reference"] = Gunicorn("reference_app:create_app()",
                                        {"BENCH_REFERENCE_ANSWER": str(answer_file)},
                                        chdir=BENCH_DIR).__enter__()
        order = ["reference", *configs]
        wrk_env = {"BENCH_ORDERS": str(count)}
        for name in order:  # warm-up: caches, pools, the database's pages
            warm_store(configs.get(name, {}))
            run_wrk(servers[name].url, LUA, max(2, seconds // 3), env=wrk_env)
        for round_number in range(rounds):
            for name in order:
                warm_store(configs.get(name, {}))
                figures = run_wrk(servers[name].url, LUA, seconds, env=wrk_env)
                results["runs"].setdefault(name, []).append(figures)
                print(f"round {round_number + 1} {name:<20} {figures['rps']:>8,.0f} req/s  "
                      f"p50 {figures['p50_us'] / 1000:6.1f} ms  "
                      f"p99 {figures['p99_us'] / 1000:6.1f} ms  errors {figures['errors']}")
        # Memory per worker after the load; the service also opens its search index.
        memory = {}
        for name, server in servers.items():
            if name != "reference" and index_dir:
                for _ in range(4):
                    for query in SEARCHES:
                        urllib.request.urlopen(server.url + "/api/search?q="
                                               + urllib.parse.quote(query), timeout=10).read()
            memory[name] = worker_memory(server)
        results["memory"] = memory
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
    results["summary"] = summarize(results["runs"])
    return results


def warm_store(env: dict[str, str]) -> None:
    """Read a configuration's whole orders table into the page cache just before it is timed.

    Lookups ask for random orders among a million, so every page of the table is read. A
    virtual machine's host may take back page cache that a minute went unread (seen here: the
    SQLite file read back from disk at 60 MB/s after the other configurations' turns, and
    lookups four times slower), which would time the disk, not the service.
    """
    url = env.get("HELPCENTER_DATABASE_URL", "")
    if url.startswith("sqlite:///"):
        with open(url.removeprefix("sqlite:///"), "rb") as database:
            while database.read(1 << 24):
                pass
    elif url:
        from sqlalchemy import create_engine
        from sqlalchemy import text

        from lookup.store import engine_url

        engine = create_engine(engine_url(url))
        table = env.get("HELPCENTER_DATABASE_TABLE_PREFIX", "") + "orders"
        with engine.connect() as conn:
            conn.execute(text(f'SELECT sum(length(document)) FROM "{table}"'))
        engine.dispose()


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Median req/s and p99 per config, and each config's ratio to the reference, per round."""
    reference = runs["reference"]
    summary = {}
    for name, figures in runs.items():
        ratios = [run["rps"] / ref["rps"] for run, ref in zip(figures, reference, strict=True)]
        summary[name] = {
            "rps": median([run["rps"] for run in figures]),
            "p50_ms": median([run["p50_us"] / 1000 for run in figures]),
            "p99_ms": median([run["p99_us"] / 1000 for run in figures]),
            "ratio": median(ratios),
            "errors": sum(run["errors"] for run in figures),
        }
    return summary


def drop_postgres(prefix: str) -> None:
    """Drop every table the benchmark made in PostgreSQL (orders, insights: all of the prefix)."""
    from sqlalchemy import MetaData
    from sqlalchemy import create_engine

    from lookup.store import engine_url

    engine = create_engine(engine_url(POSTGRES_URL))
    tables = MetaData()
    tables.reflect(engine, only=lambda name, _: name.startswith(prefix))
    tables.drop_all(engine)
    engine.dispose()


def run(quick: bool, work: Path, site_dir: Path | None = None,
        index_dir: Path | None = None) -> dict[str, Any]:
    """Imports then throughput; PostgreSQL parts skipped (and said so) when it is absent."""
    sizes = [20_000, 50_000, 100_000] if quick else [100_000, 300_000, 1_000_000]
    missing = postgres_available()
    pg_prefix = None if missing else f"bench{uuid.uuid4().hex[:8]}_"
    if missing:
        print(f"PostgreSQL skipped: {missing}")
    try:
        imports = bench_imports(work, sizes, pg_prefix)
        throughput = bench_throughput(work, max(sizes), pg_prefix, site_dir, index_dir,
                                      rounds=2 if quick else 3, seconds=5 if quick else 10)
    finally:
        if pg_prefix:
            drop_postgres(pg_prefix)
        for database in work.glob("orders-*.sqlite*"):
            database.unlink()
    return {"imports": imports, "throughput": throughput, "postgresql_skipped": missing}


def main() -> None:
    """Run the orders benchmarks alone and print their figures."""
    results = run_alone(run, __doc__.splitlines()[0], "bench-orders-")
    for name, figures in results["throughput"]["summary"].items():
        print(f"{name:<22}{figures['rps']:>9,.0f} req/s  ratio {figures['ratio']:.2f}  "
              f"p99 {figures['p99_ms']:.1f} ms")


if __name__ == "__main__":
    os.chdir(PROJECT_DIR)
    main()
