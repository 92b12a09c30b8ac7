"""intake: the record of erasures; an identity document can be erased while the record of who
viewed it stays

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE erasures (
            id bigserial PRIMARY KEY,
            application_id uuid NOT NULL,
            agency text NOT NULL,
            erased_by text NOT NULL,
            reason text NOT NULL,
            erased_at timestamptz NOT NULL
        )"""
    )
    op.execute("CREATE INDEX erasures_by_application ON erasures (application_id)")
    op.execute("ALTER TABLE id_document_views "
               "DROP CONSTRAINT id_document_views_document_id_fkey")


def downgrade() -> None:
    op.execute("DROP TABLE erasures")
