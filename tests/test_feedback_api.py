"""POST /api/feedback and /api/feedback/comment: one vote per view, validated, nothing personal."""

from __future__ import annotations

import jsonschema
import pytest
from sqlalchemy import inspect
from sqlalchemy import select

FEEDBACK = "/api/feedback"
COMMENT = "/api/feedback/comment"
PAGE = "/returns/policy/"
VIEW = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def vote(**fields) -> dict:
    """A valid vote, with fields replaced or (None) removed."""
    body = {"page": PAGE, "helpful": False, "view": VIEW, **fields}
    return {k: v for k, v in body.items() if v is not None}


def assert_api_error(response, status: int) -> dict:
    """The one JSON error shape (lookup.web.errors), with the expected status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == status
    assert set(error) >= {"status", "title", "detail"}
    return error


def stored_votes(app) -> list:
    """Every stored vote, as rows."""
    insights = app.extensions["insights"]
    insights.ensure_schema()
    with insights.orders.read() as conn:
        return conn.execute(select(insights.votes)).all()


def check_schema(client, path: str, response) -> None:
    """The answer matches what /api/openapi.json describes for its status."""
    spec = client.get("/api/openapi.json").get_json()
    described = spec["paths"][path]["post"]["responses"]
    assert str(response.status_code) in described
    schema = described[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**spec, **schema}).validate(response.get_json())


def test_a_vote_is_stored_once_per_page_view(app, client):
    first = client.post(FEEDBACK, json=vote(helpful=True))
    assert first.status_code == 201
    assert first.get_json() == {"stored": True}
    again = client.post(FEEDBACK, json=vote(helpful=False))
    error = assert_api_error(again, 409)
    assert error["detail"].startswith("view:")
    rows = stored_votes(app)
    assert [(r.page, r.helpful) for r in rows] == [(PAGE, True)]
    check_schema(client, FEEDBACK, first)
    check_schema(client, FEEDBACK, again)


def test_a_vote_may_carry_a_comment_and_the_page_view_may_add_one_later(app, client):
    first = client.post(FEEDBACK, json=vote(view="a" * 16, comment="  Too   vague\n"))
    assert first.status_code == 201
    assert client.post(FEEDBACK, json=vote(view="b" * 16)).status_code == 201
    added = client.post(COMMENT, json={"view": "b" * 16, "comment": "Which courier?"})
    assert added.status_code == 200
    check_schema(client, COMMENT, added)
    assert_api_error(client.post(COMMENT, json={"view": "b" * 16, "comment": "again"}), 409)
    assert_api_error(client.post(COMMENT, json={"view": "c" * 16, "comment": "no vote"}), 404)
    comments = sorted((r.view_token[0], r.comment) for r in stored_votes(app))
    assert comments == [("a", "Too vague"), ("b", "Which courier?")]


def test_comments_lose_what_looks_like_contact_details(app, client):
    text = "Mail me at jo.b@example.com or call +82 10-1234-5678 about CM-100234"
    assert client.post(FEEDBACK, json=vote(comment=text)).status_code == 201
    (row,) = stored_votes(app)
    assert row.comment == "Mail me at <email> or call <phone> about <order number>"


def test_nothing_about_the_voter_is_kept(app, client):
    response = client.post(FEEDBACK, json=vote(), headers={"X-Forwarded-For": "203.0.113.9"},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    insights = app.extensions["insights"]
    columns = {c["name"] for c in inspect(insights.engine).get_columns(insights.votes.name)}
    assert columns == {"view_token", "page", "helpful", "comment", "day"}
    assert "198.51.100.7" not in repr(stored_votes(app))


@pytest.mark.parametrize(("body", "field"), [
    (vote(page=None), "page"),
    (vote(page="returns/policy/"), "page"),
    (vote(page="/returns/policy/?x=1"), "page"),
    (vote(page="/../../etc/passwd"), "page"),
    (vote(page="/no-such-article/"), "page"),
    (vote(page="/returns/policy/\n"), "page"),
    (vote(helpful=None), "helpful"),
    (vote(helpful="yes"), "helpful"),
    (vote(helpful=1), "helpful"),
    (vote(view=None), "view"),
    (vote(view="short"), "view"),
    (vote(view="x" * 16 + "\n"), "view"),
    (vote(comment="x" * 501), "comment"),
    (vote(comment=7), "comment"),
    (vote(comment="bell\x07"), "comment"),
    (vote(comment="\ud800"), "comment"),
    (vote(score=5), "score"),
    ([1, 2], "body"),
])
def test_bad_votes_are_refused_naming_the_field(app, client, body, field):
    error = assert_api_error(client.post(FEEDBACK, json=body), 400)
    assert error["detail"].startswith(f"{field}:")
    assert stored_votes(app) == []


def test_not_json_or_too_big_is_refused(client):
    assert_api_error(client.post(FEEDBACK, data="helpful", content_type="text/plain"), 415)
    assert_api_error(client.post(FEEDBACK, json=vote(comment="x" * 4000)), 413)
    assert_api_error(client.post(COMMENT, json={"view": VIEW, "comment": " "}), 400)


def test_votes_are_rate_limited_per_client(app, client):
    app.config["FEEDBACK_RATE_LIMIT"] = "2/minute"
    for n in range(2):
        assert client.post(FEEDBACK, json=vote(view=f"{n}" * 16)).status_code == 201
    refused = client.post(COMMENT, json={"view": "0" * 16, "comment": "late"})
    error = assert_api_error(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "lookup" not in error["detail"]
    check_schema(client, COMMENT, refused)


def test_the_voted_page_may_be_anything_well_formed_when_the_site_is_hosted_elsewhere(
        app, client, tmp_path):
    app.config["SITE_DIR"] = str(tmp_path / "no-site")
    assert client.post(FEEDBACK, json=vote(page="/somewhere/else/")).status_code == 201
    assert_api_error(client.post(FEEDBACK, json=vote(view="z" * 16, page="/a b/")), 400)
