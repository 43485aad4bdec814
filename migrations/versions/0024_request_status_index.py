"""The request list by state in id order reads one index for its page and its count

Revision ID: 0024_request_status_index
Revises: 0023_form_stash
"""
from alembic import op

revision = '0024_request_status_index'
down_revision = '0023_form_stash'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_assistance_request_status_id', 'assistance_request', ['status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_assistance_request_status_id', table_name='assistance_request')
