"""reporting: inbox (replay source), facts per case, known agencies

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
    op.execute("CREATE TABLE agencies (agency_id text PRIMARY KEY, name text NOT NULL)")
    # What the report needs of each case. The yearly figures are aggregates of these rows taken
    # in one snapshot, so every report reflects one consistent prefix of the event stream.
    op.execute(
        """CREATE TABLE report_cases (
            application_id uuid PRIMARY KEY,
            agency text NOT NULL,
            applicant_type text NOT NULL,
            received_on date,
            concluded_on date,
            outcome text
        )"""
    )
    op.execute("CREATE INDEX report_cases_agency ON report_cases (agency, received_on)")
