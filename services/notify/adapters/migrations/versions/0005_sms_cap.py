"""notify: the acknowledgement SMS sent to a number today, counted without reading the rest

Revision ID: 0005
Revises: 0004

Each accepted application sends an acknowledgement SMS to the mobile it names; notify sends a
number at most GONGKAI_ACK_SMS_PER_DAY of them a day (docs/decisions.md, issue 15) and counts
them when it queues one. Without an index that count would read every message ever sent.
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # Acknowledgements only (about a quarter of the messages): other messages are not capped.
    op.execute("""CREATE INDEX messages_acknowledgements ON messages (recipient, created_at)
                  WHERE template = 'acknowledgement_sms'""")


def downgrade() -> None:
    op.execute("DROP INDEX messages_acknowledgements")
