"""GET /healthz: the process answers, the database is reachable, and whether it takes writes right now.

The check has a connection of its own, outside the app's pool, and a budget of
``HEALTH_WRITE_TIMEOUT`` seconds: a pool whose connections all wait on a lock, or a write lock held
elsewhere, never makes the health check wait with them. The write check begins a writing transaction
(SQLite: ``BEGIN IMMEDIATE``, the database's one write lock; PostgreSQL: a write statement that takes
the table lock every writer takes) and rolls it back, so it leaves nothing behind.
"""

import math

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from health_responder.errors import envelope

blp = Blueprint("health", __name__)

#: Writes nothing (no row matches), but must take the same table lock and write permission as a real write.
_WRITE_PROBE = "UPDATE api_token SET last_used = last_used WHERE 1 = 0"


def _engine(budget: float) -> sa.Engine:
    """The health check's own engine: no pool, a connect timeout, the driver in autocommit."""
    engine = current_app.extensions.get("db_health_engine")
    if engine is None:
        url = current_app.config["DATABASE_URL"]
        if url.startswith("sqlite"):
            connect_args = {"timeout": budget, "check_same_thread": False}
        else:  # libpq's connect timeout is whole seconds, at least 2
            connect_args = {"connect_timeout": max(2, math.ceil(budget))}
        engine = sa.create_engine(
            url, poolclass=sa.pool.NullPool, connect_args=connect_args, isolation_level="AUTOCOMMIT"
        )
        current_app.extensions["db_health_engine"] = engine
    return engine


def _takes_writes(conn: sa.Connection, budget: float) -> bool:
    try:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits at most the connection's busy timeout (budget)
        else:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(budget * 1000)}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(budget * 1000)}")
        try:
            conn.exec_driver_sql(_WRITE_PROBE)
        finally:
            conn.exec_driver_sql("ROLLBACK")
    except sa.exc.SQLAlchemyError:
        return False
    return True


@blp.get("/healthz")
def healthz():
    """200 with the dialect and ``writable`` (a write went through within the budget); 503 when unreachable.

    ``status`` is ``ok`` when the database takes writes and ``degraded`` when it answers reads only
    (locked, read-only): reads still work then, so the answer stays 200 for load balancers.
    """
    budget = float(current_app.config["HEALTH_WRITE_TIMEOUT"])
    engine = _engine(budget)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            writable = _takes_writes(conn, budget)
    except sa.exc.SQLAlchemyError:
        return envelope(503, "The database is unreachable.")
    return jsonify(
        {"status": "ok" if writable else "degraded", "database": engine.dialect.name, "writable": writable}
    )
