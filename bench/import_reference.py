"""The reference for the import rate: the same lines stored by plain sqlite3, with no checks.

Each line is parsed and stored with its key and email in one transaction, in batches of 500,
under the PRAGMAs the order store uses: the floor any importer into SQLite starts from.

    .venv/bin/python bench/import_reference.py FILE DATABASE
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

BATCH = 500


def main() -> None:
    """Store every line of FILE in DATABASE and print the rate."""
    path, database = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE orders (order_key TEXT PRIMARY KEY, email_key TEXT NOT NULL, "
               "document TEXT NOT NULL)")
    db.execute("BEGIN IMMEDIATE")
    count, rows = 0, []
    with open(path, "rb") as lines:
        for line in lines:
            document = json.loads(line)
            rows.append((document["order_number"].upper(), document["email"].lower(),
                         line.decode()))
            if len(rows) >= BATCH:
                db.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)
                count += len(rows)
                rows = []
    if rows:
        db.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)
        count += len(rows)
    db.execute("COMMIT")
    db.close()
    seconds = time.perf_counter() - started
    print(f"{count} lines in {seconds:.1f} s: {count / seconds:,.0f} lines/s")


if __name__ == "__main__":
    main()
