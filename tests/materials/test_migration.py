"""Migration 0017 on a database that already holds PDF materials: each one's file becomes its version 1."""

from __future__ import annotations

import sqlalchemy as sa

from health_responder import create_app


def test_existing_pdf_materials_get_their_first_version_and_links_none(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "REPORTS_DIR": str(tmp_path / "reports")})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0016_idempotency_committed"]).exit_code == 0
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO training_topic (code, name) VALUES ('oxygen_therapy', 'Oxygen therapy')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO material (id, title, topic, language, kind, url, file_path, file_name, size,"
                " content_type, sha256, created_at) VALUES"
                " (1, 'Guide', 'oxygen_therapy', 'en', 'pdf', NULL, 'abc.pdf', 'guide.pdf', 1234,"
                "  'application/pdf', 'abc', '2026-01-05 10:00:00.000000'),"
                " (2, 'Link', 'oxygen_therapy', 'en', 'link', 'https://x.example.org', NULL, NULL, NULL,"
                "  NULL, NULL, '2026-01-06 10:00:00.000000')"
            )
        )
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        versions = conn.execute(
            sa.text("SELECT material_id, number, file_path, file_name, size, sha256 FROM material_version")
        ).all()
        assert [tuple(v) for v in versions] == [(1, 1, "abc.pdf", "guide.pdf", 1234, "abc")]
        assert conn.execute(sa.text("SELECT id, version FROM material ORDER BY id")).all() == [
            (1, 1),
            (2, None),
        ]
    result = runner.invoke(args=["db", "downgrade", "0016_idempotency_committed"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        assert "material_version" not in sa.inspect(conn).get_table_names()
        assert conn.execute(sa.text("SELECT file_path FROM material WHERE id = 1")).scalar() == "abc.pdf"
    engine.dispose()
    with app.app_context():
        from health_responder.extensions import db

        db.engine.dispose()
