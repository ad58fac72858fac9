"""Alembic environment: the API runs migrations itself at start, on a connection it passes in (api.db)."""

from __future__ import annotations

from alembic import context

from api.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through api.db.run_migrations (it passes an open connection)")
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
