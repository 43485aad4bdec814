"""Issue 13 item 8: a held lock stalls no one for long.

Real connections of their own hold the locks (a ``sqlite3`` connection in ``BEGIN IMMEDIATE``; a
PostgreSQL session holding a row or a table lock) while the app answers through its test client:
reads never wait on the token's ``last_used`` touch, a writer that needs the held lock answers 503 in
the error envelope with ``Retry-After`` once the lock timeout has passed, and ``/healthz`` says within a
second whether the database takes writes.
"""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa

from health_responder import create_app
from health_responder.auth.models import ApiToken
from health_responder.auth.services import hash_token
from health_responder.extensions import db

LOCK_TIMEOUT = 3  # seconds, for SQLite's busy timeout and PostgreSQL's lock_timeout alike
#: An answer that did not wait for the lock comes well inside the lock timeout (a loaded machine adds tenths).
NO_WAIT = LOCK_TIMEOUT / 2


@pytest.fixture
def impatient(app):
    """A second app on the same database whose lock timeouts are one second."""
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "REPORTS_DIR": app.config["REPORTS_DIR"],
            "LOG_JSON": False,
            "SQLITE_BUSY_TIMEOUT": LOCK_TIMEOUT,
            "DB_LOCK_TIMEOUT": LOCK_TIMEOUT,
        }
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def _last_used(app, token: str):
    with app.app_context(), db.read_session() as session:
        return session.scalar(sa.select(ApiToken.last_used).where(ApiToken.token_hash == hash_token(token)))


