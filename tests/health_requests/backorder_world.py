"""The world of the back-order tests (issue 19): a city, a provider serving its network, one item, and
helpers that walk a request through the public API (stock, request, auto_allocate, ship, receipt)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from health_responder.db import utc_today

JUSTIFICATION = "The district hospital needs oxygen for the winter; half of what we asked came. " * 2


class Backorders(SimpleNamespace):
    """A city, a provider serving its network, one oxygen concentrator, and a client per role."""

    def lot(
        self, quantity: int, *, item=None, expires_in: int | None = None, status: str = "available"
    ) -> int:
        self.lots += 1
        body = {
            "item_id": (item or self.item).id,
            "location_id": self.location.id,
            "lot_code": f"BO-{self.lots:03d}",
            "expires_on": (utc_today() + timedelta(days=expires_in)).isoformat() if expires_in else None,
            "quantity": quantity,
            "status": status,
        }
        answer = self.provider_api.post("/api/v1/stock/lots", json=body)
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    def request(self, *lines, priority: str = "critical", needed_in: int = 30, city_api=None) -> dict:
        """A request (``lines``: (item, quantity)) created, submitted and approved."""
        city_api = city_api or self.city_api
        body = {
            "priority": priority,
            "needed_by": (utc_today() + timedelta(days=needed_in)).isoformat(),
            "justification": JUSTIFICATION,
            "lines": [{"item_id": item.id, "quantity": quantity} for item, quantity in lines],
        }
        created = city_api.post("/api/v1/requests", json=body)
        assert created.status_code == 201, created.json
        assert city_api.post(f"/api/v1/requests/{created.json['id']}/submit").status_code == 200
        approved = self.coordinator.post(f"/api/v1/requests/{created.json['id']}/approve")
        assert approved.status_code == 200, approved.json
        return approved.json

    def get(self, request: dict) -> dict:
        return self.coordinator.get(f"/api/v1/requests/{request['id']}").json

    def auto_allocate(self) -> dict:
        answer = self.coordinator.post("/api/v1/jobs/auto_allocate/run", json={})
        assert answer.status_code == 200, answer.json
        assert answer.json["outcome"] == "succeeded", answer.json
        return answer.json["counts"]

    def ship(self, request: dict, provider_api=None) -> dict:
        """Prepare and ship the provider's reserved allocations for the request."""
        provider_api = provider_api or self.provider_api
        prepared = provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
        assert prepared.status_code == 201, prepared.json
        shipped = provider_api.post(
            f"/api/v1/dispatches/{prepared.json['id']}/ship",
            json={"carrier": "DHL", "tracking_number": "TR-1", "packages": 1},
        )
        assert shipped.status_code == 200, shipped.json
        return shipped.json

    def receive(self, dispatch: dict, rejected: int = 0, reason: str = "damaged") -> dict:
        """The city's receipt: ``rejected`` units of the first line rejected, the rest accepted."""
        lines = []
        for index, line in enumerate(dispatch["lines"]):
            out = rejected if index == 0 else 0
            entry = {"line_id": line["id"], "accepted": line["quantity"] - out, "rejected": out}
            if out:
                entry["reason"] = reason
            lines.append(entry)
        answer = self.city_api.post(
            f"/api/v1/dispatches/{dispatch['id']}/receipt", json={"lines": lines, "received_by": "Ward 3"}
        )
        assert answer.status_code == 200, answer.json
        return answer.json


def make_backorders(make) -> Backorders:
    """The world, every row written through the factories and the API."""
    network = make.network()
    city = make.city(name="Busan", network=network)
    provider = make.provider(name="Near Supply", networks=[network])
    return Backorders(
        make=make,
        network=network,
        city=city,
        provider=provider,
        location=make.location(provider),
        item=make.item(code="OXY-CONC-10L", name="Oxygen concentrator 10 L", category="respiratory"),
        coordinator=make.api("coordinator"),
        city_api=make.api("city", city=city),
        provider_api=make.api("provider", provider=provider),
        lots=0,
    )
