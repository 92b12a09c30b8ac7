"""reporting: no personal data in the stored copies of events (docs/privacy.md)

Revision ID: 0003
Revises: 0002

Reporting counts; it needs no name, contact, key or free text. Its inbox (what a replay
rebuilds from) and dead letters kept whole events: from now on they keep only what
`shared.contracts.personal` grants reporting, and this cleans the copies stored before.
"""

from alembic import op

from shared.contracts.personal import scrub_statements

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    for statement in scrub_statements("reporting"):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("personal data removed is not put back")
