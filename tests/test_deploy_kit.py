"""The production kit, run for real: Debian's nginx in front of gunicorn on PostgreSQL and Redis.

nginx runs as a child of the test with a configuration written from deploy/nginx/helpcenter.conf
into a temporary prefix (the machine's /etc/nginx is never used), gunicorn with
deploy/gunicorn.conf.py; both on loopback on free ports. Clients connect from different loopback
addresses (127.0.0.2, 127.0.0.3, ...), so nginx and the service see them as different machines.
"""

from __future__ import annotations

import getpass
import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from tests.helpers import free_port
from tests.helpers import wait_for
from tests.lookup_fixtures import POSTGRES_URL
from tests.lookup_fixtures import make_order
from tests.test_scale_out import REDIS_URL
from tests.test_scale_out import postgres_missing
from tests.test_scale_out import redis_missing

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

NGINX = "/usr/sbin/nginx"
BIN = Path(sys.executable).parent
DEPLOY = PROJECT_DIR / "deploy"
LIMIT = 10
EMAIL = "mina.park@example.com"
# nginx's main configuration around the site, as /etc/nginx/nginx.conf would hold it.
MAIN_CONF = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/helpcenter.conf;
}}
"""


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names) and the body as sent."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Kit:
    """The running kit: nginx's port and the logs of both servers."""

    port: int
    gunicorn_log: Path
    nginx_dir: Path

    def request(self, method: str, path: str, client: str = "127.0.0.2", body: dict | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        """Send one request to nginx from the given loopback address."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                source_address=(client, 0))
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if data else {}
        try:
            connection.request(method, path, body=data, headers={**sent, **(headers or {})})
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                          response.read())
        finally:
            connection.close()

    def lookup(self, number: str, email: str, client: str,
               headers: dict[str, str] | None = None) -> Answer:
        """An order lookup through nginx."""
        return self.request("POST", "/api/orders/lookup", client,
                            {"order_number": number, "email": email}, headers)


def stop(process: subprocess.Popen) -> None:
    """Stop a process group this test started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def kit(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    """gunicorn (deploy/gunicorn.conf.py) on PostgreSQL and Redis, behind nginx (deploy/nginx)."""
    for reason in (postgres_missing(), redis_missing()):
        if reason:
            pytest.skip(reason)
    assert Path(NGINX).exists(), "nginx is missing: `make test` installs it (make nginx)"
    run = uuid.uuid4().hex[:10]
    prefix, key_prefix = f"kit_{run}_", f"helpcenter-kit-{run}"
    tmp = tmp_path_factory.mktemp("kit")
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")},
        "HELPCENTER_DATABASE_URL": POSTGRES_URL,
        "HELPCENTER_DATABASE_TABLE_PREFIX": prefix,
        "HELPCENTER_RATELIMIT_STORAGE_URL": REDIS_URL,
        "HELPCENTER_RATELIMIT_KEY_PREFIX": key_prefix,
        "HELPCENTER_LOOKUP_RATE_LIMIT": f"{LIMIT}/minute",
        "HELPCENTER_TRUSTED_PROXIES": "1",
        "HELPCENTER_SITE_DIR": str(built_site),
        "HELPCENTER_SEARCH_INDEX_DIR": str(tmp / "search-index"),
        "WEB_CONCURRENCY": "2",
    }
    import search

    # The release as `helpcenter build` leaves it: the site and its index.
    search.build_index(built_site, tmp / "search-index")
    orders = tmp / "orders.jsonl"
    orders.write_text(json.dumps(make_order(order_number=f"KIT-{run}", email=EMAIL)) + "\n",
                      encoding="utf-8")
    subprocess.run([str(BIN / "helpcenter"), "import", str(orders)], env=env, check=True,
                   capture_output=True, timeout=120)

    service_port, nginx_port = free_port(), free_port()
    gunicorn_log = tmp / "gunicorn.log"
    with gunicorn_log.open("wb") as log:
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{service_port}", "lookup:create_app()"],
            env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    nginx_dir = tmp / "nginx"
    (nginx_dir / "tmp").mkdir(parents=True)
    site = subprocess.run(
        [sys.executable, str(DEPLOY / "nginx_site.py"), "--site-dir", str(built_site),
         "--listen", f"127.0.0.1:{nginx_port}", "--upstream", f"127.0.0.1:{service_port}"],
        env=env, check=True, capture_output=True, text=True).stdout
    (nginx_dir / "helpcenter.conf").write_text(site, encoding="utf-8")
    # Started as root, nginx's workers would switch to `nobody`, who cannot read pytest's folders.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    (nginx_dir / "nginx.conf").write_text(MAIN_CONF.format(user=user, prefix=nginx_dir),
                                          encoding="utf-8")
    nginx = subprocess.Popen(
        [NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"),
         "-e", str(nginx_dir / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{nginx_port}/api/health", timeout=90)
        yield Kit(nginx_port, gunicorn_log, nginx_dir)
    finally:
        stop(nginx)
        stop(gunicorn)
        drop_run(prefix, key_prefix)


def drop_run(prefix: str, key_prefix: str) -> None:
    """Drop this run's tables and rate-limit keys from the shared servers."""
    import redis
    from sqlalchemy import MetaData
    from sqlalchemy import create_engine

    from lookup.store import engine_url

    engine = create_engine(engine_url(POSTGRES_URL))
    tables = MetaData()
    tables.reflect(engine, only=lambda name, _: name.startswith(prefix))
    tables.drop_all(engine)
    engine.dispose()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{key_prefix}*"):
        client.delete(key)


def test_a_page_comes_from_nginx_with_a_short_cache_and_the_security_headers(kit, built_site):
    page = kit.request("GET", "/returns/policy/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert page.headers["content-encoding"] == "gzip"
    assert b"Return" in gzip.decompress(page.body)
    assert page.headers["cache-control"] == "max-age=300"
    assert page.headers["server"] == "nginx"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    csp = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in next(p for p in csp.split("; ") if p.startswith("script-src"))
    # The page's own inline scripts are allowed, as the service allows them.
    from lookup.web.security import inline_script_hashes

    for digest in inline_script_hashes(built_site / "returns" / "policy" / "index.html"):
        assert f"'{digest}'" in csp


def test_fingerprinted_assets_are_cached_for_a_year(kit, built_site):
    bundle = next((built_site / "assets" / "javascripts").glob("bundle.*.min.js"))
    answer = kit.request("GET", f"/assets/javascripts/{bundle.name}")
    assert answer.status == 200
    assert answer.headers["cache-control"] == "max-age=31536000"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_missing_page_is_the_sites_404_page(kit):
    answer = kit.request("GET", "/no/such/page/")
    assert answer.status == 404
    assert b"md-content" in answer.body
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_folder_without_its_slash_is_redirected_on_the_same_host(kit):
    answer = kit.request("GET", "/returns/policy")
    assert answer.status == 301
    assert answer.headers["location"] == "/returns/policy/"


def test_a_lookup_goes_through_nginx_to_the_service(kit):
    number = kit_order_number(kit)
    answer = kit.lookup(number, EMAIL, "127.0.0.4")
    assert answer.status == 200, answer.body
    assert answer.json()["order"]["order_number"] == number
    # The service's own headers, never the site's cache.
    assert answer.headers["cache-control"] == "no-store"


def kit_order_number(kit: Kit) -> str:
    """The order the kit imported (its number is in the import's temporary file)."""
    orders = kit.nginx_dir.parent / "orders.jsonl"
    return json.loads(orders.read_text(encoding="utf-8"))["order_number"]


def test_the_no_javascript_page_and_the_operator_page_are_the_services(kit):
    # The service sends a reloaded answer page back to the form; nginx has no such file.
    page = kit.request("GET", "/order-status/lookup", "127.0.0.6")
    assert (page.status, page.headers["location"]) == (303, "/order-status/")
    # No operator token is configured: the service answers that the page does not exist.
    assert kit.request("GET", "/operator/report").status == 404


def test_a_body_over_nginxs_limit_is_refused_before_the_service(kit):
    answer = kit.request("POST", "/api/webhooks/orders", body={"pad": "x" * (2 * 1024 * 1024)})
    assert answer.status == 413
    assert answer.headers["server"] == "nginx"


def test_ten_misses_from_one_client_do_not_refuse_another(kit):
    guesser, other = "127.0.0.2", "127.0.0.3"
    for attempt in range(LIMIT):
        answer = kit.lookup(f"GUESS-{uuid.uuid4().hex[:8]}", "guess@example.com", guesser)
        assert answer.status == 404, f"miss {attempt + 1} of {LIMIT} must still be answered"
    refused = kit.lookup(f"GUESS-{uuid.uuid4().hex[:8]}", "guess@example.com", guesser)
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    # A forged X-Forwarded-For does not make the guesser someone else: nginx appends the real
    # address and the service trusts only that last entry.
    forged = kit.lookup(f"GUESS-{uuid.uuid4().hex[:8]}", "guess@example.com", guesser,
                        {"X-Forwarded-For": "203.0.113.9"})
    assert forged.status == 429
    # Another machine behind the same nginx still has its own allowance.
    assert kit.lookup(f"GUESS-{uuid.uuid4().hex[:8]}", "guess@example.com", other).status == 404
    found = kit.lookup(kit_order_number(kit), EMAIL, other)
    assert found.status == 200, found.body


def test_gunicorns_own_log_lines_are_json_without_emails_or_query_strings(kit):
    assert kit.lookup("NO-SUCH-ORDER", EMAIL, "127.0.0.5").status == 404
    assert kit.request("GET", f"/api/search?q={EMAIL}", "127.0.0.5").status == 200
    # Workers write each access line when they answer; the last request's line is the settled state.
    wait_for_log_line(kit.gunicorn_log, '"path": "/api/search"')
    lines = kit.gunicorn_log.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    assert {"method", "path", "status", "duration_ms"} <= set(access[-1])
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    text = "\n".join(lines)
    assert "@" not in text.replace("<email>", "")
    assert "q=" not in text
    assert "?" not in "".join(e["path"] for e in access)


def wait_for_log_line(path: Path, needle: str, timeout: float = 30) -> None:
    """Wait until the log holds a line with needle (the worker writes it after answering)."""
    import time

    deadline = time.monotonic() + timeout
    while needle not in path.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, f"no log line with {needle} in {timeout} s"
        time.sleep(0.1)
