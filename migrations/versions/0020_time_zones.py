"""Time zones everyone can trust: a user's own zone (empty: the default of their city or provider) and
each stock location's zone

Revision ID: 0020_time_zones
Revises: 0019_document_expiry
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op


revision = '0020_time_zones'
down_revision = '0019_document_expiry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='UTC')
        )


def downgrade() -> None:
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('timezone')
