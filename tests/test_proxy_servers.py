"""HELPCENTER_TRUSTED_PROXIES works the same under `helpcenter serve` (waitress) and gunicorn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.helpers import wait_for

BIN = Path(sys.executable).parent


def lookup_from(url: str, forwarded_for: str, n: int) -> int:
    """One failed lookup as a proxy forwards it for a client; the status."""
    body = json.dumps({"order_number": f"NOPE-{n}", "email": f"g{n}@example.com"}).encode()
    request = urllib.request.Request(url + "/api/orders/lookup", data=body, headers={
        "Content-Type": "application/json", "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(params=["waitress", "gunicorn"])
def server(request, tmp_path: Path, built_site: Path) -> Iterator[str]:
    """The service behind one trusted proxy, under each server, with the default limits."""
    port = free_port()
    env = {**os.environ, "HELPCENTER_TRUSTED_PROXIES": "1",
           "HELPCENTER_SITE_DIR": str(built_site),
           "HELPCENTER_SEARCH_INDEX_DIR": str(tmp_path / "index"),
           "HELPCENTER_DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}"}
    (tmp_path / "index").mkdir()
    command = {
        "waitress": [str(BIN / "helpcenter"), "serve", "--port", str(port)],
        "gunicorn": [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                     "lookup:create_app()"],
    }[request.param]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/api/health", timeout=60)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_each_forwarded_client_has_its_own_allowance(server: str):
    statuses = [lookup_from(server, "192.0.2.1", n) for n in range(11)]
    assert statuses == [404] * 10 + [429]
    assert lookup_from(server, "192.0.2.2", 99) == 404, "another buyer behind the proxy"
    # The proxy appends the real peer; what a client wrote before it is not believed.
    assert lookup_from(server, "203.0.113.5, 192.0.2.1", 100) == 429
