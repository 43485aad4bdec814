"""Check pages: run a check now and see its run; alerts scoped to their provider and resolved with a note."""

from __future__ import annotations

import pytest

from tests.factories import flashes

pytestmark = pytest.mark.usefixtures("shelves")


def test_a_coordinator_runs_a_check_now_and_sees_its_run(world):
    w = world
    coordinator = w.page("coordinator")
    html = coordinator.html("/checks")
    assert "overdue_requests" in html and "Run now" in html
    response = coordinator.post("/checks/low_stock/run", {"low_stock-dry_run": ""}, page="/checks")
    assert response.status_code == 302
    after = coordinator.html(response.headers["Location"])
    assert "Find low stock ran: Succeeded." in " ".join(flashes(after))
    assert "manual" not in after or "Manual" in after
    runs = w.api["coordinator"].get("/api/v1/jobs/runs").json["items"]
    assert runs[0]["name"] == "low_stock" and runs[0]["trigger"] == "manual"
    assert w.page("city").get("/checks").status_code == 403


def test_alerts_are_scoped_and_resolved_with_a_note(world, make, make_lot):
    w = world
    make_lot(w.provider, w.location, w.mask, 3)  # low stock: an alert that names the provider
    w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={})
    alerts = w.api["coordinator"].get("/api/v1/alerts?status=open").json["items"]
    mine = [a for a in alerts if a["provider_id"] == w.provider.id]
    assert mine, alerts
    alert = mine[0]
    assert alert["message"] in w.page("provider").html("/alerts")
    assert alert["message"] not in w.page("other_provider").html("/alerts")
    assert w.page("other_provider").post(f"/alerts/{alert['id']}/resolve").status_code == 404
    response = w.page("provider").post(
        f"/alerts/{alert['id']}/resolve", {f"a{alert['id']}-note": "Restocked."}, page="/alerts"
    )
    assert response.status_code == 302
    assert "The alert is resolved." in " ".join(flashes(w.page("provider").html("/alerts")))
    assert w.api["coordinator"].get("/api/v1/alerts?status=resolved").json["total"] >= 1
