"""The jobs API: each check with its schedule and last run, the run history, running a check now."""

from __future__ import annotations

import pytest

from health_responder import scheduler
from health_responder.scheduler import registry

CHECKS = [
    "auto_allocate",
    "low_stock",
    "monthly_statistics",
    "near_expiry",
    "overdue_requests",
    "prune_documents",
    "readiness_gaps",
    "send_notifications",
    "training_reminders",
]


@pytest.fixture
def failing_check():
    """A check that always fails, registered for one test only."""

    @scheduler.job("always_fails")
    def always_fails(*, run, now, dry_run):
        """Fails on purpose."""
        raise RuntimeError("the warehouse feed is down\nTraceback (most recent call last): secret")

    yield "always_fails"
    registry._REGISTRY.pop("always_fails", None)


def test_jobs_lists_every_check_with_interval_next_tick_and_last_run(coordinator, run_check):
    run_check("low_stock")

    response = coordinator.get("/api/v1/jobs")

    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json}
    assert sorted(checks) == CHECKS
    assert checks["auto_allocate"]["interval_seconds"] == 300 and checks["auto_allocate"]["next_tick"]
    assert checks["low_stock"]["last_run"]["outcome"] == "succeeded"
    assert checks["near_expiry"]["last_run"] is None


@pytest.mark.parametrize("role", ["city", "provider"])
def test_only_staff_see_and_run_checks(login_as, role):
    client = login_as(role)
    assert client.get("/api/v1/jobs").status_code == 403
    assert client.get("/api/v1/jobs/runs").status_code == 403
    assert client.post("/api/v1/jobs/low_stock/run", json={}).status_code == 403


def test_running_an_unknown_check_is_404_and_bad_bodies_are_422(coordinator):
    assert coordinator.post("/api/v1/jobs/make_coffee/run", json={}).status_code == 404
    response = coordinator.post("/api/v1/jobs/low_stock/run", json={"dry_run": "maybe"})
    assert response.status_code == 422 and set(response.json["errors"]) == {"dry_run"}
    response = coordinator.post("/api/v1/jobs/low_stock/run", json={"extra": 1})
    assert response.status_code == 422 and set(response.json["errors"]) == {"extra"}


def test_a_manual_run_is_recorded_with_who_asked_and_listed_in_runs(coordinator, run_check):
    run = run_check("low_stock")
    run_check("near_expiry", dry_run=True)

    assert run["trigger"] == "manual" and run["requested_by_id"] == coordinator.user.id
    assert run["finished_at"] and run["counts"] == {"open": 0, "raised": 0, "resolved": 0}
    page = coordinator.get("/api/v1/jobs/runs").json
    assert page["total"] == 2 and [r["name"] for r in page["items"]] == ["near_expiry", "low_stock"]
    assert coordinator.get("/api/v1/jobs/runs?name=low_stock").json["items"][0]["id"] == run["id"]
    assert coordinator.get("/api/v1/jobs/runs?outcome=failed").json["total"] == 0
    assert coordinator.get("/api/v1/jobs/runs?outcome=sideways").status_code == 422


def test_a_failed_check_answers_200_with_its_message_and_no_traceback(coordinator, failing_check):
    response = coordinator.post(f"/api/v1/jobs/{failing_check}/run", json={})

    assert response.status_code == 200
    assert response.json["outcome"] == "failed"
    assert response.json["error"] == "RuntimeError: the warehouse feed is down"
    assert coordinator.get("/api/v1/jobs/runs?outcome=failed").json["total"] == 1
