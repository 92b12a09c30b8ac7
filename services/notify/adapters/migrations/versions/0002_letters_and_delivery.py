"""notify: letters archived with the case, delivery attempts and statuses, e-mail sink

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # Statuses: queued → sending → sent | queued (retry) | failed (after the last try, or an
    # error no retry can fix) | unknown (the process died while the provider had it: never sent
    # again silently; a person decides).
    op.execute(
        """ALTER TABLE messages
             ADD COLUMN next_attempt_at timestamptz,  -- NULL: as soon as possible
             ADD COLUMN sending_since timestamptz,
             ADD COLUMN provider text,
             ADD COLUMN provider_message_id text,
             ADD COLUMN letter_id bigint,
             ADD COLUMN subject text,
             ADD COLUMN params jsonb,
             ADD COLUMN requested_by text"""
    )
    op.execute("DROP INDEX messages_queued")
    op.execute("CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued'")
    op.execute(
        """CREATE TABLE letters (
            id bigserial PRIMARY KEY,
            application_id uuid NOT NULL,
            agency text NOT NULL,
            event_id uuid NOT NULL,
            kind text NOT NULL,
            addressee text NOT NULL,
            dated date NOT NULL,
            template_version text NOT NULL,
            content jsonb NOT NULL,
            content_hash text NOT NULL,
            pdf bytea,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (event_id, kind)
        )"""
    )
    op.execute("CREATE INDEX letters_case ON letters (application_id)")
    op.execute("CREATE INDEX inbox_stream ON inbox ((envelope->>'stream_id'), seq)")
    op.execute(
        """CREATE TABLE dev_email (
            message_id bigint PRIMARY KEY REFERENCES messages (id),
            recipient text NOT NULL,
            subject text NOT NULL,
            attachment_bytes integer NOT NULL,
            delivered_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
