"""A shipped dispatch line keeps its item's Korean name too, as it was when it shipped

Revision ID: 0025_dispatch_item_name_ko
Revises: 0024_request_status_index

No backfill: a dispatch shipped before this revision recorded no Korean name, and its Korean
documents go on printing the English name it recorded (the item's Korean name today is not what
left). NULL means "no Korean name recorded", whether the item had none or the line predates this.
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op


revision = '0025_dispatch_item_name_ko'
down_revision = '0024_request_status_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.drop_column('item_name_ko')
