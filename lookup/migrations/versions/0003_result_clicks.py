"""Which section buyers open for a query, in the shared database: what search learns from.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(table_prefix: str = "") -> None:
    """Create the result clicks table."""
    op.create_table(
        f"{table_prefix}search_result_clicks",
        sa.Column("query", sa.String(200), primary_key=True),
        sa.Column("url", sa.String(300), primary_key=True),
        sa.Column("clicks", sa.Integer, nullable=False),
    )


def downgrade(table_prefix: str = "") -> None:
    """Drop the result clicks."""
    op.drop_table(f"{table_prefix}search_result_clicks")
