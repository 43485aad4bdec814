"""Reference data through the API: create, filter, page, validate, refuse duplicates."""

import pytest
from sqlmodel import func, select

from health_responder.extensions import db
from health_responder.reference.models import Item


def test_an_item_is_created_with_the_contract_defaults(make):
    api = make.api("admin")
    response = api.post(
        "/api/v1/items",
        json={
            "code": "OXY-CONC-10L",
            "name": "Oxygen concentrator",
            "category": "respiratory",
            "unit": "each",
        },
    )
    assert response.status_code == 201
    assert response.json["requires_cold_chain"] is False and response.json["requires_training"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "", "name": "x", "category": "ppe"}, "code"),
        ({"code": "A B", "name": "x", "category": "ppe"}, "code"),
        ({"code": "OK-1", "name": "", "category": "ppe"}, "name"),
        ({"code": "OK-1", "name": "x", "category": "Not A Category!"}, "category"),
        (
            {"code": "OK-1", "name": "x", "category": "ppe", "requires_training": "juggling"},
            "requires_training",
        ),
        (
            {"code": "OK-1", "name": "x", "category": "ppe", "requires_cold_chain": "maybe"},
            "requires_cold_chain",
        ),
        ({"code": "OK-1", "name": "x", "category": "ppe", "colour": "red"}, "colour"),
    ],
)
def test_invalid_items_answer_422_naming_the_field_and_write_nothing(app, make, body, field):
    api = make.api("admin")
    response = api.post("/api/v1/items", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0


def test_duplicate_item_codes_city_names_and_emails_answer_409(make):
    api = make.api("admin")
    network = make.network()
    assert (
        api.post(
            "/api/v1/items", json={"code": "PULSE-OXI", "name": "a", "category": "monitoring"}
        ).status_code
        == 201
    )
    duplicate = api.post("/api/v1/items", json={"code": "pulse-oxi", "name": "b", "category": "monitoring"})
    assert duplicate.status_code == 409 and "code" in duplicate.json["errors"]
    city = {"name": "세종", "country": "KR", "network_id": network.id}
    assert api.post("/api/v1/cities", json=city).status_code == 201
    assert api.post("/api/v1/cities", json=city).status_code == 409
    user = {"email": "x@example.org", "password": "long-enough", "role": "coordinator"}
    assert api.post("/api/v1/users", json=user).status_code == 201
    assert api.post("/api/v1/users", json=user | {"email": "X@example.org"}).status_code == 409


def test_cities_accept_long_text_in_any_script(make):
    api = make.api("admin")
    network = make.network()
    address = ("서울특별시 종로구 세종대로 " * 30) + ("улица Ленина " * 20)
    response = api.post(
        "/api/v1/cities",
        json={
            "name": "東京",
            "country": "jp",
            "network_id": network.id,
            "timezone": "Asia/Tokyo",
            "delivery_address": address,
        },
    )
    assert response.status_code == 201 and response.json["delivery_address"] == address
    assert len(address) > 500 and response.json["country"] == "JP"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "country": "KOR", "network_id": 1}, "country"),
        ({"name": "X", "country": "KR", "network_id": 999}, "network_id"),
        ({"name": "X", "country": "KR", "network_id": 1, "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "X", "country": "KR", "network_id": 1, "contact_email": "not-an-email"}, "contact_email"),
    ],
)
def test_invalid_cities_answer_422_naming_the_field(make, body, field):
    make.network()
    response = make.api("admin").post("/api/v1/cities", json=body)
    assert response.status_code == 422 and field in response.json["errors"]


def test_lists_filter_order_and_page_in_one_shape(make):
    api = make.api("city")
    network = make.network()
    for name in ("Cebu City", "Medellín", "Busan", "Nairobi", "Kigali"):
        make.city(name=name, network=network, country="PH" if name == "Cebu City" else "KR")
    page = api.get("/api/v1/cities?order_by=name&page_size=2&page=2").json
    assert set(page) == {"items", "page", "page_size", "total", "pages"}
    all_names = sorted(c["name"] for c in api.get("/api/v1/cities?page_size=100").json["items"])
    assert [c["name"] for c in page["items"]] == all_names[2:4] and page["pages"] == (page["total"] + 1) // 2
    assert [c["name"] for c in api.get("/api/v1/cities?country=ph").json["items"]] == ["Cebu City"]
    assert api.get("/api/v1/cities?q=ELL").json["items"][0]["name"] == "Medellín"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("page=0", "page"),
        ("order_by=password_hash", "order_by"),
        ("order_by=name;DROP TABLE city", "order_by"),
        ("bogus=1", "bogus"),
    ],
)
def test_bad_list_parameters_answer_422(make, query, field):
    response = make.api("city").get(f"/api/v1/cities?{query}")
    assert response.status_code == 422 and field in response.json["errors"]


def test_providers_list_their_networks_and_locations(make):
    network = make.network()
    api = make.api("admin")
    created = api.post(
        "/api/v1/providers", json={"name": "MedAsia", "country": "KR", "network_ids": [network.id]}
    )
    assert created.status_code == 201 and created.json["network_ids"] == [network.id]
    assert (
        api.post("/api/v1/providers", json={"name": "Bad", "country": "KR", "network_ids": [999]}).status_code
        == 422
    )
    listed = api.get(f"/api/v1/providers?network_id={network.id}").json
    assert [p["name"] for p in listed["items"]] == ["MedAsia"]


def test_control_characters_in_filters_are_refused_on_every_database(make):
    response = make.api("city").get("/api/v1/cities?q=%00")
    assert response.status_code == 422 and "q" in response.json["errors"]
