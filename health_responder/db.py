"""Engine and session lifecycle, SQLite pragmas, transaction helpers, and ``paginate``.

One scoped session per thread: a request, a job step or a CLI command uses ``db.session`` and
commits once at its end. On SQLite a transaction that will write begins ``IMMEDIATE`` so that two
writers queue instead of failing halfway (SQLAlchemy's documented pysqlite recipe: take BEGIN away from
the driver and emit it ourselves). Requests with an unsafe method and every ``write_session()`` declare
that intent; reads begin deferred and never block writers (WAL).

Writers queue on `WriteLock` before their BEGIN IMMEDIATE, not in SQLite's busy handler: that handler
sleeps 1, 2, 5 … 100 ms between tries and wakes no one when the lock frees, which gave 8 concurrent
writers a p99 of 437 ms and seconds at worst. Threads of one process wait on a lock, processes on a
lock file the kernel hands over at once; the busy timeout stays as the last resort.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import itertools
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlmodel import Session

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)
#: SQLite: a write transaction begun in this context takes the write lock only if it is free this instant
_no_wait: contextvars.ContextVar[bool] = contextvars.ContextVar("no_wait", default=False)
#: SQLite: transactions begun in this context leave the WAL to grow (see Database.deferred_checkpoints)
_defer_checkpoints: contextvars.ContextVar[bool] = contextvars.ContextVar("defer_checkpoints", default=False)
#: SQLite's own default: a checkpoint when a commit leaves more than this many pages in the WAL
WAL_AUTOCHECKPOINT_PAGES = 1000
#: SQLite: a writer checkpoints the WAL itself, outside the write turn, after every this many write
#: commits of its engine (a request's write is a few pages: well before SQLite's automatic one at 1000)
CHECKPOINT_EVERY = 50
#: The moment ``utcnow()`` answers in this context instead of the wall clock (see ``clock_at``)
_clock: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("clock", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the moment set by ``clock_at``, inside one)."""
    moment = _clock.get()
    return datetime.now(UTC) if moment is None else moment


@contextlib.contextmanager
def clock_at(moment: datetime) -> Iterator[datetime]:
    """Inside this block (this thread or task only), ``utcnow()`` and ``utc_today()`` answer ``moment``.

    For the demo, which replays a year of the association's life through the real services: each
    step runs at its own moment, so every row, audit event, ledger entry, reference ("REQ-2025-…"),
    deadline check and alert carries the time it would have had, and nothing is dated back afterwards.
    Every clock of the app goes through ``utcnow()``; a thread started inside keeps the wall clock.
    """
    if moment.tzinfo is None:
        raise ValueError("clock_at needs a timezone-aware moment")
    token = _clock.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _clock.reset(token)


