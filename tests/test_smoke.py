"""The app starts, answers health checks and serves its API description."""

import pytest


@pytest.mark.both_databases
def test_healthz_reports_the_database(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": backend, "writable": True}
    assert response.headers["X-Request-ID"]


def test_openapi_and_docs_page_are_served_locally(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and "/api/v1/items" in spec.json["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "/api/v1/docs/assets/swagger-ui-bundle.js" in html
        and "http" not in html.split("<body>")[1].split("swagger-ui")[0]
    )
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and asset.mimetype in {"application/javascript", "text/javascript"}


def test_the_site_has_an_icon_where_pages_link_it_and_where_browsers_look_unprompted(client):
    icon = client.get("/login").get_data(as_text=True).split('rel="icon" href="')[1].split('"')[0]
    with client.get(icon) as answer:
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        linked = answer.get_data()
    unprompted = client.get("/favicon.ico")
    assert unprompted.status_code == 200 and unprompted.mimetype == "image/svg+xml"
    assert unprompted.get_data() == linked
