"""Who may read and write the reference data: every role reads, admins write, providers edit their own."""

import pytest

ROLES = ["city", "provider", "coordinator", "admin"]


@pytest.fixture(autouse=True)
def _topic(make):
    make.topic()


def _cases(world):
    n, c, p, i = world.network.id, world.city.id, world.provider.id, world.item.id
    return [
        ("GET", "/api/v1/networks", None, ROLES),
        ("POST", "/api/v1/networks", {"code": "NEW", "name": "New network"}, ["admin"]),
        ("GET", "/api/v1/cities", None, ROLES),
        ("GET", f"/api/v1/cities/{c}", None, ROLES),
        (
            "POST",
            "/api/v1/cities",
            {"name": "Kigali-{role}", "country": "RW", "network_id": n},
            ["admin"],
        ),
        ("PATCH", f"/api/v1/cities/{c}", {"contact_name": "Someone"}, ["admin"]),
        ("GET", "/api/v1/topics", None, ROLES),
        ("POST", "/api/v1/topics", {"code": "triage_{role}", "name": "Triage"}, ["admin"]),
        ("GET", "/api/v1/items", None, ROLES),
        ("GET", f"/api/v1/items/{i}", None, ROLES),
        (
            "POST",
            "/api/v1/items",
            {"code": "NEW-{role}", "name": "New", "category": "ppe"},
            ["admin"],
        ),
        ("PATCH", f"/api/v1/items/{i}", {"unit": "box"}, ["admin"]),
        ("GET", "/api/v1/providers", None, ROLES),
        ("GET", f"/api/v1/providers/{p}", None, ROLES),
        ("POST", "/api/v1/providers", {"name": "P-{role}", "country": "KE"}, ["admin"]),
        ("GET", "/api/v1/users", None, ["admin"]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_role_by_endpoint_matrix(make, world, role):
    api = make.api(role)
    for method, path, body, allowed in _cases(world):
        if body is not None:
            body = {k: v.format(role=role) if isinstance(v, str) else v for k, v in body.items()}
        response = api.get(path) if method == "GET" else getattr(api, method.lower())(path, json=body)
        expected = {"GET": 200, "POST": 201, "PATCH": 200}[method] if role in allowed else 403
        assert response.status_code == expected, (role, method, path, response.json)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cities"),
        ("POST", "/api/v1/items"),
        ("PATCH", "/api/v1/providers/1"),
        ("GET", "/api/v1/users"),
    ],
)
def test_every_endpoint_wants_a_token(anonymous, method, path):
    response = getattr(anonymous, method.lower())(path)
    assert response.status_code == 401


def test_a_provider_edits_its_own_profile_and_locations_only(make, world):
    mine = make.provider(name="Mine")
    api = make.api("provider", provider=mine)
    assert api.patch(f"/api/v1/providers/{mine.id}", json={"contact_phone": "+82 2 123"}).status_code == 200
    created = api.post(f"/api/v1/providers/{mine.id}/locations", json={"name": "부산 창고", "country": "kr"})
    assert created.status_code == 201 and created.json["country"] == "KR"
    other = world.provider.id
    for response in (
        api.patch(f"/api/v1/providers/{other}", json={"contact_phone": "1"}),
        api.post(f"/api/v1/providers/{other}/locations", json={"name": "X", "country": "KR"}),
    ):
        assert response.status_code == 404
        assert response.json["message"] == f"No provider {other}." and "contact" not in str(response.json)
    detail = api.get(f"/api/v1/providers/{mine.id}").json
    assert [loc["name"] for loc in detail["locations"]] == ["부산 창고"]


def test_a_location_of_another_provider_is_404(make, world):
    mine = make.provider()
    theirs_location = make.location(world.provider)
    api = make.api("provider", provider=mine)
    response = api.patch(
        f"/api/v1/providers/{mine.id}/locations/{theirs_location.id}", json={"name": "Taken"}
    )
    assert response.status_code == 404
