"""PostgreSQL: room on every page of request_line and stock_lot for their rows' next versions

A reservation, a dispatch or a receipt updates a line's quantities and a lot's balances, columns no
index holds. With free room on the row's own page PostgreSQL writes the new version there (a HOT
update) and adds no entry to any of the table's indexes; with pages filled to the brim, as a table
is by default, every such update moves the row and writes an entry in each index (four on a line,
six on a lot). A fillfactor of 85 keeps 15% of each page free. It applies to the pages written from
now on; existing pages get their room when the table is rewritten (VACUUM FULL, pg_repack). SQLite has
no such setting: nothing is done there.

Revision ID: 0027_fillfactor
Revises: 0026_redundant_indexes
"""

from alembic import op

revision = "0027_fillfactor"
down_revision = "0026_redundant_indexes"
branch_labels = None
depends_on = None

TABLES = ("request_line", "stock_lot")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
