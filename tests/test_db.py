"""WAL checkpoints on SQLite: writers checkpoint every CHECKPOINT_EVERY commits themselves, outside the
write turn; db.deferred_checkpoints leaves the WAL to grow and checkpoints once at the end."""

import os

from health_responder import create_app
from health_responder.db import CHECKPOINT_EVERY
from health_responder.extensions import db

PAGE = 4096


def _write_pages(pages: int) -> None:
    """One write transaction that appends about ``pages`` pages (one overflowing row each)."""
    with db.write_session() as session:
        session.connection().exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO scratch (body) SELECT zeroblob(4000) FROM n",
            (pages,),
        )


def _app(tmp_path, name: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/{name}",
            "REPORTS_DIR": str(tmp_path / "reports"),
            "LOG_JSON": False,
        }
    )


def test_writers_checkpoint_the_wal_every_checkpoint_every_commits_far_below_sqlites_threshold(tmp_path):
    # SQLite's own checkpoint would wait for 1,000 pages in the WAL, and run inside the COMMIT that
    # crossed them while the next writers queue: ours comes every CHECKPOINT_EVERY small commits.
    app = _app(tmp_path, "cadence.sqlite")
    with app.app_context():
        path = db.engine.url.database
        try:
            with db.write_session() as session:  # the engine's first write commit
                session.connection().exec_driver_sql("CREATE TABLE scratch (body BLOB)")
            connection = db.engine.raw_connection()
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            before = os.path.getsize(path)
            for _ in range(CHECKPOINT_EVERY - 2):  # up to the commit before the CHECKPOINT_EVERY-th
                _write_pages(1)
            assert os.path.getsize(path) == before, "a checkpoint ran before its turn"
            _write_pages(1)
            assert os.path.getsize(path) >= before + (CHECKPOINT_EVERY - 2) * PAGE, (
                "the CHECKPOINT_EVERY-th write commit did not checkpoint the WAL into the database"
            )
        finally:
            db.engine.dispose()


def test_checkpoints_wait_for_the_end_of_the_block_then_resume(tmp_path):
    # a database of its own: no free pages left over by other tests to fill before the file grows
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/wal.sqlite",
            "REPORTS_DIR": str(tmp_path / "reports"),
            "LOG_JSON": False,
        }
    )
    with app.app_context():
        path = db.engine.url.database
        with db.write_session() as session:
            session.connection().exec_driver_sql("CREATE TABLE scratch (body BLOB)")
        try:
            connection = db.engine.raw_connection()
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            before = os.path.getsize(path)

            with db.deferred_checkpoints():
                for _ in range(3):  # each commit leaves more than SQLite's 1,000 pages in the WAL
                    _write_pages(1500)
                    assert os.path.getsize(path) == before, "a commit inside the block checkpointed"
                with db.read_session() as session:
                    assert session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            after_block = os.path.getsize(path)
            assert after_block >= before + 4500 * PAGE, "the checkpoint at the end of the block did not run"

            with db.read_session() as session:  # the same pooled connection is back to SQLite's default
                assert session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
            _write_pages(1500)
            assert os.path.getsize(path) >= after_block + 1500 * PAGE, (
                "outside the block, commits checkpoint again"
            )
        finally:
            db.engine.dispose()
