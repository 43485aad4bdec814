"""CSV imports in one pass: the file a clean dry run checked, kept a short while for "import these rows"

Revision ID: 0021_stock_import_uploads
Revises: 0020_time_zones
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db  # noqa: F401  (UTCDateTime)

revision = '0021_stock_import_uploads'
down_revision = '0020_time_zones'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stock_import_upload',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['provider_id'], ['provider.id'], name=op.f('fk_stock_import_upload_provider_id_provider'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user.id'], name=op.f('fk_stock_import_upload_user_id_user'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_stock_import_upload')),
    )
    with op.batch_alter_table('stock_import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_import_upload_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_import_upload_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stock_import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_import_upload_user_id'))
        batch_op.drop_index(batch_op.f('ix_stock_import_upload_expires_at'))
    op.drop_table('stock_import_upload')
