"""reporting: how each application was handled (channel, due date in force, extension, breach,
on the spot) for the report's 办理情况; the projection is rebuilt from the inbox

Revision ID: 0004
Revises: 0003

The projection's tables live in versioned schemas (store.TABLES); the new columns come with a
rebuild, which reads the events reporting already keeps (DueDateSet, ExtensionApproved and
DeadlineBreached were consumed and stored in the inbox before; they are folded from now on).
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("UPDATE projection_state SET needs_rebuild = true")


def downgrade() -> None:
    op.execute("UPDATE projection_state SET needs_rebuild = true")
