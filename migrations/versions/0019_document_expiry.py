"""Ad-hoc documents expire: the prune_documents check deletes their files and marks them expired

Revision ID: 0019_document_expiry
Revises: 0018_dispatch_snapshot
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op

import health_responder.db


revision = '0019_document_expiry'
down_revision = '0018_dispatch_snapshot'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expired_at', health_responder.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('expired_at')
