"""Regional offices of the networks and the cities each serves

Revision ID: 0010_regional_offices
Revises: 0009_publications
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0010_regional_offices'
down_revision = '0009_publications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('regional_office',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('languages', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_regional_office_network_id_network')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regional_office')),
    sa.UniqueConstraint('name', name=op.f('uq_regional_office_name'))
    )
    with op.batch_alter_table('regional_office', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regional_office_network_id'), ['network_id'], unique=False)

    op.create_table('office_city',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_office_city_city_id_city')),
    sa.ForeignKeyConstraint(['office_id'], ['regional_office.id'], name=op.f('fk_office_city_office_id_regional_office'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('office_id', 'city_id', name=op.f('pk_office_city'))
    )
    with op.batch_alter_table('office_city', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_city_city_id'), ['city_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('office_city', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_city_city_id'))
    op.drop_table('office_city')
    with op.batch_alter_table('regional_office', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regional_office_network_id'))
    op.drop_table('regional_office')
