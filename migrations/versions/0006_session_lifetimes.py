"""Session and token lifetimes: a per-user session generation, and an expiry on every API token

Existing tokens get the default lifetime (30 days) from the upgrade.

Revision ID: 0006_session_lifetimes
Revises: 0005_item_gtin
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import health_responder.db


revision = '0006_session_lifetimes'
down_revision = '0005_item_gtin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', health_responder.db.UTCDateTime(timezone=True), nullable=True))
    token = sa.table('api_token', sa.column('expires_at', health_responder.db.UTCDateTime(timezone=True)))
    op.execute(token.update().values(expires_at=datetime.now(UTC) + timedelta(days=30)))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=health_responder.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
