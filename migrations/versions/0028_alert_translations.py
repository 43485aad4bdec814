"""An alert keeps its message in each offered language, so that a Korean page reads it in Korean

Revision ID: 0028_alert_translations
Revises: 0027_fillfactor

No backfill: an alert raised before this revision shows its English message until its check runs
again, which refreshes the message of every open alert it still finds (and with it the translations).
"""

import sqlalchemy as sa
from alembic import op


revision = "0028_alert_translations"
down_revision = "0027_fillfactor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("message_translations")