def utc_today() -> date:
    """Today's date in UTC: the day needed-by and expiry dates are judged against."""
    return utcnow().date()


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: date filters compare datetimes against it."""
    return datetime.combine(day, time.min, tzinfo=UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored in UTC; naive input is read as UTC.

    SQLite keeps no offset, so values come back naive: this type gives them their UTC zone back.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """A datetime as stored: UTC, naive on SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """A stored datetime, aware, in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DatabaseBusy(Exception):
    """A write that was to happen only if the database was free found it busy (see Database.write_if_free)."""


def set_write_intent(flag: bool) -> None:
    """Declare whether transactions begun from now on in this context will write (SQLite: IMMEDIATE)."""
    _write_intent.set(flag)


class WriteLock:
    """The queue of one SQLite file's writers: a thread lock in this process, a file lock across processes.

    Taken just before ``BEGIN IMMEDIATE`` and given back just after ``COMMIT``/``ROLLBACK``, so that
    SQLite's own lock is free whenever this one is. A thread that already holds it (a second connection
    writing in the same thread) does not wait on itself: it falls through to SQLite's busy handler as
    before; so does a writer that waited ``timeout`` seconds in this process.
    """

    def __init__(self, path: str | None, timeout: float):
        self.path = path
        self.timeout = timeout
        self._pid = -1
        self._reset()

    def _reset(self) -> None:
        # After a fork the child gets its own lock and its own open file (a shared one would share the flock).
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Wait for the write turn; False when it was not taken (the caller relies on SQLite alone)."""
        if self._pid != os.getpid():
            self._reset()
        me = threading.get_ident()
        if self._owner == me or not self._lock.acquire(timeout=self.timeout):
            return False
        self._owner = me
        if self.path is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except OSError:
                pass  # an unwritable folder: threads still queue here, processes on SQLite's busy handler
        return True

    def try_acquire(self) -> bool:
        """Take the write turn only if no writer of this file holds or waits for it; never waits."""
        if self._pid != os.getpid():
            self._reset()
        me = threading.get_ident()
        if self._owner == me or not self._lock.acquire(blocking=False):
            return False
        self._owner = me
        if self.path is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._owner = None
                self._lock.release()
                return False
            except OSError:
                pass  # an unwritable folder: as in acquire()
        return True

    def release(self) -> None:
        """Give the write turn to the next writer."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._owner = None
        self._lock.release()


def _write_lock_for(engine: sa.Engine, busy_timeout: float) -> WriteLock:
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    return WriteLock(f"{database}.writelock" if on_disk else None, busy_timeout)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


class _SqliteTransactions:
    """How each SQLite connection of an engine begins and ends: pragmas, BEGIN, and the write turn.

    A writer takes this process's write lock (``WriteLock``: a queue, not SQLite's sleeping busy
    handler) before ``BEGIN IMMEDIATE`` and gives it back after SQLite's own lock is gone.
    """

    def __init__(self, write_lock: WriteLock, busy_timeout: float) -> None:
        self.write_lock = write_lock
        self.busy_ms = int(busy_timeout * 1000)
        self._commits = itertools.count(1)  # write commits of this engine (next() is atomic under the GIL)

    def listen(self, engine: sa.Engine) -> None:
        """Attach the handlers to ``engine``'s events."""
        for name in ("connect", "begin", "commit", "rollback", "reset", "invalidate"):
            event.listen(engine, name, getattr(self, f"on_{name}"))

    def on_connect(self, dbapi_connection, _record) -> None:
        """Autocommit at the driver level (we emit BEGIN ourselves), WAL, foreign keys, busy timeout, lower()."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only: a search for "ульяновск" would miss "Ульяновск".
        # Python's folds every script, so lower() and ilike/icontains match as they do on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    def on_begin(self, connection) -> None:
        """BEGIN for a reader; for a writer, the write turn and BEGIN IMMEDIATE."""
        defer, info = _defer_checkpoints.get(), connection.connection.info
        if (
            info.get("defer_checkpoints", False) is not defer
        ):  # the pragma is the connection's: set it on change
            pages = 0 if defer else WAL_AUTOCHECKPOINT_PAGES
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")
            info["defer_checkpoints"] = defer
        if not _write_intent.get():
            connection.exec_driver_sql("BEGIN")
        elif _no_wait.get():
            self._begin_if_free(connection, info)
        else:
            info["write_lock"] = self.write_lock.acquire()
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                self.release(info)
                raise

    def _begin_if_free(self, connection, info) -> None:
        """Only if the lock is free this instant: skip this process's queue and SQLite's busy handler."""
        if not self.write_lock.try_acquire():
            raise DatabaseBusy("another writer holds the SQLite write lock")
        info["write_lock"] = True
        try:
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={self.busy_ms}")
        except sa.exc.OperationalError as error:
            self.release(info)
            raise DatabaseBusy(str(error.orig)) from error
        except BaseException:
            self.release(info)
            raise

    def release(self, info) -> None:
        """Give the write turn back, if this connection holds it."""
        if info.pop("write_lock", False):
            self.write_lock.release()

    # The driver's commit and rollback follow these events; we end the transaction ourselves first
    # (the driver's then finds none and does nothing), so that the lock is given back after SQLite's.
    def on_commit(self, connection) -> None:
        """COMMIT, give the write turn back, and every `CHECKPOINT_EVERY` writes checkpoint the WAL."""
        info = connection.connection.info
        if "write_lock" in info:
            dbapi_connection = connection.connection.dbapi_connection
            try:
                dbapi_connection.execute("COMMIT")
            except sqlite3.Error:
                pass  # still in the transaction: the driver's commit raises it again, wrapped as usual
            finally:
                self.release(info)
            if not info.get("defer_checkpoints") and next(self._commits) % CHECKPOINT_EVERY == 0:
                self._checkpoint(dbapi_connection)

    @staticmethod
    def _checkpoint(dbapi_connection) -> None:
        """Copy the WAL back into the database now, outside the write turn (PASSIVE: waits for no one).

        SQLite's own automatic checkpoint runs inside the COMMIT of the write that crosses
        ``wal_autocheckpoint`` pages, syncing the database file, and that COMMIT returns only then:
        every writer queued behind the turn waited for the sync, which made the write tail (p99
        hundreds of ms for p50 tens). Checkpointing here first keeps the WAL under that threshold, so
        the sync is paid by the request that does it, after it gave the turn away.
        """
        with contextlib.suppress(sqlite3.Error):  # another checkpoint under way: the next one will do
            dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def on_rollback(self, connection) -> None:
        """ROLLBACK, then give the write turn back."""
        info = connection.connection.info
        if "write_lock" in info:
            try:
                if connection.connection.dbapi_connection.in_transaction:
                    connection.connection.dbapi_connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the driver's rollback tries again and reports it
            finally:
                self.release(info)

    # A connection handed back or dropped without either (an error inside the pool): never keep the turn.
    def on_reset(self, _dbapi_connection, record, _reset_state) -> None:
        """A connection back in the pool keeps no write turn."""
        self.release(record.info)

    def on_invalidate(self, _dbapi_connection, record, _exc) -> None:
        """A dropped connection keeps no write turn."""
        self.release(record.info)


def _configure_sqlite(engine: sa.Engine, busy_timeout: int) -> None:
    write_lock = _write_lock_for(engine, busy_timeout)
    engine.info_write_lock = write_lock  # for tests and benchmarks that want to see it
    _SqliteTransactions(write_lock, busy_timeout).listen(engine)


def make_engine(url: str, config: dict | None = None) -> sa.Engine:
    """An engine for ``url`` with the pragmas (SQLite) or pool settings (PostgreSQL) we rely on."""
    config = config or {}
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": config.get("SQLITE_BUSY_TIMEOUT", 30)},
        )
        _configure_sqlite(engine, config.get("SQLITE_BUSY_TIMEOUT", 30))
        return engine
    engine = sa.create_engine(
        url,
        pool_size=config.get("DB_POOL_SIZE", 10),
        max_overflow=config.get("DB_MAX_OVERFLOW", 20),
        pool_recycle=config.get("DB_POOL_RECYCLE", 1800),
        pool_pre_ping=True,
    )
    _configure_postgresql(engine, config.get("DB_LOCK_TIMEOUT", 5), config.get("DB_STATEMENT_TIMEOUT", 60))
    return engine


def _configure_postgresql(engine: sa.Engine, lock_timeout: float, statement_timeout: float) -> None:
    """Every session waits at most ``lock_timeout`` seconds for a lock and runs a statement at most
    ``statement_timeout`` seconds (0: no limit). Set on connect, not as a startup option, so that a
    pooler in front (PgBouncer) need not pass options on; the pool's reset keeps session settings.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
                cursor.execute(f"SET statement_timeout = {int(statement_timeout * 1000)}")
        finally:
            dbapi_connection.autocommit = autocommit


