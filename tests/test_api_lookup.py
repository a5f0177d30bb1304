"""POST /api/orders/lookup: the answer, lenient matching, one 404 for every miss, no leaks."""

from __future__ import annotations

import json
import logging
import random
from datetime import date

import pytest

from lookup.demo import install_demo
from lookup.web.cli import main
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

LOOKUP = "/api/orders/lookup"


@pytest.fixture
def orders(app):
    """The app's store, holding today's demo orders; failed-lookup limits off for these tests."""
    app.config["LOOKUP_RATE_LIMIT"] = "off"
    store = app.extensions["order_store"]
    install_demo(store, date.today())
    return store


def assert_api_error(response, status: int) -> dict:
    """The canonical error shape (lookup.web.errors.error_body), as JSON."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"status", "title", "detail"} <= set(body["error"])
    assert body["error"]["status"] == status
    return body["error"]


def test_lookup_answers_with_status_timeline_steps_and_contact(client, orders):
    response = client.post(LOOKUP, json={"order_number": "DEMO-1011",
                                         "email": "minho.kang@example.com"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"order", "status", "timeline", "next_steps", "contact",
                         "lang", "heading", "placed", "stages"}
    assert body["status"] == {"code": "delivered", "label": "Delivered"}
    assert body["lang"] == "en"
    assert body["heading"] == "Order DEMO-1011: Delivered"
    assert [(s["name"], s["state"]) for s in body["stages"]][3:5] == [
        ("Shipped", "done"), ("Delivered", "now")]
    assert body["order"]["email"] == "m***g@example.com"
    assert body["timeline"][0]["status"] == "delivered"
    times = [entry["at"] for entry in body["timeline"]]
    assert times == sorted(times, reverse=True)
    steps = {step["id"]: step for step in body["next_steps"]}
    assert (date.fromisoformat(steps["return"]["deadline"]) - date.today()).days == 11
    assert steps["return"]["due"].startswith("Return by ")
    assert steps["return"]["due"].endswith(" — 11 days left")
    assert all(entry["when"] for entry in body["timeline"])
    assert body["contact"]["seller_name"] == "Hanok Ceramics"


@pytest.mark.parametrize("number, email", [
    (" demo-1011 ", "MINHO.KANG@example.com"),
    ("#DEMO-1011", " minho.kang@EXAMPLE.com "),
    ("# Demo-1011", "Minho.Kang@Example.Com"),
])
def test_lookup_is_lenient(client, orders, number, email):
    response = client.post(LOOKUP, json={"order_number": number, "email": email})
    assert response.status_code == 200
    assert response.get_json()["order"]["order_number"] == "DEMO-1011"


def test_every_miss_gives_the_same_answer(client, orders):
    misses = [
        {"order_number": "DEMO-9999", "email": "minho.kang@example.com"},
        {"order_number": "DEMO-1011", "email": "someone.else@example.com"},
        {"order_number": "DEMO-1012", "email": "minho.kang@example.com"},
        {"order_number": "NOPE", "email": "x@y.z"},
    ]
    responses = [client.post(LOOKUP, json=miss) for miss in misses]
    assert {r.status_code for r in responses} == {404}
    assert len({r.data for r in responses}) == 1
    assert all(r.headers["Cache-Control"] == "no-store" for r in responses)
    assert_api_error(responses[0], 404)


@pytest.mark.parametrize("kwargs", [
    {"data": "order_number=DEMO-1011&email=minho.kang@example.com",
     "content_type": "application/x-www-form-urlencoded"},
    {"data": '{"order_number": "DEMO-1011"}', "content_type": "text/plain"},
    {},
])
def test_lookup_takes_json_only(client, orders, kwargs):
    assert_api_error(client.post(LOOKUP, **kwargs), 415)


@pytest.mark.parametrize("body, field", [
    ({"email": "minho.kang@example.com"}, "order_number"),
    ({"order_number": "DEMO-1011"}, "email"),
    ({"order_number": 1011, "email": "minho.kang@example.com"}, "order_number"),
    ({"order_number": "  # ", "email": "minho.kang@example.com"}, "order_number"),
    ({"order_number": "DEMO-1011", "email": ["a"]}, "email"),
    ({"order_number": "DEMO-1011", "email": "a\x00@example.com"}, "email"),
    ({"order_number": "D" * 200, "email": "minho.kang@example.com"}, "order_number"),
    ([1, 2], "body"),
])
def test_bad_bodies_name_the_field(client, orders, body, field):
    error = assert_api_error(client.post(LOOKUP, json=body), 400)
    assert error["detail"].startswith(f"{field}:")


def test_malformed_json_is_400(client, orders):
    response = client.post(LOOKUP, data="{not json", content_type="application/json")
    assert assert_api_error(response, 400)["detail"].startswith("body:")


def test_huge_body_is_413(client, orders):
    response = client.post(LOOKUP, json={"order_number": "DEMO-1011", "email": "x" * 10_000})
    assert_api_error(response, 413)


def test_order_number_and_email_never_travel_in_a_url(client, orders):
    response = client.get(LOOKUP, query_string={"order_number": "DEMO-1011",
                                                "email": "minho.kang@example.com"})
    assert_api_error(response, 405)


def test_no_address_phone_or_payment_detail_leaks(client, app):
    app.config["LOOKUP_RATE_LIMIT"] = "off"
    secret_bits = {
        "address": "12 Sejong-daero, Jongno-gu", "phone": "+82-10-5555-0199",
        "card_last4": "4242", "transaction_id": "txn_9f8e7d", "payer_email": "payer@bank.example",
    }
    order = make_order(
        status="shipped",
        email="Bora.Rhee@example.com",
        buyer={"name": "Bora Rhee", "phone": secret_bits["phone"]},
        payment={"method": "card", "paid_at": "2026-03-02T10:16:00+09:00",
                 "card_last4": secret_bits["card_last4"],
                 "transaction_id": secret_bits["transaction_id"],
                 "payer_email": secret_bits["payer_email"]},
        shipping=shipping(address=secret_bits["address"], recipient_phone=secret_bits["phone"]),
    )
    app.extensions["order_store"].apply([order])
    response = client.post(LOOKUP, json={"order_number": "cm-100234",
                                         "email": "bora.rhee@example.com"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for value in secret_bits.values():
        assert value not in text
    assert "bora.rhee" not in text.lower()
    body = response.get_json()
    assert body["order"]["email"] == "B***e@example.com"
    assert body["order"]["payment"] == {"method": "card",
                                        "paid_at": "2026-03-02T10:16:00+09:00"}


def test_contact_block_links(client, app, orders):
    app.config["CONTACT_SELLER_URL"] = "https://shop.example/o/{order_number}/ask"
    response = client.post(LOOKUP, json={"order_number": "demo-1005",
                                         "email": "ara.choi@example.com"})
    links = {link["id"]: link["url"] for link in response.get_json()["contact"]["links"]}
    assert links["seller_page"] == "https://shop.example/o/DEMO-1005/ask"
    assert links["seller_email"].startswith("mailto:shop@hanok.example?subject=")
    assert "DEMO-1005" in links["seller_email"]
    assert "preparing%20your%20parcel" in links["seller_email"]
    assert links["support"] == "/sellers/contact/#contact-support"


def test_mailto_links_are_quoted_whole_for_each_seller_and_language():
    """The address and greeting quoted once per seller and language make the same link as
    quoting the whole subject and body: for each seller, order and language its own."""
    from urllib.parse import quote

    from lookup import messages
    from lookup.contact import mailto_url

    asked = [("shop@hanok.example", "Hanok Ceramics", "CM-1", "Delivered", "en"),
             ("shop@hanok.example", "Hanok Ceramics", "CM-2", "On its way", "en"),
             ("help+kr@cookie.example", "쿠키런 굿즈", "CM-1", "배송 완료", "ko"),
             ("shop@hanok.example", "Hanok Ceramics", "CM-1", "배송 완료", "ko")]
    # Anything a document can spell, NUL and percent signs included, in names and numbers.
    chosen = random.Random(7)
    letters = "aZ 한글%\0@.#-_~é😀\r\n&?=0"

    def spelt() -> str:
        return "".join(chosen.choice(letters) for _ in range(chosen.randint(0, 10)))

    asked += [(spelt(), spelt(), spelt(), spelt(), chosen.choice(["en", "ko"]))
              for _ in range(1000)]
    for _ in range(2):  # the second time from what was worked out the first
        for email, name, number, label, lang in asked:
            body = "\r\n".join([
                messages.text(lang, "contact.mail_greeting", name=name), "",
                messages.text(lang, "contact.mail_question", number=number, label=label), "", ""])
            subject = messages.text(lang, "contact.mail_subject", number=number)
            assert mailto_url(email, name, number, label, lang) == (
                f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}"
                f"&body={quote(body, safe='')}")


def test_logs_never_hold_an_email(client, orders, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(LOOKUP, json={"order_number": "DEMO-1011", "email": "minho.kang@example.com"})
    client.post(LOOKUP, json={"order_number": "DEMO-1011", "email": "guess@example.com"})
    assert "@example.com" not in caplog.text


def test_health_checks_the_database(client, orders):
    checks = client.get("/api/health").get_json()["checks"]
    assert checks["database"] == {"status": "ok"}


def test_store_down_gives_503_with_retry_after(client, app, tmp_path):
    from lookup.store import OrderStore

    app.config["LOOKUP_RATE_LIMIT"] = "off"
    missing = tmp_path / "no-such-dir" / "orders.sqlite"
    app.extensions["order_store"] = OrderStore(f"sqlite:///{missing}")
    response = client.post(LOOKUP, json={"order_number": "DEMO-1011", "email": "a@example.com"})
    assert_api_error(response, 503)
    assert response.headers["Retry-After"]
    assert client.get("/api/health").get_json()["checks"]["database"]["status"] == "degraded"


def test_demo_command_lists_every_order(runner, app):
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "DEMO-1001" in result.output and "DEMO-1020" in result.output
    assert app.extensions["order_store"].count() == 20
    listed = runner.invoke(main, ["demo", "--list"])
    assert listed.exit_code == 0
    assert json.dumps("mina.park@example.com").strip('"') in listed.output


@pytest.mark.postgres
def test_lookup_on_postgresql(built_site, tmp_path):
    import uuid

    from lookup import create_app
    from tests.lookup_fixtures import POSTGRES_URL
    from tests.lookup_fixtures import postgres_store

    prefix = f"t{uuid.uuid4().hex[:10]}_"
    postgres_store(prefix).dispose()  # skips, with the reason, when there is no server
    app = create_app({"TESTING": True, "SITE_DIR": str(built_site), "DATABASE_URL": POSTGRES_URL,
                      "DATABASE_TABLE_PREFIX": prefix, "LOOKUP_RATE_LIMIT": "off",
                      "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    store = app.extensions["order_store"]
    try:
        install_demo(store, date.today())
        client = app.test_client()
        response = client.post(LOOKUP, json={"order_number": "#demo-1017",
                                             "email": "EUN.OH@example.com"})
        assert response.status_code == 200
        assert response.get_json()["next_steps"][0]["id"] == "refund_timeline"
        assert client.get("/api/health").get_json()["checks"]["database"] == {"status": "ok"}
    finally:
        store.drop_schema()
        store.dispose()


def test_timeline_titles_in_each_language_latest_first():
    """Milestone titles come from the answer's language (worded once per language); at the same
    moment, a later milestone and then a scan come first."""
    from lookup.answer import timeline

    at = "2026-03-04T09:00:00+09:00"
    order = make_order(status="shipped", shipping=shipping(
        shipped_at=at, events=[{"at": at, "status": "picked_up", "description": "Picked up"}]))
    order["payment"]["paid_at"] = at
    for _ in range(2):  # the second time from what was worked out the first
        english, korean = timeline(order, "en"), timeline(order, "ko")
        assert [entry["title"] for entry in english] == [
            "Picked up", "Shipped with CJ Logistics", "Payment received", "Order placed"]
        assert [entry["status"] for entry in korean] == [
            "picked_up", "shipped", "paid", "placed"]
        assert korean[-1]["title"] != english[-1]["title"]
        assert "CJ Logistics" in korean[1]["title"]
