"""City profiles of the Knowledge Hub: population and health-system summary

Revision ID: 0011_city_profiles
Revises: 0010_regional_offices
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0011_city_profiles'
down_revision = '0010_regional_offices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_profile',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('health_system_summary', sa.Text(), nullable=True),
    sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_city_profile_city_id_city')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_city_profile_updated_by_id_user')),
    sa.PrimaryKeyConstraint('city_id', name=op.f('pk_city_profile'))
    )


def downgrade() -> None:
    op.drop_table('city_profile')
