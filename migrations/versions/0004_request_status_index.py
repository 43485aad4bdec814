"""Drop the request status index: the queue index (status, priority_rank, needed_by, submitted_at) leads with status

Every status change of a request rewrote both; the queue index answers every query on status alone.

Revision ID: 0004_request_status_index
Revises: 0003_notification_claims
"""
from alembic import op


revision = '0004_request_status_index'
down_revision = '0003_notification_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_request_status')


def downgrade() -> None:
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_request_status', ['status'], unique=False)
