"""Helpers shared by the order-lookup tests: order documents, stores on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookup.store import OrderStore

POSTGRES_URL = os.environ.get("HELPCENTER_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")

BASE_ORDER: dict[str, Any] = {
    "order_number": "CM-100234",
    "email": "buyer@example.com",
    "placed_at": "2026-03-02T10:15:00+09:00",
    "status": "paid",
    "seller": {"id": "S-17", "name": "Hanok Ceramics", "email": "shop@hanok.example",
               "country": "KR"},
    "items": [{"sku": "MUG-2", "name": "Celadon mug", "quantity": 2, "unit_price": "18000",
               "kind": "regular"}],
    "currency": "KRW",
    "total": "36000",
    "payment": {"method": "card", "paid_at": "2026-03-02T10:16:00+09:00"},
    "shipping": None,
    "funding": None,
}


def make_order(**changes: Any) -> dict[str, Any]:
    """A valid order document with some top-level fields changed (None deletes nothing)."""
    order = copy.deepcopy(BASE_ORDER)
    order.update(copy.deepcopy(changes))
    return order


def shipping(shipped_at: str | None = "2026-03-04T09:00:00+09:00", delivered_at: str | None = None,
             events: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A shipping block with CJ Logistics tracking."""
    return {"country": "KR", "international": False, "carrier": "CJ Logistics",
            "tracking_number": "5520-1188-0021",
            "tracking_url": "https://tracking.example/cj/5520-1188-0021",
            "shipped_at": shipped_at, "delivered_at": delivered_at,
            "events": events if events is not None else [], **extra}


def postgres_unreachable() -> str | None:
    """Why the local PostgreSQL server cannot be reached, or None when it answers."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__})"
    return None


def database_url(kind: str, tmp_path: Path) -> str:
    """A database to test on: a SQLite file in tmp_path, or the local PostgreSQL ("postgresql"),
    skipping the test only when that server cannot be reached."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'orders.sqlite'}"
    reason = postgres_unreachable()
    if reason:
        pytest.skip(f"{reason}; set HELPCENTER_TEST_POSTGRES_URL or start the server")
    return POSTGRES_URL


def postgres_store(prefix: str) -> OrderStore:
    """A store on the local PostgreSQL, or a skip when the server cannot be reached.

    Only an unreachable server skips: an error in our own schema set-up fails the test.
    """
    store = OrderStore(database_url("postgresql", Path()), table_prefix=prefix)
    store.ensure_schema()
    return store


def open_store(kind: str, tmp_path: Path) -> Iterator[OrderStore]:
    """A fresh store of the given kind ('sqlite' or 'postgresql'), dropped afterwards."""
    # A unique prefix keeps concurrent runs on one PostgreSQL database apart.
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    if kind == "sqlite":
        store = OrderStore(f"sqlite:///{tmp_path / 'orders.sqlite'}", table_prefix=prefix)
    else:
        store = postgres_store(prefix)
    try:
        yield store
    finally:
        store.drop_schema()
        store.dispose()

