"""Korean all the way: items and training topics carry an optional Korean name (name_ko)

Revision ID: 0022_korean_names
Revises: 0021_stock_import_uploads
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op


revision = '0022_korean_names'
down_revision = '0021_stock_import_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    with op.batch_alter_table('training_topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('training_topic', schema=None) as batch_op:
        batch_op.drop_column('name_ko')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('name_ko')
