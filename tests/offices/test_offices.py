"""Regional offices: anyone reads them with the cities they serve; admins open, change and close them."""

from __future__ import annotations

import pytest


@pytest.fixture
def region(make):
    network = make.network(code="CJK", name="China-Japan-Korea")
    return network, make.city(name="Busan", network=network), make.city(name="세종", network=network)


def _office(cities, **kw):
    return {
        "network": "CJK",
        "name": "CJK Regional Office Seoul",
        "country": "kr",
        "address": "110 Sejong-daero, Seoul",
        "contact_email": "cjk@example.org",
        "languages": ["ko", "en"],
        "timezone": "Asia/Seoul",
        "city_ids": [c.id for c in cities],
    } | kw


@pytest.mark.both_databases
def test_an_admin_opens_an_office_and_a_visitor_reads_it(region, login_as, anonymous):
    _network, busan, sejong = region
    created = login_as("admin").post("/api/v1/offices", json=_office([busan, sejong]))
    assert created.status_code == 201, created.get_json()
    listed = anonymous.get("/api/v1/offices")
    assert listed.status_code == 200
    (office,) = listed.get_json()["items"]
    assert office["country"] == "KR" and office["languages"] == ["ko", "en"] and office["network"] == "CJK"
    assert [c["name"] for c in office["cities"]] == sorted(["Busan", "세종"])
    assert anonymous.get("/api/v1/offices?language=ko").get_json()["total"] == 1
    assert anonymous.get("/api/v1/offices?language=ja").get_json()["total"] == 0
    assert anonymous.get("/api/v1/offices?network=ASCN").get_json()["total"] == 0


def test_only_admins_edit_offices(region, login_as, anonymous):
    _network, busan, _sejong = region
    for role in ("city", "provider", "coordinator"):
        assert login_as(role).post("/api/v1/offices", json=_office([busan])).status_code == 403
    assert anonymous.post("/api/v1/offices", json=_office([busan])).status_code == 401
    admin = login_as("admin")
    office = admin.post("/api/v1/offices", json=_office([busan])).get_json()
    changed = admin.patch(f"/api/v1/offices/{office['id']}", json={"city_ids": [], "languages": ["en"]})
    assert changed.status_code == 200 and changed.get_json()["cities"] == []
    assert (
        login_as("coordinator").patch(f"/api/v1/offices/{office['id']}", json={"name": "x"}).status_code
        == 403
    )
    assert admin.delete(f"/api/v1/offices/{office['id']}").status_code == 204
    assert anonymous.get(f"/api/v1/offices/{office['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"network": "MOON"}, "network"),
        ({"city_ids": [999999]}, "city_ids"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"languages": ["Korean!"]}, "languages"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"country": "KOR"}, "country"),
    ],
)
def test_bad_office_input_names_the_field(region, login_as, anonymous, change, field):
    _network, busan, _sejong = region
    response = login_as("admin").post("/api/v1/offices", json=_office([busan], **change))
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert anonymous.get("/api/v1/offices").get_json()["total"] == 0


def test_a_second_office_with_the_same_name_is_a_conflict(region, login_as):
    _network, busan, _sejong = region
    admin = login_as("admin")
    assert admin.post("/api/v1/offices", json=_office([busan])).status_code == 201
    again = admin.post("/api/v1/offices", json=_office([]))
    assert again.status_code == 409 and "name" in again.get_json()["errors"]


def test_the_offices_page_is_public_and_admins_get_the_edit_links(app, region, login_as, client):
    from tests.factories import PageClient

    _network, busan, _sejong = region
    login_as("admin").post("/api/v1/offices", json=_office([busan]))
    html = client.get("/portal/offices/").get_data(as_text=True)
    assert "CJK Regional Office Seoul" in html and "Busan" in html and "Asia/Seoul" in html
    assert "/portal/offices/new" not in html
    assert client.get("/portal/offices/new").status_code == 302
    admin = PageClient(app, login_as("admin").user)
    assert "/portal/offices/new" in admin.html("/portal/offices/")
    token = admin.token("/portal/offices/new")
    saved = admin.post(
        "/portal/offices/new",
        {
            "csrf_token": token,
            "network": "CJK",
            "name": "CJK Desk Busan",
            "country": "KR",
            "languages": "ko",
            "timezone": "Asia/Seoul",
            "city_ids": [str(busan.id)],
        },
        token=False,
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    refused = admin.post(
        "/portal/offices/new",
        {
            "csrf_token": token,
            "network": "CJK",
            "name": "",
            "country": "KR",
            "languages": "ko",
            "timezone": "Nowhere",
        },
        token=False,
    )
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)


def test_the_demo_seed_has_offices_for_the_five_networks(demo_app):
    with demo_app.app_context():
        from health_responder.extensions import db
        from health_responder.offices import queries

        networks = {o["network"] for o in queries.all_offices()}
        db.session.remove()
    assert networks == {"CJK", "NEASCN", "ASCN", "AfSCN", "LASCN"}
