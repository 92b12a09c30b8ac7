"""notify: only the personal data it writes with in the stored copies of events (docs/privacy.md)

Revision ID: 0004
Revises: 0003

Notify writes to the applicant (name, mobile, e-mail) and quotes the case's text in letters;
it has no use for the applicant's keys or the access code's hash. Its inbox and dead letters
kept whole events: from now on they keep only what `shared.contracts.personal` grants notify,
and this cleans the copies stored before.
"""

from alembic import op

from shared.contracts.personal import scrub_statements

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    for statement in scrub_statements("notify"):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("personal data removed is not put back")