class AppSession(Session):
    """A session bound to the engine of the current Flask app."""

    def get_bind(self, *args, **kwargs):
        """The engine of the current Flask app."""
        return current_app.extensions["db_engine"]


class Database:
    """The app's engine and its thread-scoped session."""

    def __init__(self) -> None:
        self.session = scoped_session(sessionmaker(class_=AppSession, expire_on_commit=False))

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``DATABASE_URL`` and remove the session after each request."""
        engine = make_engine(app.config["DATABASE_URL"], app.config)
        app.extensions["db_engine"] = engine

        @app.before_request
        def _declare_intent():
            from flask import request

            set_write_intent(request.method not in {"GET", "HEAD", "OPTIONS"})
            self.session.remove()

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    @property
    def engine(self) -> sa.Engine:
        """The current app's engine."""
        return current_app.extensions["db_engine"]

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def begin_write(self) -> None:
        """End the request's read transaction so that what follows begins as a writer (SQLite: IMMEDIATE).

        For the few GET endpoints that write (registering a generated document): upgrading a deferred
        SQLite transaction to a writer can fail at once when another writer committed meanwhile.
        """
        self.session.rollback()
        set_write_intent(True)

    @contextlib.contextmanager
    def write_session(self) -> Iterator[Session]:
        """A fresh session whose transaction writes: commits on success, rolls back on error."""
        previous = _write_intent.get()
        set_write_intent(True)
        self.session.remove()
        try:
            yield self.session
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        finally:
            self.session.remove()
            set_write_intent(previous)

    def write_if_free(self, statement) -> bool:
        """Run ``statement`` in a short transaction of its own, but only if that needs no waiting; else skip it.

        For best-effort writes (a token's ``last_used``) that must never hold up the request that makes
        them. SQLite: the write lock is taken only if it is free this instant (no queue, busy timeout 0).
        PostgreSQL: a lock held by another transaction ends the attempt after 50 ms; a statement that
        wants to skip locked rows says ``FOR UPDATE SKIP LOCKED`` itself. True when it ran.
        """
        write, no_wait = _write_intent.set(True), _no_wait.set(True)
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL lock_timeout = 50")
                conn.execute(statement)
            return True
        except (DatabaseBusy, sa.exc.OperationalError):
            return False
        finally:
            _no_wait.reset(no_wait)
            _write_intent.reset(write)

    @contextlib.contextmanager
    def deferred_checkpoints(self) -> Iterator[None]:
        """Many write transactions in a row (SQLite): one WAL checkpoint at the end instead of one per commit.

        SQLite copies the WAL back into the database (and syncs both) whenever a commit leaves more than
        a thousand pages in it. A run of batches that rewrite the same pages (the lines and requests of
        auto_allocate) would copy those pages again after every batch; inside this block the commits
        only append to the WAL, and a checkpoint at the end copies each page once. Commits stay as
        durable as ever (the WAL is the database's own journal); other connections keep checkpointing
        as usual. PostgreSQL: nothing to do.
        """
        if self.dialect != "sqlite":
            yield
            return
        token = _defer_checkpoints.set(True)
        try:
            yield
        finally:
            _defer_checkpoints.reset(token)
            self.session.remove()
            connection = self.engine.raw_connection()  # outside any transaction: the driver is in autocommit
            try:
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            finally:
                connection.close()

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A fresh session for reading; whatever it holds is rolled back at the end."""
        previous = _write_intent.get()
        set_write_intent(False)
        self.session.remove()
        try:
            yield self.session
        finally:
            self.session.remove()
            set_write_intent(previous)


def lock(statement):
    """Add ``FOR UPDATE`` (PostgreSQL row locks; SQLite already holds the write lock via IMMEDIATE)."""
    return statement.with_for_update()


def paginate(
    session, statement: sa.Select, args: dict, columns: dict[str, Any], default_order: tuple = ()
) -> dict:
    """Run ``statement`` for one page. ``columns`` maps each orderable name to its column.

    The id is always the last sort key, so pages never overlap or skip rows.
    """
    page, size = args.get("page", 1), min(args.get("page_size", 20), current_app.config["MAX_PAGE_SIZE"])
    order = args.get("order_by")
    keys = []
    if order:
        column = columns[order.lstrip("-")]
        keys.append(column.desc() if order.startswith("-") else column.asc())
    keys.extend(default_order)
    id_column = columns.get("id")
    if id_column is not None:
        keys.append(id_column.desc() if order == "-id" else id_column.asc())
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.order_by(*keys).limit(size).offset((page - 1) * size)).all()
    return {
        "items": rows,
        "page": page,
        "page_size": size,
        "total": total,
        "pages": (total + size - 1) // size if total else 0,
    }


def by_id(session, model, ids) -> dict[int, Any]:
    """Rows of ``model`` whose id is in ``ids``, by id, in one query (none asked: no query)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(sa.select(model).where(model.id.in_(wanted)))}


def names_by_id(session, model, ids) -> dict[int, str]:
    """The ``name`` of each row of ``model`` whose id is in ``ids``, in one query."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(sa.select(model.id, model.name).where(model.id.in_(wanted))).all())
