"""PostgreSQL: a batch of the bulk allocation path as a few statements, not one statement per row.

bulk.py sends each step of a batch (reserve the lots, allocate the lines, set the requests' statuses,
add the allocation, ledger and audit rows) as one statement over all its rows. On PostgreSQL, sent
row by row, even pipelined, those ~20,000 statements of a 100k-line run cost 4x the plain-SQL floor
of bench/allocation.py: the server parses, plans and runs each. Here the UPDATEs take the batch's
rows as arrays (``UPDATE … FROM unnest(:a_x, :a_y, …) AS v(x, y, …)``) with the very conditions of
rules.py over those columns, and the INSERTs go by COPY.

Each lot, line and request appears once in a batch, so an UPDATE's rowcount still counts the rows
that matched, and bulk.py's stale-plan check keeps its meaning. Each UPDATE also names its rows by
``id = ANY(:a_…)``: the planner cannot estimate a join on several columns of the unnest and would
otherwise read the whole table into a hash (100 ms a batch at 100k lines, against 15 ms by key).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import select

from health_responder.allocation import rules
from health_responder.db import UTCDateTime
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot

LINES = RequestLine.__table__
REQUESTS = AssistanceRequest.__table__
LOTS = StockLot.__table__

#: name -> the bound array of that column of a batch (one object per name, used wherever the name appears)
_ARRAYS: dict[str, sa.BindParameter] = {}


def _array(name: str, kind=sa.Integer) -> sa.BindParameter:
    """The batch's values of column ``name``, bound as one array ``:a_<name>``."""
    return _ARRAYS.setdefault(name, sa.bindparam(f"a_{name}", type_=ARRAY(kind)))


def _rows_of(**columns) -> sa.TableValuedAlias:
    """A batch's rows as one relation, ``unnest(:a_x, :a_y, …) AS v(x, y, …)`` (one array per column)."""
    return (
        sa.func.unnest(*(_array(name, kind) for name, kind in columns.items()))
        .table_valued(*(sa.column(name, kind) for name, kind in columns.items()))
        .render_derived()
    )


_LOT_ROWS = _rows_of(lot=sa.Integer, item=sa.Integer, q=sa.Integer, need=sa.Date)
_LINE_ROWS = _rows_of(line=sa.Integer, request=sa.Integer, item=sa.Integer, q=sa.Integer)
_STATUS_ROWS = _rows_of(id=sa.Integer, **{"from": sa.String, "to": sa.String})

#: The lots a batch takes from, locked in id order before any of them is updated: the batch's lot ids as
#: one array (an IN list of a thousand parameters costs more to render and parse than the lock itself)
LOCK_LOTS = select(LOTS.c.id).where(LOTS.c.id == sa.any_(_array("lot"))).order_by(LOTS.c.id).with_for_update()
#: bulk._RESERVE_LOT for a batch: rows b_lot, b_item, b_q (units taken), b_need (latest needed-by); b_at
RESERVE_LOTS = (
    sa.update(LOTS)
    .where(
        LOTS.c.id == sa.any_(_array("lot")),
        LOTS.c.id == _LOT_ROWS.c.lot,
        LOTS.c.item_id == _LOT_ROWS.c.item,
        rules.usable_sql(LOTS.c, needed_by=_LOT_ROWS.c.need, units=_LOT_ROWS.c.q),
    )
    .values(reserved=LOTS.c.reserved + _LOT_ROWS.c.q, updated_at=sa.bindparam("b_at", type_=UTCDateTime))
)
#: bulk._ALLOCATE_LINE for a batch: rows b_line, b_request, b_item, b_q
ALLOCATE_LINES = (
    sa.update(LINES)
    .where(
        LINES.c.id == sa.any_(_array("line")),
        LINES.c.id == _LINE_ROWS.c.line,
        LINES.c.request_id == _LINE_ROWS.c.request,
        LINES.c.item_id == _LINE_ROWS.c.item,
        _LINE_ROWS.c.q <= rules.remainder_sql(LINES.c),
    )
    .values(quantity_allocated=LINES.c.quantity_allocated + _LINE_ROWS.c.q)
)
#: bulk._SET_STATUS for a batch: rows b_id, b_from, b_to; b_at
SET_STATUSES = (
    sa.update(REQUESTS)
    .where(
        REQUESTS.c.id == sa.any_(_array("id")),
        REQUESTS.c.id == _STATUS_ROWS.c.id,
        REQUESTS.c.status == _STATUS_ROWS.c["from"],
    )
    .values(status=_STATUS_ROWS.c.to, updated_at=sa.bindparam("b_at", type_=UTCDateTime))
)


def arrays(rows: Sequence[dict]) -> dict[str, list]:
    """The parameters of a batch's UPDATE: each ``b_<name>`` of the rows as one list ``a_<name>``."""
    out = {f"a_{name[2:]}": [row[name] for row in rows] for name in rows[0]}
    for name in ("a_from", "a_to"):  # statuses may be str enums: the array takes their plain text
        if name in out:
            out[name] = [str(value) for value in out[name]]
    return out


def copy_rows(connection: sa.Connection, table: sa.Table, rows: Sequence[dict], constants: dict) -> int:
    """INSERT ``rows`` (each with ``constants``) into ``table`` by COPY, in the connection's transaction; the count.

    Values go through their column types' bind processors, as an INSERT's would; a column given
    neither by the rows nor by ``constants`` gets its Python-side default like an INSERT, else the
    table's own default.
    """
    dialect = connection.dialect
    constants = constants | {
        column.key: column.default.arg if column.default.is_scalar else column.default.arg(None)
        for column in table.c
        if column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
        and column.key not in rows[0]
        and column.key not in constants
    }
    names = [*rows[0], *constants]
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    fixed = [
        processor(value) if processor else value
        for processor, value in zip(processors[len(rows[0]) :], constants.values(), strict=True)
    ]
    varying = list(zip(rows[0], processors, strict=False))
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(table.c[name].name) for name in names)
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [processor(row[n]) if processor else row[n] for n, processor in varying] + fixed
                )
    finally:
        cursor.close()
    return len(rows)
