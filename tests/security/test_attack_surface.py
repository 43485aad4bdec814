"""The attack surface: injection probes in every list parameter, headers, cookies, size limits, token
storage, and failed-login counts shared between processes.

The probes come from the OpenAPI document itself: every GET operation with query parameters gets each
hostile value in each parameter, as each kind of user. A typed parameter (integer, boolean, date, enum,
``order_by``) must refuse it (4xx); a free-text filter may answer 200, but only with the caller's own
rows (never another tenant's, never more than without the filter). Nothing answers 500, and every
table holds the same rows afterwards.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from health_responder.db import utc_today
from health_responder.extensions import db
from tests.factories import PASSWORD, page_login

#: Marks every row of the other tenant: it must never appear in the caller's answers.
SECRET = "ZZSECRET"
PROBES = [
    "1 OR 1=1",
    "' OR '1'='1",
    "'; DROP TABLE stock_lot;--",
    "name;DROP TABLE city",
    "-id,(select 1)",
    "id; SELECT pg_sleep(3)--",
    '1) UNION SELECT password_hash, token_hash FROM "user", api_token--',
    "id,(SELECT CASE WHEN (1=1) THEN 1 ELSE 1/0 END)",
    '" OR ""="',
    "%' OR 1=1 OR '%'='",
    "\\'; --",
    "Ω≈ç√∫ 세종 深圳 \u202eevil\u202c 😀",
    "\x00",
    "A" * 4000,
]
#: Typed parameters are refused by their parser before any SQL is built: a few probes suffice there.
TYPED_PROBES = [PROBES[0], PROBES[2], PROBES[4], PROBES[11], PROBES[12]]
#: Free-text filters: any text is a valid (if useless) value for them.
FREE_TEXT = {"q", "country", "category", "requires_training", "topic", "language", "name", "network"}
#: The field that names the tenant of a row, for the roles that are tenants.
TENANT_FIELDS = {"city": "city_id", "provider": "provider_id"}


def _future(days: int) -> date:
    return utc_today() + timedelta(days=days)


@pytest.fixture
def tenants(app, make):
    """Two cities and two providers, each with stock, a request, a dispatch and an enrolment; tenant B's
    rows all carry SECRET. Returns logged-in clients of tenant A (city, provider) and an admin."""
    from health_responder.allocation import services as allocations
    from health_responder.dispatch import services as dispatches
    from health_responder.health_requests import services as requests
    from health_responder.materials import services as materials
    from health_responder.publications import services as publications
    from health_responder.stock import services as stock
    from health_responder.training import services as training

    network = make.network()
    city_a, city_b = make.city(network=network), make.city(network=network)
    prov_a, prov_b = make.provider(networks=[network]), make.provider(networks=[network])
    loc_a, loc_b = make.location(prov_a), make.location(prov_b)
    item = make.item()
    make.topic()
    users = {
        "city": make.user("city", city=city_a),
        "provider": make.user("provider", provider=prov_a),
        "admin": make.user("admin"),
    }
    city_b_user, prov_b_user = make.user("city", city=city_b), make.user("provider", provider=prov_b)
    coordinator = make.user("coordinator")
    ids = {}
    with app.app_context(), db.write_session():
        for label, (loc, city_user, prov_user) in {
            "a": (loc_a, users["city"], users["provider"]),
            "b": (loc_b, city_b_user, prov_b_user),
        }.items():
            mark = SECRET if label == "b" else "Alpha"
            lot = stock.create_lot(
                by=prov_user,
                item_id=item.id,
                location_id=loc.id,
                lot_code=f"{mark}-LOT",
                expires_on=None,
                quantity=50,
                note=f"{mark} note",
            )
            request = requests.create_request(
                by=city_user,
                needed_by=_future(20),
                justification=f"{mark} ward",
                delivery_contact=f"{mark} contact",
                lines=[{"item_id": item.id, "quantity": 10}],
            )
            requests.submit(request=request, by=city_user)
            requests.approve(request=request, by=coordinator)
            allocations.allocate(
                request=request,
                by=coordinator,
                line_id=requests.lines_of(request.id)[0].id,
                lot_id=lot.id,
                quantity=10,
            )
            dispatch = dispatches.create_dispatch(request=request, by=prov_user, notes=f"{mark} notes")
            dispatches.ship(
                dispatch=dispatch,
                by=prov_user,
                carrier=f"{mark} carrier",
                tracking_number=f"{mark}-TRACK",
                packages=1,
            )
            ids[label] = {
                "lot_id": lot.id,
                "request_id": request.id,
                "dispatch_id": dispatch.id,
                "provider_id": prov_user.provider_id,
                "city_id": city_user.city_id,
            }
        program = training.create_program(
            by=users["provider"],
            title="Oxygen basics",
            topic="oxygen_therapy",
            language="en",
            mode="online",
            link="https://learn.example.org",
            starts_at=_start(),
            ends_at=_start() + timedelta(hours=3),
            enrolment_deadline=_future(5),
            capacity=5,
        )
        alpha = training.enrol(
            program=program,
            by=users["city"],
            participant_name="Alpha Nurse",
            participant_email="alpha@example.org",
        )
        training.enrol(
            program=program,
            by=city_b_user,
            participant_name=f"{SECRET} Nurse",
            participant_email="zzsecret@example.org",
        )
        ids["program_id"] = program.id
        ids["enrolment_id"] = alpha.id
        ids["publication_id"] = publications.create_publication(
            by=coordinator,
            title="Alpha findings",
            kind="finding",
            published_on=utc_today(),
            url="https://example.org/a",
        ).id
        ids["material_id"] = materials.create_link_material(
            by=users["provider"],
            title="Alpha guide",
            topic="oxygen_therapy",
            url="https://learn.example.org/a",
        ).id
    clients = {role: make.api(user=user) for role, user in users.items()}
    return {"clients": clients, "users": users, "ids": ids, "city_a": city_a, "prov_a": prov_a}


def _start():
    from datetime import UTC, datetime, time

    return datetime.combine(_future(10), time(9, 0), tzinfo=UTC)


def _list_operations(app) -> list[tuple[str, list[dict]]]:
    spec = app.test_client().get("/api/v1/openapi.json").json
    found = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        if query:
            found.append((path, query))
    return found


def _fill_path(path: str, ids: dict) -> str:
    values = {
        "lot_id": ids["a"]["lot_id"],
        "request_id": ids["a"]["request_id"],
        "dispatch_id": ids["a"]["dispatch_id"],
        "program_id": ids["program_id"],
        "enrolment_id": ids["enrolment_id"],
        "publication_id": ids["publication_id"],
        "material_id": ids["material_id"],
        "provider_id": ids["a"]["provider_id"],
        "city_id": ids["a"]["city_id"],
    }

    def value(match):
        name = match.group(1)
        assert name in values, f"no probe value for path parameter {name} of {path}: add one"
        return str(values[name])

    return re.sub(r"\{(\w+)\}", value, path)


def _typed(parameter: dict) -> bool:
    schema = parameter.get("schema", {})
    return parameter["name"] not in FREE_TEXT or schema.get("type") != "string" or "enum" in schema


def _row_counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return {
            t.name: conn.scalar(sa.select(sa.func.count()).select_from(t))
            for t in SQLModel.metadata.sorted_tables
        }


def _foreign_rows(role: str, body: bytes, tenant: dict) -> list[str]:
    """What in an answer belongs to another tenant: SECRET anywhere, or an item of another city/provider."""
    field = TENANT_FIELDS.get(role)
    if field is None:  # staff see every tenant
        return []
    found = [f"{SECRET} in the answer"] if SECRET.encode() in body else []
    try:
        data = json.loads(body)
    except ValueError:
        return found
    items = data.get("items", data) if isinstance(data, dict) else data
    if isinstance(items, list):
        own = tenant["city_a"].id if role == "city" else tenant["prov_a"].id
        found += [
            f"item {row.get('id')} of {field} {row[field]}"
            for row in items
            if isinstance(row, dict) and row.get(field) not in (None, own)
        ]
    return found


def _judge(where, role, parameter, baseline, base_total, response, tenants) -> tuple[list[str], bool]:
    """What is wrong with one probe's answer, and whether it was a refusal (4xx)."""
    code = response.status_code
    if code >= 500:
        return [f"{where}: {code}"], False
    if baseline.status_code == 200 and _typed(parameter) and code < 400:
        return [f"{where}: {code} for a typed parameter"], False
    if code >= 400:
        if response.is_json:
            assert set(response.json) >= {"code", "message", "errors"}, where
            assert "Traceback" not in response.get_data(as_text=True)
        return [], True
    problems = []
    leaks = _foreign_rows(role, response.data, tenants)
    total = response.json.get("total") if response.is_json and isinstance(response.json, dict) else None
    if leaks:
        problems.append(f"{where}: {leaks[:3]}")
    if base_total is not None and total is not None and total > base_total:
        problems.append(f"{where}: {total} rows, more than the {base_total} without a filter")
    return problems, False


