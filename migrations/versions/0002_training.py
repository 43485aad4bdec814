"""Training programs, their networks, enrolments and knowledge-hub materials

Revision ID: 0002_training
Revises: 0001_foundation
Create Date: 2026-11-26 16:20:06.258134
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0002_training'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('file_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'link' AND url IS NOT NULL) OR (kind = 'pdf' AND file_path IS NOT NULL)", name=op.f('ck_material_link_or_file')),
    sa.CheckConstraint("kind IN ('link', 'pdf')", name=op.f('ck_material_kind_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_material_created_by_id_user')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_material_provider_id_provider')),
    sa.ForeignKeyConstraint(['topic'], ['training_topic.code'], name=op.f('fk_material_topic_training_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material'))
    )
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_topic'), ['topic'], unique=False)

    op.create_table('training_program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('venue', sa.Text(), nullable=True),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('starts_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('enrolment_deadline', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('waitlist_last', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("mode IN ('online', 'onsite')", name=op.f('ck_training_program_mode_known')),
    sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name=op.f('ck_training_program_status_known')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_training_program_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_training_program_ends_after_start')),
    sa.CheckConstraint('seats_taken <= capacity', name=op.f('ck_training_program_seats_within_capacity')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_training_program_seats_taken_not_negative')),
    sa.CheckConstraint('waitlist_last >= 0', name=op.f('ck_training_program_waitlist_last_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_training_program_created_by_id_user')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_training_program_provider_id_provider')),
    sa.ForeignKeyConstraint(['topic'], ['training_topic.code'], name=op.f('fk_training_program_topic_training_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_program'))
    )
    with op.batch_alter_table('training_program', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_program_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_program_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_program_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_program_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_program_topic'), ['topic'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('participant_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('participant_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('enrolled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('promoted_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('marked_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name=op.f('ck_enrolment_position_iff_waitlisted')),
    sa.CheckConstraint("status IN ('enrolled', 'waitlisted', 'cancelled', 'attended', 'completed', 'no_show')", name=op.f('ck_enrolment_status_known')),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_enrolment_city_id_city')),
    sa.ForeignKeyConstraint(['enrolled_by_id'], ['user.id'], name=op.f('fk_enrolment_enrolled_by_id_user')),
    sa.ForeignKeyConstraint(['program_id'], ['training_program.id'], name=op.f('fk_enrolment_program_id_training_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('program_id', 'waitlist_position', name='uq_enrolment_program_waitlist_position')
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_program_id'), ['program_id'], unique=False)
        batch_op.create_index('ix_enrolment_program_status', ['program_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_status'), ['status'], unique=False)
        batch_op.create_index('uq_enrolment_program_email_live', ['program_id', 'participant_email'], unique=True, sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))

    op.create_table('training_program_network',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_training_program_network_network_id_network')),
    sa.ForeignKeyConstraint(['program_id'], ['training_program.id'], name=op.f('fk_training_program_network_program_id_training_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'network_id', name=op.f('pk_training_program_network'))
    )
    with op.batch_alter_table('training_program_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_program_network_network_id'), ['network_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('training_program_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_program_network_network_id'))

    op.drop_table('training_program_network')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index('uq_enrolment_program_email_live', sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_enrolment_status'))
        batch_op.drop_index('ix_enrolment_program_status')
        batch_op.drop_index(batch_op.f('ix_enrolment_program_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_city_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('training_program', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_program_topic'))
        batch_op.drop_index(batch_op.f('ix_training_program_status'))
        batch_op.drop_index(batch_op.f('ix_training_program_starts_at'))
        batch_op.drop_index(batch_op.f('ix_training_program_provider_id'))
        batch_op.drop_index(batch_op.f('ix_training_program_language'))

    op.drop_table('training_program')
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_topic'))
        batch_op.drop_index(batch_op.f('ix_material_provider_id'))
        batch_op.drop_index(batch_op.f('ix_material_language'))

    op.drop_table('material')
