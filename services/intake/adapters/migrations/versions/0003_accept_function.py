"""intake: accept an application in one statement

Revision ID: 0003
Revises: 0002

Why a function: accepting an application touches five tables (idempotency key, case counter,
events, outbox, the NOTIFY that wakes the relay). As separate statements that is a dozen round
trips, and the agency's counter row stays locked across all of them, so every application of
one agency waits for the previous one's round trips. As one statement in its own transaction the
lock is held for one execution and the commit, and the client pays one round trip.

The case number's shape (PREFIX-YEAR-00001) is Python's `case_number`; the caller passes the
"PREFIX-YEAR-" part and the function adds the sequence padded to five digits (more when the
year runs past 99,999). tests/integration/test_accept_function.py holds the two together.
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(
        """CREATE FUNCTION accept_application(
               p_agency text, p_agency_version integer, p_year integer, p_number_prefix text,
               p_key text, p_request_hash text, p_topic text, p_events jsonb, p_response jsonb)
           RETURNS TABLE (o_outcome text, o_case_number text, o_status integer,
                          o_response jsonb, o_request_hash text)
           LANGUAGE plpgsql AS $$
           DECLARE
               v_version integer;
               v_sequence integer;
               v_number text;
           BEGIN
               -- The agency as the caller knew it: a changed configuration means the facts were
               -- decided on stale rules, so nothing is written and the caller decides again.
               SELECT a.version INTO v_version FROM agencies a WHERE a.agency_id = p_agency;
               IF v_version IS NULL THEN
                   RETURN QUERY SELECT 'unknown_agency', NULL::text, NULL::integer,
                                       NULL::jsonb, NULL::text;
                   RETURN;
               END IF;
               IF v_version <> p_agency_version THEN
                   RETURN QUERY SELECT 'stale_agency', NULL::text, NULL::integer,
                                       NULL::jsonb, NULL::text;
                   RETURN;
               END IF;

               -- A concurrent request with the same key waits here until the first commits.
               IF p_key IS NOT NULL THEN
                   INSERT INTO idempotency_keys (key, request_hash, status, response)
                   VALUES (p_key, p_request_hash, 201, '{}') ON CONFLICT (key) DO NOTHING;
                   IF NOT FOUND THEN
                       RETURN QUERY SELECT 'replayed', NULL::text, k.status, k.response,
                                           k.request_hash
                                    FROM idempotency_keys k WHERE k.key = p_key;
                       RETURN;
                   END IF;
               END IF;

               INSERT INTO case_counters AS c (agency_id, year, last)
               VALUES (p_agency, p_year, 1)
               ON CONFLICT (agency_id, year) DO UPDATE SET last = c.last + 1
               RETURNING c.last INTO v_sequence;
               v_number := p_number_prefix || CASE WHEN v_sequence < 100000
                                                   THEN lpad(v_sequence::text, 5, '0')
                                                   ELSE v_sequence::text END;

               WITH appended AS (
                   INSERT INTO events (event_id, stream_id, stream_position, type, version,
                                       agency, occurred_at, actor, correlation_id,
                                       causation_id, topic, payload)
                   SELECT r.event_id, r.stream_id, r.stream_position, r.type, r.version,
                          r.agency, r.occurred_at, r.actor, r.correlation_id, r.causation_id,
                          p_topic,
                          CASE WHEN r.payload ? 'case_number'
                               THEN jsonb_set(r.payload, '{case_number}', to_jsonb(v_number))
                               ELSE r.payload END
                   FROM jsonb_to_recordset(p_events) AS r(
                            event_id uuid, stream_id text, stream_position integer, type text,
                            version integer, agency text, occurred_at timestamptz, actor text,
                            correlation_id uuid, causation_id uuid, payload jsonb)
                   ORDER BY r.stream_position
                   RETURNING position)
               INSERT INTO outbox (position, topic)
               SELECT position, p_topic FROM appended ORDER BY position;
               PERFORM pg_notify('gongkai_outbox', current_schema());

               IF p_key IS NOT NULL THEN
                   UPDATE idempotency_keys
                   SET response = jsonb_set(p_response, '{case_number}', to_jsonb(v_number))
                   WHERE key = p_key;
               END IF;
               RETURN QUERY SELECT 'accepted', v_number, 201, NULL::jsonb, NULL::text;
           END $$"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION accept_application")
