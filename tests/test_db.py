"""db.deferred_checkpoints: a run of write transactions leaves the WAL to grow and checkpoints once at the end."""

import os

from health_responder import create_app
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
