"""Alembic's environment for Pulse's database (configured by data_access.db.alembic_config: no
alembic.ini). Migrates the connection data_access.db hands over, else the configured database."""
from __future__ import annotations

from alembic import context

from data_access.db import Base, get_engine

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER is limited
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with get_engine().begin() as conn:
        _run(conn)
