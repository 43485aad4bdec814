"""Item 14 of the attack review: reference data (networks, cities, items, topics, providers) is the admin's."""

import pytest


@pytest.mark.both_databases
def test_a_coordinator_reads_reference_data_but_only_an_admin_writes_it(make, world):
    coordinator, admin = make.api("coordinator"), make.api("admin")
    writes = [
        ("post", "/api/v1/cities", {"name": "Kigali", "country": "RW", "network_id": world.network.id}),
        ("patch", f"/api/v1/cities/{world.city.id}", {"contact_name": "Someone"}),
        ("post", "/api/v1/topics", {"code": "triage", "name": "Triage"}),
        ("post", "/api/v1/items", {"code": "NEW-1", "name": "New", "category": "ppe"}),
        ("patch", f"/api/v1/items/{world.item.id}", {"unit": "box"}),
        ("post", "/api/v1/providers", {"name": "New Provider", "country": "KE"}),
        ("patch", f"/api/v1/providers/{world.provider.id}", {"contact_name": "Someone"}),
        ("post", f"/api/v1/providers/{world.provider.id}/locations", {"name": "Depot", "country": "KR"}),
    ]
    for method, path, body in writes:
        refused = getattr(coordinator, method)(path, json=body)
        assert refused.status_code == 403, (path, refused.json)
    for method, path, body in writes:
        done = getattr(admin, method)(path, json=body)
        assert done.status_code in (200, 201), (path, done.json)
    for path in ("/api/v1/cities", "/api/v1/items", "/api/v1/topics", "/api/v1/providers"):
        assert coordinator.get(path).status_code == 200
