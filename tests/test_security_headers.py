"""Security headers on every answer, and a CSP the built Material site really works under."""

from __future__ import annotations

import pytest


def test_api_answers_carry_security_headers(client):
    """API answers are nosniff, carry a Referrer-Policy and forbid framing by others."""
    response = client.get("/api/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_site_pages_allow_only_their_own_inline_scripts(client):
    """A built page's CSP lists its inline scripts by hash, never allowing unsafe-inline scripts."""
    with client.get("/") as response:
        csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split("; ") if part.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'sha256-" in script_src
    assert "frame-ancestors 'self'" in csp


@pytest.mark.browser
def test_built_site_runs_under_its_csp_in_chromium(browser, live_server):
    """Pages, the palette toggle and Material's own search run in Chromium with no CSP violation."""
    page = browser.new_page()
    violations: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    for path in ("/", "/returns/policy/", "/order-status/"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        violations += page.evaluate("window.__csp || []")
    # The palette toggle runs Material's inline-configured JavaScript.
    page.locator("label[title='Switch to dark mode']").click()
    assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
    violations += page.evaluate("window.__csp || []")
    page.close()
    assert violations == []
    assert errors == []


@pytest.mark.parametrize("proxies, forwarded, hsts", [
    (1, "https", True),   # a trusted proxy says the buyer came over HTTPS
    (0, "https", False),  # nobody is trusted: the header is the client's word only
    (1, "http", False),
])
def test_hsts_follows_the_scheme_a_trusted_proxy_reports(tmp_path, built_site, proxies,
                                                          forwarded, hsts):
    from lookup import create_app

    app = create_app({"TESTING": True, "SITE_DIR": str(built_site), "TRUSTED_PROXIES": proxies,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp_path / "search-index")})
    for path in ("/api/health", "/", "/api/nothing-here"):
        response = app.test_client().get(path, headers={"X-Forwarded-Proto": forwarded,
                                                        "X-Forwarded-For": "203.0.113.9"})
        response.close()
        assert ("Strict-Transport-Security" in response.headers) is hsts, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # One of each, whoever set it first.
        assert len(response.headers.getlist("Content-Security-Policy")) == 1
