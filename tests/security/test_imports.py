"""Item 2 of the attack review: one provider's CSV imports cannot take the service down.

At most one import per provider at a time (409 while one runs); an import writes with a few multi-row
statements, so it holds the write lock briefly; health checks and reads never queue behind imports.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from health_responder.stock.models import StockImportClaim, StockLot, StockMovement

NEXT_YEAR = (utc_today() + timedelta(days=365)).isoformat()
#: Rows of each file of the load test.
ROWS = 10_000
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


#: One importer: a process of its own (as a gunicorn worker is), its own app, the same database.
IMPORTER = textwrap.dedent("""
    import io, json, sys
    from health_responder import create_app
    config, token, path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    client = create_app(config).test_client()
    with open(path, "rb") as handle:
        data = handle.read()
    print("ready", flush=True)
    sys.stdin.readline()  # every importer starts together
    response = client.post("/api/v1/stock/imports", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(data), "lots.csv")}, content_type="multipart/form-data")
    print(response.status_code, flush=True)
""")


@pytest.mark.slow
@pytest.mark.both_databases
def test_eight_parallel_10k_imports_never_hold_up_health_checks_or_reads(app, make, database_url, tmp_path):
    item = make.item(code="OXY-1")
    keepers = [_keeper(make, item)[1] for _ in range(8)]
    reader = make.api("coordinator")
    config = json.dumps(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "LOG_JSON": False,
            "REPORTS_DIR": str(tmp_path / "reports"),
        }
    )
    importers = []
    for n, keeper in enumerate(keepers):
        path = tmp_path / f"lots-{n}.csv"
        path.write_bytes(_csv("OXY-1", ROWS, prefix=f"P{n}"))
        importers.append(
            subprocess.Popen(
                [sys.executable, "-c", IMPORTER, config, keeper.token, str(path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            )
        )
    for process in importers:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()[-2000:]
    latencies: dict[str, list[float]] = {"healthz": [], "list": []}
    failures: list[str] = []
    health = app.test_client()
    for process in importers:
        process.stdin.write("go\n")
        process.stdin.flush()
    while any(process.poll() is None for process in importers):
        for kind, call in (
            ("healthz", lambda: health.get("/healthz")),
            ("list", lambda: reader.get("/api/v1/stock/lots?page_size=20")),
        ):
            started = time.perf_counter()
            response = call()
            latencies[kind].append(time.perf_counter() - started)
            if response.status_code != 200:
                failures.append(f"{kind}: {response.status_code}")
        time.sleep(0.05)
    outcomes = [process.communicate(timeout=120) for process in importers]
    answers = [out.strip() for out, _err in outcomes]
    assert answers == ["201"] * 8, [err[-3000:] for _out, err in outcomes][:2]
    assert failures == []
    assert len(latencies["healthz"]) >= 5, latencies
    assert _p95(latencies["healthz"]) < 1.0, latencies["healthz"]
    assert _p95(latencies["list"]) < 1.0, latencies["list"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLot)) == 8 * ROWS
