"""The order-status widget on the Korean page in Chromium: desktop, phone and no JavaScript."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from tests.helpers import serving
from tests.test_a11y_browser import AXE
from tests.test_a11y_browser import assert_no_violations
from tests.test_a11y_browser import axe_violations
from tests.test_widget_browser import DELIVERED
from tests.test_widget_browser import DESKTOP
from tests.test_widget_browser import IN_TRANSIT
from tests.test_widget_browser import PHONE
from tests.test_widget_browser import answer_text
from tests.test_widget_browser import no_sideways_scroll
from tests.test_widget_browser import open_page  # noqa: F401  (a fixture)
from tests.test_widget_browser import shot
from tests.test_widget_browser import shot_of
from tests.test_widget_browser import start_service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

README_SHOT_KO = PROJECT_DIR / "docs" / "assets" / "images" / "order-lookup-ko.png"
KOREAN_DUE = re.compile(
    r"(\d{4}년 )?\d{1,2}월 \d{1,2}일\([월화수목금토일]\)까지 — (\d+일 남음|오늘 마감)"
)
PAGE = "/ko/order-status/"


@pytest.fixture(scope="module")
def ko_service(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Iterator:
    """The app serving the built site, whose Korean edition has /ko/order-status/."""
    assert (built_site / "ko" / "order-status" / "index.html").is_file()
    app, server = start_service(tmp_path_factory.mktemp("ko-instance"), built_site)
    with serving(server) as app.url:
        yield app


def fill_and_submit_ko(page, order: tuple[str, str]) -> None:
    """Fill the Korean widget by its Korean labels and send it."""
    widget = page.locator(".hc-lookup").first
    widget.get_by_label("주문번호").fill(order[0])
    widget.get_by_label("이메일").fill(order[1])
    widget.get_by_role("button", name="주문 조회").click()


def assert_korean_answer(page) -> None:
    """Korean heading, stages, a Korean deadline and the Korean article links."""
    result = page.locator(".hc-lookup__result").first
    assert re.match(r"주문 DEMO-\d+: ", result.locator(".hc-answer__title").inner_text())
    now = result.locator("[aria-current=step]")
    assert now.count() == 1 and "현재" in now.inner_text()
    assert result.get_by_role("heading", name="지금 할 수 있는 일").count() == 1
    article = result.locator(".hc-card__links a").first
    assert article.get_attribute("href").startswith("/ko/")
    assert re.search(r"[\uac00-\ud7a3]", article.inner_text())


def test_korean_widget_on_desktop(open_page, ko_service):  # noqa: F811
    page = open_page(ko_service.url + PAGE)
    assert page.evaluate("document.documentElement.lang") == "ko"
    sent = []
    page.on("request", lambda r: r.url.endswith("/api/orders/lookup") and sent.append(r.post_data))
    fill_and_submit_ko(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    assert json.loads(sent[0])["lang"] == "ko"
    assert_korean_answer(page)
    due = page.locator(".hc-card__due").first.inner_text()
    assert KOREAN_DUE.fullmatch(due), due
    stages = page.locator(".hc-stage").all_inner_texts()
    assert any("배송 완료" in stage for stage in stages)
    shot(page, "ko-desktop-answer")
    # The README shows the Korean widget beside the English one: the same size and framing.
    page.set_viewport_size({"width": DESKTOP["width"], "height": 2600})
    widget = shot_of(page.locator(".hc-lookup").first, "ko-widget")
    # The README's copy is only (re)made on request, so test runs leave the tree clean.
    if not README_SHOT_KO.exists() or os.environ.get("HELPCENTER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(widget, README_SHOT_KO)


def test_korean_widget_on_phone(open_page, ko_service):  # noqa: F811
    page = open_page(ko_service.url + PAGE, viewport=PHONE, is_mobile=True, has_touch=True)
    fill_and_submit_ko(page, IN_TRANSIT)
    page.locator(".hc-answer").wait_for()
    assert_korean_answer(page)
    assert no_sideways_scroll(page)
    shot(page, "ko-phone-answer")


def test_korean_page_without_javascript(open_page, ko_service):  # noqa: F811
    """The Korean form posts its language: the service's page answers in Korean, as the widget."""
    page = open_page(ko_service.url + PAGE)
    fill_and_submit_ko(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    with_js = answer_text(page)

    plain = open_page(ko_service.url + PAGE, java_script_enabled=False)
    fill_and_submit_ko(plain, DELIVERED)
    plain.wait_for_url(re.compile(r"/order-status/lookup$"))
    plain.locator(".hc-answer").wait_for()
    assert plain.evaluate("document.documentElement.lang") == "ko"
    assert plain.get_by_label("주문번호").count() == 1
    assert_korean_answer(plain)
    assert KOREAN_DUE.fullmatch(plain.locator(".hc-card__due").first.inner_text())
    assert answer_text(plain) == with_js
    plain.get_by_role("link", name="← 고객센터로 돌아가기").wait_for()
    shot(plain, "ko-no-js-answer")

    phone = open_page(ko_service.url + PAGE, java_script_enabled=False, viewport=PHONE)
    fill_and_submit_ko(phone, IN_TRANSIT)
    phone.locator(".hc-answer").wait_for()
    assert_korean_answer(phone)
    assert no_sideways_scroll(phone)


def test_korean_miss_says_so_in_korean(open_page, ko_service):  # noqa: F811
    page = open_page(ko_service.url + PAGE, allow_network_errors=True)
    fill_and_submit_ko(page, ("DEMO-0000", "nobody@example.com"))
    page.get_by_role("heading", name="주문을 찾을 수 없어요").wait_for()


def test_korean_answer_meets_wcag_aa(open_page, ko_service):  # noqa: F811
    """axe-core finds nothing in the Korean widget's answer, nor in the Korean no-JS page."""
    assert AXE.exists(), "`make axe` (run by `make test`) installs axe-core"
    # Playwright injects axe-core as an inline script, which the service's CSP forbids.
    page = open_page(ko_service.url + PAGE, bypass_csp=True)
    fill_and_submit_ko(page, DELIVERED)
    page.locator(".hc-answer").wait_for()
    # The no-JS page, reached as a browser without JavaScript does: the form's own submission
    # (form.submit() skips the widget's handler), with scripts on so that axe can run.
    plain = open_page(ko_service.url + PAGE, bypass_csp=True)
    plain.get_by_label("주문번호").fill(DELIVERED[0])
    plain.get_by_label("이메일").fill(DELIVERED[1])
    plain.evaluate("document.querySelector('.hc-lookup form').submit()")
    plain.wait_for_url(re.compile(r"/order-status/lookup$"))
    plain.locator(".hc-answer").wait_for()
    assert plain.evaluate("document.documentElement.lang") == "ko"
    assert_no_violations("widget-ko", {
        "widget answer [ko]": axe_violations(page, ".hc-lookup"),
        "no-js answer [ko]": axe_violations(plain),
    })
