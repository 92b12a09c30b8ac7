"""casework: event store, outbox, inbox; case and agency projections

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
    op.execute(
        """CREATE TABLE agencies (
            agency_id text PRIMARY KEY,
            config jsonb NOT NULL
        )"""
    )
    op.execute(
        """CREATE TABLE cases (
            application_id uuid PRIMARY KEY,
            agency text NOT NULL,
            case_number text NOT NULL,
            status text NOT NULL,
            applicant_type text NOT NULL,
            applicant_name text NOT NULL,
            channel text NOT NULL,
            received_on date,
            due_on date,
            due_provisional boolean NOT NULL DEFAULT false,
            due_basis jsonb,
            last_event_at timestamptz NOT NULL
        )"""
    )
    op.execute("CREATE INDEX cases_queue ON cases (agency, status, due_on)")
