"""Search counts per language: searches on the Korean pages are counted apart from the English.

The language joins the key (day, language, query). A query counted before that holds Hangul was
already searched in the Korean pages (a Hangul query goes to Korean), so it becomes Korean; every
other row is English, the default. Downgrading adds each query's counts of every language into
one row, so no search is lost.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DEFAULT_LANGUAGE = "en"
# Hangul syllables and letters: the test search.language.query_language makes, written here so
# that a migration stays as it was written whatever the search package becomes.
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _altered(table: str) -> BatchOperations:
    """Alter the table in one go (SQLite copies it), its primary key named <table>_pkey."""
    current = sa.Table(table, sa.MetaData(), autoload_with=op.get_bind())
    # SQLite copies the table from this description; the key 0002 made has no name there, and
    # only a named key can be dropped. PostgreSQL gave it this very name.
    current.primary_key.name = key_name(table)
    return op.batch_alter_table(table, copy_from=current)


def key_name(table: str) -> str:
    """The name of the table's primary key: PostgreSQL's own default name."""
    return f"{table}_pkey"


def upgrade(table_prefix: str = "") -> None:
    """Add the language to the search counts' key: Korean for the Hangul queries, else English."""
    table = f"{table_prefix}search_days"
    with _altered(table) as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False,
                                   server_default=DEFAULT_LANGUAGE))
        batch.drop_constraint(key_name(table), type_="primary")
        batch.create_primary_key(key_name(table), ["day", "language", "query"])
    bind = op.get_bind()
    queries = bind.execute(sa.text(f"SELECT DISTINCT query FROM {table}")).scalars()
    korean = [{"query": query} for query in queries if HANGUL.search(query)]
    if korean:
        bind.execute(sa.text(f"UPDATE {table} SET language = 'ko' WHERE query = :query"), korean)


def downgrade(table_prefix: str = "") -> None:
    """Add each day's counts of a query in every language into one row, then drop the language."""
    table = f"{table_prefix}search_days"
    # The row kept for a (day, query): its first language ("en" when it has one).
    same = f"other.day = {table}.day AND other.query = {table}.query"
    kept = f"(SELECT MIN(other.language) FROM {table} other WHERE {same})"
    sums = ", ".join(f"{column} = (SELECT SUM(other.{column}) FROM {table} other WHERE {same})"
                     for column in ("searches", "zero_results", "clicks"))
    op.execute(f"UPDATE {table} SET {sums} WHERE language = {kept}")
    op.execute(f"DELETE FROM {table} WHERE language <> {kept}")
    with _altered(table) as batch:
        batch.drop_constraint(key_name(table), type_="primary")
        batch.create_primary_key(key_name(table), ["day", "query"])
        batch.drop_column("language")
