"""Benchmark of the auto_allocate check against an I/O floor measured in the same run.

    .venv/bin/python bench/allocation.py            # 10k and 100k open request lines
    .venv/bin/python bench/allocation.py --full     # and 1M

For each size: a temporary SQLite file with 500 items, 2,000 lots (with their ledger rows) over 20
providers, and n open request lines (two per approved request), bulk-inserted. The check runs exactly
as the scheduler runs it (``run_job``). The I/O floor runs on a byte copy of the same starting file:
it reads the same open lines in the same queue order and writes as many allocation rows as the check
made, with plain SQL in one transaction. Printed: seconds, lines/s, the ratio to the floor, the growth
from one size to the next against n log n, and PASS/FAIL for "100k costs at most 3x the I/O floor".
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import health_responder.models  # noqa: E402,F401
from health_responder import create_app, scheduler  # noqa: E402
from health_responder.db import utcnow  # noqa: E402

ITEMS, LOTS, PROVIDERS, NETWORKS, CITIES = 500, 2000, 20, 5, 50
PRIORITIES = ["critical", "high", "normal", "low"]


def build(path: Path, lines: int, seed: int = 7) -> None:
    """The dataset, bulk-inserted with sqlite3 (the schema from the models)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None).replace(microsecond=0).isoformat(sep=" ")
    today = date.today()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.executemany("INSERT INTO network (id, code, name, created_at) VALUES (?, ?, ?, ?)",
                    [(i, f"N{i}", f"Network {i}", now) for i in range(1, NETWORKS + 1)])
    con.executemany("INSERT INTO city (id, name, country, network_id, timezone, created_at) VALUES (?, ?, 'KR', ?, 'UTC', ?)",
                    [(i, f"City {i}", 1 + i % NETWORKS, now) for i in range(1, CITIES + 1)])
    con.executemany("INSERT INTO provider (id, name, country, kind, created_at) VALUES (?, ?, 'KR', 'ngo', ?)",
                    [(i, f"Provider {i}", now) for i in range(1, PROVIDERS + 1)])
    con.executemany("INSERT INTO provider_network (provider_id, network_id) VALUES (?, ?)",
                    [(i, 1 + i % NETWORKS) for i in range(1, PROVIDERS + 1)])
    con.executemany("INSERT INTO stock_location (id, provider_id, name, country, active, created_at) "
                    "VALUES (?, ?, ?, 'KR', 1, ?)", [(i, i, f"WH {i}", now) for i in range(1, PROVIDERS + 1)])
    con.executemany("INSERT INTO item (id, code, name, category, unit, requires_cold_chain, active, created_at) "
                    "VALUES (?, ?, ?, 'respiratory', 'each', 0, 1, ?)",
                    [(i, f"ITEM-{i}", f"Item {i}", now) for i in range(1, ITEMS + 1)])
    lots, movements = [], []
    for lot in range(1, LOTS + 1):
        provider = rng.randint(1, PROVIDERS)
        quantity = rng.randint(1, 20)
        expires = None if lot % 7 == 0 else (today + timedelta(days=rng.randint(10, 720))).isoformat()
        lots.append((lot, provider, provider, 1 + lot % ITEMS, f"L-{lot}", expires, quantity, now))
        movements.append((lot, quantity, now))
    con.executemany("INSERT INTO stock_lot (id, provider_id, location_id, item_id, lot_code, expires_on, status, "
                    "on_hand, reserved, created_at) VALUES (?, ?, ?, ?, ?, ?, 'available', ?, 0, ?)", lots)
    con.executemany("INSERT INTO stock_movement (lot_id, kind, delta_on_hand, delta_reserved, actor_label, created_at) "
                    "VALUES (?, 'receipt', ?, 0, 'bench', ?)", movements)
    requests = lines // 2
    batch_r, batch_l = [], []
    for rid in range(1, requests + 1):
        priority = rng.choice(PRIORITIES)
        batch_r.append((rid, f"REQ-{rid:07d}", 1 + rid % CITIES, priority, PRIORITIES.index(priority),
                        (today + timedelta(days=rng.randint(3, 365))).isoformat(), now, now))
        for item in rng.sample(range(1, ITEMS + 1), 2):
            batch_l.append((rid, item, rng.randint(1, 12)))
        if len(batch_r) >= 50_000:
            _flush(con, batch_r, batch_l)
    _flush(con, batch_r, batch_l)
    con.commit()
    con.close()


