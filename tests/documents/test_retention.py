"""Issue 13 item 11: ad-hoc documents are kept DOCUMENT_RETENTION_DAYS, then pruned by a scheduled check.

A dispatch summary of any period, a pick list or a label sheet past the retention loses its file and is
marked expired; its code still verifies (genuine, expired), never a 500, and asking again prints a new
one. Dispatch reports and certificates are records: never pruned.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.db import utcnow
from health_responder.documents.models import Document
from health_responder.extensions import db
from tests.factories import days, text
from tests.training.test_certificate_pages import completed_and_enrolled

pytestmark = pytest.mark.usefixtures("shelves")

SUMMARY = {"from": days(-20).isoformat(), "to": days(-10).isoformat()}


def _issue_every_kind(make, world) -> dict[str, str]:
    """kind → verification code of a dispatch report, pick list, summary and certificate."""
    _request, dispatch = make.shipped_dispatch(quantity=3)
    codes = {}
    for path in ("report.pdf", "pick-list.pdf"):
        answer = world.provider_api.get(f"/api/v1/dispatches/{dispatch['id']}/{path}")
        assert answer.status_code == 200, answer.data[:200]
        codes[path] = answer.headers["X-Verification-Code"]
    summary = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)
    assert summary.status_code == 200
    codes["summary"] = summary.headers["X-Verification-Code"]
    _program, done, _waiting = completed_and_enrolled(world, make)
    certificate = world.city_api.get(f"/api/v1/training/enrolments/{done['id']}/certificate.pdf")
    assert certificate.status_code == 200, certificate.data[:200]
    codes["certificate"] = certificate.headers["X-Verification-Code"]
    return codes


def _age(app, days_old: int) -> None:
    """Every registered document was issued ``days_old`` days ago."""
    with app.app_context(), db.write_session() as session:
        session.execute(sa.update(Document).values(created_at=utcnow() - timedelta(days=days_old)))


def _file(app, code: str) -> Path:
    with app.app_context():
        path = db.session.scalar(select(Document.path).where(Document.verification_code == code))
    return Path(app.config["REPORTS_DIR"]) / path


def test_the_check_prunes_ad_hoc_documents_past_the_retention_and_keeps_the_records(
    app, make, world, run_check
):
    codes = _issue_every_kind(make, world)
    _age(app, 31)

    dry = run_check("prune_documents", dry_run=True)
    listed = dry["counts"].pop("documents")
    assert dry["counts"] == {"retention_days": 30, "would_prune": 2}
    assert sorted((d["kind"], d["code"]) for d in listed) == sorted(
        [("pick_list", codes["pick-list.pdf"]), ("dispatch_summary", codes["summary"])]
    )
    assert all(_file(app, code).is_file() for code in codes.values())

    run = run_check("prune_documents")

    assert run["counts"].pop("documents") == listed  # the real run expired exactly what the dry run listed
    assert run["counts"] == {"retention_days": 30, "pruned": 2, "files_deleted": 2}
    for key in ("pick-list.pdf", "summary"):
        assert not _file(app, codes[key]).exists(), key
        verified = world.city_api.get(f"/api/v1/documents/verify/{codes[key]}")
        assert verified.status_code == 200, verified.json
        assert (verified.json["genuine"], verified.json["current"], verified.json["expired"]) == (
            True,
            False,
            True,
        )
        assert verified.json["expired_at"] is not None
    for key in ("report.pdf", "certificate"):
        assert _file(app, codes[key]).is_file(), key
        verified = world.city_api.get(f"/api/v1/documents/verify/{codes[key]}").json
        assert (verified["current"], verified["expired"]) == (True, False)
    assert run_check("prune_documents")["counts"]["pruned"] == 0  # safe to repeat


def test_a_pruned_documents_code_verifies_as_expired_on_the_page_and_a_new_copy_can_be_printed(
    app, make, world, run_check, anonymous
):
    first = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)
    code = first.headers["X-Verification-Code"]
    _age(app, 40)
    run_check("prune_documents")

    page = anonymous.get(f"/verify/{code}")

    assert page.status_code == 200
    assert "Genuine, but expired." in text(page) and "kept 30 days" in text(page)
    again = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)
    assert again.status_code == 200 and again.data.startswith(b"%PDF")
    assert again.headers["X-Verification-Code"] != code
    assert world.city_api.get(f"/api/v1/documents/verify/{again.headers['X-Verification-Code']}").json[
        "current"
    ]


def test_the_retention_is_a_setting(app, make, world, run_check):
    world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)
    _age(app, 31)
    app.config["DOCUMENT_RETENTION_DAYS"] = 60

    assert run_check("prune_documents")["counts"] == {
        "retention_days": 60,
        "pruned": 0,
        "files_deleted": 0,
        "documents": [],
    }
    _age(app, 61)
    assert run_check("prune_documents")["counts"]["pruned"] == 1
