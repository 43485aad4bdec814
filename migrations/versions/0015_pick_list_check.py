"""Dispatch lines remember the pick list check: when and by whom the lot was scanned as packed

Revision ID: 0015_pick_list_check
Revises: 0014_stock_import_claim
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db


revision = '0015_pick_list_check'
down_revision = '0014_stock_import_claim'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', health_responder.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_dispatch_line_checked_by_id_user'), 'user', ['checked_by_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dispatch_line_checked_by_id_user'), type_='foreignkey')
        batch_op.drop_column('checked_by_id')
        batch_op.drop_column('checked_at')
