"""Cities have a language: their dispatch reports, certificates and notifications are written in it

Revision ID: 0012_city_language
Revises: 0011_city_profiles
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012_city_language'
down_revision = '0011_city_profiles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), server_default='en', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_column('language')
