"""`flask db upgrade` on an empty database gives exactly the models' schema, on both databases."""

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import health_responder.models  # noqa: F401
from health_responder import create_app
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"hr_mig_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {error.__class__.__name__}")
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _storage_options(url) -> dict[str, list[str]]:
    """PostgreSQL: each table's storage parameters (``fillfactor=85`` …), which Alembic does not compare."""
    if not url.startswith("postgresql"):
        return {}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT relname, reloptions FROM pg_class WHERE relkind = 'r' AND reloptions IS NOT NULL"
                )
            ).all()
    finally:
        engine.dispose()
    return {name: sorted(options) for name, options in rows if name in SQLModel.metadata.tables}


def _storage_options_of_the_models(url) -> dict[str, list[str]]:
    if not url.startswith("postgresql"):
        return {}
    out = {}
    for name, table in SQLModel.metadata.tables.items():
        options = table.dialect_options["postgresql"]["with"]
        if options:
            out[name] = sorted(f"{key}={value}" for key, value in options.items())
    return out


def test_upgrade_head_matches_the_models_and_downgrade_empties(empty_database, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database, "REPORTS_DIR": str(tmp_path)})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _differences(empty_database) == []
    assert _storage_options(empty_database) == _storage_options_of_the_models(empty_database)
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(empty_database)
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    with app.app_context():
        from health_responder.extensions import db

        db.engine.dispose()


def test_the_snapshot_migration_fills_the_dispatches_shipped_before_it(empty_database, tmp_path):
    """Issue 13 item 15: dispatches shipped before the snapshot existed get the facts ship() now freezes."""
    from health_responder.dispatch.models import Dispatch, DispatchLine
    from health_responder.extensions import db
    from tests.factories import Factories

    app = create_app({"TESTING": True, "DATABASE_URL": empty_database, "REPORTS_DIR": str(tmp_path)})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    _request, shipped = Factories(app).shipped_dispatch(quantity=3)
    columns = ("lot_code", "lot_expires_on", "item_code", "item_name", "item_unit", "item_cold_chain")

    def frozen():
        with app.app_context():
            dispatch = db.session.get(Dispatch, shipped["id"])
            lines = db.session.scalars(
                select(DispatchLine).where(DispatchLine.dispatch_id == dispatch.id)
            ).all()
            found = dispatch.parties_at_ship, [tuple(getattr(line, c) for c in columns) for line in lines]
            db.session.remove()
            return found

    at_ship = frozen()
    assert at_ship[0]["sender_location"] and at_ship[1][0][0] == "L-OXY-1"
    [migration] = (Path(__file__).parents[1] / "migrations" / "versions").glob("*_dispatch_snapshot.py")
    down = re.search(r"^down_revision = '([^']+)'", migration.read_text(), re.M).group(1)
    assert runner.invoke(args=["db", "downgrade", down]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert frozen() == at_ship
    with app.app_context():
        db.engine.dispose()
