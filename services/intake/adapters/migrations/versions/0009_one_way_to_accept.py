"""intake: one way to accept an application, for the online path and the ledger import alike

Revision ID: 0009
Revises: 0008

Two functions hold what every accepted application needs, and both ways in call them:

- `reserve_case_numbers` draws the next `count` numbers of an agency's year from its counter
  (one update, so the counter row is locked once however many are drawn; unique and without
  gaps, since a rolled-back transaction rolls the counter back too) and formats them: the
  caller's "PREFIX-YEAR-" and the sequence padded to five digits (more past 99,999).
- `store_applications` appends the events with their outbox rows (the row shape is
  `shared.eventstore.row`) and keeps the applicants' identity in `applicants`, the only place
  it is kept (docs/privacy.md).

`accept_application` (one online or staff submission: the agency's version, the idempotency
key, one number, the stored events) now also takes the identity, so `accept_applications`
(group commit, migration 0004) is a plain loop again. The ledger import (service_layer/
ledger_import.py) draws its numbers and stores its rows through the same two functions.
"""

from alembic import op

revision = "0009"
down_revision = "0008"

def upgrade() -> None:
    op.execute(
        """CREATE FUNCTION reserve_case_numbers(p_agency text, p_year integer, p_prefix text,
                                                p_count integer)
           RETURNS SETOF text LANGUAGE sql AS $$
               WITH counter AS (
                   INSERT INTO case_counters AS c (agency_id, year, last)
                   VALUES (p_agency, p_year, p_count)
                   ON CONFLICT (agency_id, year) DO UPDATE SET last = c.last + p_count
                   RETURNING c.last)
               SELECT p_prefix || CASE WHEN s < 100000 THEN lpad(s::text, 5, '0')
                                       ELSE s::text END
               FROM counter, generate_series(counter.last - p_count + 1, counter.last) AS s
               ORDER BY s $$"""
    )
    op.execute(
        """CREATE FUNCTION store_applications(p_agency text, p_topic text, p_events jsonb,
                                               p_identities jsonb, p_number text DEFAULT NULL)
            RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                -- In the order given: a ledger's cases get positions in the order of its rows.
                -- `p_number`, when given, replaces the placeholder case number of one
                -- application's facts (drawn in the same statement, after they were decided).
                WITH appended AS (
                    INSERT INTO events (event_id, stream_id, stream_position, type, version,
                                        agency, occurred_at, actor, correlation_id,
                                        causation_id, topic, payload)
                    SELECT r.event_id, r.stream_id, r.stream_position, r.type, r.version,
                           r.agency, r.occurred_at, r.actor, r.correlation_id, r.causation_id,
                           p_topic,
                           CASE WHEN p_number IS NOT NULL AND r.payload ? 'case_number'
                                THEN jsonb_set(r.payload, '{case_number}', to_jsonb(p_number))
                                ELSE r.payload END
                    FROM jsonb_populate_recordset(NULL::events, p_events) WITH ORDINALITY AS r
                    ORDER BY r.ordinality
                    RETURNING position)
                INSERT INTO outbox (position, topic)
                SELECT position, p_topic FROM appended ORDER BY position;
                PERFORM pg_notify('gongkai_outbox', current_schema());

                INSERT INTO applicants (application_id, agency, id_document_type, id_number,
                                        credit_code, legal_representative, contact_name, phone,
                                        address, postal_code)
                SELECT r.application_id, p_agency, r.id_document_type, r.id_number,
                       r.credit_code, r.legal_representative, r.contact_name, r.phone,
                       r.address, r.postal_code
                FROM jsonb_to_recordset(p_identities) AS r(
                    application_id uuid, id_document_type text, id_number text,
                    credit_code text, legal_representative text, contact_name text,
                    phone text, address text, postal_code text);
            END $$"""
    )
    op.execute("DROP FUNCTION accept_applications")
    op.execute("DROP FUNCTION accept_application")
    op.execute(
        """CREATE FUNCTION accept_application(
               p_agency text, p_agency_version integer, p_year integer, p_number_prefix text,
               p_key text, p_request_hash text, p_topic text, p_events jsonb, p_response jsonb,
               p_identity jsonb)
           RETURNS TABLE (o_outcome text, o_case_number text, o_status integer,
                          o_response jsonb, o_request_hash text)
           LANGUAGE plpgsql AS $$
           DECLARE
               v_version integer;
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

               -- The facts carry a placeholder number until here, so a refused submission
               -- uses up none.
               SELECT n INTO v_number
               FROM reserve_case_numbers(p_agency, p_year, p_number_prefix, 1) AS n;
               PERFORM store_applications(
                   p_agency, p_topic, p_events,
                   CASE WHEN jsonb_typeof(p_identity) = 'object'
                        THEN jsonb_build_array(p_identity) ELSE '[]'::jsonb END,
                   v_number);

               IF p_key IS NOT NULL THEN
                   UPDATE idempotency_keys
                   SET response = jsonb_set(p_response, '{case_number}', to_jsonb(v_number))
                   WHERE key = p_key;
               END IF;
               RETURN QUERY SELECT 'accepted', v_number, 201, NULL::jsonb, NULL::text;
           END $$"""
    )
    # Items in the order of their agency, so two groups lock the agencies' counters in the same
    # order and cannot deadlock on them; each result row carries its item's index.
    op.execute(
        """CREATE FUNCTION accept_applications(p_items jsonb)
           RETURNS TABLE (o_index integer, o_outcome text, o_case_number text,
                          o_status integer, o_response jsonb, o_request_hash text)
           LANGUAGE plpgsql AS $$
           DECLARE
               v_item jsonb;
               v_index integer;
           BEGIN
               FOR v_item, v_index IN
                   SELECT t.value, t.ordinality::integer
                   FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(value, ordinality)
                   ORDER BY t.value->>'agency', t.ordinality
               LOOP
                   RETURN QUERY
                   SELECT v_index - 1, a.o_outcome, a.o_case_number, a.o_status, a.o_response,
                          a.o_request_hash
                   FROM accept_application(
                       v_item->>'agency', (v_item->>'agency_version')::integer,
                       (v_item->>'year')::integer, v_item->>'number_prefix', v_item->>'key',
                       v_item->>'request_hash', v_item->>'topic', v_item->'events',
                       v_item->'response', v_item->'identity') AS a;
               END LOOP;
           END $$"""
    )


def downgrade() -> None:
    raise NotImplementedError("accept_application's earlier signature is not restored")
