"""Where a benchmark's data lives: a temporary SQLite file or a throwaway PostgreSQL database.

    --database sqlite                         (default) a file in a temporary folder
    --database postgresql://postgres@127.0.0.1:5432/postgres
                                              a database created for the run on that server, dropped after

Both get the schema from the models (``SQLModel.metadata.create_all``), as the tests do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _psycopg(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


class Target:
    """One benchmark database (and copies of it), created on ``create`` and removed on ``drop``."""

    def __init__(self, spec: str, label: str = "bench"):
        self.spec = spec or "sqlite"
        if self.spec.startswith("postgres") and self.spec.count("/") < 3:  # "postgresql": the local server
            self.spec = DEFAULT_POSTGRES
        self.dialect = "sqlite" if self.spec.startswith("sqlite") else "postgresql"
        self.label = f"{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{label}-"))
        self.urls: list[str] = []

    def create(self, name: str = "main") -> str:
        """A new, empty database; its SQLAlchemy URL."""
        if self.dialect == "sqlite":
            url = f"sqlite:///{self.workdir / name}.sqlite"
            self.remove(url)
        else:
            server = sa.make_url(_psycopg(self.spec))
            database = f"{self.label}_{name}"
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
            admin.dispose()
            url = server.set(database=database).render_as_string(hide_password=False)
        self.urls.append(url)
        return url

    def copy(self, url: str, name: str) -> str:
        """A copy of the database at ``url`` (nobody may be connected to it meanwhile)."""
        if self.dialect == "sqlite":
            import sqlite3

            target = self.workdir / f"{name}.sqlite"
            self.remove(f"sqlite:///{target}")
            with sqlite3.connect(sa.make_url(url).database) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            copied = f"sqlite:///{target}"
        else:
            server = sa.make_url(_psycopg(self.spec))
            database = f"{self.label}_{name}"
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{database}" TEMPLATE "{sa.make_url(url).database}"')
            admin.dispose()
            copied = server.set(database=database).render_as_string(hide_password=False)
        self.urls.append(copied)
        return copied

    def remove(self, url: str) -> None:
        """Remove one database made here (a round's copy)."""
        if self.dialect == "sqlite":
            for suffix in ("", "-wal", "-shm", ".writelock"):
                Path(f"{sa.make_url(url).database}{suffix}").unlink(missing_ok=True)
        else:
            admin = sa.create_engine(sa.make_url(_psycopg(self.spec)), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
            admin.dispose()
        if url in self.urls:
            self.urls.remove(url)

    def dbapi(self, url: str):
        """A plain DB-API connection to ``url`` (sqlite3 or psycopg), in autocommit: BEGIN is explicit."""
        if self.dialect == "sqlite":
            import sqlite3

            return sqlite3.connect(sa.make_url(url).database, isolation_level=None)
        import psycopg

        u = sa.make_url(url)
        return psycopg.connect(
            host=u.host, port=u.port or 5432, user=u.username, password=u.password or None, dbname=u.database,
            autocommit=True,
        )  # fmt: skip

    def sql(self, text: str) -> str:
        """``text`` with its ``?`` placeholders in the driver's style."""
        return text if self.dialect == "sqlite" else text.replace("?", "%s")

    def drop(self) -> None:
        """Remove every database made here."""
        if self.dialect == "postgresql":
            admin = sa.create_engine(sa.make_url(_psycopg(self.spec)), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for url in self.urls:
                    conn.exec_driver_sql(
                        f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'
                    )
            admin.dispose()
        shutil.rmtree(self.workdir, ignore_errors=True)
