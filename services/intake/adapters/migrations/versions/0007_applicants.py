"""intake: the applicant's identity stays in intake, beside the events (docs/privacy.md)

Revision ID: 0007
Revises: 0006

`ApplicationSubmitted` version 1 carried the whole applicant on the applications topic: the ID
number, credit code, legal representative and postal details reached casework and its inbox.
From version 2 the event carries the type, name, mobile and e-mail and the applicant's keys;
the rest is kept here, in `applicants`, written in the transaction that stores the events.

Events already stored are cleaned: their identity moves to `applicants` and leaves the
payload (the version-1 upcaster reads what is left). This rewrites stored events, which the
event store otherwise never does: erasing personal data is the one reason that may.

The idempotency record kept the access code in clear: from now on it keeps it sealed, and
records older than 24 hours are deleted (a retry a day later is a new application).
"""

from alembic import op

revision = "0007"
down_revision = "0006"

IDENTITY = ("id_document_type", "id_number", "credit_code", "legal_representative",
            "contact_name", "phone", "address", "postal_code")


def upgrade() -> None:
    op.execute(
        """CREATE TABLE applicants (
            application_id uuid PRIMARY KEY,
            agency text NOT NULL,
            id_document_type text,
            id_number text,
            credit_code text,
            legal_representative text,
            contact_name text,
            phone text,
            address text,
            postal_code text,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
    columns = ", ".join(IDENTITY)
    taken = ", ".join(f"payload->'applicant'->>'{c}'" for c in IDENTITY)
    op.execute(
        f"""INSERT INTO applicants (application_id, agency, {columns})
            SELECT stream_id::uuid, agency, {taken} FROM events
            WHERE type = 'ApplicationSubmitted' AND version = 1
            ON CONFLICT (application_id) DO NOTHING"""
    )
    dropped = " - ".join(f"'{c}'" for c in IDENTITY)
    op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    op.execute(
        f"""UPDATE events
            SET payload = jsonb_set(payload, '{{applicant}}', (payload->'applicant') - {dropped})
            WHERE type = 'ApplicationSubmitted' AND version = 1"""
    )
    op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    op.execute("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'")
    op.execute("UPDATE idempotency_keys SET response = response - 'access_code'")
    op.execute("CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)")
    # The group function now also stores each accepted item's identity.
    op.execute("DROP FUNCTION accept_applications")
    op.execute(
        """CREATE FUNCTION accept_applications(p_items jsonb)
           RETURNS TABLE (o_index integer, o_outcome text, o_case_number text,
                          o_status integer, o_response jsonb, o_request_hash text)
           LANGUAGE plpgsql AS $$
           DECLARE
               v_item jsonb;
               v_index integer;
               v_result record;
           BEGIN
               FOR v_item, v_index IN
                   SELECT t.value, t.ordinality::integer
                   FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(value, ordinality)
                   ORDER BY t.value->>'agency', t.ordinality
               LOOP
                   SELECT * INTO v_result FROM accept_application(
                       v_item->>'agency', (v_item->>'agency_version')::integer,
                       (v_item->>'year')::integer, v_item->>'number_prefix', v_item->>'key',
                       v_item->>'request_hash', v_item->>'topic', v_item->'events',
                       v_item->'response');
                   IF v_result.o_outcome = 'accepted'
                      AND jsonb_typeof(v_item->'identity') = 'object' THEN
                       INSERT INTO applicants (application_id, agency, id_document_type,
                                               id_number, credit_code, legal_representative,
                                               contact_name, phone, address, postal_code)
                       SELECT r.application_id, v_item->>'agency', r.id_document_type,
                              r.id_number, r.credit_code, r.legal_representative,
                              r.contact_name, r.phone, r.address, r.postal_code
                       FROM jsonb_to_record(v_item->'identity') AS r(
                           application_id uuid, id_document_type text, id_number text,
                           credit_code text, legal_representative text, contact_name text,
                           phone text, address text, postal_code text);
                   END IF;
                   o_index := v_index - 1;
                   o_outcome := v_result.o_outcome;
                   o_case_number := v_result.o_case_number;
                   o_status := v_result.o_status;
                   o_response := v_result.o_response;
                   o_request_hash := v_result.o_request_hash;
                   RETURN NEXT;
               END LOOP;
           END $$"""
    )


def downgrade() -> None:
    raise NotImplementedError("personal data moved out of the events is not put back")
