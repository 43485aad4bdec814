"""Racing reservations and adjustments on one lot, with real threads, on SQLite and PostgreSQL.

The losers of a race get InsufficientStock (the API's 409) only when the units are really gone; no
other error, no negative balance, and the ledger still sums to the lot's balances.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from health_responder.audit.actor import Actor
from health_responder.errors import InsufficientStock
from health_responder.extensions import db
from health_responder.stock import services
from tests.factories import lot_state

THREADS = 200


def _receive(app, world, quantity: int) -> int:
    with app.app_context(), db.write_session():
        lot = services.receive(
            provider_id=world.provider.id,
            location_id=world.location.id,
            item_id=world.item.id,
            lot_code="RACE",
            expires_on=None,
            quantity=quantity,
            actor=Actor(None, "test"),
        )
        return lot.id


def _race(app, tasks) -> Counter:
    """Run every task at once (a barrier lines the threads up); count 'ok', '409' and other outcomes."""
    barrier = threading.Barrier(len(tasks), timeout=30)

    def run(task):
        barrier.wait()
        try:
            with app.app_context(), db.write_session():
                task()
        except InsufficientStock:
            return "409"
        except Exception as error:  # noqa: BLE001 - any other error is the failure this test looks for
            return f"{type(error).__name__}: {str(error)[:200]}"
        return "ok"

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return Counter(pool.map(run, tasks))


def _reserve_one(lot_id: int, n: int):
    return lambda: services.reserve(
        lot_id=lot_id, quantity=1, actor=Actor(None, f"racer-{n}"), reference=("test", n)
    )


def _remove_one(lot_id: int, n: int):
    return lambda: services.adjust(lot_id=lot_id, delta=-1, reason="lost", actor=Actor(None, f"counter-{n}"))


@pytest.mark.both_databases
def test_200_racing_reservations_of_a_lot_of_50_give_exactly_50(app, world):
    lot_id = _receive(app, world, 50)
    outcomes = _race(app, [_reserve_one(lot_id, n) for n in range(THREADS)])
    assert outcomes == Counter({"ok": 50, "409": 150}), outcomes
    on_hand, reserved, mismatches = lot_state(app, lot_id)
    assert (on_hand, reserved, on_hand - reserved) == (50, 50, 0)
    assert mismatches == []


@pytest.mark.both_databases
def test_adjustments_racing_reservations_never_go_negative_and_keep_the_ledger(app, world):
    lot_id = _receive(app, world, 60)
    tasks = [(_reserve_one if n % 2 else _remove_one)(lot_id, n) for n in range(THREADS)]
    outcomes = _race(app, tasks)
    assert set(outcomes) <= {"ok", "409"}, outcomes
    on_hand, reserved, mismatches = lot_state(app, lot_id)
    # Every unit went to exactly one winner: 60 units, 60 successes, nothing left to take.
    assert outcomes["ok"] == 60 and outcomes["409"] == THREADS - 60
    assert 0 <= reserved <= on_hand and on_hand - reserved == 0
    assert mismatches == []
