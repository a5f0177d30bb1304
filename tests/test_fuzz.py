"""Fuzz every operation of /api/openapi.json with schemathesis: valid and invalid requests,
zero 5xx, and every answer (status, content type, headers, body) as the document says."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import response_headers_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from lookup import create_app
from lookup.demo import install_demo
from lookup.web.webhook import SIGNATURE_HEADER
from lookup.web.webhook import sign
from tests.test_search_api import site_index  # noqa: F401  (the session's built index)

pytestmark = pytest.mark.slow

SECRET = "whsec_fuzz"
WEBHOOK_PATH = "/api/webhooks/orders"
# Per operation and per mode (positive, negative): 5 operations or more, so well over 1,000
# requests, in about a minute on a small machine.
EXAMPLES = 200
MIN_REQUESTS = 1000
FAILURE_CHARS = int(os.environ.get("FUZZ_FAILURE_CHARS", "1500"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


class SigningMiddleware:
    """Signs three webhook requests in four with the real secret, so fuzzed events get past the
    signature and reach validation and the store; the fourth keeps its fuzzed header (401)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Replace the signature header of a webhook request with a valid one, mostly."""
        header = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
        # A request sent without the header (a negative case) stays without it.
        if environ.get("PATH_INFO") == WEBHOOK_PATH and header in environ:
            body = environ["wsgi.input"].read()
            environ["wsgi.input"] = io.BytesIO(body)
            if hashlib.sha256(body).digest()[0] % 4:
                environ[header] = sign(body, SECRET, int(time.time()))
        return self.app(environ, start_response)


@pytest.fixture
def fuzz_app(tmp_path: Path, built_site: Path, site_index: Path):  # noqa: F811
    """The whole service with demo orders, a search index, a webhook secret and limits so high
    that fuzzing is never throttled (the limiter still runs on every lookup)."""
    app = create_app({
        "TESTING": True, "SITE_DIR": str(built_site), "SEARCH_INDEX_DIR": str(site_index),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
        "LOOKUP_RATE_LIMIT": "1000000/minute", "WEBHOOK_SECRET": SECRET,
        # Other endpoints' own limits (feedback votes, search clicks), for the same reason.
        "FEEDBACK_RATE_LIMIT": "1000000/minute", "SEARCH_CLICK_RATE_LIMIT": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    })
    install_demo(app.extensions["order_store"], date.today())
    app.wsgi_app = SigningMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


class Tally:
    """What the fuzzing sent and got back, and the checks that failed."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.failures: list[str] = []
        self.no_negatives: list[str] = []
        self.kinds: set[str] = set()

    def fuzz(self, operation: Any, mode: GenerationMode) -> None:
        """Send EXAMPLES generated requests to one operation and check each answer."""

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            response = case.call()
            self.sent[f"{operation.label} {mode.value}"] += 1
            self.statuses[f"{operation.label} {response.status_code}"] += 1
            checks = list(CHECKS)
            if mode is GenerationMode.NEGATIVE and response.status_code < 400:
                # Invalid input must be refused. Any 4xx is a refusal (the check's own list
                # leaves out 413, which a too-long field rightly gets).
                checks.append(negative_data_rejection)
            try:
                case.validate_response(response, checks=checks)
            except (AssertionError, FailureGroup) as exc:  # how schemathesis reports failures
                summary = f"{operation.label} [{mode.value}] {response.status_code}: {exc}"
                kind = summary.split("Reproduce with")[0]
                if len(self.failures) < 20 and kind not in self.kinds:
                    self.kinds.add(kind)
                    self.failures.append(summary[:FAILURE_CHARS])

        try:
            run()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): only positive cases exist.
            if mode is not GenerationMode.NEGATIVE:
                raise
            self.no_negatives.append(operation.label)


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis's caches in a temporary folder, not a .hypothesis folder in the work tree."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def test_fuzz_the_openapi_document(fuzz_app, hypothesis_home, record_property):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    tally = Tally()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tally.fuzz(operation, mode)
    total = sum(tally.sent.values())
    print(f"\nfuzzed {total} requests: {dict(tally.sent)}\nanswers: {dict(tally.statuses)}\n"
          f"no negative cases possible: {tally.no_negatives}")
    record_property("fuzz_requests", total)
    assert not tally.failures, "\n\n".join(tally.failures)
    assert total >= MIN_REQUESTS
    assert not [label for label in tally.statuses if label.split()[-1].startswith("5")]
