"""Issue 13 item 13: an Idempotency-Key left in flight by a worker killed with SIGKILL.

A forked worker (its own app, engine and connections) sends a creating POST with a key; the test kills
it the moment the key is claimed, so the kill lands while the request's work is under way. When the
work never committed, the retry answers "in flight" (409) for a minute at most and then proceeds,
creating the request once; when it did commit but the answer was lost, the retry is told so and
nothing is created twice.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time

import pytest
import sqlalchemy as sa

from health_responder import create_app
from health_responder.api.models import IdempotencyKey
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from tests.factories import request_body

STALE = 1  # IDEMPOTENCY_IN_FLIGHT_SECONDS for the test (a minute by default)


def _worker(database_url: str, reports: str, token: str, key: str, body: dict) -> None:
    child = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": reports,
            "LOG_JSON": False,
        }
    )
    child.test_client().post(
        "/api/v1/requests", json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    )
    os._exit(0)


def _key_row(app, key: str):
    with app.app_context(), db.read_session() as session:
        return session.execute(sa.select(IdempotencyKey.__table__).where(IdempotencyKey.key == key)).first()


def _created(app, marker: str) -> int:
    with app.app_context(), db.read_session() as session:
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(AssistanceRequest)
            .where(AssistanceRequest.justification == marker)
        )


@pytest.mark.slow
@pytest.mark.both_databases
def test_a_key_left_in_flight_by_a_killed_worker_is_released_once_its_work_never_committed(
    app, world, tmp_path
):
    assert app.config["IDEMPOTENCY_IN_FLIGHT_SECONDS"] == 60
    app.config["IDEMPOTENCY_IN_FLIGHT_SECONDS"] = STALE
    city = world.city_api
    fork = multiprocessing.get_context("fork")
    released = committed = 0
    for attempt in range(15):
        key, marker = f"killed-{attempt}", f"Killed worker {attempt}"
        body = request_body((world.item, 2), (world.item2, 1), justification=marker)
        worker = fork.Process(
            target=_worker, args=(app.config["DATABASE_URL"], str(tmp_path), city.token, key, body)
        )
        worker.start()
        deadline = time.time() + 30
        while _key_row(app, key) is None and worker.is_alive() and time.time() < deadline:
            time.sleep(0.002)
        worker.kill()
        worker.join()
        row = _key_row(app, key)
        if row is None or row.status_code is not None:
            continue  # killed before the claim, or after the answer was stored: not this test's case
        retry = functools.partial(city.post, "/api/v1/requests", json=body, headers={"Idempotency-Key": key})
        if row.committed_at is None:  # the work never committed
            assert _created(app, marker) == 0
            early = retry()
            assert early.status_code == 409 and early.headers["Retry-After"] == "1", early.json
            time.sleep(STALE + 0.1)
            late = retry()
            assert late.status_code == 201 and "Idempotent-Replayed" not in late.headers, late.json
            assert _created(app, marker) == 1 and retry().headers["Idempotent-Replayed"] == "true"
            released += 1
        else:  # committed, killed before its answer was stored: never a second copy
            time.sleep(STALE + 0.1)
            late = retry()
            assert late.status_code == 409 and "answer was lost" in late.json["message"], late.json
            assert _created(app, marker) == 1
            committed += 1
        if released >= 2:
            break
    assert released >= 1, f"no kill landed before the work committed ({committed} after it)"
