"""Items carry a GS1 GTIN (14 digits, unique), so a scanned barcode names its item

Revision ID: 0005_item_gtin
Revises: 0004_request_status_index
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005_item_gtin'
down_revision = '0004_request_status_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gtin', sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_item_gtin'), ['gtin'])


def downgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_item_gtin'), type_='unique')
        batch_op.drop_column('gtin')
