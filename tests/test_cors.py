"""CORS on the API: only configured origins, echoed exactly, never `null`, preflights answered."""

from __future__ import annotations

import pytest

from lookup import create_app

ALLOWED = "https://help.example.com"


def make_client(tmp_path, **config):
    """A client of an app on a fresh instance; CORS needs no built site."""
    app = create_app(
        {
            "TESTING": True,
            "SITE_DIR": str(tmp_path / "site"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
            **config,
        }
    )
    return app.test_client()


@pytest.fixture
def cors_client(tmp_path):
    """A client of an app that allows one other origin (and, wrongly, `null`) to call the API."""
    return make_client(tmp_path, ALLOWED_ORIGINS=f"{ALLOWED}/ , null,https://shop.example.org")


def test_allowed_origin_is_echoed_exactly_with_vary(cors_client):
    """An allowed origin gets itself back, may read Retry-After, and caches key on Origin."""
    response = cors_client.get("/api/health", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "https://evil.example",
        "https://help.example.com.evil.example",
        "http://help.example.com",
        "*",
    ],
)
def test_other_origins_get_no_cors_headers(cors_client, origin):
    """`null`, look-alikes and other schemes are never allowed, though the answer still varies."""
    response = cors_client.get("/api/health", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_preflight_for_allowed_origin(cors_client):
    """A preflight for a JSON POST is answered before routing, with methods and headers."""
    response = cors_client.options(
        "/api/orders/lookup",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_preflight_for_other_origin_allows_nothing(cors_client):
    """A preflight from an origin not on the list is refused by omission: no allow headers."""
    response = cors_client.options(
        "/api/orders/lookup",
        headers={"Origin": "null", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert not any(name.startswith("Access-Control-Allow") for name in response.headers.keys())


def test_no_cors_without_configuration(tmp_path):
    """With nothing configured, no origin is allowed."""
    response = make_client(tmp_path).get("/api/health", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_pages_outside_the_api_carry_no_cors(cors_client):
    """The site itself is not part of the CORS surface."""
    response = cors_client.get("/order-status/", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("name", ["Vary", "vary"])
def test_origin_joins_a_vary_the_answer_already_has(tmp_path, name):
    """An answer that already varies by something keeps it, with Origin added once."""
    from flask import Response

    from lookup.web.cors import add_cors_headers

    app = make_client(tmp_path, ALLOWED_ORIGINS=ALLOWED).application
    with app.test_request_context("/api/health", headers={"Origin": ALLOWED}):
        response = add_cors_headers(Response(headers={name: "Accept-Language"}))
    assert response.headers.getlist("Vary") == ["Accept-Language, Origin"]
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
