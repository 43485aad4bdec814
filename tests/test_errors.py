"""Every API error is the one JSON envelope; pages get an HTML page; nothing internal leaks."""

import pytest

ENVELOPE = {"code", "status", "message", "errors"}


def _assert_envelope(response, code):
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert set(response.json) == ENVELOPE and response.json["code"] == code
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "sqlalchemy" not in text.lower() and 'File "' not in text


def test_400_malformed_json(make):
    api = make.api("coordinator")
    response = api._client.post(
        "/api/v1/items",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    _assert_envelope(response, 400)
    assert "JSON" in response.json["message"]


def test_401_without_token(client):
    _assert_envelope(client.get("/api/v1/items"), 401)


def test_403_for_a_role_that_may_not(make):
    _assert_envelope(make.api("city").post("/api/v1/items", json={}), 403)


@pytest.mark.parametrize("path", ["/api/v1/items/999999", "/api/v1/no-such-thing"])
def test_404(make, path):
    _assert_envelope(make.api("city").get(path), 404)


def test_405_names_the_allowed_methods(make):
    response = make.api("admin").delete("/api/v1/items")
    _assert_envelope(response, 405)
    assert "GET" in response.headers["Allow"]


def test_409_duplicate(make):
    api = make.api("admin")
    body = {"code": "A-1", "name": "a", "category": "ppe"}
    api.post("/api/v1/items", json=body)
    _assert_envelope(api.post("/api/v1/items", json=body), 409)


def test_413_body_too_large(app, make):
    api = make.api("admin")
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = api._client.post(
        "/api/v1/items",
        data=big,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    _assert_envelope(response, 413)


def test_422_names_the_field(make):
    response = make.api("admin").post("/api/v1/items", json={"code": "OK", "name": "x"})
    _assert_envelope(response, 422)
    assert response.json["errors"] == {"category": ["Missing data for required field."]}


def test_429_is_an_envelope_too(anonymous):
    for _ in range(11):
        response = anonymous.post("/api/v1/auth/tokens", json={"email": "a@b.org", "password": "wrong"})
    _assert_envelope(response, 429)


def test_500_hides_the_exception(fresh_app, caplog):
    def boom():
        raise RuntimeError("secret internal detail: password=hunter2")

    fresh_app.add_url_rule("/api/v1/_boom", view_func=boom)
    response = fresh_app.test_client().get("/api/v1/_boom")
    _assert_envelope(response, 500)
    assert "hunter2" not in response.get_data(as_text=True)
    assert any("unhandled error" in r.message for r in caplog.records)


def test_pages_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_every_response_has_security_headers_and_a_request_id(client):
    response = client.get("/login", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# Regressions found by schemathesis.


def test_an_id_beyond_any_column_is_404_not_500(make):
    assert make.api("city").get("/api/v1/items/99999999999999999999").status_code == 404


def test_a_number_too_large_for_the_database_is_422_not_500(make):
    response = make.api("city").get("/api/v1/cities?network_id=99999999999999999999999")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [("requires_cold_chain", 0), ("requires_cold_chain", "true"), ("name", 5), ("code", ["A"])],
)
def test_json_bodies_are_type_strict(make, field, value):
    body = {"code": "T-1", "name": "x", "category": "ppe"} | {field: value}
    response = make.api("admin").post("/api/v1/items", json=body)
    _assert_envelope(response, 422)
    assert field in response.json["errors"]
