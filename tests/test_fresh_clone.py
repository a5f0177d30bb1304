"""A fresh clone, the README's first command, nothing installed beforehand: the site is up."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from tests.helpers import free_port
from tests.helpers import wait_for


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_make_run_on_a_fresh_clone(tmp_path: Path):
    """`make run` in a new clone creates its venv, builds, seeds the demo store and serves."""
    if not (PROJECT_DIR / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True)
    port = free_port()
    # The clone's own Makefile must do everything: no variables from this test's environment.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HELPCENTER_", "VIRTUAL_ENV"))}
    env["PORT"] = str(port)
    log = (tmp_path / "make-run.log").open("wb")
    process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/api/health", timeout=600)
        assert b'"status": "ok"' in health or b'"status":"ok"' in health, health
        assert b"<html" in wait_for(f"http://127.0.0.1:{port}/", timeout=10)
        assert (clone / ".venv" / "bin" / "helpcenter").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
