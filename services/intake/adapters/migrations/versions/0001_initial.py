"""intake: event store, outbox, inbox; agencies, case-number counters, idempotency keys

Revision ID: 0001
Revises:
"""

from alembic import op

from shared.db import standard_ddl

revision = "0001"
down_revision = None


def upgrade() -> None:
    for statement in standard_ddl():
        op.execute(statement)
    op.execute(
        """CREATE TABLE agencies (
            agency_id text PRIMARY KEY,
            version integer NOT NULL,
            config jsonb NOT NULL
        )"""
    )
    op.execute(
        """CREATE TABLE case_counters (
            agency_id text NOT NULL,
            year integer NOT NULL,
            last integer NOT NULL,
            PRIMARY KEY (agency_id, year)
        )"""
    )
    op.execute(
        """CREATE TABLE idempotency_keys (
            key text PRIMARY KEY,
            request_hash text NOT NULL,
            status integer NOT NULL,
            response jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
