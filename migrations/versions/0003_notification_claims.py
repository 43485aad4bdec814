"""Notification delivery claims: a sender claims a message until a moment, so two senders never both send it

Revision ID: 0003_notification_claims
Revises: 0002_training
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db


revision = '0003_notification_claims'
down_revision = '0002_training'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_claimed_until', health_responder.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('email_claimed_until')
