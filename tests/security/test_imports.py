"""Item 2 of the attack review: one provider's CSV imports cannot take the service down.

At most one import per provider at a time (409 while one runs); an import writes with a few multi-row
statements, so it holds the write lock briefly; health checks and reads never queue behind imports.
"""

from __future__ import annotations

import io
import statistics
import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.stock.models import StockImportClaim, StockLot, StockMovement

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
HEADER = "item_code,location,lot_code,expires_on,quantity\n"


def _csv(item_code: str, rows: int, prefix: str = "L") -> bytes:
    return (
        HEADER + "".join(f"{item_code},Main,{prefix}-{n:05d},{NEXT_YEAR},{n % 7 + 1}\n" for n in range(rows))
    ).encode()


def _upload(client, data: bytes):
    return client._client.post(
        "/api/v1/stock/imports",
        headers=client._headers(None),
        data={"file": (io.BytesIO(data), "lots.csv")},
        content_type="multipart/form-data",
    )


def _keeper(make, item):
    provider = make.provider()
    make.location(provider, name="Main")
    return provider, make.api("provider", provider=provider)


def _claim(app, provider_id: int, age: timedelta) -> None:
    with app.app_context(), db.write_session() as session:
        session.add(StockImportClaim(provider_id=provider_id, claimed_at=utcnow() - age, claimed_by="user:x"))


@pytest.mark.both_databases
def test_a_second_import_of_the_same_provider_answers_409_while_one_runs(app, make):
    item = make.item(code="OXY-1")
    provider, keeper = _keeper(make, item)
    other, other_keeper = _keeper(make, item)
    _claim(app, provider.id, timedelta(seconds=5))  # an import of this provider is under way
    refused = _upload(keeper, _csv("OXY-1", 3))
    assert refused.status_code == 409, refused.json
    assert provider.name in refused.json["message"] and "file" in refused.json["errors"]
    # Another provider imports meanwhile; a dry run (which writes nothing) is not held up either.
    assert _upload(other_keeper, _csv("OXY-1", 3)).status_code == 201
    dry = keeper._client.post(
        "/api/v1/stock/imports?dry_run=true",
        headers=keeper._headers(None),
        data={"file": (io.BytesIO(_csv("OXY-1", 3)), "lots.csv")},
        content_type="multipart/form-data",
    )
    assert dry.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLot)) == 3


@pytest.mark.both_databases
def test_a_claim_left_by_a_dead_import_is_taken_over_and_every_import_gives_its_claim_back(app, make):
    item = make.item(code="OXY-1")
    provider, keeper = _keeper(make, item)
    _claim(app, provider.id, timedelta(seconds=app.config["STOCK_IMPORT_CLAIM_SECONDS"] + 1))
    assert _upload(keeper, _csv("OXY-1", 5)).status_code == 201
    bad = _upload(keeper, _csv("NOPE", 2))  # rows with errors: nothing written, the claim given back
    assert bad.status_code == 422
    assert _upload(keeper, _csv("OXY-1", 5, prefix="M")).status_code == 201
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockImportClaim)) == 0
        receipts = db.session.scalars(sa.select(StockMovement).order_by(StockMovement.id)).all()
        lots = {lot.id: lot for lot in db.session.scalars(sa.select(StockLot))}
        assert len(receipts) == 10 and all(lots[m.lot_id].on_hand == m.delta_on_hand for m in receipts)
        assert all(m.reference_type == "import" and m.actor_id == keeper.user.id for m in receipts)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


@pytest.mark.slow
@pytest.mark.both_databases
def test_eight_parallel_10k_imports_never_hold_up_health_checks_or_reads(app, make):
    item = make.item(code="OXY-1")
    keepers = [_keeper(make, item)[1] for _ in range(8)]
    files = [_csv("OXY-1", 10_000, prefix=f"P{n}") for n in range(8)]
    reader = make.api("coordinator")
    city = make.api("city")
    latencies: dict[str, list[float]] = {"healthz": [], "list": [], "write": []}
    answers: list[int] = []
    failures: list[str] = []
    done = threading.Event()

    def timed(kind: str, call) -> None:
        started = time.perf_counter()
        response = call()
        latencies[kind].append(time.perf_counter() - started)
        if response.status_code >= 500:
            failures.append(f"{kind}: {response.status_code}")

    def read_and_write() -> None:
        health = app.test_client()
        while not done.is_set():
            timed("healthz", lambda: health.get("/healthz"))
            timed("list", lambda: reader.get("/api/v1/stock/lots?page_size=20"))
            timed(
                "write",
                lambda: city.post(
                    "/api/v1/requests",
                    json={
                        "priority": "normal",
                        "needed_by": NEXT_YEAR,
                        "justification": "A clinic needs it.",
                        "lines": [{"item_id": item.id, "quantity": 1}],
                    },
                ),
            )
            time.sleep(0.05)

    def run_import(index: int) -> None:
        answers.append(_upload(keepers[index], files[index]).status_code)

    watcher = threading.Thread(target=read_and_write)
    importers = [threading.Thread(target=run_import, args=(n,)) for n in range(8)]
    started = time.perf_counter()
    watcher.start()
    for thread in importers:
        thread.start()
    for thread in importers:
        thread.join(timeout=300)
    done.set()
    watcher.join(timeout=60)
    elapsed = time.perf_counter() - started
    assert sorted(answers) == [201] * 8, answers
    assert failures == []
    assert len(latencies["healthz"]) >= 5, (elapsed, latencies)
    assert _p95(latencies["healthz"]) < 1.0, latencies["healthz"]
    assert _p95(latencies["list"]) < 1.0, latencies["list"]
    # Writers queue for SQLite's one write lock, but each import holds it briefly: none times out (503).
    assert latencies["write"], latencies
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLot)) == 80_000
