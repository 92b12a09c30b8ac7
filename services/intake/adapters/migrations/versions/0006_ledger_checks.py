"""intake: checked ledgers kept between the check and the import

Revision ID: 0006
Revises: 0005

The staff console imports a ledger in two steps (services/intake/entrypoints/ledger.py): the
check keeps the file it checked here and answers its `check_id`; the import takes that id, not
the file again, and deletes the row in the transaction that imports it. A check is for the staff
member and agency that made it, for two hours; expired rows are deleted at the next check, so
the table holds at most the last two hours' checks. The bytes are the file as uploaded (CSV,
which compresses well, or XLSX): left to PostgreSQL's default out-of-line storage.
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE ledger_checks (
            check_id uuid PRIMARY KEY,
            agency_id text NOT NULL,
            checked_by text NOT NULL,
            name text NOT NULL,
            size integer NOT NULL,
            sha256 text NOT NULL,
            content bytea NOT NULL,
            checked_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            CHECK (size > 0 AND size = octet_length(content)),
            CHECK (expires_at > checked_at)
        )"""
    )
    op.execute("CREATE INDEX ledger_checks_by_expiry ON ledger_checks (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE ledger_checks")
