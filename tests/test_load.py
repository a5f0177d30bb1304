"""A short run of bench/load.py: gunicorn with 2 workers, 50 concurrent clients (as many as the
full run: fewer would hide lock contention), 10 s per database, and zero errors of any kind."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from tests.lookup_fixtures import postgres_store
from tests.test_search_api import site_index  # noqa: F401  (the session's built index)

pytestmark = pytest.mark.slow

SECONDS = 10
CLIENTS = 50


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_short_load_has_zero_errors(database, built_site: Path, site_index: Path,  # noqa: F811
                                    tmp_path: Path, record_property):
    if database == "postgresql":
        postgres_store(f"probe{uuid.uuid4().hex[:8]}_").dispose()  # skips, saying why
    figures = tmp_path / "load.json"
    completed = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "bench" / "load.py"), "--db", database,
         "--duration", str(SECONDS), "--min-each", "25", "--clients", str(CLIENTS),
         "--workers", "2",
         "--site-dir", str(built_site), "--index-dir", str(site_index), "--json", str(figures)],
        capture_output=True, text=True, timeout=240)
    print(completed.stdout)
    (result,) = json.loads(figures.read_text())
    record_property(f"load_{database}", {k: result[k] for k in ("requests", "latency_ms")})
    assert result["clients"] == CLIENTS
    assert result["server_errors_5xx"] == 0
    assert result["connection_errors"] == {}
    assert result["database_is_locked"] == 0
    assert result["unexpected_statuses"] == {}
    assert result["errors_logged"] == 0
    assert set(result["latency_ms"]) == {"lookup_hit", "lookup_miss", "search", "webhook"}
    assert all(kind["count"] > 20 for kind in result["latency_ms"].values())
    assert completed.returncode == 0, completed.stdout + completed.stderr
