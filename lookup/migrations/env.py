"""Alembic's environment: the scripts run on the connection lookup.migrations gives."""

from __future__ import annotations

from alembic import context

from lookup.migrations import version_table

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through lookup.migrations (or `helpcenter db upgrade`)")
prefix = config.attributes.get("table_prefix", "")
context.configure(
    connection=connection,
    version_table=version_table(prefix),
    # SQLite alters a table by copying it; later scripts use op.batch_alter_table for that.
    render_as_batch=True,
)
with context.begin_transaction():
    # Every script's upgrade() and downgrade() takes the prefix of the tables it works on.
    context.run_migrations(table_prefix=prefix)
