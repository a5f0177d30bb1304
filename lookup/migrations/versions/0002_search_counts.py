"""Search counts in the shared database: per UTC day and query, searches, zero results, clicks.

Until this revision each host counted searches in a SQLite file of its own.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(table_prefix: str = "") -> None:
    """Create the search counts table."""
    op.create_table(
        f"{table_prefix}search_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("query", sa.String(200), primary_key=True),
        sa.Column("searches", sa.Integer, nullable=False),
        sa.Column("zero_results", sa.Integer, nullable=False),
        sa.Column("clicks", sa.Integer, nullable=False),
    )


def downgrade(table_prefix: str = "") -> None:
    """Drop the search counts."""
    op.drop_table(f"{table_prefix}search_days")
