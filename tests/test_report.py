"""`helpcenter report` and the operator page: the same report, for a period, behind a token."""

from __future__ import annotations

import json
from datetime import date
from datetime import timedelta

import pytest

from lookup import create_app
from lookup.report import build_report
from lookup.report import fold_prefixes
from lookup.report import format_text
from lookup.report import period
from lookup.report import search_sections
from lookup.report import worst_articles
from lookup.web.cli import main
from lookup.web.insights import today

TOKEN = "s3cret-operator-token-0123456789abcdef"
REPORT = "/operator/report"


@pytest.fixture
def insights_app(app):
    """The app with a few days of votes, searches and next steps counted."""
    insights = app.extensions["insights"]
    now = today()
    old = now - timedelta(days=40)
    votes = [("/returns/policy/", False, "Which courier?"), ("/returns/policy/", False, None),
             ("/returns/policy/", True, None), ("/refunds/", True, None),
             ("/delivery/tracking/", False, None)]
    for n, (page, helpful, comment) in enumerate(votes):
        insights.add_vote(f"view-{n:012d}", page, helpful, now, comment)
    insights.add_vote("view-old-0000000", "/payments/", False, old)
    for query, results in [("return label", 3), ("return label", 3), ("return label", 3),
                           ("xylophone", 0), ("xylophone", 0), ("customs fee", 4),
                           ("customs fee", 4)]:
        insights.count_search(query, results, now)
    insights.count_search("ancient query", 0, old)
    insights.count_click("return label", now)
    insights.count_steps(["return", "track"], now)
    insights.count_steps(["return"], now)
    return app


def test_period_runs_from_since_or_the_last_days_to_today():
    day = date(2026, 11, 25)
    assert period(None, 7, day) == (date(2026, 11, 19), day)
    assert period(date(2026, 11, 1), None, day) == (date(2026, 11, 1), day)
    assert period(None, None, day) == (date(2026, 10, 27), day)


def test_queries_typed_on_the_way_to_a_longer_one_are_folded():
    rows = {"r": (1, 0, 0), "ret": (1, 0, 0), "return": (5, 0, 2), "return policy": (1, 0, 1),
            "tax": (2, 0, 0), "taxes": (2, 0, 0)}
    assert sorted(fold_prefixes(rows)) == ["return", "return policy", "taxes"]


def test_search_sections_rank_top_zero_and_low_click_queries():
    sections = search_sections([("a", 5, 0, 4), ("b", 3, 3, 0), ("c", 4, 0, 0)], limit=10)
    assert [s["query"] for s in sections["top_searches"]] == ["a", "c", "b"]
    assert sections["zero_result_searches"] == [{"query": "b", "searches": 3}]
    assert sections["low_click_searches"] == [
        {"query": "c", "searches": 4, "clicks": 0, "click_rate": 0.0}]


def test_worst_articles_come_first():
    ranked = worst_articles([{"page": "/a/", "yes": 3, "no": 1}, {"page": "/b/", "yes": 0, "no": 1},
                             {"page": "/c/", "yes": 0, "no": 4}], limit=2)
    assert [(r["page"], r["helpful_ratio"]) for r in ranked] == [("/c/", 0.0), ("/b/", 0.0)]


def test_build_report_covers_the_period(insights_app):
    with insights_app.app_context():
        data = build_report(insights_app.extensions["insights"], *period(None, 30, today()))
    assert [a["page"] for a in data["articles"]] == [
        "/delivery/tracking/", "/returns/policy/", "/refunds/"]
    policy = data["articles"][1]
    assert (policy["yes"], policy["no"], policy["helpful_ratio"]) == (1, 2, 0.33)
    assert [c["comment"] for c in policy["latest_comments"]] == ["Which courier?"]
    assert data["top_searches"][0] == {"language": "en", "query": "return label", "searches": 3,
                                       "zero_results": 0, "clicks": 1}
    assert data["zero_result_searches"] == [{"language": "en", "query": "xylophone",
                                             "searches": 2}]
    assert [s["query"] for s in data["low_click_searches"]] == ["customs fee"]
    assert data["next_steps"] == [{"id": "return", "shown": 2}, {"id": "track", "shown": 1}]
    assert "/payments/" not in json.dumps(data) and "ancient" not in json.dumps(data)


