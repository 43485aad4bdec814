"""Benchmark of the JSON API under gunicorn: the fixed cost of a request, and the write tail.

    .venv/bin/python bench/api.py [--quick] [--database sqlite|postgresql://user@host:port/db]

A throwaway database (a temporary SQLite file, or a database created for the run on the PostgreSQL
server named) gets the schema from the models and 100,000 requests (two lines each, 10,000 with
``--quick``), plus a city user and a coordinator with API tokens (then ANALYZE; on PostgreSQL VACUUM
ANALYZE, as autovacuum would have by then). Two gunicorn servers start on
loopback with the same workers and threads (2 workers on SQLite, 4 on PostgreSQL, 4 threads each):
the project (``wsgi:app``) and ``bench/bare_app.py`` (bare Flask: a ``jsonify`` hello, and the same
database work as the project in plain SQLAlchemy Core: the floor), each on its own copy of the data.

1. Fixed cost. In each round, every scenario is driven for a short slice by 8 keep-alive clients, the
   order reversed every other round so that a drifting machine weighs on all alike; each scenario's
   rate is divided by the bare ``jsonify`` hello's rate in the same round, and the median of those
   ratios over the rounds is the result. Targets: the 50-row list >= 0.30x hello, the create >= 0.20x.
2. Write tail. 8 clients create requests as fast as they can for 20 s (5 s with ``--quick``), first on
   the bare floor (printed for comparison), then on the project; every request's latency is kept.
   Target: p99 under 50 ms and no error.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import health_responder.models  # noqa: E402,F401
from bench.dbtarget import DEFAULT_POSTGRES, Target  # noqa: E402

TARGETS = {"list": 0.30, "create": 0.20}
TAIL_P99_MS = 50.0
CITIES, ITEMS = 20, 50
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


def build(url: str, requests: int) -> dict[str, str]:
    """The dataset, bulk-inserted through Core; returns the bearer tokens of the city user and the coordinator."""
    engine = sa.create_engine(url)
    SQLModel.metadata.create_all(engine)
    t = SQLModel.metadata.tables
    rng = random.Random(2026)
    now = datetime.now(UTC)
    today = now.date()
    tokens = {}
    with engine.begin() as conn:
        conn.execute(t["network"].insert(), [{"id": 1, "code": "CJK", "name": "CJK", "created_at": now}])
        conn.execute(
            t["city"].insert(),
            [
                {
                    "id": i,
                    "name": f"City {i}",
                    "country": "KR",
                    "network_id": 1,
                    "timezone": "UTC",
                    "created_at": now,
                }
                for i in range(1, CITIES + 1)
            ],
        )
        conn.execute(
            t["item"].insert(),
            [
                {
                    "id": i,
                    "code": f"ITEM-{i}",
                    "name": f"Item {i}",
                    "category": "respiratory",
                    "unit": "each",
                    "requires_cold_chain": False,
                    "active": True,
                    "created_at": now,
                }
                for i in range(1, ITEMS + 1)
            ],
        )
        for uid, role, city in ((1, "city", 1), (2, "coordinator", None)):
            conn.execute(
                t["user"].insert(),
                [
                    {
                        "id": uid,
                        "email": f"{role}@bench.example.org",
                        "name": role,
                        "password_hash": "x",
                        "role": role,
                        "city_id": city,
                        "active": True,
                        "locale": "en",
                        "created_at": now,
                    }
                ],
            )
            tokens[role] = secrets.token_urlsafe(32)
            conn.execute(
                t["api_token"].insert(),
                [
                    {
                        "user_id": uid,
                        "name": "bench",
                        "token_hash": hashlib.sha256(tokens[role].encode()).hexdigest(),
                        "created_at": now,
                        "last_used": now,
                        "expires_at": now + timedelta(days=30),
                    }
                ],
            )
    batch_r, batch_l, line_id = [], [], 0
    for rid in range(1, requests + 1):
        priority = rng.choice(PRIORITIES)
        batch_r.append(
            {
                "id": rid,
                "reference": f"REQ-{today.year}-{rid:06d}",
                "city_id": 1 + rid % CITIES,
                "status": rng.choice(STATUSES),
                "priority": priority,
                "priority_rank": PRIORITIES.index(priority),
                "needed_by": today + timedelta(days=rng.randint(1, 365)),
                "justification": JUSTIFICATION,
                "delivery_contact": "Ward 3",
                "created_by_id": 1,
                "created_at": now,
                "updated_at": now,
                "submitted_at": now,
            }
        )
        for item in rng.sample(range(1, ITEMS + 1), 2):
            line_id += 1
            batch_l.append(
                {
                    "id": line_id,
                    "request_id": rid,
                    "item_id": item,
                    "quantity": rng.randint(1, 200),
                    "quantity_allocated": 0,
                    "quantity_dispatched": 0,
                    "quantity_received": 0,
                    "quantity_rejected": 0,
                }
            )
        if len(batch_r) >= 10_000 or rid == requests:
            with engine.begin() as conn:
                conn.execute(t["assistance_request"].insert(), batch_r)
                conn.execute(t["request_line"].insert(), batch_l)
            batch_r, batch_l = [], []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in (
                "assistance_request",
                "request_line",
                "user",
                "api_token",
                "city",
                "item",
                "network",
            ):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                )
            conn.commit()
            # VACUUM as autovacuum would have by the time a table holds 100,000 requests: without the
            # visibility map a count by the status index reads the table's 4,000 pages (27 ms, not 1.4).
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app: str, url: str, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": url,
        "FLASK_LOG_JSON": "true",
        "REPORTS_DIR": str(log.parent / "reports"),
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
    deadline = time.time() + 240  # workers import the app and warm the PDF fonts: slow on a busy machine
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/healthz" if app == "wsgi:app" else "/hello")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    tail = "\n    ".join(log.read_text(errors="replace").splitlines()[-15:])
    raise RuntimeError(f"{app} did not start; its log ends:\n    {tail}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def drive(port, method, path, body, token, seconds, concurrency, expect, latencies=None):
    """Successes/s and failures of ``concurrency`` keep-alive clients for ``seconds``."""
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    counts = {"ok": 0, "bad": 0}
    lock = threading.Lock()
    start_at = time.perf_counter()
    stop_at = start_at + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = bad = 0
        mine = []
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
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
            mine.append(time.perf_counter() - sent)
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["bad"] += bad
            if latencies is not None:
                latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"] / (time.perf_counter() - start_at), counts["bad"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 requests, shorter slices and tail.")
    parser.add_argument(
        "--database",
        default="sqlite",
        help=f"sqlite (default) or a PostgreSQL server URL, e.g. {DEFAULT_POSTGRES}",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (2 on SQLite, 4 on PostgreSQL)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, help="alternating rounds (7; 3 with --quick)")
    parser.add_argument("--slice", type=float, help="seconds per scenario and round (2; 1 with --quick)")
    parser.add_argument(
        "--tail-seconds", type=float, help="seconds of the write-tail run (20; 5 with --quick)"
    )
    args = parser.parse_args()
    target = Target(args.database, "bench_api")
    db = target.dialect
    workers = args.workers or (2 if db == "sqlite" else 4)
    rounds = args.rounds or (3 if args.quick else 7)
    slice_s = args.slice or (1.0 if args.quick else 2.0)
    tail_s = args.tail_seconds or (5.0 if args.quick else 20.0)
    requests = 10_000 if args.quick else 100_000
    processes = []
    try:
        started = time.perf_counter()
        ours_url = target.create("ours")
        tokens = build(ours_url, requests)
        bare_url = target.copy(ours_url, "bare")
        print(
            f"[{db}] dataset: {requests:,} requests with 2 lines each, built in {time.perf_counter() - started:.1f} s"
        )
        ours_port, bare_port = free_port(), free_port()
        processes.append(
            start("wsgi:app", ours_url, ours_port, workers, args.threads, target.workdir / "ours.log")
        )
        processes.append(
            start(
                "bench.bare_app:app", bare_url, bare_port, workers, args.threads, target.workdir / "bare.log"
            )
        )
        print(
            f"[{db}] servers: gunicorn gthread, {workers} workers x {args.threads} threads each; client: "
            f"{args.concurrency} keep-alive connections; {rounds} alternating rounds of {slice_s:g} s per scenario"
        )
        create_body = {
            "priority": "high",
            "needed_by": (date.today() + timedelta(days=30)).isoformat(),
            "justification": JUSTIFICATION,
            "delivery_contact": "Ward 3",
            "lines": [{"item_id": 3, "quantity": 40}, {"item_id": 7, "quantity": 5}],
        }
        page = "/api/v1/requests?status=submitted&page_size=50&page=3"
        of = f"{requests:,}"
        scenarios = [
            ("hello", "bare Flask jsonify (the reference)", bare_port, "GET", "/hello", None, None, 200),
            ("healthz", "GET /healthz", ours_port, "GET", "/healthz", None, None, 200),
            ("me", "GET /api/v1/auth/me", ours_port, "GET", "/api/v1/auth/me", None, "city", 200),
            ("me-floor", "  bare Core floor of /auth/me", bare_port, "GET", "/api/v1/auth/me", None, "city", 200),
            ("list", f"list 50 of {of} (GET, status filter)", ours_port, "GET", page, None, "coordinator", 200),
            ("list-floor", "  bare Core floor of the list", bare_port, "GET", page, None, "coordinator", 200),
            ("create", "create a request (POST, 2 lines)", ours_port, "POST", "/api/v1/requests", create_body, "city", 201),
            ("create-floor", "  bare Core floor of the create", bare_port, "POST", "/api/v1/requests", create_body, "city", 201),
        ]  # fmt: skip
        for _key, _label, port, method, path, body, who, expect in scenarios:  # warm-up
            drive(port, method, path, body, tokens.get(who), 0.5, 2, expect)
        rates: dict[str, list[float]] = {s[0]: [] for s in scenarios}
        errors: dict[str, int] = {s[0]: 0 for s in scenarios}
        for round_ in range(rounds):
            for key, _label, port, method, path, body, who, expect in scenarios[
                :: 1 if round_ % 2 == 0 else -1
            ]:
                rate, bad = drive(
                    port, method, path, body, tokens.get(who), slice_s, args.concurrency, expect
                )
                rates[key].append(rate)
                errors[key] += bad
        print(f"\n{'scenario':<46} {'req/s':>8} {'x hello':>8}  {'rounds (x hello)':<40} errors")
        ratios = {}
        for key, label, *_rest in scenarios:
            per_round = [r / h for r, h in zip(rates[key], rates["hello"], strict=True) if h]
            ratios[key] = statistics.median(per_round)
            print(
                f"{label:<46} {statistics.median(rates[key]):>8.0f} {ratios[key]:>7.2f}x  "
                f"{' '.join(f'{r:.2f}' for r in sorted(per_round)):<40} {errors[key]}"
            )
        print(
            "req/s: median of the rounds; x hello: median of the rounds' own ratio to the bare jsonify hello"
        )
        verdicts = []
        for key, label, *_rest in scenarios[1:]:
            goal = TARGETS.get(key)
            ok = ratios[key] >= goal and errors[key] == 0 if goal else None
            if goal:
                verdicts.append(ok)
            print(
                f"RESULT [{db}] {label.strip()} / hello | {ratios[key]:.2f}x ({statistics.median(rates[key]):.0f} req/s, "
                f"{errors[key]} errors) | {'>= ' + format(goal, '.2f') + 'x' if goal else '-'} | "
                f"{('PASS' if ok else 'FAIL') if goal else 'INFO'}"
            )
        for key in ("me", "list", "create"):  # how near the project comes to the bare app doing the same SQL
            per_round = [r / f for r, f in zip(rates[key], rates[f"{key}-floor"], strict=True) if f]
            print(
                f"RESULT [{db}] {key} / its bare Core floor | {statistics.median(per_round):.2f}x "
                f"(rounds {' '.join(f'{r:.2f}' for r in sorted(per_round))}) | - | INFO"
            )

        # The floor's tail first, then ours: the bare Flask + Core create under the same gunicorn shows
        # what the machine, the database and its commits give any Python app (INFO).
        tails = {}
        for name, port in (("floor", bare_port), ("ours", ours_port)):
            latencies: list[float] = []
            rate, bad = drive(
                port,
                "POST",
                "/api/v1/requests",
                create_body,
                tokens["city"],
                tail_s,
                args.concurrency,
                201,
                latencies,
            )
            latencies.sort()
            q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
            tails[name] = (q[49] * 1000, q[98] * 1000, latencies[-1] * 1000 if latencies else 0.0, bad)
            print(
                f"\n[{db}] write tail{' of the bare Core floor' if name == 'floor' else ''}: {args.concurrency} "
                f"clients creating for {tail_s:g} s: {len(latencies):,} requests ({rate:.0f}/s), p50 "
                f"{tails[name][0]:.1f} ms, p99 {tails[name][1]:.1f} ms, max {tails[name][2]:.1f} ms, {bad} errors"
            )
        p50, p99, worst, bad = tails["ours"]
        ok = p99 < TAIL_P99_MS and bad == 0
        verdicts.append(ok)
        f50, f99, fmax, fbad = tails["floor"]
        print(
            f"RESULT [{db}] write tail of the bare Core floor, {args.concurrency} clients creating, p99 | {f99:.1f} ms "
            f"(p50 {f50:.1f}, max {fmax:.0f}, {fbad} errors) | - | INFO"
        )
        print(
            f"RESULT [{db}] write tail, {args.concurrency} clients creating, p99 | {p99:.1f} ms (p50 {p50:.1f}, "
            f"max {worst:.0f}, {bad} errors) | < {TAIL_P99_MS:g} ms, no error | {'PASS' if ok else 'FAIL'}"
        )
        for name in ("ours", "bare"):
            if any(errors.values()) or bad:
                tail = (target.workdir / f"{name}.log").read_text(errors="replace").splitlines()[-6:]
                print(f"  {name} server log (last lines):\n    " + "\n    ".join(tail))
        return 0 if all(verdicts) else 1
    finally:
        for process in processes:
            stop(process)
        target.drop()


if __name__ == "__main__":
    sys.exit(main())
