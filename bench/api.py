"""Benchmark of the requests API under gunicorn against a bare Flask + SQLAlchemy Core floor, side by side.

    .venv/bin/python bench/api.py [--quick]

A temporary SQLite file gets the schema from the models and 100,000 requests (two lines each) by bulk
inserts, plus a city user and a coordinator with API tokens. Two gunicorn servers start on loopback:
the project (``wsgi:app``) and ``bench/bare_app.py`` (the same database work in plain Flask + Core),
each with the same workers and threads, on copies of the same file. A client (threads + http.client
with keep-alive, a bounded number of requests in flight) drives each for a fixed time, in alternating
slices so that the load of a shared machine weighs on both alike:

  (a) create: ``POST /api/v1/requests`` with two lines, as the city user;
  (b) list:   ``GET /api/v1/requests?status=submitted&page_size=50`` (50 of 100,000), as the coordinator.

Printed: requests/s of each, errors, the ratio project/bare, and PASS/FAIL against the target 0.5.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import health_responder.models  # noqa: E402,F401

TARGET = 0.5
REQUESTS, CITIES, ITEMS = 100_000, 20, 50
STATUSES = [
    "draft",
    "submitted",
    "approved",
    "partially_allocated",
    "allocated",
    "partially_dispatched",
    "dispatched",
    "delivered",
    "closed",
    "rejected",
    "cancelled",
]
PRIORITIES = ["critical", "high", "normal", "low"]
JUSTIFICATION = "Oxygen concentrators for the district hospital after the flood damaged the old ones. " * 3


def build(path: Path, requests: int) -> dict[str, str]:
    """The dataset, bulk-inserted; returns the bearer tokens of the city user and the coordinator."""
    engine = sa.create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(2026)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    today = date.today()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("INSERT INTO network (id, code, name, created_at) VALUES (1, 'CJK', 'CJK', ?)", (now,))
    con.executemany(
        "INSERT INTO city (id, name, country, network_id, timezone, created_at) VALUES (?, ?, 'KR', 1, 'UTC', ?)",
        [(i, f"City {i}", now) for i in range(1, CITIES + 1)],
    )
    con.executemany(
        "INSERT INTO item (id, code, name, category, unit, requires_cold_chain, active, created_at) "
        "VALUES (?, ?, ?, 'respiratory', 'each', 0, 1, ?)",
        [(i, f"ITEM-{i}", f"Item {i}", now) for i in range(1, ITEMS + 1)],
    )
    tokens = {}
    for uid, role, city in ((1, "city", 1), (2, "coordinator", None)):
        con.execute(
            "INSERT INTO user (id, email, name, password_hash, role, city_id, active, locale, created_at) "
            "VALUES (?, ?, ?, 'x', ?, ?, 1, 'en', ?)",
            (uid, f"{role}@bench.example.org", role, role, city, now),
        )
        tokens[role] = secrets.token_urlsafe(32)
        con.execute(
            "INSERT INTO api_token (user_id, name, token_hash, created_at, last_used) VALUES (?, 'bench', ?, ?, ?)",
            (uid, hashlib.sha256(tokens[role].encode()).hexdigest(), now, now),
        )
    year = today.year
    batch_r, batch_l = [], []
    line_id = 0
    for rid in range(1, requests + 1):
        priority = rng.choice(PRIORITIES)
        batch_r.append(
            (
                rid,
                f"REQ-{year}-{rid:06d}",
                1 + rid % CITIES,
                rng.choice(STATUSES),
                priority,
                PRIORITIES.index(priority),
                (today + timedelta(days=rng.randint(1, 365))).isoformat(),
                JUSTIFICATION,
                "Ward 3",
                1,
                now,
                now,
                now,
            )
        )
        for item in rng.sample(range(1, ITEMS + 1), 2):
            line_id += 1
            batch_l.append((line_id, rid, item, rng.randint(1, 200)))
        if len(batch_r) >= 20_000 or rid == requests:
            con.executemany(
                "INSERT INTO assistance_request (id, reference, city_id, status, priority, priority_rank, "
                "needed_by, justification, delivery_contact, created_by_id, created_at, updated_at, "
                "submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch_r,
            )
            con.executemany(
                "INSERT INTO request_line (id, request_id, item_id, quantity, quantity_allocated, "
                "quantity_dispatched, quantity_received, quantity_rejected) VALUES (?, ?, ?, ?, 0, 0, 0, 0)",
                batch_l,
            )
            batch_r, batch_l = [], []
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app: str, db_path: Path, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "FLASK_LOG_JSON": "true",
        "REPORTS_DIR": str(db_path.parent / "reports"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "30",
        app,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{app} did not start: see {log}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def drive(
    port: int,
    method: str,
    path: str,
    body: dict | None,
    token: str,
    seconds: float,
    concurrency: int,
    expect: int,
) -> tuple[float, int, int]:
    """Requests/s, successes and failures of ``concurrency`` keep-alive clients for ``seconds``."""
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    counts = {"ok": 0, "bad": 0}
    lock = threading.Lock()
    start_at = time.perf_counter()
    stop_at = start_at + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = bad = 0
        while time.perf_counter() < stop_at:
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == expect:
                    ok += 1
                else:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["bad"] += bad

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start_at
    return counts["ok"] / elapsed, counts["ok"], counts["bad"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Shorter runs (same 100,000 requests).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    rounds = 3 if args.quick else 5
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    processes = []
    try:
        started = time.perf_counter()
        ours_db, bare_db = workdir / "ours.sqlite", workdir / "bare.sqlite"
        tokens = build(ours_db, REQUESTS)
        shutil.copyfile(ours_db, bare_db)
        print(
            f"dataset: {REQUESTS:,} requests with 2 lines each, built in {time.perf_counter() - started:.1f} s"
        )
        ours_port, bare_port = free_port(), free_port()
        ours = start("wsgi:app", ours_db, ours_port, args.workers, args.threads, workdir / "ours.log")
        processes.append(ours)
        bare = start(
            "bench.bare_app:app", bare_db, bare_port, args.workers, args.threads, workdir / "bare.log"
        )
        processes.append(bare)
        print(
            f"servers: gunicorn gthread, {args.workers} workers x {args.threads} threads each; "
            f"client: {args.concurrency} keep-alive connections, {seconds:.0f} s per server and scenario "
            f"in {rounds} alternating slices"
        )
        create_body = {
            "priority": "high",
            "needed_by": (date.today() + timedelta(days=30)).isoformat(),
            "justification": JUSTIFICATION,
            "delivery_contact": "Ward 3",
            "lines": [{"item_id": 3, "quantity": 40}, {"item_id": 7, "quantity": 5}],
        }
        scenarios = [
            ("create a request (POST, 2 lines)", "POST", "/api/v1/requests", create_body, "city", 201),
            (
                "list 50 of 100,000 (GET, status filter)",
                "GET",
                "/api/v1/requests?status=submitted&page_size=50&page=3",
                None,
                "coordinator",
                200,
            ),
        ]
        verdicts = []
        print(
            f"\n{'scenario':<44} {'project req/s':>14} {'bare req/s':>11} {'ratio':>7}  errors (project/bare)"
        )
        for label, method, path, body, who, expect in scenarios:
            # warm both up (imports, caches, connections), then measure one after the other
            drive(ours_port, method, path, body, tokens[who], 1.0, 2, expect)
            drive(bare_port, method, path, body, tokens[who], 1.0, 2, expect)
            # Alternate short slices of each, so that a change in the machine's load hits both alike.
            totals = {"ours": [0.0, 0, 0], "bare": [0.0, 0, 0]}
            for _round in range(rounds):
                for name, port in (("ours", ours_port), ("bare", bare_port)):
                    started_at = time.perf_counter()
                    _rate, ok, bad = drive(
                        port, method, path, body, tokens[who], seconds / rounds, args.concurrency, expect
                    )
                    totals[name][0] += time.perf_counter() - started_at
                    totals[name][1] += ok
                    totals[name][2] += bad
            ours_rate, ours_bad = totals["ours"][1] / totals["ours"][0], totals["ours"][2]
            bare_rate, bare_bad = totals["bare"][1] / totals["bare"][0], totals["bare"][2]
            ratio = ours_rate / bare_rate if bare_rate else 0.0
            verdict = "PASS" if ratio >= TARGET and ours_bad == 0 else "FAIL"
            verdicts.append(verdict)
            print(f"{label:<44} {ours_rate:>14.1f} {bare_rate:>11.1f} {ratio:>7.2f}  {ours_bad}/{bare_bad}")
            for name, bad in (("ours", ours_bad), ("bare", bare_bad)):
                if bad:
                    tail = (workdir / f"{name}.log").read_text(errors="replace").splitlines()[-8:]
                    print(f"  {name} server log (last lines):\n    " + "\n    ".join(tail))
            print(
                f"RESULT {label} ratio project/bare | {ratio:.2f} ({ours_rate:.0f} vs {bare_rate:.0f} req/s) "
                f"| >= {TARGET} | {verdict}"
            )
        return 0 if all(v == "PASS" for v in verdicts) else 1
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
