"""One CSV import of stock per provider at a time: the import claim

Revision ID: 0014_stock_import_claim
Revises: 0013_webinars
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db


revision = '0014_stock_import_claim'
down_revision = '0013_webinars'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stock_import_claim',
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('claimed_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_stock_import_claim_provider_id_provider'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_stock_import_claim')),
    )


def downgrade() -> None:
    op.drop_table('stock_import_claim')
