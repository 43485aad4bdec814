"""Shared fixtures: an app on a real database, API clients logged in as each role, factories.

Every test runs on SQLite. A test marked ``both_databases`` runs on SQLite and on PostgreSQL
(``TEST_POSTGRES_URL``, default the local server on 127.0.0.1:5432); when PostgreSQL cannot be
reached those runs are skipped with the reason, never silently passed.
"""

from __future__ import annotations

import copy
import functools
import os
import random
import uuid

import pytest
import sqlalchemy as sa
from flask import request as flask_request
from flask import request_finished
from sqlmodel import SQLModel
from werkzeug.security import generate_password_hash

import health_responder.models  # noqa: F401
from health_responder import create_app
from health_responder.extensions import db
from tests.factories import PASSWORD, ApiClient, Factories, csrf_token, days, page_login  # noqa: F401 (re-exported)

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


#: Tests under these folders carry the folder's marker (declared in setup.cfg), so ``-m`` can leave them out.
FOLDER_MARKERS = {"browser": "browser", "fuzz": "fuzz", "load": "load"}
#: One seed for every random choice a test makes: ``TEST_SEED=<n>`` repeats a run.
SEED = int(os.environ.get("TEST_SEED") or random.SystemRandom().randrange(2**32))
# pytest-xdist's workers start after this module is loaded in the controller: they inherit its seed.
os.environ["TEST_SEED"] = str(SEED)


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin reads its seed option
def pytest_configure(config):
    random.seed(SEED)
    if getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = SEED


def pytest_report_header(config):
    return f"random seed: {SEED} (TEST_SEED={SEED} repeats this run's random choices, Hypothesis's too)"


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = item.path.relative_to(config.rootpath).parts[1:2]
        if folder and folder[0] in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder[0]])


#: Page POSTs that answered 2xx during the running test.
_RENDERED_POSTS: list[str] = []
#: Endpoints of page POSTs that went through (a redirect, not to the login page nor back to a refused
#: form) during the whole run: ``PRG_COVERAGE=1`` lists, at the end, the POST pages no test sent successfully.
_SUCCEEDED_POSTS: set[str] = set()
_POST_PAGES: set[str] = set()


def _watch_page_posts(sender, response, **extra) -> None:
    """Post/redirect/get, watched in every test: a page POST that succeeds answers a redirect, never a page
    (Back or a reload would send it again), steps inside a form included ("add a line", a scan filling a
    receipt line). Failures answer 4xx with the form; the API answers JSON.
    """
    if (
        flask_request.method == "POST"
        and not flask_request.path.startswith("/api/")
        and 200 <= response.status_code < 300
    ):
        _RENDERED_POSTS.append(
            f"POST {flask_request.path} ({flask_request.endpoint}) answered {response.status_code}"
        )
    if os.environ.get("PRG_COVERAGE"):
        if not _POST_PAGES:
            _POST_PAGES.update(
                rule.endpoint
                for rule in sender.url_map.iter_rules()
                if "POST" in rule.methods and not rule.rule.startswith("/api/")
            )
        location = response.headers.get("Location", "")
        if (
            flask_request.method == "POST"
            and 300 <= response.status_code < 400
            and (
                "/login" not in location or flask_request.endpoint == "web.logout"
            )  # logging out lands there
            and "restore=" not in location
        ):
            _SUCCEEDED_POSTS.add(flask_request.endpoint or "")


request_finished.connect(_watch_page_posts, weak=False)


