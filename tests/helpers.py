"""Small helpers the tests share: ports and waiting for a server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float) -> bytes:
    """Poll url until it answers 200, returning the body; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        # A server still starting on a busy machine may accept and then answer late.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextlib.contextmanager
def serving(server) -> Iterator[str]:
    """Run a socketserver-style server in a thread; yield its base URL; stop and close it after."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# Material's bundle publishes its streams last, once instant navigation is set up: until then a
# click on a link loads a new document, however long the page has looked ready.
MATERIAL_READY = "() => window.progress$ !== undefined && window.location$ !== undefined"


def wait_for_material(page) -> None:
    """Wait until Material's scripts have started on the page (instant navigation included)."""
    page.wait_for_function(MATERIAL_READY)
