"""Races through the API with real threads, counted, on SQLite and PostgreSQL.

Each thread has its own test client (and so its own session and connection), as separate web workers
would. The losers of a race answer 409, never 500, and the ledger still sums to the balances.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from health_responder.extensions import db
from tests.factories import ApiClient, approved, ledger_ok, lot, request_body


def race(count: int, call) -> Counter:
    """Run ``call(i)`` in ``count`` threads released together; count the status codes."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(run, range(count)))


@pytest.mark.both_databases
def test_200_simultaneous_allocations_of_one_unit_against_50_available_give_exactly_50(app, world):
    w = world
    lot_id = w.make_lot(w.provider, w.location, w.item, 50)
    req = approved(w, (w.item, 500))
    line_id = req["lines"][0]["id"]
    token = w.coordinator.token

    def allocate_one(_i):
        client = ApiClient(app, token)
        return client.post(
            f"/api/v1/requests/{req['id']}/allocations",
            json={"line_id": line_id, "lot_id": lot_id, "quantity": 1},
        ).status_code

    codes = race(200, allocate_one)
    assert codes == Counter({201: 50, 409: 150}), codes
    assert lot(app, lot_id).available == 0 and lot(app, lot_id).reserved == 50
    allocations = w.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json
    assert len(allocations) == 50 and sum(a["quantity"] for a in allocations) == 50
    after = w.coordinator.get(f"/api/v1/requests/{req['id']}").json
    assert after["lines"][0]["quantity_allocated"] == 50 and after["status"] == "partially_allocated"
    assert ledger_ok(app)


@pytest.mark.both_databases
def test_20_simultaneous_retries_with_one_idempotency_key_create_one_request(app, world):
    from health_responder.health_requests.models import AssistanceRequest

    w = world
    body = request_body((w.item, 3))
    token = w.city_api.token

    def post(_i):
        client = ApiClient(app, token)
        response = client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "retry-me-1"})
        return response.status_code, response.get_data(as_text=True) if response.status_code == 201 else ""

    results = race(20, post)
    codes = Counter(code for (code, _body), n in results.items() for _ in range(n))
    assert set(codes) <= {201, 409} and codes[201] >= 1 and 500 not in codes, codes
    assert len({body for (code, body) in results if code == 201}) == 1  # every 201 is the same answer
    with app.app_context():
        assert len(db.session.scalars(select(AssistanceRequest)).all()) == 1
    replay = ApiClient(app, token).post(
        "/api/v1/requests", json=body, headers={"Idempotency-Key": "retry-me-1"}
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
