"""Writers queue: one statement authenticates an API request; SQLite writers wait on db.WriteLock, not in SQLite's busy handler."""

import os
import threading
import time

import pytest
import sqlalchemy as sa

from health_responder import create_app
from health_responder.extensions import db


@pytest.mark.both_databases
def test_an_api_request_authenticates_with_one_statement(app, login_as):
    city = login_as("city")
    assert city.get("/api/v1/auth/me").status_code == 200  # the first call may touch last_used
    statements = []
    listener = lambda _c, _cur, sql, *_a: statements.append(sql)  # noqa: E731
    sa.event.listen(app.extensions["db_engine"], "before_cursor_execute", listener)
    try:
        assert city.get("/api/v1/auth/me").status_code == 200
    finally:
        sa.event.remove(app.extensions["db_engine"], "before_cursor_execute", listener)
    queries = [s for s in statements if not s.startswith(("BEGIN", "PRAGMA"))]
    assert len(queries) == 1, queries
    assert "api_token" in queries[0] and "user" in queries[0]


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/lock.sqlite",
            "REPORTS_DIR": str(tmp_path / "reports"),
            "LOG_JSON": False,
            "SQLITE_BUSY_TIMEOUT": 5,
        }
    )
    with app.app_context(), db.write_session() as session:
        session.connection().exec_driver_sql("CREATE TABLE scratch (n INTEGER)")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _write(app, n: int, hold: threading.Event | None = None, started: threading.Event | None = None):
    with app.app_context(), db.write_session() as session:
        session.connection().exec_driver_sql("INSERT INTO scratch (n) VALUES (?)", (n,))
        if started:
            started.set()
        if hold:
            hold.wait(10)


def test_a_second_writer_of_the_process_queues_on_the_lock_until_the_first_commits(sqlite_app):
    lock = sqlite_app.extensions["db_engine"].info_write_lock
    hold, started = threading.Event(), threading.Event()
    first = threading.Thread(target=_write, args=(sqlite_app, 1, hold, started))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=_write, args=(sqlite_app, 2))
    second.start()
    time.sleep(0.3)
    assert second.is_alive(), "the second writer did not wait for the first"
    assert lock._lock.locked()
    hold.set()
    first.join(10)
    second.join(10)
    assert not second.is_alive()
    with sqlite_app.app_context(), db.read_session() as session:
        assert session.connection().exec_driver_sql("SELECT n FROM scratch ORDER BY n").scalars().all() == [
            1,
            2,
        ]
    assert os.path.exists(f"{lock.path}"), "processes queue on the lock file beside the database"
    assert not lock._lock.locked(), "the write turn was not given back"


def test_the_write_turn_is_given_back_when_the_transaction_fails(sqlite_app):
    lock = sqlite_app.extensions["db_engine"].info_write_lock
    with sqlite_app.app_context():
        with pytest.raises(ZeroDivisionError):  # noqa: PT012, SIM117 - the failure must come inside the transaction
            with db.write_session() as session:
                session.connection().exec_driver_sql("INSERT INTO scratch (n) VALUES (1)")
                1 / 0  # noqa: B018
        assert not lock._lock.locked()
        with db.read_session() as session:
            assert session.connection().exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 0
    _write(sqlite_app, 3)
    assert not lock._lock.locked()


def test_a_second_connection_writing_in_the_same_thread_does_not_wait_on_itself(sqlite_app):
    from health_responder.db import set_write_intent

    with sqlite_app.app_context():
        engine = db.engine
        with db.write_session() as session:
            session.connection().exec_driver_sql("INSERT INTO scratch (n) VALUES (1)")
            started = time.perf_counter()
            # The lock is this thread's: no wait on it (5 s); SQLite's busy handler answers as it always did (5 s).
            with (  # noqa: PT012 - the refusal comes from begin() on a connection opened for it
                pytest.raises(sa.exc.OperationalError, match="locked"),
                engine.connect() as other,
            ):
                set_write_intent(True)
                other.begin()
            assert time.perf_counter() - started < 9
