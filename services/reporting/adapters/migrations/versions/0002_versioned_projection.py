"""reporting: projections in versioned schemas beside the live one (rebuilt by replay)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("DROP TABLE report_cases")
    op.execute("DROP TABLE agencies")
    # Which projection schema is live. `needs_rebuild` makes the service rebuild it from the
    # inbox at start (a new database, or a migration that changed the projection's shape).
    op.execute(
        """CREATE TABLE projection_state (
            id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
            version integer NOT NULL,
            needs_rebuild boolean NOT NULL,
            built_at timestamptz,
            built_through_seq bigint NOT NULL DEFAULT 0
        )"""
    )
    op.execute("INSERT INTO projection_state (version, needs_rebuild) VALUES (0, true)")
    # The transaction that stored each inbox row: a replay catches up exactly the rows its
    # snapshot did not see (sequence numbers alone can skip a row that committed late).
    op.execute("ALTER TABLE inbox ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id()")
