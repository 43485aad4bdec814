"""The demo world: a year of requests across the five networks, loaded through the services, invariants intact."""

import time
from datetime import UTC

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.db import utcnow
from health_responder.extensions import db
from tests.clients import page_login

LOGINS = [
    "admin@responder.example.org",
    "coordinator@responder.example.org",
    "city@sejong.example.org",
    "city@ulyanovsk.example.org",
    "provider@medasia.example.org",
    "provider@afya.example.org",
]


@pytest.mark.both_databases
def test_the_demo_world_keeps_every_invariant_and_fills_dashboards_portal_and_radar(app):
    from health_responder import seed
    from health_responder.dispatch.models import Dispatch
    from health_responder.health_requests.models import AssistanceRequest
    from health_responder.portal import queries as portal
    from health_responder.reference.models import City, Item, Network
    from health_responder.stock import services as stock
    from health_responder.stock.models import StockLot

    started = time.perf_counter()
    with app.app_context(), db.write_session():
        logins = seed.load_demo()
    loaded_in = time.perf_counter() - started
    assert [email for _role, email, _pw in logins] == LOGINS

    with app.app_context():
        assert stock.ledger_mismatches() == []
        assert db.session.scalar(select(sa.func.count()).where(StockLot.reserved > StockLot.on_hand)) == 0
        cities = db.session.scalars(select(City)).all()
        assert 20 <= len(cities) <= 30
        networks = {n.id: n.code for n in db.session.scalars(select(Network))}
        requests = db.session.scalars(select(AssistanceRequest)).all()
        assert {networks[c.network_id] for c in cities} == {"CJK", "NEASCN", "ASCN", "AfSCN", "LASCN"}
        by_city = {c.id: networks[c.network_id] for c in cities}
        assert {by_city[r.city_id] for r in requests} == set(networks.values())
        assert {r.priority for r in requests} == {"critical", "high", "normal", "low"}
        assert {"draft", "submitted", "approved", "rejected", "cancelled", "closed"} <= {
            r.status for r in requests
        }
        assert "partially_dispatched" in {r.status for r in requests}  # a back-order still owed
        ages = [(utcnow() - _aware(r.created_at)).days for r in requests]
        assert max(ages) >= 330 and min(ages) == 0
        for r in requests:  # the timeline runs forward
            steps = [
                _aware(t)
                for t in (r.created_at, r.submitted_at, r.approved_at, r.delivered_at, r.closed_at)
                if t
            ]
            assert steps == sorted(steps), r.reference
        received = db.session.scalars(select(Dispatch).where(Dispatch.received_at.is_not(None))).all()
        assert received and all(d.shipped_at < d.received_at for d in received)
        items = db.session.scalars(select(Item)).all()
        assert 40 <= len(items) <= 60 and sum(1 for i in items if i.gtin) >= 10
        assert db.session.scalar(select(sa.func.count()).where(StockLot.status == "recalled")) >= 1

        stats = portal.all_stats()
        lead = stats["lead_times"]
        assert lead and any(v for v in (lead.values() if isinstance(lead, dict) else lead))
        assert stats["requests_by_network_and_status"] and stats["fill_rate_by_network"]
        assert any(row["short"] > 0 for row in stats["shortage_radar"])

    client = app.test_client()
    for email in LOGINS:
        page_login(client, email, seed.DEMO_PASSWORD)
        response = client.get("/dashboard")
        assert response.status_code == 200, email
        client.post("/logout", data={"csrf_token": _csrf(client)})
    portal_page = client.get("/portal/")
    assert portal_page.status_code == 200 and "CJK" in portal_page.get_data(as_text=True)

    from flask_login import login_user

    from health_responder.auth.models import User
    from health_responder.web.context import PANELS

    for email in LOGINS:  # each login lands on a dashboard with something in it
        with app.test_request_context("/dashboard"):
            user = db.session.scalar(select(User).where(User.email == email))
            login_user(user)
            loads = [panel.load(user) for panel in PANELS[user.role]]
            assert any(_filled(load) for load in loads), email
    print(f"demo loaded in {loaded_in:.1f} s")


def _csrf(client):
    import re

    html = client.get("/dashboard").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else ""


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filled(load) -> bool:
    if isinstance(load, dict):
        return any(_filled(v) for v in load.values())
    if isinstance(load, list | tuple):
        return len(load) > 0
    return bool(load)
