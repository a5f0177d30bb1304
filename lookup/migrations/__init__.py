"""Schema migrations with Alembic: the scripts live here, configured in code (no alembic.ini).

Each table prefix keeps its own version table (`<prefix>alembic_version`), so several
environments can share one database. Every function works inside the caller's transaction.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import select

MIGRATIONS_DIR = Path(__file__).resolve().parent


def version_table(prefix: str) -> str:
    """The table that records which revision the tables of this prefix are at."""
    return f"{prefix}alembic_version"


def _config(conn: Connection | None = None, prefix: str = "") -> Config:
    """An Alembic configuration for our scripts, run on conn (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    config.attributes["table_prefix"] = prefix
    return config


@cache
def head() -> str:
    """The newest revision this code knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "no migration scripts"
    return found


@cache
def known() -> frozenset[str]:
    """Every revision this code knows."""
    return frozenset(script.revision
                     for script in ScriptDirectory.from_config(_config()).walk_revisions())


def current(conn: Connection, prefix: str) -> str | None:
    """The revision the tables of this prefix are at; None before the first migration."""
    # Read directly rather than through a MigrationContext, which logs on every check.
    name = version_table(prefix)
    if not conn.dialect.has_table(conn, name):
        return None
    table = Table(name, MetaData(), Column("version_num", String(32)))
    return conn.scalar(select(table.c.version_num))


def upgrade(conn: Connection, prefix: str, revision: str = "head") -> None:
    """Apply the migrations up to revision in conn's transaction."""
    command.upgrade(_config(conn, prefix), revision)


def downgrade(conn: Connection, prefix: str, revision: str = "base") -> None:
    """Undo the migrations down to revision in conn's transaction (base: drop every table)."""
    command.downgrade(_config(conn, prefix), revision)