def _flush(con, batch_r: list, batch_l: list) -> None:
    con.executemany("INSERT INTO assistance_request (id, reference, city_id, status, priority, priority_rank, needed_by, "
                    "justification, submitted_at, created_at) VALUES (?, ?, ?, 'approved', ?, ?, ?, '', ?, ?)", batch_r)
    con.executemany("INSERT INTO request_line (request_id, item_id, quantity, quantity_allocated, quantity_dispatched, "
                    "quantity_received, quantity_rejected) VALUES (?, ?, ?, 0, 0, 0, 0)", batch_l)
    batch_r.clear()
    batch_l.clear()


def io_floor(path: Path, allocations: int) -> float:
    """Read the open lines in queue order and write ``allocations`` allocation rows, plain SQL."""
    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    rows = con.execute(
        "SELECT l.id, l.request_id, l.item_id, l.quantity - l.quantity_allocated FROM request_line l "
        "JOIN assistance_request r ON r.id = l.request_id WHERE r.status IN ('approved', 'partially_allocated') "
        "AND l.quantity_allocated < l.quantity ORDER BY r.priority_rank, r.needed_by, r.submitted_at, r.id, l.id"
    ).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    lot_of_item = dict(con.execute("SELECT item_id, min(id) FROM stock_lot GROUP BY item_id").fetchall())
    out = [(request_id, line_id, lot_of_item.get(item_id, 1), 1, max(1, quantity), "reserved",
            "rationale of similar length: priority, lot, provider, FEFO, expiry and quantity", now)
           for line_id, request_id, item_id, quantity in rows[:allocations]]
    con.execute("BEGIN")
    con.executemany("INSERT INTO allocation (request_id, line_id, lot_id, provider_id, quantity, status, rationale, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", out)
    con.commit()
    con.close()
    return time.perf_counter() - started


def measure(lines: int, workdir: Path) -> dict:
    path, copy = workdir / f"bench-{lines}.sqlite", workdir / f"floor-{lines}.sqlite"
    started = time.perf_counter()
    build(path, lines)
    built = time.perf_counter() - started
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}",
                      "REPORTS_DIR": str(workdir / "reports"), "LOG_JSON": False, "JOB_LEASE_SECONDS": 3600})
    with app.app_context():
        started = time.perf_counter()
        run = scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="cli")
        seconds = time.perf_counter() - started
        from health_responder.extensions import db

        db.engine.dispose()
    if run.outcome != "succeeded":
        raise SystemExit(f"auto_allocate failed: {run.error}")
    floor = io_floor(copy, run.counts["allocations"])
    return {"lines": lines, "seconds": seconds, "floor": floor, "allocations": run.counts["allocations"],
            "transactions": run.counts["transactions"], "built": built}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 1M lines")
    args = parser.parse_args()
    sizes = [10_000, 100_000] + ([1_000_000] if args.full else [])
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-allocation-") as tmp:
        for n in sizes:
            result = measure(n, Path(tmp))
            results.append(result)
            print(f"{n:>9,} lines: {result['seconds']:8.2f} s  {n / result['seconds']:>10,.0f} lines/s  "
                  f"allocations {result['allocations']:>6,} in {result['transactions']:>5,} transactions  "
                  f"I/O floor {result['floor']:6.2f} s  ratio {result['seconds'] / result['floor']:6.1f}x  "
                  f"(built in {result['built']:.1f} s)", flush=True)
    for before, after in zip(results, results[1:], strict=False):
        growth = after["seconds"] / before["seconds"]
        nlogn = (after["lines"] * math.log(after["lines"])) / (before["lines"] * math.log(before["lines"]))
        print(f"growth {before['lines']:,} -> {after['lines']:,}: x{growth:.2f} (n log n: x{nlogn:.2f}) "
              f"{'within' if growth <= nlogn else 'ABOVE'} n log n")
    hundred = next(r for r in results if r["lines"] == 100_000)
    ratio = hundred["seconds"] / hundred["floor"]
    verdict = "PASS" if ratio <= 3 else "FAIL"
    print(f"{verdict}: 100k lines cost {ratio:.1f}x the I/O floor (target at most 3x)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