@pytest.mark.both_databases
def test_injection_probes_in_every_query_parameter_are_refused_or_harmless(app, tenants):
    """Every query parameter of every GET operation, each probe, as a city, a provider and an admin."""
    operations = _list_operations(app)
    assert len(operations) >= 15, "the OpenAPI document lists fewer list endpoints than expected"
    # a GET of a document registers it the first time (by design): the baselines do that before counting
    for client in tenants["clients"].values():
        for path, _parameters in operations:
            client.get(_fill_path(path, tenants["ids"]))
    before = _row_counts(app)
    problems, probes, typed_refusals = [], 0, 0
    for role, client in tenants["clients"].items():
        for path, parameters in operations:
            url = _fill_path(path, tenants["ids"])
            baseline = client.get(url)
            base_total = (
                baseline.json.get("total") if baseline.is_json and isinstance(baseline.json, dict) else None
            )
            for parameter in parameters:
                reaches_sql = parameter["name"] == "order_by" or not _typed(parameter)
                for probe in PROBES if reaches_sql else TYPED_PROBES:
                    probes += 1
                    response = client.get(f"{url}?{urlencode({parameter['name']: probe})}")
                    where = f"{role} GET {path}?{parameter['name']}={probe[:30]!r}"
                    found, refused = _judge(where, role, parameter, baseline, base_total, response, tenants)
                    problems += found
                    typed_refusals += refused
    assert problems == [], "\n".join(problems[:40])
    assert _row_counts(app) == before
    assert probes > 1000 and typed_refusals > probes // 2, (probes, typed_refusals)
    print(f"{probes} probes, {typed_refusals} refused with 4xx")
    # The tables are there and answer (a DROP smuggled through would make this fail).
    with app.app_context():
        for table in ("stock_lot", "city", "user", "api_token"):
            db.session.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def test_a_free_text_probe_still_finds_only_the_callers_rows(tenants):
    """The search is a parameter, not SQL: a quote-laden term matches text literally and only one's own."""
    city = tenants["clients"]["city"]
    answer = city.get("/api/v1/requests?" + urlencode({"q": "' OR 1=1 --"}))
    assert answer.status_code == 200 and answer.json["total"] == 0
    everything = city.get("/api/v1/requests")
    assert everything.json["total"] == 1 and SECRET.encode() not in everything.data


