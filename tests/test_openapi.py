"""The OpenAPI document: valid OpenAPI 3.1, every endpoint described, real answers match it."""

from __future__ import annotations

import json
import time
from datetime import date

import jsonschema
import pytest
from openapi_spec_validator import validate

from lookup.demo import install_demo
from lookup.web.webhook import sign
from tests.lookup_fixtures import make_order


@pytest.fixture
def spec(client) -> dict:
    """The served OpenAPI document."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(spec: dict, path: str, method: str, response) -> None:
    """Validate a real response against the schema the document gives for its status."""
    described = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in described, (path, response.status_code)
    schema = described[str(response.status_code)]["content"]["application/json"]["schema"]
    # Resolve #/components/... against the whole document.
    jsonschema.Draft202012Validator({**spec, **schema},
                                    format_checker=jsonschema.FormatChecker()).validate(
        response.get_json())


def test_document_is_valid_openapi_31(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_api_route_is_described(app, spec):
    rules = {rule.rule.replace("<", "{").replace(">", "}") for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/") and "path:" not in rule.rule}
    assert rules <= set(spec["paths"])
    assert {"/api/orders/lookup", "/api/webhooks/orders", "/api/search", "/api/health",
            "/api/openapi.json"} <= set(spec["paths"])


def test_lookup_answers_match_the_schema(app, client, spec):
    app.config["LOOKUP_RATE_LIMIT"] = "off"
    install_demo(app.extensions["order_store"], date.today())
    from lookup.demo import demo_orders

    for order in demo_orders(date.today()):
        response = client.post("/api/orders/lookup", json={"order_number": order.order_number,
                                                           "email": order.email})
        check(spec, "/api/orders/lookup", "post", response)
    for body, kwargs in [({"order_number": "X", "email": "x@example.com"}, {}),
                         ({"email": "x@example.com"}, {}),
                         (None, {"data": "x", "content_type": "text/plain"})]:
        response = client.post("/api/orders/lookup", json=body, **kwargs) if body is not None \
            else client.post("/api/orders/lookup", **kwargs)
        check(spec, "/api/orders/lookup", "post", response)


def test_webhook_answers_match_the_schema(app, client, spec):
    app.config["WEBHOOK_SECRET"] = "s"
    body = json.dumps({"event_id": "e", "occurred_at": "2026-03-02T10:16:05+09:00",
                       "order": make_order()}).encode()
    for header in (sign(body, "s", int(time.time())), "t=1,v1=00"):
        response = client.post("/api/webhooks/orders", data=body, content_type="application/json",
                               headers={"X-Helpcenter-Signature": header})
        check(spec, "/api/webhooks/orders", "post", response)


def test_health_and_openapi_match_the_schema(client, spec):
    check(spec, "/api/health", "get", client.get("/api/health"))
    check(spec, "/api/openapi.json", "get", client.get("/api/openapi.json"))


@pytest.mark.parametrize("query", ["return", "retrun damaged", "\x00", "🙂" * 300, "x" * 5000])
def test_search_answer_matches_the_schema(indexed_app, spec, query):
    response = indexed_app.test_client().get("/api/search", query_string={"q": query,
                                                                         "limit": 3})
    assert response.status_code in (200, 400)
    check(spec, "/api/search", "get", response)
