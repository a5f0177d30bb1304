"""Load: gunicorn with 2 workers, 50 concurrent clients mixing lookups (hits and misses), searches
and signed webhooks, on SQLite (WAL) and on PostgreSQL. Prints error counts and p50/p99 per kind;
exits non-zero on any error (a 5xx, an unexpected status, a connection error, "database is
locked" in the server's log).

    .venv/bin/python bench/load.py                    # both databases, 60 s each
    .venv/bin/python bench/load.py --db sqlite --duration 10 --json result.json

Failed-lookup limits are `off` here: a benchmark's misses all come from one address and would be
throttled within seconds, which measures the limiter, not the service. Never run production so.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from lookup.demo import demo_orders  # noqa: E402
from lookup.store import OrderStore  # noqa: E402
from lookup.web.webhook import sign  # noqa: E402

POSTGRES_URL = os.environ.get("HELPCENTER_BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "whsec_load"
# The mix, by weight: what a help center sees, plus a steady stream of marketplace updates.
MIX = {"lookup_hit": 30, "lookup_miss": 20, "search": 35, "webhook": 15}
EXPECTED = {"lookup_hit": {200}, "lookup_miss": {404}, "search": {200}, "webhook": {200}}
QUERIES = ["refund", "how long does a refund take", "return window", "tracking not updating",
           "cancel my order", "exchange size", "parcel lost", "refnud", "contact the seller",
           "paypal refund", "customs fees", "xylophone zebra"]
WEBHOOK_ORDERS = 200
EXTRA_ORDERS = 2000
STATUSES = ["paid", "preparing_shipment", "shipped", "out_for_delivery", "delivered"]
REQUEST_TIMEOUT = 30


@dataclass
class Tally:
    """Latencies and errors of one run, filled by all client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    server_errors: int = 0
    unexpected: Counter = field(default_factory=Counter)
    connection_errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, seconds: float) -> None:
        """One answered request."""
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[f"{kind} {status}"] += 1
            if status >= 500:
                self.server_errors += 1
            elif status not in EXPECTED[kind]:
                self.unexpected[f"{kind} {status}"] += 1

    def fewest(self) -> int:
        """How many answers the least-answered kind of request has had."""
        with self.lock:
            return min(len(self.latencies[kind]) for kind in MIX)

    def failed(self, kind: str, exc: Exception) -> None:
        """One request that got no answer."""
        with self.lock:
            self.connection_errors[f"{kind} {type(exc).__name__}"] += 1


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_order(number: str, email: str) -> dict[str, Any]:
    """A plain order document for the load's own orders."""
    return {"order_number": number, "email": email, "placed_at": "2026-03-02T10:15:00+09:00",
            "status": "paid", "seller": {"id": "S-1", "name": "Load Shop", "country": "KR"},
            "items": [{"sku": "A", "name": "Thing", "quantity": 1, "unit_price": "100",
                       "kind": "regular"}],
            "currency": "KRW", "total": "100",
            "payment": {"method": "card", "paid_at": "2026-03-02T10:16:00+09:00"},
            "shipping": None, "funding": None}


def seed(url: str, prefix: str) -> list[tuple[str, str]]:
    """Fill the store (demo orders and a few thousand more); return (number, email) to look up."""
    store = OrderStore(url, table_prefix=prefix)
    demo = [order.document for order in demo_orders(date.today())]
    extra = [load_order(f"LOAD-{n}", f"buyer{n}@example.com") for n in range(EXTRA_ORDERS)]
    store.apply(demo + extra, force=True)
    store.dispose()
    return [(d["order_number"], d["email"]) for d in demo + extra]


def drop(url: str, prefix: str) -> None:
    """Remove the run's tables (PostgreSQL runs share one database)."""
    store = OrderStore(url, table_prefix=prefix)
    store.drop_schema()
    store.dispose()


