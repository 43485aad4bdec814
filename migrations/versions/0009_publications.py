"""Publications of the Data Portal, with their topics and networks

Revision ID: 0009_publications
Revises: 0008_replacements
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0009_publications'
down_revision = '0008_replacements'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('partners', sa.Text(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('file_path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('finding', 'research', 'statistics')", name=op.f('ck_publication_kind_known')),
    sa.CheckConstraint('url IS NOT NULL OR file_path IS NOT NULL', name=op.f('ck_publication_link_or_file')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_publication_created_by_id_user')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_publication_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('period', name=op.f('uq_publication_period'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_published_on'), ['published_on'], unique=False)

    op.create_table('publication_network',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_publication_network_network_id_network')),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_network_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'network_id', name=op.f('pk_publication_network'))
    )
    with op.batch_alter_table('publication_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_network_network_id'), ['network_id'], unique=False)

    op.create_table('publication_topic',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_topic_publication_id_publication'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic'], ['training_topic.code'], name=op.f('fk_publication_topic_topic_training_topic')),
    sa.PrimaryKeyConstraint('publication_id', 'topic', name=op.f('pk_publication_topic'))
    )
    with op.batch_alter_table('publication_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_topic_topic'), ['topic'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publication_topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_topic_topic'))
    op.drop_table('publication_topic')
    with op.batch_alter_table('publication_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_network_network_id'))
    op.drop_table('publication_network')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_published_on'))
        batch_op.drop_index(batch_op.f('ix_publication_kind'))
    op.drop_table('publication')