def _get(app, path: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _timed(lambda: app.test_client().get(path, headers=headers))


def _post(app, path: str, token: str, body: dict):
    return _timed(
        lambda: app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    )


def _assert_busy_answer(response, took: float) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert set(response.json) == {"code", "status", "message", "errors"} and response.json["code"] == 503
    assert "busy" in response.json["message"] and int(response.headers["Retry-After"]) >= 1
    assert LOCK_TIMEOUT * 0.8 <= took < LOCK_TIMEOUT + 4, took


def test_sqlite_a_held_write_lock_holds_up_no_read_and_writers_get_503(app, impatient, make, world):
    reader = make.api("coordinator")
    city = world.city_api
    assert _last_used(app, reader.token) is None
    holder = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, in the middle of its transaction
    try:
        listed, took = _get(impatient, "/api/v1/stock/lots", reader.token)
        assert listed.status_code == 200 and took < NO_WAIT, took
        assert _last_used(app, reader.token) is None  # the touch was skipped, not waited for

        health, took = _get(impatient, "/healthz")
        assert health.status_code == 200 and took < NO_WAIT, took
        assert health.json == {"status": "degraded", "database": "sqlite", "writable": False}

        created, took = _post(impatient, "/api/v1/requests", city.token, _request_body(world))
        _assert_busy_answer(created, took)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    health, _took = _get(impatient, "/healthz")
    assert health.json == {"status": "ok", "database": "sqlite", "writable": True}
    assert _get(impatient, "/api/v1/stock/lots", reader.token)[0].status_code == 200
    assert _last_used(app, reader.token) is not None
    created, _took = _post(impatient, "/api/v1/requests", city.token, _request_body(world))
    assert created.status_code == 201, created.json


def _request_body(world) -> dict:
    return {
        "priority": "high",
        "needed_by": (time_plus_days(30)),
        "justification": "Lock test",
        "lines": [{"item_id": world.item.id, "quantity": 1}],
    }


def time_plus_days(days: int) -> str:
    from datetime import timedelta

    from health_responder.db import utc_today

    return (utc_today() + timedelta(days=days)).isoformat()


@pytest.fixture
def postgres_holder(app, backend):
    """A PostgreSQL session of its own (another worker, a psql prompt) for the test to hold locks in."""
    if backend != "postgresql":
        pytest.skip("row and table locks of another session: PostgreSQL (SQLite's write lock: test above)")
    engine = sa.create_engine(app.config["DATABASE_URL"], poolclass=sa.pool.NullPool)
    conn = engine.connect()
    yield conn
    conn.rollback()
    conn.close()
    engine.dispose()


@pytest.mark.both_databases
def test_postgresql_sessions_get_lock_and_statement_timeouts_from_settings(impatient, backend):
    if backend != "postgresql":
        pytest.skip("lock_timeout and statement_timeout are PostgreSQL settings")
    with impatient.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == f"{LOCK_TIMEOUT}s"
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1min"


@pytest.mark.both_databases
def test_postgresql_a_held_row_lock_answers_503_after_the_lock_timeout(
    app, impatient, make, world, postgres_holder
):
    keeper = world.provider_api
    lot_id = world.lots.oxy
    postgres_holder.execute(sa.text("SELECT id FROM stock_lot WHERE id = :id FOR UPDATE"), {"id": lot_id})

    adjusted, took = _post(
        impatient, f"/api/v1/stock/lots/{lot_id}/adjustments", keeper.token, {"delta": 1, "reason": "found"}
    )
    _assert_busy_answer(adjusted, took)
    # Everything that does not need that row goes on at once, /healthz included.
    health, took = _get(impatient, "/healthz")
    assert health.json == {"status": "ok", "database": "postgresql", "writable": True} and took < NO_WAIT
    created, took = _post(impatient, "/api/v1/requests", world.city_api.token, _request_body(world))
    assert created.status_code == 201 and took < NO_WAIT, (created.json, took)

    postgres_holder.rollback()
    adjusted, _took = _post(
        impatient, f"/api/v1/stock/lots/{lot_id}/adjustments", keeper.token, {"delta": 1, "reason": "found"}
    )
    assert adjusted.status_code == 201, adjusted.json


@pytest.mark.both_databases
def test_postgresql_a_locked_token_row_holds_up_no_request_made_with_it(
    app, impatient, make, world, postgres_holder
):
    city = make.api("city")
    postgres_holder.execute(
        sa.text("SELECT id FROM api_token WHERE token_hash = :h FOR UPDATE"), {"h": hash_token(city.token)}
    )
    listed, took = _get(impatient, "/api/v1/requests", city.token)
    assert listed.status_code == 200 and took < NO_WAIT, took
    body = _request_body(world) | {"lines": [{"item_id": world.item.id, "quantity": 2}]}
    created, took = _post(impatient, "/api/v1/requests", city.token, body)
    assert created.status_code == 201 and took < NO_WAIT, (created.json, took)
    assert _last_used(app, city.token) is None  # skipped both times: the row was taken


@pytest.mark.both_databases
def test_postgresql_a_table_lock_on_writers_is_reported_by_healthz_within_a_second(
    app, impatient, make, world, postgres_holder
):
    reader = make.api("coordinator")
    # EXCLUSIVE lets plain reads through and stops every writer of the table (a migration, a bulk fix).
    postgres_holder.execute(sa.text("LOCK TABLE api_token IN EXCLUSIVE MODE"))
    health, took = _get(impatient, "/healthz")
    assert health.status_code == 200 and took < NO_WAIT, took
    assert health.json == {"status": "degraded", "database": "postgresql", "writable": False}
    listed, took = _get(impatient, "/api/v1/stock/lots", reader.token)
    assert listed.status_code == 200 and took < NO_WAIT, took
    assert _last_used(app, reader.token) is None


@pytest.mark.both_databases
def test_postgresql_a_statement_past_the_statement_timeout_answers_503(app, make, postgres_holder):
    """QueryCanceled as well as LockNotAvailable: with no lock timeout, a read stuck behind an
    ACCESS EXCLUSIVE lock is cancelled by the statement timeout and answers 503, not 500."""
    patient = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "REPORTS_DIR": app.config["REPORTS_DIR"],
            "LOG_JSON": False,
            "DB_LOCK_TIMEOUT": 0,
            "DB_STATEMENT_TIMEOUT": LOCK_TIMEOUT,
        }
    )
    reader = make.api("coordinator")
    _get(patient, "/api/v1/stock/lots", reader.token)  # the token's first use (its stamp) done before
    postgres_holder.execute(sa.text("LOCK TABLE stock_lot IN ACCESS EXCLUSIVE MODE"))
    try:
        listed, took = _get(patient, "/api/v1/stock/lots", reader.token)
        _assert_busy_answer(listed, took)
    finally:
        postgres_holder.rollback()
        with patient.app_context():
            db.engine.dispose()
