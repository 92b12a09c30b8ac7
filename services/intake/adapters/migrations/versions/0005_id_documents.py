"""intake: the applicant's identity document, and each time staff viewed it

Revision ID: 0005
Revises: 0004

The bytes stay in intake; ApplicationSubmitted carries only a reference (document id, media
type, size). A document is written in the transaction that accepts its application
(repository.Acceptor), so there is never a document without its application nor the other way
round. Scans, photos and PDFs are compressed already: the column is kept out of line without
a second attempt at compressing it. The record of views is a fact like an event: the database
refuses to change or delete it.
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE id_documents (
            document_id uuid PRIMARY KEY,
            application_id uuid NOT NULL UNIQUE,
            agency_id text NOT NULL,
            media_type text NOT NULL
                CHECK (media_type IN ('image/jpeg', 'image/png', 'application/pdf')),
            size integer NOT NULL,
            sha256 text NOT NULL,
            content bytea NOT NULL,
            received_at timestamptz NOT NULL,
            CHECK (size > 0 AND size = octet_length(content))
        )"""
    )
    op.execute("ALTER TABLE id_documents ALTER COLUMN content SET STORAGE EXTERNAL")
    op.execute(
        """CREATE TABLE id_document_views (
            id bigserial PRIMARY KEY,
            document_id uuid NOT NULL REFERENCES id_documents (document_id),
            application_id uuid NOT NULL,
            viewed_by text NOT NULL,
            viewed_at timestamptz NOT NULL
        )"""
    )
    op.execute("CREATE INDEX id_document_views_by_application "
               "ON id_document_views (application_id, id)")
    op.execute(
        """CREATE FUNCTION id_document_views_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'the record of id document views is append-only'; END $$"""
    )
    op.execute(
        """CREATE TRIGGER id_document_views_append_only
           BEFORE UPDATE OR DELETE ON id_document_views
           FOR EACH ROW EXECUTE FUNCTION id_document_views_append_only()"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE id_document_views")
    op.execute("DROP FUNCTION id_document_views_append_only")
    op.execute("DROP TABLE id_documents")
