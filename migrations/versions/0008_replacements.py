"""Replacements of rejected units: how many of a dispatch line's rejected units are replaced, and the request line's total owed again

Revision ID: 0008_replacements
Revises: 0007_login_failures
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_replacements'
down_revision = '0007_login_failures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('request_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity_replaced', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(op.f('ck_request_line_allocated_within'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_request_line_allocated_within'), 'quantity_allocated >= 0 AND quantity_allocated <= quantity + quantity_replaced'
        )
        batch_op.create_check_constraint(
            op.f('ck_request_line_replaced_within'), 'quantity_replaced >= 0 AND quantity_replaced <= quantity_rejected'
        )
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_dispatch_line_replaced_within'), 'replaced >= 0 AND replaced <= COALESCE(rejected, 0)')


def downgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dispatch_line_replaced_within'), type_='check')
        batch_op.drop_column('replaced')
    with op.batch_alter_table('request_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_request_line_replaced_within'), type_='check')
        batch_op.drop_constraint(op.f('ck_request_line_allocated_within'), type_='check')
        batch_op.drop_column('quantity_replaced')
        batch_op.create_check_constraint(op.f('ck_request_line_allocated_within'), 'quantity_allocated >= 0 AND quantity_allocated <= quantity')
