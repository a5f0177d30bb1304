"""The lookup in Korean: `"lang": "ko"` or Accept-Language, answers and errors alike."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lookup import create_app
from lookup.demo import install_demo
from tests.test_api_lookup import LOOKUP
from tests.test_api_lookup import assert_api_error

DEMO = {"order_number": "DEMO-1011", "email": "minho.kang@example.com"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KOREAN_DATE = r"(\d{4}년 )?\d{1,2}월 \d{1,2}일\([월화수목금토일]\)"


@pytest.fixture
def orders(app):
    """The app's store with today's demo orders; failed-lookup limits off."""
    app.config["LOOKUP_RATE_LIMIT"] = "off"
    install_demo(app.extensions["order_store"], date.today())
    return app.extensions["order_store"]


def test_korean_answer_speaks_korean_everywhere(client, orders):
    body = client.post(LOOKUP, json={**DEMO, "lang": "ko"}).get_json()
    assert body["lang"] == "ko"
    assert body["status"] == {"code": "delivered", "label": "배송 완료"}
    assert body["heading"] == "주문 DEMO-1011: 배송 완료"
    assert [stage["name"] for stage in body["stages"]] == [
        "주문", "결제 완료", "상품 준비", "배송 중", "배송 완료", "구매확정"]
    steps = {step["id"]: step for step in body["next_steps"]}
    assert steps["return"]["title"] == "반품하기"
    assert re.fullmatch(KOREAN_DATE + "까지 — 11일 남음", steps["return"]["due"])
    assert "11일 남음" in steps["return"]["detail"]
    for step in body["next_steps"]:
        assert HANGUL.search(step["title"]) and HANGUL.search(step["detail"]), step["id"]
        article = step["links"][0]
        assert article["url"].startswith("/ko/") and HANGUL.search(article["label"])
    assert steps["return"]["links"][0]["url"] == "/ko/returns/policy/#return-window"
    for entry in body["timeline"]:
        assert re.match(KOREAN_DATE, entry["when"])
    contact = {link["id"]: link for link in body["contact"]["links"]}
    assert contact["support"]["url"].startswith("/ko/")
    assert all(HANGUL.search(link["label"]) for link in contact.values())
    # Working days stay the seller's: only the words change, never the dates.
    english = client.post(LOOKUP, json=DEMO).get_json()
    assert [(s["id"], s.get("deadline")) for s in english["next_steps"]] == [
        (s["id"], s.get("deadline")) for s in body["next_steps"]]


def test_accept_language_chooses_when_the_body_does_not(client, orders):
    korean = client.post(LOOKUP, json=DEMO, headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
    assert korean.get_json()["lang"] == "ko"
    english = client.post(LOOKUP, json=DEMO, headers={"Accept-Language": "de-DE,fr;q=0.9"})
    assert english.get_json()["lang"] == "en"
    assert english.get_json()["status"]["label"] == "Delivered"
    body_wins = client.post(LOOKUP, json={**DEMO, "lang": "en"},
                            headers={"Accept-Language": "ko"})
    assert body_wins.get_json()["lang"] == "en"
    assert client.post(LOOKUP, json={**DEMO, "lang": "ko-KR"}).get_json()["lang"] == "ko"


@pytest.mark.parametrize("lang", ["fr", "", 7, "kor", ["ko"]])
def test_an_unknown_lang_is_a_400_naming_the_field(client, orders, lang):
    error = assert_api_error(client.post(LOOKUP, json={**DEMO, "lang": lang}), 400)
    assert error["detail"].startswith("lang:")


def test_korean_miss_and_bad_fields_keep_the_error_shape(client, orders):
    miss = assert_api_error(client.post(LOOKUP, json={**DEMO, "email": "x@y.z", "lang": "ko"}), 404)
    assert miss["detail"].startswith("이 주문번호와 이메일에 맞는 주문이 없어요")
    assert miss["title"] == "찾을 수 없음"
    by_header = client.post(LOOKUP, json={**DEMO, "email": "x@y.z"},
                            headers={"Accept-Language": "ko"})
    assert assert_api_error(by_header, 404) == miss
    bad = assert_api_error(client.post(LOOKUP, json={"order_number": "DEMO-1011", "lang": "ko"}),
                           400)
    assert bad["detail"].startswith("email: ") and HANGUL.search(bad["detail"])
    huge = client.post(LOOKUP, json={**DEMO, "email": "x" * 10_000},
                       headers={"Accept-Language": "ko"})
    assert HANGUL.search(assert_api_error(huge, 413)["detail"])


def test_korean_429_keeps_the_error_shape_and_retry_after(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}",
                      "SITE_DIR": str(tmp_path / "site"), "LOOKUP_RATE_LIMIT": "3/minute"})
    install_demo(app.extensions["order_store"], date.today())
    client = app.test_client()
    for number in ("K-1", "K-2", "K-3"):
        guess = {"order_number": number, "email": "guess@example.com", "lang": "ko"}
        assert client.post(LOOKUP, json=guess).status_code == 404
    refused = client.post(LOOKUP, json={**guess, "order_number": "K-4"})
    error = assert_api_error(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert error["title"] == "요청이 너무 많음" and HANGUL.search(error["detail"])
