"""`helpcenter import` of the same orders by two commits of the code, taking turns.

Each commit's `lookup/` and `search/` are read from git into a temporary folder and run with this
venv's Python, into a fresh SQLite file each time; each round runs the plain-sqlite3 reference
(import_reference.py) and both commits, so a busy moment of a shared machine falls on all three.
Prints each run, then each one's median rate and its ratio to the reference's median, then each
commit's start-up: the median wall time of importing an empty file (interpreter, imports, app).

    .venv/bin/python bench/import_before_after.py ORDERS.jsonl BEFORE AFTER [ROUNDS] \
        > bench/latest/import_before_after.txt
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).resolve().parent / "import_reference.py"
STARTUP_RUNS = 7
RUN = ("import sys; sys.path.insert(0, sys.argv[1]); import lookup; "
       "assert lookup.__file__.startswith(sys.argv[1]), lookup.__file__; "
       "from lookup.web.cli import main; main(['import', sys.argv[2]])")


def checkout(commit: str, into: Path) -> Path:
    """The commit's packages, unpacked under into/commit."""
    target = into / commit
    archive = subprocess.run(["git", "archive", commit, "lookup", "search"], cwd=PROJECT_DIR,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def import_seconds(source: Path, orders: Path, database: Path) -> float:
    """Wall seconds of one import into a fresh database."""
    database.unlink(missing_ok=True)
    env = {**os.environ, "HELPCENTER_DATABASE_URL": f"sqlite:///{database}",
           "HELPCENTER_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, str(source), str(orders)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def reference_seconds(orders: Path, database: Path) -> float:
    """Wall seconds of one run of the plain-sqlite3 reference into a fresh database."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REFERENCE), str(orders), str(database)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Alternate the two commits' imports and print the rates."""
    orders, before, after = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    count = sum(1 for line in orders.open("rb") if line.strip())
    work = Path(tempfile.mkdtemp())
    sources = {commit: checkout(commit, work) for commit in (before, after)}
    rates: dict[str, list[float]] = {"reference": [], **{commit: [] for commit in sources}}
    print(f"{count:,} orders ({orders.stat().st_size / 1e6:.0f} MB), python "
          f"{sys.version.split()[0]}, {rounds} rounds")
    for round_number in range(1, rounds + 1):
        runs = {"reference": lambda: reference_seconds(orders, work / "reference.sqlite")}
        for commit, source in sources.items():
            runs[commit] = lambda source=source: import_seconds(source, orders,
                                                                work / "orders.sqlite")
        for name, run in runs.items():
            seconds = run()
            rates[name].append(count / seconds)
            print(f"round {round_number} {name}: {seconds:.1f} s, {count / seconds:,.0f} "
                  "orders/s", flush=True)
    reference = statistics.median(rates["reference"])
    for name, measured in rates.items():
        median = statistics.median(measured)
        print(f"median {name}: {median:,.0f} orders/s, {median / reference:.2f} of the reference"
              f" (best {max(measured):,.0f})")
    empty = work / "empty.jsonl"
    empty.write_bytes(b"")
    startups: dict[str, list[float]] = {commit: [] for commit in sources}
    for _ in range(STARTUP_RUNS):
        for commit, source in sources.items():
            startups[commit].append(import_seconds(source, empty, work / "empty.sqlite"))
    for commit, seconds in startups.items():
        print(f"start-up {commit}: {statistics.median(seconds) * 1000:.0f} ms "
              f"(median of {STARTUP_RUNS})")


if __name__ == "__main__":
    main()
