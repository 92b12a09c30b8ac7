"""notify: inbox, recipients, agencies, messages and the development SMS sink

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
        """CREATE TABLE recipients (
            application_id uuid PRIMARY KEY,
            agency text NOT NULL,
            case_number text NOT NULL,
            name text NOT NULL,
            mobile text,
            email text
        )"""
    )
    # A message is identified by the event it answers and its template: the unique key is
    # what makes a redelivered or replayed event send nothing again.
    op.execute(
        """CREATE TABLE messages (
            id bigserial PRIMARY KEY,
            event_id uuid NOT NULL,
            template text NOT NULL,
            application_id uuid NOT NULL,
            agency text NOT NULL,
            channel text NOT NULL,
            recipient text NOT NULL,
            body text NOT NULL,
            status text NOT NULL DEFAULT 'queued',
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            sent_at timestamptz,
            UNIQUE (event_id, template)
        )"""
    )
    op.execute("CREATE INDEX messages_queued ON messages (id) WHERE status = 'queued'")
    op.execute(
        """CREATE TABLE dev_sms (
            message_id bigint PRIMARY KEY REFERENCES messages (id),
            recipient text NOT NULL,
            body text NOT NULL,
            delivered_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
