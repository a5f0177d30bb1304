"""One definition of each shape and limit: the models check, the OpenAPI document and the forms
read them, and a refusal names the field's whole path."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from lookup.orders import parse_time
from lookup.schema import EMAIL_PATTERN
from lookup.schema import FORM_MAXLENGTH
from lookup.schema import MAX_EMAIL
from lookup.schema import MAX_ORDER_NUMBER
from lookup.schema import MAX_TYPED_ORDER_NUMBER
from lookup.schema import OrderError
from lookup.schema import validate_order
from lookup.web.cli import main
from lookup.web.webhook import sign
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

LOOKUP = "/api/orders/lookup"
SCANS = [{"at": "2026-03-05T08:00:00+09:00"}, {"at": "2026-03-05T09:00:00+09:00"},
         {"at": "tomorrow"}]


def refused(document) -> OrderError:
    """The error validate_order raises for a document it must refuse."""
    with pytest.raises(OrderError) as caught:
        validate_order(document)
    return caught.value


# -- the order document ---------------------------------------------------------------------------

@pytest.mark.parametrize("document, field, words", [
    (make_order(shipping=shipping(events=SCANS)), "shipping.events[2].at", "UTC offset"),
    (make_order(seller={"name": "S", "policy": {"return_window_days": -1}}),
     "seller.policy.return_window_days", "0 or more"),
    (make_order(seller={"name": "S", "policy": {"return_window_days": True}}),
     "seller.policy.return_window_days", "whole number"),
    (make_order(items=[{"name": "Mug"}, {"name": "Cup", "quantity": "2"}]),
     "items[1].quantity", "whole number"),
    (make_order(items=[{"name": "Mug", "unit_price": "1e3"}]), "items[0].unit_price",
     'like "18000"'),
    (make_order(seller={"country": "KR"}), "seller.name", "required"),
    (make_order(seller={"name": "   "}), "seller.name", "blank"),
    (make_order(order_number="＃ "), "order_number", "more than blanks"),
    (make_order(order_number="N" * (MAX_ORDER_NUMBER + 1)), "order_number",
     f"at most {MAX_ORDER_NUMBER}"),
    (make_order(email="buyer@example"), "email", "email address"),
    (make_order(placed_at="2026-03-02t10:00:00z"), "placed_at", "UTC offset"),
    (make_order(status="lost"), "status", "one of"),
    (make_order(items=[{"name": "Fig", "kind": "funding"}]), "funding", "ends_at"),
])
def test_a_refusal_names_the_whole_path_in_words(document, field, words):
    error = refused(document)
    assert error.field == field
    assert words in error.message
    # Words for people: never the library's regex or its own type names.
    assert "pattern" not in error.message and "Input should" not in error.message


def test_unknown_fields_are_kept_and_nothing_is_added():
    document = make_order(note="gift", seller={"name": "S", "motto": {"x": [1]}},
                          items=[{"name": "Mug", "colour": "celadon"}])
    checked = validate_order(json.loads(json.dumps(document)))
    assert checked == document
    # The model's defaults (quantity 1, kind regular) never leak into what is stored.
    assert "quantity" not in checked["items"][0] and "kind" not in checked["items"][0]


def test_every_accepted_timestamp_reads_with_the_codes_own_parser():
    """The schema accepts a timestamp exactly when parse_time (used everywhere after) does."""
    for text in ["2026-03-02T10:00:00+09:00", "2026-03-02 10:00:00Z", "2026-03-02T10:00+09:00",
                 "2026-03-02T10:00:00.123456789+09:00", "2026-03-02T10:00:00,5Z",
                 "2026-03-02t10:00:00z", "2026-03-02T10:00:00", "2026-03-02", "1772413200",
                 "2026-02-30T10:00:00Z"]:
        try:
            parse_time(text)
            readable = True
        except ValueError:
            readable = False
        try:
            validate_order(make_order(placed_at=text))
            accepted = True
        except OrderError:
            accepted = False
        assert accepted == readable, text


def test_a_bad_import_line_names_line_and_nested_path(runner, app, tmp_path: Path):
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(make_order()) + "\n"
                    + json.dumps(make_order(order_number="N-2",
                                            shipping=shipping(events=SCANS))) + "\n")
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code != 0
    assert "line 2: shipping.events[2].at: must be an ISO 8601" in result.output
    assert app.extensions["order_store"].count() == 0


def test_a_webhook_refusal_names_the_path_inside_the_order(app):
    app.config["WEBHOOK_SECRET"] = "s"
    body = json.dumps({"event_id": "e1", "occurred_at": "2026-03-06T15:00:01+09:00",
                       "order": make_order(shipping=shipping(events=SCANS))}).encode()
    response = app.test_client().post(
        "/api/webhooks/orders", data=body, content_type="application/json",
        headers={"X-Helpcenter-Signature": sign(body, "s", int(time.time()))})
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"].startswith("order.shipping.events[2].at: ")
    assert app.extensions["order_store"].get("CM-100234") is None


# -- the lookup body ----------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"lang": "en"}, {"lang": "ko"}, {"lang": None},
                                   {"lang": "KO"}, {"lang": "ko-KR"}, {"colour": "blue"}])
def test_the_lookup_takes_a_language_and_ignores_unknown_fields(client, extra):
    body = {"order_number": "NOPE-1", "email": "a@example.com", **extra}
    assert client.post(LOOKUP, json=body).status_code == 404


@pytest.mark.parametrize("lang", ["fr", "", "kor", 1, ["ko"]])
def test_an_unknown_language_is_refused_by_name(client, lang):
    response = client.post(LOOKUP, json={"order_number": "N-1", "email": "a@example.com",
                                         "lang": lang})
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"].startswith("lang: ")


def test_the_lookup_takes_order_numbers_up_to_the_one_limit(client):
    at_limit = " #" + "N" * (MAX_TYPED_ORDER_NUMBER - 2)
    assert client.post(LOOKUP, json={"order_number": at_limit,
                                     "email": "a@example.com"}).status_code == 404
    response = client.post(LOOKUP, json={"order_number": at_limit + "N",
                                         "email": "a@example.com"})
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"] == (
        f"order_number: must be at most {MAX_TYPED_ORDER_NUMBER} characters.")


# -- one definition, read everywhere --------------------------------------------------------------

def test_the_openapi_components_are_the_models(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    lookup = schemas["LookupRequest"]["properties"]
    assert lookup["order_number"]["maxLength"] == MAX_TYPED_ORDER_NUMBER
    assert lookup["lang"]["anyOf"][0]["enum"] == ["en", "ko"]
    order = schemas["OrderDocument"]
    assert order["properties"]["order_number"]["maxLength"] == MAX_ORDER_NUMBER
    assert order["properties"]["email"]["pattern"] == EMAIL_PATTERN
    assert order["additionalProperties"] is True
    assert schemas["WebhookEvent"]["properties"]["order"] == {
        "$ref": "#/components/schemas/OrderDocument"}
    assert schemas["FeedbackVote"]["additionalProperties"] is False


def maxlengths(html: str) -> dict[str, int]:
    """The maxlength of each named input of a page."""
    found = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        length = re.search(r'maxlength="([^"]+)"', tag)
        if name and length:
            found[name.group(1)] = int(length.group(1))
    return found


def test_both_forms_take_their_maxlength_from_the_schema(built_site: Path, client):
    widget = (built_site / "order-status" / "index.html").read_text(encoding="utf-8")
    assert maxlengths(widget) == FORM_MAXLENGTH
    page = client.post("/order-status/lookup", data={"order_number": "", "email": ""})
    assert maxlengths(page.get_data(as_text=True)) == FORM_MAXLENGTH
    assert FORM_MAXLENGTH == {"order_number": MAX_TYPED_ORDER_NUMBER, "email": MAX_EMAIL}


def test_no_limit_or_pattern_is_written_twice():
    """The numbers and the email pattern live in lookup/schema.py only."""
    sources = [*(PROJECT_DIR / "lookup").rglob("*.py"), *(PROJECT_DIR / "lookup").rglob("*.html"),
               *(PROJECT_DIR / "theme" / "hooks").glob("*.py"),
               *(PROJECT_DIR / "theme" / "partials").glob("*.html")]
    for path in sources:
        if path.name == "schema.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'maxlength="\d', text), path
        assert "MAX_ORDER_NUMBER + " not in text and "[^@" not in text, path
