"""intake: record of imported ledgers (the same file is never imported twice)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE ledger_imports (
            content_hash text PRIMARY KEY,
            agency_id text NOT NULL,
            source text NOT NULL,
            rows integer NOT NULL,
            imported_by text NOT NULL,
            imported_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
