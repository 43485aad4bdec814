"""No lost work: what a person typed into a form refused for an ended session or an expired CSRF token

Revision ID: 0023_form_stash
Revises: 0022_korean_names
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db  # noqa: F401  (UTCDateTime)

revision = '0023_form_stash'
down_revision = '0022_korean_names'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_stash',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('fields', sa.Text(), nullable=False),
        sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user.id'], name=op.f('fk_form_stash_user_id_user'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_form_stash')),
    )
    with op.batch_alter_table('form_stash', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_stash_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_stash_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form_stash', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_stash_user_id'))
        batch_op.drop_index(batch_op.f('ix_form_stash_expires_at'))
    op.drop_table('form_stash')
