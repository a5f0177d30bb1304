"""The first schema: orders, webhook events, the store's key-value table, votes, steps shown.

Exactly what the release before migrations created (lookup.store ensure_schema at
schema_version 1, and the insight tables beside it). A database that release made has some or all
of these tables and no version table: each table is created only when missing, so upgrading such a
database keeps every row and simply records this revision.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# What that release wrote in its key-value table; kept, so it can still run on this database.
SCHEMA_VERSION = "1"


def upgrade(table_prefix: str = "") -> None:
    """Create the tables that are missing, with their indexes."""
    p = table_prefix
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if f"{p}orders" not in existing:
        op.create_table(
            f"{p}orders",
            sa.Column("order_key", sa.String(80), primary_key=True),
            sa.Column("email_key", sa.String(320), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("freshness", sa.String(32), nullable=False),
            sa.Column("document", sa.Text, nullable=False),
            sa.Column("stored_at", sa.String(32), nullable=False),
        )
    if f"{p}webhook_events" not in existing:
        op.create_table(
            f"{p}webhook_events",
            sa.Column("event_id", sa.String(200), primary_key=True),
            sa.Column("order_key", sa.String(80), nullable=False),
            sa.Column("received_at", sa.String(32), nullable=False),
        )
    if f"{p}store_meta" not in existing:
        meta = op.create_table(
            f"{p}store_meta",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        op.bulk_insert(meta, [{"name": "schema_version", "value": SCHEMA_VERSION}])
    if f"{p}page_votes" not in existing:
        op.create_table(
            f"{p}page_votes",
            sa.Column("view_token", sa.String(64), primary_key=True),
            sa.Column("page", sa.String(300), nullable=False),
            sa.Column("helpful", sa.Boolean, nullable=False),
            sa.Column("comment", sa.Text, nullable=True),
            sa.Column("day", sa.String(10), nullable=False),
        )
        op.create_index(f"ix_{p}page_votes_page", f"{p}page_votes", ["page"])
        op.create_index(f"ix_{p}page_votes_day", f"{p}page_votes", ["day"])
    if f"{p}next_steps_shown" not in existing:
        op.create_table(
            f"{p}next_steps_shown",
            sa.Column("day", sa.String(10), primary_key=True),
            sa.Column("step_id", sa.String(64), primary_key=True),
            sa.Column("shown", sa.Integer, nullable=False),
        )


def downgrade(table_prefix: str = "") -> None:
    """Drop the tables (and everything in them)."""
    p = table_prefix
    for name in ("next_steps_shown", "page_votes", "store_meta", "webhook_events", "orders"):
        op.drop_table(f"{p}{name}")
