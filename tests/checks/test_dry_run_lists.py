"""The dry runs of send_notifications and monthly_statistics list, in words, each action they would take
(each message and how it would go, the month's report and what would become of it); the page of the real
run lists what it did, the same way. English and Korean."""

from __future__ import annotations

from health_responder.extensions import db
from health_responder.notifications import services as notifications
from tests.checks.test_dry_run_pages import dry_run, table_rows


def _queue(app, users) -> None:
    with app.app_context(), db.write_session():
        notifications.notify(users=users, key="dry-run-list:1", subject="Request REQ-2026-000077 approved")


def test_the_notifications_dry_run_names_each_message_its_recipient_and_how(world, make):
    clerk = make.user("city", email="clerk@example.org")
    _queue(world.app, [clerk])
    page = world.page("coordinator")

    run_id, html = dry_run(page, "send_notifications")

    assert "Dry run: Send notifications" in html and "Messages it would deliver" in html
    assert table_rows(html, "Messages it would deliver") == [
        [
            "Test city &lt;clerk@example.org&gt;",
            "Request REQ-2026-000077 approved",
            "In the app only (no email server)",
        ]
    ]
    assert "app_only_no_server" not in html
    real = page.post("/checks/send_notifications/run", {}, page=f"/checks/runs/{run_id}")
    assert real.status_code == 302
    runs = (
        world.api["coordinator"]
        .get("/api/v1/jobs/runs", query_string={"name": "send_notifications"})
        .json["items"]
    )
    html = page.html(f"/checks/runs/{runs[0]['id']}")
    assert table_rows(html, "Messages it delivered") == table_rows(
        page.html(f"/checks/runs/{run_id}"), "Messages it would deliver"
    )


def test_the_statistics_dry_run_names_the_months_report_and_what_would_become_of_it(world):
    page = world.page("coordinator")

    _run_id, html = dry_run(page, "monthly_statistics")

    [row] = table_rows(html, "Reports it would publish")
    assert row[0] == "Statistics report" and row[3] == "Publish in the Data Portal"
    assert "report_publish" not in html and "statistics_report" not in html


def test_the_new_dry_run_lists_in_korean(world, make):
    _queue(world.app, [make.user("city", email="clerk-ko@example.org")])
    page = world.page("coordinator")
    page.post("/language", {"locale": "ko", "next": "/checks"})

    _run_id, html = dry_run(page, "send_notifications")
    assert "전달할 메시지" in html and "앱에서만 (이메일 서버 없음)" in html and "받는 사람" in html

    _run_id, html = dry_run(page, "monthly_statistics")
    assert "게시할 보고서" in html and "데이터 포털에 게시" in html and "통계 보고서" in html


def test_the_pruning_dry_run_names_each_document_it_would_expire(world):
    from datetime import timedelta

    import sqlalchemy as sa

    from health_responder.db import utcnow
    from health_responder.documents.models import Document

    world.coordinator.get(
        "/api/v1/reports/dispatch-summary.pdf", query_string={"from": "2026-01-01", "to": "2026-01-31"}
    )
    with world.app.app_context(), db.write_session() as session:
        session.execute(sa.update(Document).values(created_at=utcnow() - timedelta(days=400)))
        code = session.scalar(sa.select(Document.verification_code))
    page = world.page("coordinator")

    _run_id, html = dry_run(page, "prune_documents")

    [row] = table_rows(html, "Documents it would expire (their files deleted)")
    assert row[:2] == ["Dispatch summary", code] and "dispatch_summary" not in html


def test_the_flash_of_a_run_says_yes_or_no_in_the_pages_language(world):
    from tests.factories import flashes

    page = world.page("coordinator")
    _run_id, html = dry_run(page, "send_notifications")
    said = " ".join(flashes(html))
    assert "Email server configured: No" in said and "False" not in said
    page.post("/language", {"locale": "ko", "next": "/checks"})
    _run_id, html = dry_run(page, "send_notifications")
    said = " ".join(flashes(html))
    assert "이메일 서버 설정됨: 아니요" in said and "False" not in said, said


def test_a_check_whose_last_run_was_dry_says_so_where_its_last_run_is_shown(world):
    """A dry run changes nothing: the dashboard's checks panel and the checks table must not read as if it ran."""
    page = world.page("coordinator")
    dry_run(page, "auto_allocate")
    for path in ("/dashboard", "/checks"):
        html = page.html(path)
        assert "dry run: nothing changed" in html, path
    assert page.post("/checks/auto_allocate/run", {}, page="/checks").status_code == 302
    assert "dry run: nothing changed" not in page.html("/checks")
