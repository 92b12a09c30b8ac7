"""Look a case up by its case number (the applicant's status page, the console's search).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("CREATE INDEX cases_number ON cases (case_number)")


def downgrade() -> None:
    op.execute("DROP INDEX cases_number")
