"""Failed lookups are rate limited per client and per order number; finding your order never is."""

from __future__ import annotations

import socket
import uuid
from datetime import date

import pytest

from lookup import create_app
from lookup.demo import install_demo
from tests.test_api_lookup import LOOKUP
from tests.test_api_lookup import assert_api_error

REDIS_URL = "redis://127.0.0.1:6379"


def make_app(tmp_path, **config):
    """An app with demo orders and a limit of 3 failed lookups a minute."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}",
                      "SITE_DIR": str(tmp_path / "site"), "LOOKUP_RATE_LIMIT": "3/minute",
                      **config})
    install_demo(app.extensions["order_store"], date.today())
    return app


def miss(client, number: str = "NOPE-1", address: str = "10.0.0.1",
         email: str = "guess@example.com", **headers):
    """One failed lookup from a client address."""
    return client.post(LOOKUP, json={"order_number": number, "email": email},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def hit(client, address: str = "10.0.0.1"):
    """One successful lookup of a demo order."""
    return client.post(LOOKUP,
                       json={"order_number": "DEMO-1011", "email": "minho.kang@example.com"},
                       environ_base={"REMOTE_ADDR": address})


def redis_up() -> bool:
    """True when a Redis server answers on the standard local port."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_a_client_that_keeps_missing_gets_429_with_retry_after(tmp_path):
    """The fourth miss in a minute is refused with 429, Retry-After and the one error shape."""
    client = make_app(tmp_path).test_client()
    for number in ("A-1", "A-2", "A-3"):
        assert miss(client, number).status_code == 404
    refused = miss(client, "A-4")
    error = assert_api_error(refused, 429)
    # A sliding window: the minute must end and then 4 misses fade below 3, at most
    # 60 + 60 * (1 - 3/4) seconds (+1 for rounding up), wherever in the minute they fell.
    assert 1 <= int(refused.headers["Retry-After"]) <= 76
    assert "Try again in" in error["detail"]
    assert hit(client).status_code == 429, "a limited client waits, whatever it asks"


def test_successful_lookups_do_not_count(tmp_path):
    """A buyer who finds their order again and again is never limited."""
    client = make_app(tmp_path).test_client()
    for _ in range(10):
        assert hit(client).status_code == 200
    assert miss(client).status_code == 404


def test_an_order_under_attack_refuses_its_guessers_not_its_owner(tmp_path):
    """Past the target allowance, clients that missed on an order are refused on it; the owner,
    from another address, is answered."""
    client = make_app(tmp_path, LOOKUP_TARGET_RATE_LIMIT="3/hour").test_client()
    for index in range(4):
        assert miss(client, "#demo-1011 ", address=f"10.0.1.{index}",
                    email=f"guess{index}@example.com").status_code == 404
    assert miss(client, "DEMO-1011", address="10.0.1.0").status_code == 429
    assert miss(client, "OTHER-1", address="10.0.1.0").status_code == 404, "other orders unaffected"
    assert hit(client, address="10.0.3.1").status_code == 200


