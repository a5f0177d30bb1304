"""Scale-out, shown: two service processes on one PostgreSQL and one Redis act as one service.

Each process is a gunicorn of its own on its own port, as two hosts behind a load balancer would
be. An order written through one (signed webhook or `helpcenter import`) is read through the
other, a webhook event is applied once whichever process receives it, and the failed-lookup
limit counts the misses made through both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from lookup.web.webhook import sign
from tests.helpers import free_port
from tests.helpers import wait_for
from tests.lookup_fixtures import POSTGRES_URL
from tests.lookup_fixtures import make_order

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

REDIS_URL = os.environ.get("HELPCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "whsec_scale_out"
LIMIT = 4
BIN = Path(sys.executable).parent


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from lookup.store import engine_url

    try:
        engine = create_engine(engine_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server means: skip, with the reason
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__})"
    return None


def redis_missing() -> str | None:
    """Why Redis cannot be used, or None when it answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to reach the server means: skip, with the reason
        return f"Redis not reachable at {REDIS_URL} ({type(exc).__name__})"
    return None


class Service:
    """One `gunicorn "lookup:create_app()"` process (one worker) on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{self.port}",
             "lookup:create_app()"],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def stop(self) -> None:
        """Stop the process group we started."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def post(self, path: str, body: dict, headers: dict[str, str] | None = None
             ) -> tuple[int, dict, dict[str, str]]:
        """POST JSON; return the status, the JSON answer and the headers."""
        data = json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method="POST",
            headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}"), dict(error.headers)

    def lookup(self, number: str, email: str) -> tuple[int, dict, dict[str, str]]:
        """Look an order up through this process."""
        return self.post("/api/orders/lookup", {"order_number": number, "email": email})

    def webhook(self, event: dict) -> tuple[int, dict, dict[str, str]]:
        """Send a signed webhook event to this process."""
        body = json.dumps(event).encode()
        request = urllib.request.Request(
            self.url + "/api/webhooks/orders", data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "X-Helpcenter-Signature": sign(body, SECRET, int(time.time()))})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}"), dict(error.headers)


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Settings both processes share: one PostgreSQL store, one Redis, names unique to this run."""
    for reason in (postgres_missing(), redis_missing()):
        if reason:
            pytest.skip(reason)
    run = uuid.uuid4().hex[:10]
    prefix = f"scaleout_{run}_"
    key_prefix = f"helpcenter-scaleout-{run}"
    tmp = tmp_path_factory.mktemp("scale-out")
    env = {
        "HELPCENTER_DATABASE_URL": POSTGRES_URL,
        "HELPCENTER_DATABASE_TABLE_PREFIX": prefix,
        "HELPCENTER_RATELIMIT_STORAGE_URL": REDIS_URL,
        "HELPCENTER_RATELIMIT_KEY_PREFIX": key_prefix,
        "HELPCENTER_LOOKUP_RATE_LIMIT": f"{LIMIT}/minute",
        "HELPCENTER_WEBHOOK_SECRET": SECRET,
        "HELPCENTER_SITE_DIR": str(tmp / "site"),
        "HELPCENTER_SEARCH_INDEX_DIR": str(tmp / "search-index"),
    }
    yield env
    from sqlalchemy import MetaData
    from sqlalchemy import create_engine

    from lookup.store import engine_url

    # Every table of the prefix: the orders' and those the service adds beside them (insights).
    engine = create_engine(engine_url(POSTGRES_URL))
    tables = MetaData()
    tables.reflect(engine, only=lambda name, _: name.startswith(prefix))
    tables.drop_all(engine)
    engine.dispose()
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{key_prefix}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def services(shared_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Service, Service]]:
    """Two service processes, as on two hosts behind a load balancer."""
    logs = tmp_path_factory.mktemp("scale-out-logs")
    pair = (Service(shared_env, logs / "a.log"), Service(shared_env, logs / "b.log"))
    try:
        for service in pair:
            wait_for(service.url + "/api/health", timeout=60)
        yield pair
    finally:
        for service in pair:
            service.stop()


def unique(tag: str) -> str:
    """An order number no other test (or run) uses."""
    return f"SO-{tag}-{uuid.uuid4().hex[:8].upper()}"


def now() -> str:
    """This moment as an ISO 8601 date-time with its offset."""
    return datetime.now(UTC).isoformat()


def test_an_order_sent_to_one_process_is_found_through_the_other(services):
    first, second = services
    number = unique("WH")
    order = make_order(order_number=number, email="mina@example.com", status="paid")
    status, answer, _ = first.webhook({"event_id": f"evt-{number}", "occurred_at": now(),
                                       "order": order})
    assert (status, answer["result"]) == (200, "applied")

    status, answer, _ = second.lookup(number.lower(), "MINA@example.com")
    assert status == 200, answer
    assert answer["order"]["order_number"] == number
    assert answer["status"]["code"] == "paid"


def test_a_newer_event_through_the_other_process_updates_the_order(services):
    first, second = services
    number = unique("UP")
    paid = make_order(order_number=number, email="jun@example.com", status="paid")
    assert first.webhook({"event_id": f"a-{number}", "occurred_at": now(), "order": paid})[0] == 200
    shipped = make_order(order_number=number, email="jun@example.com", status="shipped")
    assert second.webhook({"event_id": f"b-{number}", "occurred_at": now(),
                           "order": shipped})[1]["result"] == "applied"
    for service in services:
        status, answer, _ = service.lookup(number, "jun@example.com")
        assert (status, answer["status"]["code"]) == (200, "shipped")


def test_an_event_delivered_to_both_processes_is_applied_once(services):
    first, second = services
    number = unique("DUP")
    event = {"event_id": f"evt-{number}", "occurred_at": now(),
             "order": make_order(order_number=number, email="sora@example.com")}
    assert first.webhook(event)[1]["result"] == "applied"
    assert second.webhook(event)[1]["result"] == "duplicate"


def test_an_import_is_read_through_both_processes(services, shared_env, tmp_path):
    number = unique("IMP")
    lines = tmp_path / "orders.jsonl"
    lines.write_text(json.dumps(make_order(order_number=number, email="ben@example.com")) + "\n",
                     encoding="utf-8")
    result = subprocess.run([str(BIN / "helpcenter"), "import", str(lines)],
                            env={**os.environ, **shared_env}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    for service in services:
        status, answer, _ = service.lookup(f"#{number}", "ben@example.com")
        assert status == 200, answer
        assert answer["order"]["order_number"] == number


def test_the_failed_lookup_limit_counts_misses_made_through_both(services):
    first, second = services
    # Misses alternate between the processes: each sees only some, Redis counts them all.
    for attempt in range(LIMIT):
        service = (first, second)[attempt % 2]
        status, _, _ = service.lookup(unique("MISS"), "guess@example.com")
        assert status == 404, f"miss {attempt + 1} of {LIMIT} must still be answered"
    for service in services:
        status, answer, headers = service.lookup(unique("MISS"), "guess@example.com")
        assert status == 429, (
            f"{service.url} saw only half of the misses; with per-process counters it would "
            "still answer 404")
        assert int(headers["Retry-After"]) >= 1
