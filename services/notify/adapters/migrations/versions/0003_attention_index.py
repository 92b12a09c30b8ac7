"""notify: the messages that need a person (failed, unknown), found without reading the rest

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # Few rows among millions of sent ones: the staff list and the sender's periodic count of
    # them (gongkai_messages_needing_attention) read this index instead of the whole table.
    op.execute("""CREATE INDEX messages_attention ON messages (agency, sending_since)
                  WHERE status IN ('failed', 'unknown')""")


def downgrade() -> None:
    op.execute("DROP INDEX messages_attention")
