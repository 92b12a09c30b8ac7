"""The body of every service's alembic env.py: migrate on the connection handed in by
`shared.db.migrate`, keeping the version table in the service's own schema."""

from __future__ import annotations

from alembic import context


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `gongkai migrate`, which passes a connection")
    context.configure(
        connection=connection,
        version_table_schema=config.attributes["schema"],
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
