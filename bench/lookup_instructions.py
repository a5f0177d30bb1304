"""Instructions per order lookup, by two commits of the code and by the bare Flask reference.

Counted by `valgrind --tool=callgrind`, which counts instructions rather than time, so the figure
is the same however busy the machine is. Each commit's `lookup/` and `search/` are read from git
(as import_before_after.py does) and run with this venv's Python. A lookup is one POST through the
app's WSGI callable (request, limits, store read, answer, log line, response), for generated
orders in a SQLite file; the count of a run of LOOKUPS lookups less that of a run of none, over
LOOKUPS. The answer alone (lookup.answer.order_answer on the same orders) is counted the same way.

    .venv/bin/python bench/lookup_instructions.py BEFORE AFTER \
        > bench/latest/lookup_instructions.txt
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from import_before_after import checkout
from orders import write_orders

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
ORDERS = 20_000
LOOKUPS = 1_000
# Run by the counted Python: argv is the code's folder, what to run ("app", "answer",
# "reference", or "answer-file" to write one real answer) and how many lookups.
DRIVER = r"""
import io, json, os, random, sys
sys.path.insert(0, sys.argv[1])
import lookup
assert lookup.__file__.startswith(sys.argv[1]), lookup.__file__
from datetime import date
from werkzeug.test import EnvironBuilder
sys.path.insert(0, os.environ["BENCH_DIR"])
from orders import order_email, order_number
what, count = sys.argv[2], int(sys.argv[3])
picked = random.Random(1).sample(range(int(os.environ["BENCH_ORDERS"])), 1200)
bodies = [json.dumps({"order_number": order_number(i), "email": order_email(i)}).encode()
          for i in picked]
environs = [EnvironBuilder(path="/api/orders/lookup", method="POST", data=body,
                           content_type="application/json",
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}).get_environ()
            for body in bodies]
if what == "reference":
    import reference_app
    app = reference_app.create_app()
else:
    from lookup import create_app
    app = create_app()

def post(environ, body):
    environ = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    status = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200"), status

if what == "answer-file":  # one real answer, for the reference to send back
    post_answer = []
    environ = dict(environs[0], **{"wsgi.input": io.BytesIO(bodies[0])})
    body = b"".join(app(environ, lambda s, h, e=None: post_answer.append(s)))
    open(os.environ["BENCH_REFERENCE_ANSWER"], "wb").write(body)
elif what == "answer":
    from lookup.answer import order_answer
    with app.app_context():
        from lookup.web.db import get_store
        store = get_store()
        documents = [store.find(order_number(i), order_email(i)) for i in picked]
    policy, today = app.extensions["policy"], date(2026, 12, 1)
    for document in documents[:200]:
        order_answer(document, policy, today)
    for document in documents[200:200 + count]:
        order_answer(document, policy, today)
else:
    for environ, body in list(zip(environs, bodies))[:200]:
        post(environ, body)
    for environ, body in list(zip(environs, bodies))[200:200 + count]:
        post(environ, body)
"""


def instructions(code: Path, what: str, count: int, env: dict[str, str]) -> int:
    """Instructions callgrind counts for one run of the driver."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
         DRIVER, str(code), what, str(count)],
        env=env, capture_output=True, text=True, check=False)
    for line in run.stderr.splitlines():
        if "I   refs:" in line and run.returncode == 0:
            return int(line.split()[-1].replace(",", ""))
    sys.exit(f"{what} in {code}: exit {run.returncode}\n{run.stderr[-3000:]}")


def per_lookup(code: Path, what: str, env: dict[str, str]) -> int:
    """Instructions of one lookup: a run of LOOKUPS less a run of none, over LOOKUPS."""
    return (instructions(code, what, LOOKUPS, env) - instructions(code, what, 0, env)) // LOOKUPS


def main() -> None:
    """Count both commits and the reference; print one line each."""
    before, after = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        write_orders(work / "orders.jsonl", ORDERS)
        database = work / "orders.sqlite"
        env = {**os.environ, "HELPCENTER_DATABASE_URL": f"sqlite:///{database}",
               "HELPCENTER_SEARCH_INDEX_DIR": str(work / "no-index"),
               "HELPCENTER_LOG_LEVEL": "INFO", "BENCH_DIR": str(BENCH_DIR),
               "BENCH_ORDERS": str(ORDERS),
               "BENCH_REFERENCE_ANSWER": str(work / "answer.json")}
        subprocess.run([str(Path(sys.executable).parent / "helpcenter"), "import",
                        str(work / "orders.jsonl")], env=env, check=True,
                       capture_output=True, cwd=PROJECT_DIR)
        # The reference sends back a real answer, as in lookup_bench.py.
        instructions(checkout(after, work), "answer-file", 0, env)
        print(f"instructions per lookup ({LOOKUPS:,} lookups of {ORDERS:,} generated orders, "
              "SQLite, limits on, log line written to a pipe)")
        print(f"{'code':<10} {'commit':<10} {'whole lookup':>14} {'answer alone':>14}")
        for label, commit in (("before", before), ("after", after)):
            code = checkout(commit, work)
            print(f"{label:<10} {commit[:9]:<10} {per_lookup(code, 'app', env):>14,} "
                  f"{per_lookup(code, 'answer', env):>14,}", flush=True)
        reference = per_lookup(checkout(after, work), "reference", env)
        print(f"{'bare Flask':<21} {reference:>14,}")


if __name__ == "__main__":
    main()
