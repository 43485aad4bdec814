"""Knowledge-hub material versions: every file a PDF material was given, and who changed it last

Revision ID: 0017_material_versions
Revises: 0016_idempotency_committed
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0017_material_versions'
down_revision = '0016_idempotency_committed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('material_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('file_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_material_version_number_positive')),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], name=op.f('fk_material_version_material_id_material')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_material_version_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_version')),
    sa.UniqueConstraint('material_id', 'number', name='uq_material_version_number')
    )
    with op.batch_alter_table('material_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_version_material_id'), ['material_id'], unique=False)
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_material_updated_by_id_user'), 'user', ['updated_by_id'], ['id'])
    # The file each PDF material holds today is its first version.
    op.execute(
        "INSERT INTO material_version (material_id, number, file_path, file_name, size, sha256, uploaded_by_id, uploaded_at)"
        " SELECT id, 1, file_path, COALESCE(file_name, 'material.pdf'), COALESCE(size, 0), COALESCE(sha256, ''),"
        " created_by_id, created_at FROM material WHERE kind = 'pdf'"
    )
    op.execute("UPDATE material SET version = 1 WHERE kind = 'pdf'")


def downgrade() -> None:
    # The material rows keep their current file; the earlier versions' rows go (their files stay on disk).
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_material_updated_by_id_user'), type_='foreignkey')
        batch_op.drop_column('updated_by_id')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
    with op.batch_alter_table('material_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_version_material_id'))
    op.drop_table('material_version')
