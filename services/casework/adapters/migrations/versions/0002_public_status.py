"""casework: the salted hash of the applicant's access code, for the public status page

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN access_hash text")
