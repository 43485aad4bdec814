"""Shared fixtures: an app on a real database, API clients logged in as each role, factories.

Every test runs on SQLite. A test marked ``both_databases`` runs on SQLite and on PostgreSQL
(``TEST_POSTGRES_URL``, default the local server on 127.0.0.1:5432); when PostgreSQL cannot be
reached those runs are skipped with the reason, never silently passed.
"""

from __future__ import annotations

import functools
import os
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from werkzeug.security import generate_password_hash

import health_responder.models  # noqa: F401
from health_responder import create_app
from health_responder.extensions import db

PASSWORD = "correct-horse-9"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: run the test on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "slow: longer tests (load, crash, browser)")


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="function")


@pytest.fixture(scope="session")
def _postgres(tmp_path_factory):
    """A fresh PostgreSQL database for this test session, with the schema; or the reason there is none."""
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"hr_test_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        yield None, f"PostgreSQL not reachable at {PG_URL}: {error.__class__.__name__}: {str(error)[:200]}"
        return
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url, None
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "test.sqlite"
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Tests create many users: a cheap hash instead of scrypt's ~0.15 s each (the login path is the same)."""
    from health_responder.auth import services

    monkeypatch.setattr(
        services,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def backend():
    """Which database a test runs on; ``both_databases`` parametrises it."""
    return "sqlite"


@pytest.fixture
def database_url(backend, _sqlite, request):
    if backend == "sqlite":
        return _sqlite
    url, reason = request.getfixturevalue("_postgres")
    if url is None:
        pytest.skip(reason)
    return url


def wipe(engine: sa.Engine) -> None:
    """Empty every table (faster than re-creating the schema for each test)."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": str(tmp_path / "reports"),
            "LOG_JSON": False,
        }
    )
    with app.app_context():
        wipe(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class ApiClient:
    """A test client that sends JSON with a bearer token."""

    def __init__(self, app, token: str | None, user=None):
        self.app, self.token, self.user = app, token, user
        self._client = app.test_client()

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, **kw):
        return self._client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self._client.post(
            path, json=json if json is not None else {}, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path, json=None, **kw):
        return self._client.patch(path, json=json or {}, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self._client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def make(app):
    """Factories that write through the services and commit: ``make.city()``, ``make.user("city")`` …"""
    return Factories(app)


class Factories:
    def __init__(self, app):
        self.app = app
        self.counter = 0

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _save(self, row):
        with self.app.app_context(), db.write_session() as session:
            session.add(row)
            session.flush()
            session.refresh(row)
            session.expunge(row)
        return row

    def network(self, code=None, name=None):
        from health_responder.reference.models import Network

        n = self._n()
        return self._save(Network(code=code or f"NET{n}", name=name or f"Network {n}"))

    def city(self, name=None, network=None, **kw):
        from health_responder.reference.models import City

        network = network or self.network()
        n = self._n()
        values = {"country": "KR", "timezone": "Asia/Seoul", "delivery_address": f"{n} Main St"} | kw
        return self._save(City(name=name or f"City {n}", network_id=network.id, **values))

    def provider(self, name=None, networks=(), **kw):
        from health_responder.providers.models import Provider, ProviderNetwork

        n = self._n()
        provider = self._save(Provider(name=name or f"Provider {n}", country=kw.pop("country", "KR"), **kw))
        for network in networks:
            self._save(ProviderNetwork(provider_id=provider.id, network_id=network.id))
        return provider

    def location(self, provider, name=None):
        from health_responder.providers.models import StockLocation

        return self._save(
            StockLocation(provider_id=provider.id, name=name or f"Warehouse {self._n()}", country="KR")
        )

    def topic(self, code="oxygen_therapy", name="Oxygen therapy"):
        from health_responder.reference.models import TrainingTopic

        with self.app.app_context():
            existing = db.session.get(TrainingTopic, code)
            if existing is not None:
                return existing
        return self._save(TrainingTopic(code=code, name=name))

    def item(self, code=None, **kw):
        from health_responder.reference.models import Item

        n = self._n()
        values = {"name": f"Item {n}", "category": "respiratory", "unit": "each"} | kw
        return self._save(Item(code=code or f"ITEM-{n}", **values))

    def user(self, role, city=None, provider=None, email=None, password=PASSWORD):
        from health_responder.auth import services

        if role == "city" and city is None:
            city = self.city()
        if role == "provider" and provider is None:
            provider = self.provider()
        with self.app.app_context(), db.write_session():
            user = services.create_user(
                email=email or f"{role}{self._n()}@example.org",
                password=password,
                role=role,
                name=f"Test {role}",
                city_id=city.id if city else None,
                provider_id=provider.id if provider else None,
            )
            db.session.flush()
            db.session.expunge(user)
        return user

    def token(self, user):
        from health_responder.auth import services

        with self.app.app_context(), db.write_session():
            _row, token = services.issue_token(user=user)
        return token

    def api(self, role=None, user=None, **kw) -> ApiClient:
        """An ApiClient logged in as a new user of ``role`` (or as ``user``)."""
        user = user or self.user(role, **kw)
        return ApiClient(self.app, self.token(user), user)


@pytest.fixture
def login_as(make):
    """``login_as("coordinator")`` → an ApiClient with a token of a new user of that role."""
    return lambda role, **kw: make.api(role, **kw)


@pytest.fixture
def anonymous(app):
    return ApiClient(app, None)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_login(client, email: str, password: str = PASSWORD):
    """Log in through the login page, CSRF token and all."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
