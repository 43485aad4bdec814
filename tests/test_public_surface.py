"""What an anonymous visitor reads: every public page and API answers, and none of them shows a
request's details, a city's or provider's contact, a webinar's join link or a stock quantity.
Everything else sends the visitor to log in (pages) or answers 401 (API): see test_access_matrix and
pages/test_access_and_csrf, which take the public routes from the same ``public`` marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot

SECRETS = {
    "justification": "Secret justification: the north wing flooded",
    "reference": "REQ-2026-004242",
    "city contact": "mayor-office@sejong.example.org",
    "city phone": "+82 44 000 1234",
    "provider contact": "warehouse-desk@medasia.example.org",
    "stock quantity": "4817",
    "join link": "https://meet.example.org/j/private-4711",
}


@pytest.fixture
def world(app, make):
    network = make.network(code="CJK", name="China-Japan-Korea")
    make.topics()
    city = make.city(
        name="세종",
        network=network,
        contact_email=SECRETS["city contact"],
        contact_phone=SECRETS["city phone"],
    )
    provider = make.provider(
        name="MedAsia Supply",
        networks=[network],
        contact_email=SECRETS["provider contact"],
        description="Oxygen kit",
    )
    location = make.location(provider)
    item = make.item(category="respiratory")
    now = datetime.now(UTC)
    with app.app_context(), db.write_session() as s:
        request = AssistanceRequest(
            city_id=city.id,
            reference=SECRETS["reference"],
            status="approved",
            needed_by=utc_today() + timedelta(days=20),
            justification=SECRETS["justification"],
            submitted_at=now - timedelta(days=2),
            approved_at=now - timedelta(days=1),
        )
        s.add(request)
        s.flush()
        s.add(RequestLine(request_id=request.id, item_id=item.id, quantity=40))
        s.add(
            StockLot(
                provider_id=provider.id,
                location_id=location.id,
                item_id=item.id,
                lot_code="L-1",
                on_hand=int(SECRETS["stock quantity"]),
            )
        )
    from tests.factories import program_body

    owner = make.api("provider", provider=provider)
    webinar = owner.post(
        "/api/v1/training/programs",
        json=program_body(mode="webinar", join_url=SECRETS["join link"], link=None),
    )
    assert webinar.status_code == 201, webinar.get_json()
    material = owner.post(
        "/api/v1/materials",
        json={"title": "Oxygen guide", "topic": "oxygen_therapy", "url": "https://who.example.org/oxygen"},
    )
    assert material.status_code == 201, material.get_json()
    return {
        "city": city,
        "provider": provider,
        "request_id": request.id,
        "program_id": webinar.get_json()["id"],
        "material_id": material.get_json()["id"],
    }


def _public_pages(world) -> list[str]:
    return [
        "/",
        "/portal/",
        "/portal/publications/",
        "/portal/offices/",
        "/providers/",
        f"/providers/{world['provider'].id}",
        "/hub/",
        f"/hub/cities/{world['city'].id}",
        "/hub/materials",
        f"/hub/materials/{world['material_id']}",
        "/portal/requests-by-network.csv",
        "/portal/fill-rate.csv",
        "/portal/shortage-radar.csv",
        "/portal/shortage-radar-items.csv",
        "/portal/unmet-demand.csv",
        "/portal/lead-times.csv",
        "/portal/trained-staff.csv",
    ]


def _public_api(world) -> list[str]:
    return [
        f"/api/v1/training/programs/{world['program_id']}/calendar.ics",
        "/api/v1/publications",
        "/api/v1/offices",
        "/api/v1/stats",
        f"/api/v1/cities/{world['city'].id}/profile",
        "/api/v1/materials?q=oxygen",
        f"/api/v1/materials/{world['material_id']}",
        f"/api/v1/materials/{world['material_id']}/versions",
    ]


@pytest.mark.both_databases
def test_a_visitor_reads_every_public_page_and_api_and_no_secret(world, client):
    for path in _public_pages(world) + _public_api(world):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
        leaked = [name for name, secret in SECRETS.items() if secret in body]
        assert leaked == [], (path, leaked)


def test_a_visitor_gets_levels_not_quantities_and_no_contact(world, client):
    provider = client.get(f"/providers/{world['provider'].id}").get_data(as_text=True)
    assert "In stock" in provider and "MedAsia Supply" in provider and "Oxygen kit" in provider
    profile = client.get(f"/api/v1/cities/{world['city'].id}/profile").get_json()
    assert profile["contact"] is None and profile["network"] == "CJK"


def test_a_visitor_gets_the_home_and_a_member_lands_on_the_dashboard(app, world, client, make):
    from tests.factories import PageClient

    home = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in home and 'href="/portal/"' in home and 'href="/hub/"' in home
    assert 'href="/providers/"' in home
    member = PageClient(app, make.user("coordinator"))
    assert member.get("/").status_code == 302 and member.get("/").headers["Location"].endswith("/dashboard")


def test_the_request_details_stay_behind_the_login(world, client, anonymous):
    assert client.get(f"/requests/{world['request_id']}").status_code == 302
    assert anonymous.get(f"/api/v1/requests/{world['request_id']}").status_code == 401
    assert client.get("/portal/mine.csv").status_code == 404


def test_members_see_contacts_and_their_own_drill_down(app, world, make, login_as):
    from tests.factories import PageClient

    city_user = make.user("city", city=world["city"])
    profile = make.api(user=city_user).get(f"/api/v1/cities/{world['city'].id}/profile")
    assert profile.get_json()["contact"]["email"] == SECRETS["city contact"]
    page = PageClient(app, city_user)
    portal = page.html("/portal/")
    assert "Your figures" in portal
    mine = page.get("/portal/mine.csv")
    assert mine.status_code == 200 and "세종" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-store"


def test_the_pages_speak_korean(world, client):
    client.post("/language", data={"locale": "ko", "csrf_token": _token(client)})
    for path, words in [
        ("/", "로그인"),
        ("/portal/publications/", "발행물"),
        ("/portal/offices/", "지역 사무소"),
        (f"/providers/{world['provider'].id}", "재고 있음"),
        (f"/hub/cities/{world['city'].id}", "인구"),
        ("/hub/materials", "역량 강화 자료"),
    ]:
        assert words in client.get(path).get_data(as_text=True), path


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client.get("/login").get_data(as_text=True))


def test_a_city_edits_its_own_profile_and_no_one_else_does(app, world, make):
    network_city = world["city"]
    own = make.api(user=make.user("city", city=network_city))
    changed = own.patch(
        f"/api/v1/cities/{network_city.id}/profile",
        json={"population": 390000, "health_system_summary": "Two hospitals, nine clinics."},
    )
    assert changed.status_code == 200 and changed.get_json()["population"] == 390000
    other = make.api("city")
    assert other.patch(f"/api/v1/cities/{network_city.id}/profile", json={"population": 1}).status_code == 403
    assert make.api("provider").patch(f"/api/v1/cities/{network_city.id}/profile", json={}).status_code == 403
    assert (
        make.api("coordinator").patch(f"/api/v1/cities/{network_city.id}/profile", json={}).status_code == 403
    )
    bad = own.patch(f"/api/v1/cities/{network_city.id}/profile", json={"population": -5})
    assert bad.status_code == 422 and "population" in bad.get_json()["errors"]
    assert make.api("admin").get("/api/v1/cities/999999/profile").status_code == 404
