"""Idempotency keys remember whether their request committed: a key a killed worker left in flight is released

Revision ID: 0016_idempotency_committed
Revises: 0015_pick_list_check
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db


revision = '0016_idempotency_committed'
down_revision = '0015_pick_list_check'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_at', health_responder.db.UTCDateTime(timezone=True), nullable=True))
    # Keys left in flight before this revision may have committed: never release them (the safe side).
    op.execute("UPDATE idempotency_key SET committed_at = created_at WHERE status_code IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_column('committed_at')