# --- headers and cookies


CSP_DIRECTIVES = ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cities",
        "/login",
        "/healthz",
        "/api/v1/nothing-here",
        "/no-such-page",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    ],
)
def test_every_kind_of_response_carries_the_security_headers(make, path):
    client = make.api("city")
    response = client.get(path)
    assert response.status_code in (200, 404)
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp, (path, csp)
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp  # 'wasm-unsafe-eval' only: WebAssembly
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("X-Request-ID")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_hsts_and_secure_cookies_behind_tls(app, make):
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    user = make.user("city")
    client = app.test_client()
    response = page_login(client, user.email)
    assert response.status_code == 302
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert "max-age=" in hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15552000
    cookie = _session_cookie(response)
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert app.test_client().get("/api/v1/networks").headers.get("Strict-Transport-Security") == hsts


def _session_cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    return cookies[-1].lower()


def test_the_session_cookie_is_httponly_and_samesite_and_not_secure_on_plain_http(app, make):
    user = make.user("coordinator")
    response = page_login(app.test_client(), user.email)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert user.email.encode() not in cookie.encode()  # the session cookie names nobody in clear text


# --- request size limits


@pytest.mark.parametrize(
    ("path", "authenticated"),
    [("/api/v1/requests", True), ("/api/v1/stock/lots", True), ("/api/v1/auth/tokens", False)],
)
def test_a_body_over_the_limit_answers_413_as_json(app, make, path, authenticated):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    client = make.api("admin") if authenticated else make.api("city")
    headers = {"Content-Type": "application/json"}
    if not authenticated:
        client.token = None
    body = json.dumps({"justification": "x" * (65 * 1024)})
    response = client._client.post(path, data=body, headers=client._headers(headers))
    assert response.status_code == 413
    assert (
        response.is_json
        and response.json["code"] == 413
        and response.json["status"] == "Request Entity Too Large"
    )
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_the_default_limit_refuses_a_body_of_several_megabytes(app, make):
    client = make.api("city")
    big = json.dumps({"justification": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    response = client._client.post(
        "/api/v1/requests", data=big, headers=client._headers({"Content-Type": "application/json"})
    )
    assert response.status_code == 413 and response.json["code"] == 413


def _post_chunked(app, path: str, body: bytes, token: str):
    """POST ``body`` as a server hands on a chunked request: no Content-Length, the stream marked terminated."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(
        path=path,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "Authorization": f"Bearer {token}",
        },
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(body), True
    chunks, status, _headers = run_wsgi_app(app, environ)
    return int(status.split()[0]), json.loads(b"".join(chunks))


def test_a_chunked_body_over_the_limit_answers_413_not_a_truncated_400(app, make):
    """Regression: werkzeug cut a body without a length at the limit, so the API answered 400 (bad JSON)."""
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    client = make.api("city")
    code, body = _post_chunked(
        app, "/api/v1/requests", b'{"justification": "' + b"x" * 40_000 + b'"}', client.token
    )
    assert code == 413 and body["code"] == 413 and body["status"] == "Request Entity Too Large"
    # Under the limit, a chunked body is read whole and validated as usual.
    code, body = _post_chunked(
        app, "/api/v1/requests", json.dumps({"justification": "x" * 100}).encode(), client.token
    )
    assert code == 422 and "lines" in body["errors"]


# --- tokens only as hashes


def test_no_token_text_is_anywhere_in_the_database(app, make, database_url):
    user = make.user("provider")
    anonymous = app.test_client()
    tokens = []
    for name in ("laptop", "script", "ci"):
        answer = anonymous.post(
            "/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD, "name": name}
        )
        assert answer.status_code == 201
        tokens.append(answer.json["token"])
    # Use them, so that last_used and audit rows are written too.
    for token in tokens:
        assert (
            anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
    anonymous.post("/api/v1/requests", json={}, headers={"Authorization": f"Bearer {tokens[0]}"})
    path = sa.engine.make_url(database_url).database
    with app.app_context():
        db.engine.dispose()
    connection = sqlite3.connect(path)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    files = dump
    for name in (path, path + "-wal"):  # the raw pages too: nothing lingers in a journal
        if os.path.exists(name):
            with open(name, "rb") as handle:
                files += handle.read().decode("latin-1")
    for token in tokens:
        assert token not in files
    import hashlib

    assert all(hashlib.sha256(t.encode()).hexdigest() in dump for t in tokens)


# --- login rate limits shared between processes

#: The second instance: another process, its own app object, the same database.
OTHER_INSTANCE = textwrap.dedent("""
    import json, sys
    from health_responder import create_app
    config = json.loads(sys.argv[1])
    app = create_app(config)
    client = app.test_client()
    codes = [client.post("/api/v1/auth/tokens", json={"email": sys.argv[3], "password": "wrong-password-1"}).status_code
             for _ in range(int(sys.argv[2]))]
    print(json.dumps(codes))
""")


def _other_instance(config: dict, attempts: int, email: str) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", OTHER_INSTANCE, json.dumps(config), str(attempts), email],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _failures(app, email: str, attempts: int) -> list[int]:
    client = app.test_client()
    return [
        client.post("/api/v1/auth/tokens", json={"email": email, "password": "wrong-password-1"}).status_code
        for _ in range(attempts)
    ]


@pytest.mark.both_databases
def test_two_processes_share_the_failed_login_count_through_the_database(app, make, database_url, tmp_path):
    """Six failures in this process and five in another: the 11th is refused (429) wherever it lands,
    and back here the account stays locked for that address, for a right password too."""
    user = make.user("city")
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "REPORTS_DIR": str(tmp_path / "reports"),
        "LOG_JSON": False,
    }
    assert _failures(app, user.email, 6) == [401] * 6
    assert _other_instance(config, 5, user.email) == [401] * 4 + [429]
    ok = app.test_client().post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert ok.status_code == 429 and ok.json["code"] == 429
