"""Webinars: the program mode 'webinar', its private join link, its recording and the program's time zone

Revision ID: 0013_webinars
Revises: 0012_city_language
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0013_webinars'
down_revision = '0012_city_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('training_program', schema=None) as batch_op:
        batch_op.add_column(sa.Column('join_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('recording_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='UTC'))
        batch_op.drop_constraint(batch_op.f('ck_training_program_mode_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_training_program_mode_known'), "mode IN ('online', 'onsite', 'webinar')")
    with op.batch_alter_table('training_program', schema=None) as batch_op:
        batch_op.alter_column('timezone', server_default=None)


def downgrade() -> None:
    op.execute("UPDATE training_program SET mode = 'online' WHERE mode = 'webinar'")
    with op.batch_alter_table('training_program', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_training_program_mode_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_training_program_mode_known'), "mode IN ('online', 'onsite')")
        batch_op.drop_column('timezone')
        batch_op.drop_column('recording_url')
        batch_op.drop_column('join_url')
