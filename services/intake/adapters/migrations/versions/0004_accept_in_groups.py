"""intake: accept several applications in one transaction (group commit)

Revision ID: 0004
Revises: 0003

Submissions that arrive while the previous group is being stored are stored together: one
round trip and one commit (one WAL flush) for the group instead of one each. Items are taken
in the order of their agency so that two groups lock the agencies' counters in the same order
and cannot deadlock on them. The result rows carry each item's index in the group.
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
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
                       v_item->'response') AS a;
               END LOOP;
           END $$"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION accept_applications")
