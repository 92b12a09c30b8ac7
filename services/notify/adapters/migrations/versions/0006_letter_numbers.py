"""notify: letter numbers (文号), per agency and year

Revision ID: 0006
Revises: 0005

An agency with a `letter_prefix` numbers its letters 机关代字〔年份〕序号号 (docs/decisions.md,
issue 16). The counter is taken in the transaction that keeps the letter, so a number is used
once, and a rolled-back batch gives its numbers back (no gaps). Letters kept before this
revision have no number: they show their case number, as they did.
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""CREATE TABLE letter_numbers (
                    agency text NOT NULL,
                    year integer NOT NULL,
                    last integer NOT NULL CHECK (last > 0),
                    PRIMARY KEY (agency, year))""")
    op.execute("ALTER TABLE letters ADD COLUMN number text")
    op.execute("""CREATE UNIQUE INDEX letters_number ON letters (agency, number)
                  WHERE number IS NOT NULL""")


def downgrade() -> None:
    op.execute("DROP INDEX letters_number")
    op.execute("ALTER TABLE letters DROP COLUMN number")
    op.execute("DROP TABLE letter_numbers")