def pytest_sessionfinish(session):
    """An xdist worker hands what it saw to the controller, which prints the run's whole list."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None and os.environ.get("PRG_COVERAGE"):
        output["prg_pages"], output["prg_succeeded"] = sorted(_POST_PAGES), sorted(_SUCCEEDED_POSTS)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, in the controller
def pytest_testnodedown(node, error):
    _POST_PAGES.update(node.workeroutput.get("prg_pages", ()))
    _SUCCEEDED_POSTS.update(node.workeroutput.get("prg_succeeded", ()))


def pytest_terminal_summary(terminalreporter):
    # The seed again at the end: -q (setup.cfg's addopts) leaves the header out, and a failure needs it.
    terminalreporter.write_line(pytest_report_header(None))
    if os.environ.get("PRG_COVERAGE") and _POST_PAGES:
        missing = sorted(_POST_PAGES - _SUCCEEDED_POSTS)
        terminalreporter.write_line(f"POST pages no test of this run sent successfully ({len(missing)}):")
        for endpoint in missing:
            terminalreporter.write_line(f"  {endpoint}")


@pytest.fixture(autouse=True)
def _post_redirect_get():
    """Fail a test in which a page POST succeeded with a page instead of a redirect."""
    _RENDERED_POSTS.clear()
    yield
    rendered, _RENDERED_POSTS[:] = list(_RENDERED_POSTS), []
    assert not rendered, f"a successful page POST must redirect (post/redirect/get): {rendered}"


@pytest.fixture
def rng(request) -> random.Random:
    """A random generator seeded from the run's seed and the test's name (printed in the header)."""
    return random.Random(f"{SEED}:{request.node.nodeid}")


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


#: One app per database for the whole session: building one costs ~0.3 s (werkzeug compiles ~180 URL
#: rules, flask-smorest documents every view), a fixed cost each test paid before. Each test gets it
#: with empty tables, its own REPORTS_DIR, and its configuration restored afterwards.
_APPS: dict[str, object] = {}


def _shared_app(database_url: str):
    if database_url not in _APPS:
        _APPS[database_url] = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATABASE_URL": database_url,
                "REPORTS_DIR": "/nonexistent/set-per-test",
                "LOG_JSON": False,
            }
        )
    return _APPS[database_url]


@pytest.fixture
def app(database_url, tmp_path):
    app = _shared_app(database_url)
    saved = copy.deepcopy(dict(app.config))
    app.config["REPORTS_DIR"] = str(tmp_path / "reports")
    with app.app_context():
        wipe(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def fresh_app(database_url, tmp_path):
    """An app of the test's own, for a test that adds routes or handlers (the shared one has served)."""
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
def demo_app(tmp_path):
    """An app on a copy of the demo world (seeded once per session: tests/demo.py), on SQLite."""
    from tests.demo import demo_copy

    url, reports = demo_copy(tmp_path / "demo")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "REPORTS_DIR": reports,
            "LOG_JSON": False,
        }
    )
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


@pytest.fixture
def make(app):
    """Factories that write through the services and commit: ``make.city()``, ``make.lot()`` … (tests/factories.py)."""
    return Factories(app)


@pytest.fixture
def world(make):
    """The cast: two networks, cities and providers, warehouses, items and a client per role, made on first use."""
    return make.world


@pytest.fixture
def shelves(world):
    """The world with stock on the shelves: ``world.lots.oxy``, ``.pulse`` and ``.far`` (lot ids)."""
    return world.lots


@pytest.fixture
def login_as(make):
    """``login_as("coordinator")`` → an ApiClient with a token of a new user of that role."""
    return lambda role, **kw: make.api(role, **kw)


@pytest.fixture
def anonymous(app):
    """An ApiClient without a token."""
    return ApiClient(app, None)


@pytest.fixture
def coordinator(world):
    """The world's coordinator, as an ApiClient."""
    return world.coordinator


@pytest.fixture
def keeper(world):
    """An ApiClient of a user of the world's provider."""
    return world.provider_api


@pytest.fixture
def rival(world):
    """An ApiClient of a user of the other provider."""
    return world.other_provider_api


@pytest.fixture
def city_user(world):
    """An ApiClient of a user of the world's city."""
    return world.city_api


@pytest.fixture
def make_lot(world):
    """``make_lot(provider, location, item, quantity, expires_on=None)`` → the lot id, received through the ledger."""
    return world.make_lot


@pytest.fixture
def new_lot(keeper, world):
    """``new_lot(quantity=…, **fields)`` receives a lot of the world's provider through the API; its JSON."""
    counter = iter(range(1, 10_000))

    def receive(quantity: int = 100, client=None, **fields) -> dict:
        body = {
            "item_id": world.item.id,
            "location_id": world.location.id,
            "lot_code": f"L-{next(counter):04d}",
            "expires_on": days(365).isoformat(),
            "quantity": quantity,
        } | fields
        response = (client or keeper).post("/api/v1/stock/lots", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return receive


@pytest.fixture
def run_check(coordinator):
    """``run_check("auto_allocate", dry_run=False)`` → the job run JSON (asserting 200 and success)."""

    def run(name: str, dry_run: bool = False) -> dict:
        response = coordinator.post(f"/api/v1/jobs/{name}/run", json={"dry_run": dry_run})
        assert response.status_code == 200, response.json
        assert response.json["outcome"] == "succeeded", response.json
        return response.json

    return run
