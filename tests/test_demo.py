"""The demo orders: valid, every status and every step today, and the demo store on first serve."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest

from lookup import PROJECT_DIR
from lookup.demo import demo_orders
from lookup.demo import step_ids
from lookup.next_steps import STEP_IDS
from lookup.orders import STATUSES
from lookup.policy import load_policy
from lookup.schema import validate_order
from lookup.web.db import ensure_demo_orders


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 4, 5, 6, 40, 120, 200])
def test_demo_shows_every_status_and_every_step_whatever_the_day(offset):
    today = date(2026, 1, 1) + timedelta(days=offset)
    orders = demo_orders(today)
    assert 18 <= len(orders) <= 24
    for order in orders:
        validate_order(order.document)
        assert order.email.endswith("@example.com")
    assert {order.document["status"] for order in orders} == set(STATUSES)
    shown = {step for order in orders for step in step_ids(order, load_policy(), today)}
    assert shown == set(STEP_IDS)
    assert len({order.order_number for order in orders}) == len(orders)


def test_demo_store_is_made_only_without_a_configured_database(app):
    with app.app_context():
        # The test app names its database: that is the user's, never filled with demos.
        assert ensure_demo_orders(app) is False
        assert app.extensions["order_store"].count() == 0
        app.config["DATABASE_URL"] = None
        assert ensure_demo_orders(app) is True
        assert app.extensions["order_store"].count() == len(demo_orders(date.today()))
        assert ensure_demo_orders(app) is False


def test_demo_orders_are_redated_on_a_later_day(app):
    app.config["DATABASE_URL"] = None
    store = app.extensions["order_store"]
    today = date.today()
    with app.app_context():
        assert ensure_demo_orders(app, today - timedelta(days=9)) is True
        assert ensure_demo_orders(app, today) is True
    placed = store.get("DEMO-1011")["placed_at"]
    assert placed.startswith((today - timedelta(days=8)).isoformat())


def test_real_orders_in_the_default_store_get_no_demos(app):
    from tests.lookup_fixtures import make_order

    app.config["DATABASE_URL"] = None
    app.extensions["order_store"].apply([make_order()])
    with app.app_context():
        assert ensure_demo_orders(app) is False
    assert app.extensions["order_store"].count() == 1


def test_readme_lists_every_demo_order():
    """A new user finds every demo order, with its email, in the README."""
    text = Path(PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    for order in demo_orders(date.today()):
        assert f"`{order.order_number}` | `{order.email}`" in text
