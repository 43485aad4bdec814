"""Fixtures of the page tests: a small world of two tenants of each kind, logged-in page clients,
and helpers that fill a form the way a browser does (its CSRF token taken from the page).

State is set up through the JSON API (the same services), and the pages are what is tested.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from health_responder.extensions import db
from tests.conftest import csrf_token, page_login

JUSTIFICATION = "Our district hospital lost its oxygen supply after the flood."


def future(days: int = 60) -> date:
    return date.today() + timedelta(days=days)


class PageClient:
    """A browser-like client logged in through the login page."""

    def __init__(self, app, user):
        self.user = user
        self.client = app.test_client()
        if user is not None:
            response = page_login(self.client, user.email)
            assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def html(self, path) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def token(self, path="/dashboard") -> str:
        return csrf_token(self.html(path))

    def post(self, path, data=None, *, page="/dashboard", token=True, **kw):
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.token(page))
        return self.client.post(path, data=data, **kw)


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash [a-z]+">(.*?)</p>', html, re.S)


@pytest.fixture
def make_lot(app):
    """``make_lot(provider, location, item, quantity, expires_on=None)`` → the lot id (through the ledger)."""
    counter = iter(range(1, 10_000))

    def make(provider, location, item, quantity, expires_on=None, lot_code=None):
        from health_responder.stock import services as stock

        with app.app_context(), db.write_session():
            lot = stock.receive(
                provider_id=provider.id,
                location_id=location.id,
                item_id=item.id,
                lot_code=lot_code or f"LOT-{next(counter)}",
                expires_on=expires_on,
                quantity=quantity,
                actor=stock.Actor(user_id=None, label="test"),
            )
            db.session.flush()
            return lot.id

    return make


@pytest.fixture
def world(app, make, make_lot):
    """Two cities and two providers (the first serves the first city's network), items, lots, users."""
    network, far = make.network(), make.network()
    city, other_city = (
        make.city(name="Sejong Test", network=network),
        make.city(name="Kigali Test", network=far),
    )
    provider = make.provider(name="MedAsia Test", networks=[network])
    other_provider = make.provider(name="Afya Test", networks=[far])
    w = SimpleNamespace(
        network=network,
        city=city,
        other_city=other_city,
        provider=provider,
        other_provider=other_provider,
        location=make.location(provider, name="Incheon Hub"),
        other_location=make.location(other_provider, name="Nairobi Depot"),
        item=make.item(code="OXY-CONC-10L", name="Oxygen concentrator"),
        item2=make.item(code="PULSE-OXI", name="Pulse oximeter"),
    )
    w.lot = make_lot(provider, w.location, w.item, 50, expires_on=future(400), lot_code="L-OXY-1")
    w.lot2 = make_lot(provider, w.location, w.item2, 30, lot_code="L-PO-1")
    w.other_lot = make_lot(other_provider, w.other_location, w.item, 10, lot_code="L-AF-1")
    w.users = {
        "city": make.user("city", city=city),
        "other_city": make.user("city", city=other_city),
        "provider": make.user("provider", provider=provider),
        "other_provider": make.user("provider", provider=other_provider),
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
    }
    w.api = {key: make.api(user=user) for key, user in w.users.items()}
    w._clients = {}

    def page(key: str) -> PageClient:
        if key not in w._clients:
            w._clients[key] = PageClient(app, w.users[key])
        return w._clients[key]

    w.page = page
    return w


def api_request(w, *lines, priority="high", submit=True, approve=False) -> dict:
    """A request of ``w.city`` made through the API; ``lines`` are (item, quantity)."""
    body = {
        "priority": priority,
        "needed_by": future().isoformat(),
        "justification": JUSTIFICATION,
        "lines": [{"item_id": item.id, "quantity": quantity} for item, quantity in lines],
    }
    answer = w.api["city"].post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.json
    created = answer.json
    if submit:
        assert w.api["city"].post(f"/api/v1/requests/{created['id']}/submit").status_code == 200
    if approve:
        assert w.api["coordinator"].post(f"/api/v1/requests/{created['id']}/approve").status_code == 200
    return w.api["coordinator"].get(f"/api/v1/requests/{created['id']}").json


def shipped_dispatch(w, quantity=5) -> tuple[dict, dict]:
    """An approved request of one line allocated from ``w.lot``, prepared and shipped by the provider."""
    req = api_request(w, (w.item, quantity), approve=True)
    line_id = req["lines"][0]["id"]
    answer = w.api["coordinator"].post(
        f"/api/v1/requests/{req['id']}/allocations",
        json={"line_id": line_id, "lot_id": w.lot, "quantity": quantity},
    )
    assert answer.status_code == 201, answer.json
    dispatch = w.api["provider"].post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    shipped = w.api["provider"].post(
        f"/api/v1/dispatches/{dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "TR-1", "packages": 1},
    )
    assert shipped.status_code == 200, shipped.json
    return req, shipped.json
