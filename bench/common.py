"""What the benchmark scripts share: processes, ports, memory readings, wrk, medians."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_DIR / "bench"
BIN_DIR = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
# The launch flags tests/conftest.py uses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
POSTGRES_URL = os.environ.get("HELPCENTER_BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HELPCENTER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The value below which the given fraction of samples falls (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30, method: str = "GET",
             process: subprocess.Popen | None = None) -> None:
    """Poll url until the server answers at all (any status); raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size in KiB: pages shared with the gunicorn master counted by share."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct child processes of pid."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return sorted(found)


class Gunicorn:
    """A gunicorn server in its own process group on a free port, stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], workers: int = 2,
                 chdir: Path = PROJECT_DIR, extra: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN_DIR / "gunicorn"), "--workers", str(workers), "--bind",
                   f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--log-level", "warning",
                   *extra, app]
        self.log = tempfile.TemporaryFile()
        # Started in chdir too: gunicorn also puts the directory it starts in on sys.path.
        self.process = subprocess.Popen(command, env={**os.environ, **env}, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        cwd=chdir)

    def __enter__(self) -> Gunicorn:
        deadline = time.monotonic() + 60
        try:
            wait_for(self.url + "/", timeout=60, process=self.process)
        except (OSError, RuntimeError):
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace")[-3000:]
            self.__exit__()
            raise RuntimeError(f"gunicorn did not start:\n{tail}") from None
        # The master answers before every worker has booted; wait for all of them.
        while len(self.workers()) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def workers(self) -> list[int]:
        """The worker pids."""
        return children(self.process.pid)

    def __exit__(self, *exc: object) -> None:
        stop(self.process)
        self.log.close()


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process we started in its own session: TERM its group, then KILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run_wrk(url: str, script: Path, seconds: int, connections: int = 32, threads: int = 2,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run wrk with a Lua script whose done() prints a WRK_JSON line; return that line parsed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it with apt")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-s", str(script), url]
    out = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True,
                         text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    figures = json.loads(line.removeprefix("WRK_JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return figures


def run_measured(command: Sequence[str], env: dict[str, str] | None = None,
                 stdin: Path | None = None) -> tuple[float, int, int, str]:
    """Run a command; return its wall seconds, its own peak RSS in KiB (wait4), the peak of its
    whole process tree's PSS in KiB (it and its workers, sampled every 50 ms) and its output."""
    started = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as source:
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdin=source,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tree_peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                tree_peak[0] = max(tree_peak[0], tree_pss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output = process.stdout.read().decode(errors="replace")
        done.set()
        sampler.join()
        # wait4 gives this child's own peak RSS, not the maximum over every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    return seconds, usage.ru_maxrss, tree_peak[0], output


def tree_pss_kib(pid: int) -> int:
    """PSS of a process and all its descendants in KiB (0 for those gone meanwhile)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += pss_kib(current)
        try:
            pending += children(current)
        except OSError:
            pass
    return total


def postgres_available() -> str | None:
    """None when PostgreSQL answers at POSTGRES_URL, else why not."""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from lookup.store import engine_url

    try:
        engine = create_engine(engine_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: skip PostgreSQL, and say why
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def redis_available() -> str | None:
    """None when Redis answers at REDIS_URL, else why not."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure means: skip Redis, and say why
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def run_alone(run: Callable[[bool, Path], dict], description: str, prefix: str) -> dict:
    """Parse --quick and --work, run a benchmark in its scratch folder, and return its figures."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(args.quick, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
