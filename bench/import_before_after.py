"""`helpcenter import` of the same orders by two commits of the code, taking turns.

Each commit's `lookup/` and `search/` are read from git into a temporary folder and run with this
venv's Python, into a fresh SQLite file each time; each round runs the plain-sqlite3 reference
(import_reference.py) and both commits, so a busy moment of a shared machine falls on all three.
Prints each run, then each one's median rate and its ratio to the reference's median, by wall time
and by CPU time (user + system of the process: steadier when other work shares the machine), then
each commit's start-up: the median wall time of importing an empty file (interpreter, imports, app).

    .venv/bin/python bench/import_before_after.py ORDERS.jsonl BEFORE AFTER [ROUNDS] \
        > bench/latest/import_before_after.txt
"""

from __future__ import annotations

import io
import os
import resource
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


def timed(command: list[str], database: Path, env: dict[str, str] | None = None
          ) -> tuple[float, float]:
    """Wall and CPU seconds of one run of command, writing into a fresh database."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Progress lines go to stderr: kept only to say why a run failed.
    run = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    if run.returncode:
        sys.exit(f"{command[-1]}: exit {run.returncode}\n{run.stderr.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_seconds(source: Path, orders: Path, database: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one import into a fresh database."""
    env = {**os.environ, "HELPCENTER_DATABASE_URL": f"sqlite:///{database}",
           "HELPCENTER_LOG_LEVEL": "WARNING"}
    return timed([sys.executable, "-c", RUN, str(source), str(orders)], database, env)


def reference_seconds(orders: Path, database: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of the plain-sqlite3 reference into a fresh database."""
    return timed([sys.executable, str(REFERENCE), str(orders), str(database)], database)


def main() -> None:
    """Alternate the two commits' imports and print the rates."""
    orders, before, after = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    count = sum(1 for line in orders.open("rb") if line.strip())
    work = Path(tempfile.mkdtemp())
    sources = {commit: checkout(commit, work) for commit in (before, after)}
    rates: dict[str, list[float]] = {"reference": [], **{commit: [] for commit in sources}}
    cpu_rates: dict[str, list[float]] = {name: [] for name in rates}
    print(f"{count:,} orders ({orders.stat().st_size / 1e6:.0f} MB), python "
          f"{sys.version.split()[0]}, {rounds} rounds")
    for round_number in range(1, rounds + 1):
        runs = {"reference": lambda: reference_seconds(orders, work / "reference.sqlite")}
        for commit, source in sources.items():
            runs[commit] = lambda source=source: import_seconds(source, orders,
                                                                work / "orders.sqlite")
        for name, run in runs.items():
            seconds, cpu = run()
            rates[name].append(count / seconds)
            cpu_rates[name].append(count / cpu)
            print(f"round {round_number} {name}: {seconds:.1f} s, {count / seconds:,.0f} "
                  f"orders/s; CPU {cpu:.1f} s, {count / cpu:,.0f} orders per CPU second",
                  flush=True)
    for label, measured in (("wall", rates), ("CPU", cpu_rates)):
        reference = statistics.median(measured["reference"])
        for name, values in measured.items():
            median = statistics.median(values)
            print(f"median by {label} time, {name}: {median:,.0f} orders/s, "
                  f"{median / reference:.2f} of the reference (best {max(values):,.0f})")
    empty = work / "empty.jsonl"
    empty.write_bytes(b"")
    startups: dict[str, list[float]] = {commit: [] for commit in sources}
    for _ in range(STARTUP_RUNS):
        for commit, source in sources.items():
            startups[commit].append(import_seconds(source, empty, work / "empty.sqlite")[0])
    for commit, seconds in startups.items():
        print(f"start-up {commit}: {statistics.median(seconds) * 1000:.0f} ms "
              f"(median of {STARTUP_RUNS})")


if __name__ == "__main__":
    main()
