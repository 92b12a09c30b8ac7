"""casework: applicant keys intake made, and no identity in stored copies (docs/privacy.md)

Revision ID: 0004
Revises: 0003

`cases.applicant_key` was an unsalted hash of the ID or credit code, which can be reversed by
trying candidates; it is dropped, with every copy of it in the stored `CaseOpened` events.
Intake now sends HMAC keys it alone can make (`applicant_keys`, one per secret in its ring).
The per-item fee count of an applicant whose earlier cases of the month were opened before
this upgrade starts again at one for the rest of that month: those cases have no key.

Stored copies of intake's `ApplicationSubmitted` (the inbox, dead letters) lose the applicant's
identity and postal details, which casework never needed.
"""

from alembic import op

from shared.contracts.personal import scrub_statements

revision = "0004"
down_revision = "0003"

IDENTITY = ("id_document_type", "id_number", "credit_code", "legal_representative",
            "contact_name", "phone", "address", "postal_code")


def upgrade() -> None:
    op.execute("DROP INDEX cases_applicant")
    op.execute("ALTER TABLE cases DROP COLUMN applicant_key")
    op.execute("ALTER TABLE cases ADD COLUMN applicant_keys text[] NOT NULL DEFAULT '{}'")
    op.execute("CREATE INDEX cases_applicant_keys ON cases USING gin (applicant_keys)")
    # Stored facts are append-only; removing personal data is the one edit allowed.
    op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    op.execute("""UPDATE events SET payload = payload - 'applicant_key'
                  WHERE type = 'CaseOpened' AND payload ? 'applicant_key'""")
    op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    dropped = " - ".join(f"'{c}'" for c in IDENTITY)
    op.execute(f"""UPDATE inbox SET envelope = jsonb_set(envelope, '{{payload,applicant}}',
                       (envelope->'payload'->'applicant') - {dropped})
                   WHERE envelope->>'type' = 'ApplicationSubmitted'""")
    op.execute(f"""UPDATE dead_letters SET raw = jsonb_set(raw::jsonb, '{{payload,applicant}}',
                       (raw::jsonb->'payload'->'applicant') - {dropped})::text
                   WHERE (CASE WHEN event_id IS NOT NULL AND raw LIKE '{{%'
                               THEN raw::jsonb->>'type' END) = 'ApplicationSubmitted'""")
    for statement in scrub_statements("casework"):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("personal data removed is not put back")
