"""casework: event store, outbox, inbox; case and agency projections; the working-day calendar

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
    op.execute("CREATE TABLE agencies (agency_id text PRIMARY KEY, config jsonb NOT NULL)")
    op.execute(
        """CREATE TABLE cases (
            application_id uuid PRIMARY KEY,
            agency text NOT NULL,
            case_number text NOT NULL,
            status text NOT NULL,
            channel text NOT NULL,
            applicant_type text NOT NULL,
            applicant_name text NOT NULL,
            applicant_key text,
            received_on date,
            due_on date,
            due_provisional boolean NOT NULL DEFAULT false,
            due_basis jsonb,
            paused_by text[] NOT NULL DEFAULT '{}',
            correct_by date,
            fee_pay_by date,
            next_deadline date,
            extended boolean NOT NULL DEFAULT false,
            outcome text,
            concluded_on date,
            last_event_at timestamptz NOT NULL
        )"""
    )
    op.execute("CREATE INDEX cases_queue ON cases (agency, due_on) WHERE status <> 'concluded'")
    op.execute("CREATE INDEX cases_sweep ON cases (next_deadline) WHERE status <> 'concluded'")
    op.execute("CREATE INDEX cases_applicant ON cases (agency, applicant_key, received_on)")
    # The calendar: the days whose status differs from the plain weekday rule, with the notice
    # each came from; years listed in calendar_years are official, the others provisional.
    op.execute(
        # Days belong to the notice that set them (a notice may reach into the previous
        # December), so reloading one year never drops what the next year's notice said.
        """CREATE TABLE calendar_days (
            notice_year integer NOT NULL,
            day date NOT NULL,
            working boolean NOT NULL,
            name text NOT NULL,
            source text NOT NULL,
            PRIMARY KEY (notice_year, day)
        )"""
    )
    op.execute(
        """CREATE TABLE calendar_years (
            year integer PRIMARY KEY,
            source text NOT NULL,
            loaded_by text NOT NULL,
            loaded_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
    # Bumped in the loading transaction, so a reader sees the new version only with the new days.
    op.execute("CREATE TABLE calendar_version (version bigint NOT NULL)")
    op.execute("INSERT INTO calendar_version VALUES (0)")
