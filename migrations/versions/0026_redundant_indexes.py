"""Three indexes no query needs: each write kept them up to date for nothing

A lot's item_id and a request's city_id lead a composite index already (ix_stock_lot_item_status,
ix_assistance_request_city_created); an allocation's status has three values and is always asked
together with a request, lot, run or dispatch. On PostgreSQL a request's change of state rewrites an
entry in every index of the row, and each allocation inserts one in each of the table's indexes.

Revision ID: 0026_redundant_indexes
Revises: 0025_dispatch_item_name_ko
"""
from alembic import op

revision = '0026_redundant_indexes'
down_revision = '0025_dispatch_item_name_ko'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_stock_lot_item_id', table_name='stock_lot')
    op.drop_index('ix_assistance_request_city_id', table_name='assistance_request')
    op.drop_index('ix_allocation_status', table_name='allocation')


def downgrade() -> None:
    op.create_index('ix_allocation_status', 'allocation', ['status'], unique=False)
    op.create_index('ix_assistance_request_city_id', 'assistance_request', ['city_id'], unique=False)
    op.create_index('ix_stock_lot_item_id', 'stock_lot', ['item_id'], unique=False)
