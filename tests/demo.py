"""The demo world, seeded once per test session and copied for each app that reads it.

Loading the demo costs seconds (a year of requests through the services); the browser journeys, the
fuzzer and the demo checks each need a database of their own with it, not a load each. The first
call seeds a SQLite file (and its reports and materials folders) through the real ``seed.build_demo()``;
every call copies them into the caller's folder (materials beside reports, where MATERIALS_DIR defaults to). A plain function, not a fixture: the fuzz module builds its app
at import time.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

_SEEDED: Path | None = None


def _seed_once() -> Path:
    global _SEEDED
    if _SEEDED is None:
        from sqlmodel import SQLModel

        import health_responder.models  # noqa: F401
        from health_responder import create_app, seed
        from health_responder.extensions import db

        folder = Path(tempfile.mkdtemp(prefix="hr-demo-"))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "demo-seed",
                "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite'}",
                "REPORTS_DIR": str(folder / "reports"),
                "LOG_JSON": False,
            }
        )
        with app.app_context():
            SQLModel.metadata.create_all(db.engine)
            seed.build_demo()
            db.session.remove()
            db.engine.dispose()
        (folder / "reports").mkdir(exist_ok=True)
        (folder / "materials").mkdir(exist_ok=True)
        _SEEDED = folder
    return _SEEDED


def demo_copy(folder: Path) -> tuple[str, str]:
    """A fresh copy of the seeded demo in ``folder``: (DATABASE_URL, REPORTS_DIR)."""
    source = _seed_once()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "demo.sqlite", folder / "demo.sqlite")
    shutil.copytree(source / "reports", folder / "reports", dirs_exist_ok=True)
    shutil.copytree(source / "materials", folder / "materials", dirs_exist_ok=True)
    return f"sqlite:///{folder / 'demo.sqlite'}", str(folder / "reports")