def test_cli_prints_plain_tables(insights_app):
    result = insights_app.test_cli_runner().invoke(main, ["report", "--days", "7"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"Help center report, {today() - timedelta(days=6)} to {today()}")
    for heading in ("Articles with the worst helpful ratio", "Top searches",
                    "Searches that found nothing", "Searches whose answers were rarely opened",
                    "Next steps shown most often in lookups"):
        assert heading in out
    assert "/delivery/tracking/" in out and "xylophone" in out and "Which courier?" in out
    assert format_text(json.loads(
        insights_app.test_cli_runner().invoke(main, ["report", "--days", "7", "--json"]).output
    )) == out


def test_cli_json_and_since(insights_app):
    runner = insights_app.test_cli_runner()
    since = (today() - timedelta(days=60)).isoformat()
    data = json.loads(runner.invoke(main, ["report", "--since", since, "--json"]).output)
    assert data["period"] == {"since": since, "until": today().isoformat()}
    assert "/payments/" in [a["page"] for a in data["articles"]]
    assert "ancient query" in [s["query"] for s in data["zero_result_searches"]]
    both = runner.invoke(main, ["report", "--since", since, "--days", "3"])
    assert both.exit_code == 2 and "not both" in both.output
    assert runner.invoke(main, ["report", "--since", "yesterday"]).exit_code == 2


def test_the_operator_page_is_off_without_a_token(insights_app, client):
    assert client.get(REPORT).status_code == 404
    assert client.post(REPORT, data={"token": "anything"}).status_code == 404
    assert client.get(REPORT, headers={"Authorization": "Bearer anything"}).status_code == 404


def test_the_token_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPCENTER_OPERATOR_TOKEN", "1" * 32)
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", f"sqlite:///{tmp_path / 'o.sqlite'}")
    assert create_app().config["OPERATOR_TOKEN"] == "1" * 32


def test_a_short_token_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPCENTER_OPERATOR_TOKEN", "1" * 31)
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", f"sqlite:///{tmp_path / 'o.sqlite'}")
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app()


def test_plain_gets_of_the_login_form_never_lock_the_token_out(insights_app, client):
    insights_app.config.update(OPERATOR_TOKEN=TOKEN, OPERATOR_RATE_LIMIT="2/minute")
    for _ in range(10):
        assert client.get(REPORT).status_code == 401
        assert client.post(REPORT, data={}).status_code == 401
    assert client.post(REPORT, data={"token": TOKEN}).status_code == 200


def test_the_operator_page_asks_for_the_token(insights_app, client):
    insights_app.config["OPERATOR_TOKEN"] = TOKEN
    login = client.get(REPORT)
    assert login.status_code == 401
    html = login.get_data(as_text=True)
    assert 'type="password"' in html and 'method="post"' in html
    assert "<script" not in html
    assert login.headers["Cache-Control"] == "no-store"
    # Never from the URL: a token in a query string ends up in logs and histories.
    assert client.get(f"{REPORT}?token={TOKEN}").status_code == 401
    wrong = client.post(REPORT, data={"token": TOKEN + "x"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    assert client.get(REPORT, headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("how", ["form", "bearer"])
def test_the_operator_page_shows_the_report(insights_app, client, how):
    insights_app.config["OPERATOR_TOKEN"] = TOKEN
    if how == "form":
        page = client.post(REPORT, data={"token": TOKEN, "days": "7"})
    else:
        page = client.get(f"{REPORT}?days=7", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"From {today() - timedelta(days=6)} to {today()}" in html
    for shown in ("/delivery/tracking/", "33%", "Which courier?", "return label", "xylophone",
                  "customs fee", "return", "track"):
        assert shown in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_bad_period_says_so(insights_app, client):
    insights_app.config["OPERATOR_TOKEN"] = TOKEN
    page = client.post(REPORT, data={"token": TOKEN, "days": "0"})
    assert page.status_code == 400
    assert "days: a number from 1 to 366" in page.get_data(as_text=True)


def test_tokens_are_compared_in_constant_time(insights_app, client, monkeypatch):
    import lookup.web.operator_page

    insights_app.config["OPERATOR_TOKEN"] = TOKEN
    compared = []
    real = lookup.web.operator_page.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(lookup.web.operator_page.hmac, "compare_digest", spy)
    client.post(REPORT, data={"token": "guess"})
    assert compared == [(b"guess", TOKEN.encode())]


def test_wrong_tokens_are_rate_limited(insights_app, client):
    insights_app.config.update(OPERATOR_TOKEN=TOKEN, OPERATOR_RATE_LIMIT="2/minute")
    for _ in range(2):
        assert client.post(REPORT, data={"token": "guess"}).status_code == 401
    refused = client.post(REPORT, data={"token": "guess"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