def test_forged_forwarded_for_changes_nothing(tmp_path):
    """Without a trusted proxy, X-Forwarded-For cannot buy a client a fresh allowance."""
    client = make_app(tmp_path).test_client()
    for index in range(3):
        miss(client, f"B-{index}", **{"X-Forwarded-For": f"192.0.2.{index}"})
    assert miss(client, "B-9", **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_a_trusted_proxy_names_the_client(tmp_path):
    """With one trusted proxy, each forwarded client has its own allowance."""
    client = make_app(tmp_path, TRUSTED_PROXIES="1").test_client()
    for index in range(3):
        miss(client, f"C-{index}", **{"X-Forwarded-For": "192.0.2.1"})
    assert miss(client, "C-9", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert miss(client, "C-10", **{"X-Forwarded-For": "192.0.2.2"}).status_code == 404


def test_limit_off_is_for_benchmarks(tmp_path):
    """`off` lets every miss through."""
    client = make_app(tmp_path, LOOKUP_RATE_LIMIT="off").test_client()
    assert all(miss(client, f"D-{i}").status_code == 404 for i in range(8))


@pytest.mark.redis
def test_counters_in_redis_are_shared_between_workers(tmp_path):
    """Two app instances on one Redis share the count: misses on one limit the other."""
    if not redis_up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    # A prefix of our own keeps this run's counters apart from any other.
    config = {"RATELIMIT_STORAGE_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first = make_app(tmp_path / "one", **config).test_client()
    second = make_app(tmp_path / "two", **config).test_client()
    for index in range(3):
        assert miss(first, f"E-{index}", address="10.9.9.9").status_code == 404
    assert miss(second, "E-9", address="10.9.9.9").status_code == 429


def test_redis_down_falls_back_to_memory(tmp_path):
    """With Redis unreachable, limits still hold in memory and nothing answers 5xx."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    client = make_app(tmp_path, RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{dead_port}").test_client()
    assert hit(client).status_code == 200
    statuses = [miss(client, f"F-{i}").status_code for i in range(5)]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[-1] == 429


def test_the_api_and_the_no_javascript_page_share_one_allowance(tmp_path):
    """Misses on the form page and on the API draw on the same count."""
    client = make_app(tmp_path).test_client()
    assert miss(client, "G-1").status_code == 404
    assert miss(client, "G-2").status_code == 404
    page = client.post("/order-status/lookup",
                       data={"order_number": "G-3", "email": "x@example.com"},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert page.status_code == 404
    assert miss(client, "G-4").status_code == 429


def page_hit(client, address: str = "10.0.0.1"):
    """One successful lookup of a demo order on the no-JavaScript page."""
    return client.post("/order-status/lookup",
                       data={"order_number": "DEMO-1011", "email": "minho.kang@example.com"},
                       environ_base={"REMOTE_ADDR": address})


def test_hits_cost_no_round_trip_to_the_counters(tmp_path):
    """A buyer who finds their order never touches either limiter's storage; a miss does."""
    from lookup.web.limits import limiter

    app = make_app(tmp_path)
    counts = app.extensions["failed_lookups"]
    calls = []
    real = counts.storage

    class Watched:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(real, name)

    counts.storage = Watched()
    # Flask-Limiter's own storage (searches, votes…), which its before-request check uses.
    flask_limiter_storage = limiter.storage
    for name in ("incr", "get", "get_expiry", "check", "clear", "reset",
                 "get_sliding_window", "acquire_sliding_window_entry",
                 "get_moving_window", "acquire_entry"):
        method = getattr(flask_limiter_storage, name, None)
        if method is not None:
            def watched(*args, _name=name, _method=method, **kwargs):
                calls.append(f"flask-limiter {_name}")
                return _method(*args, **kwargs)
            setattr(flask_limiter_storage, name, watched)
    client = app.test_client()
    for _ in range(20):
        assert hit(client).status_code == 200
        assert page_hit(client).status_code == 200
    assert calls == []
    assert miss(client).status_code == 404
    assert "incr" in calls
    # The watch itself works: a search is counted by Flask-Limiter.
    client.get("/api/search?q=refund")
    assert any(call.startswith("flask-limiter") for call in calls)


@pytest.mark.redis
def test_hits_send_nothing_to_redis(tmp_path, monkeypatch):
    """With the counters in Redis, a hit (API or no-JS page) sends Redis no command at all."""
    if not redis_up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    import redis

    app = make_app(tmp_path, RATELIMIT_STORAGE_URL=REDIS_URL,
                   RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    assert hit(client).status_code == 200  # connections and scripts set up, if ever
    commands = []
    send = redis.Redis.execute_command
    send_many = redis.client.Pipeline.execute

    def watched(self, *args, **options):
        commands.append(args[0])
        return send(self, *args, **options)

    def watched_pipeline(self, *args, **options):
        commands.append("pipeline")
        return send_many(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", watched)
    monkeypatch.setattr(redis.client.Pipeline, "execute", watched_pipeline)
    for _ in range(20):
        assert hit(client).status_code == 200
        assert page_hit(client).status_code == 200
    assert commands == []
    assert miss(client).status_code == 404
    assert commands