def site_and_index(args: argparse.Namespace, work: Path) -> tuple[Path, Path]:
    """The built site and its search index: given, already in the project, or built now."""
    if args.site_dir and args.index_dir:
        return Path(args.site_dir), Path(args.index_dir)
    site, index = PROJECT_DIR / "site", PROJECT_DIR / "instance" / "search-index"
    if (site / "index.html").is_file() and index.is_dir():
        return site, index
    site, index = work / "site", work / "search-index"
    env = {**os.environ, "HELPCENTER_SITE_DIR": str(site),
           "HELPCENTER_SEARCH_INDEX_DIR": str(index)}
    subprocess.run([str(Path(sys.executable).parent / "helpcenter"), "build"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return site, index


def wait_until_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll /api/health until the server answers, then insist that every part is ok: a load
    run against a missing index or database would only measure the 503s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/health")
            health = json.loads(connection.getresponse().read())
            connection.close()
        except OSError:
            time.sleep(0.2)
            continue
        if health["status"] != "ok":
            raise RuntimeError(f"the service is not healthy before the load: {health['checks']}")
        return
    raise RuntimeError("gunicorn did not answer in time")


def client(port: int, until: Callable[[], bool], tally: Tally, orders: list[tuple[str, str]],
           seed_value: int) -> None:
    """One client: requests back to back, a new connection each (gunicorn's sync workers close
    them), until the deadline."""
    rng = random.Random(seed_value)
    kinds, weights = list(MIX), list(MIX.values())
    sequence = 0
    while not until():
        kind = rng.choices(kinds, weights)[0]
        # Each request is another buyer, as the proxy in front of the service reports it: the
        # production limits stay on and count every buyer apart.
        buyer = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-Forwarded-For": buyer}
        body: bytes | None = None
        if kind == "lookup_hit":
            number, email = rng.choice(orders)
            method, path = "POST", "/api/orders/lookup"
            body = json.dumps({"order_number": number, "email": email}).encode()
        elif kind == "lookup_miss":
            number, email = rng.choice(orders)
            if rng.random() < 0.5:
                number = f"NOPE-{rng.randrange(10**6)}"
            else:
                email = f"guess{rng.randrange(10**6)}@example.com"
            method, path = "POST", "/api/orders/lookup"
            body = json.dumps({"order_number": number, "email": email}).encode()
        elif kind == "search":
            method = "GET"
            path = "/api/search?" + "q=" + rng.choice(QUERIES).replace(" ", "+") + "&limit=10"
        else:
            sequence += 1
            order = load_order(f"LOAD-WH-{rng.randrange(WEBHOOK_ORDERS)}",
                               "hook.buyer@example.com")
            order["status"] = rng.choice(STATUSES)
            event = {"event_id": f"load-{seed_value}-{sequence}-{uuid.uuid4().hex[:8]}",
                     "occurred_at": datetime.now(UTC).isoformat(), "order": order}
            method, path = "POST", "/api/webhooks/orders"
            body = json.dumps(event).encode()
            headers["X-Helpcenter-Signature"] = sign(body, SECRET, int(time.time()))
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
        except (OSError, http.client.HTTPException) as exc:
            tally.failed(kind, exc)
            continue
        tally.record(kind, response.status, time.perf_counter() - started)


def run(database: str, args: argparse.Namespace) -> dict[str, Any]:
    """One load run against one database; the figures as a dict."""
    work = Path(tempfile.mkdtemp(prefix=f"load-{database}-"))
    prefix = f"load{uuid.uuid4().hex[:10]}_"
    url = f"sqlite:///{work / 'orders.sqlite'}" if database == "sqlite" else POSTGRES_URL
    site, index = site_and_index(args, work)
    orders = seed(url, prefix)
    port = free_port()
    log_path = work / "server.log"
    env = {**os.environ,
           "HELPCENTER_DATABASE_URL": url, "HELPCENTER_DATABASE_TABLE_PREFIX": prefix,
           "HELPCENTER_WEBHOOK_SECRET": SECRET, "HELPCENTER_TRUSTED_PROXIES": "1",
           "HELPCENTER_SITE_DIR": str(site), "HELPCENTER_SEARCH_INDEX_DIR": str(index)}
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers),
               "-b", f"127.0.0.1:{port}", "--backlog", "2048", "lookup:create_app()"]
    tally = Tally()
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=PROJECT_DIR)
        try:
            wait_until_healthy(port, server)
            deadline = time.monotonic() + args.duration
            # A busy machine answers fewer requests in the same time: run on (up to a cap) until
            # every kind has had its share, so the figures never rest on a handful.
            cap = deadline + args.max_extra

            def until() -> bool:
                now = time.monotonic()
                return now >= cap or (now >= deadline and tally.fewest() >= args.min_each)

            threads = [threading.Thread(target=client, args=(port, until, tally, orders, n))
                       for n in range(args.clients)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    server_log = log_path.read_text(errors="replace")
    if database == "postgresql":
        drop(url, prefix)
    locked = server_log.lower().count("database is locked")
    logged_errors = sum(1 for line in server_log.splitlines()
                        if '"level": "error"' in line or "Traceback" in line)
    requests = sum(len(values) for values in tally.latencies.values())
    result = {
        "database": database, "clients": args.clients, "workers": args.workers,
        "seconds": round(elapsed, 1), "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "server_errors_5xx": tally.server_errors,
        "unexpected_statuses": dict(tally.unexpected),
        "connection_errors": dict(tally.connection_errors),
        "database_is_locked": locked,
        "errors_logged": logged_errors,
        "latency_ms": {kind: {"count": len(values),
                              "p50": round(percentile(values, 0.50) * 1000, 1),
                              "p99": round(percentile(values, 0.99) * 1000, 1)}
                       for kind, values in sorted(tally.latencies.items())},
        "server_log": str(log_path),
    }
    result["errors"] = (tally.server_errors + sum(tally.unexpected.values())
                        + sum(tally.connection_errors.values()) + locked + logged_errors)
    return result


def report(result: dict[str, Any]) -> None:
    """Print one run's figures (flushed: a long run's first half shows while the second runs)."""
    print(f"\n{result['database']}: {result['clients']} clients, {result['workers']} gunicorn "
          f"workers, {result['seconds']} s, {result['requests']} requests "
          f"({result['requests_per_second']}/s)")
    print(f"  5xx: {result['server_errors_5xx']}  connection errors: "
          f"{sum(result['connection_errors'].values())} {result['connection_errors'] or ''}  "
          f"'database is locked': {result['database_is_locked']}  errors logged: "
          f"{result['errors_logged']}  unexpected statuses: {result['unexpected_statuses'] or 0}")
    for kind, figures in result["latency_ms"].items():
        print(f"  {kind:12} {figures['count']:7d} requests  p50 {figures['p50']:7.1f} ms  "
              f"p99 {figures['p99']:7.1f} ms")
    if result["errors"]:
        print(f"  ERRORS: {result['errors']} (server log: {result['server_log']})")
    sys.stdout.flush()


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    store = OrderStore(POSTGRES_URL, table_prefix="load_probe_")
    try:
        with store.engine.connect():
            return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL run
        return f"{type(exc).__name__} at {POSTGRES_URL}"
    finally:
        store.dispose()


def main() -> int:
    """Run the load on the chosen databases; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per run")
    parser.add_argument("--min-each", type=int, default=0,
                        help="run past --duration until each kind has had this many answers")
    parser.add_argument("--max-extra", type=float, default=120,
                        help="seconds --min-each may add at most")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--site-dir", help="a built site (default: ./site, or build one)")
    parser.add_argument("--index-dir", help="its search index")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = []
    for database in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        if database == "postgresql" and (reason := postgres_reachable()):
            print(f"\npostgresql: skipped, no server ({reason})")
            if args.db == "postgresql":
                return 2
            continue
        result = run(database, args)
        report(result)
        results.append(result)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if any(result["errors"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
