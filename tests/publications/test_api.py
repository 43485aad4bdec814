"""Publications over the API: anyone reads and searches, coordinators publish links and PDFs."""

from __future__ import annotations

import pytest

from tests.materials.test_api import multipart

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _link(**kw):
    return {
        "title": "Oxygen access in coastal cities",
        "kind": "finding",
        "summary": "What we learnt with WHO about oxygen plants.",
        "partners": "WHO Western Pacific",
        "published_on": "2026-11-02",
        "url": "https://example.org/oxygen.pdf",
        "topics": ["oxygen_therapy"],
        "networks": ["CJK"],
    } | kw


def _upload(client, fields, file):
    body, content_type = multipart(fields, file)
    return client._client.post(
        "/api/v1/publications", data=body, content_type=content_type, headers=client._headers(None)
    )


@pytest.fixture
def setting(make):
    make.topic("oxygen_therapy", "Oxygen therapy")
    make.topic("cold_chain", "Cold chain")
    make.network(code="CJK")
    make.network(code="ASCN")


@pytest.mark.both_databases
def test_a_coordinator_publishes_a_link_and_a_visitor_reads_it(setting, login_as, anonymous):
    coordinator = login_as("coordinator")
    created = coordinator.post("/api/v1/publications", json=_link())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["topics"] == ["oxygen_therapy"] and body["networks"] == ["CJK"]

    listed = anonymous.get("/api/v1/publications")
    assert listed.status_code == 200
    assert [p["title"] for p in listed.get_json()["items"]] == ["Oxygen access in coastal cities"]
    one = anonymous.get(f"/api/v1/publications/{body['id']}")
    assert one.status_code == 200 and one.get_json()["partners"] == "WHO Western Pacific"


def test_only_coordinators_and_admins_publish(setting, login_as, anonymous):
    assert anonymous.post("/api/v1/publications", json=_link()).status_code == 401
    assert login_as("city").post("/api/v1/publications", json=_link()).status_code == 403
    assert login_as("provider").post("/api/v1/publications", json=_link()).status_code == 403
    assert login_as("admin").post("/api/v1/publications", json=_link()).status_code == 201


def test_a_bad_token_on_a_public_read_is_401_not_the_public_answer(app, setting):
    from tests.factories import ApiClient

    assert ApiClient(app, "not-a-token").get("/api/v1/publications").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "statistics"}, "kind"),
        ({"topics": ["astrology"]}, "topics"),
        ({"networks": ["MOON"]}, "networks"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"published_on": "2026-13-01"}, "published_on"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    setting, login_as, anonymous, change, field
):
    coordinator = login_as("coordinator")
    response = coordinator.post("/api/v1/publications", json=_link(**change))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert anonymous.get("/api/v1/publications").get_json()["total"] == 0


def test_a_pdf_is_accepted_by_its_header_whatever_the_content_type(app, setting, login_as, anonymous):
    coordinator = login_as("coordinator")
    form = {k: v for k, v in _link().items() if k not in {"url", "topics", "networks"}}
    form |= {"topics": "oxygen_therapy,cold_chain", "networks": "ASCN"}
    response = _upload(coordinator, form, (PDF, "report.pdf", "application/octet-stream"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["topics"] == ["cold_chain", "oxygen_therapy"] and body["file_name"] == "report.pdf"
    download = anonymous.get(body["file_url"])
    assert download.status_code == 200 and download.data == PDF
    download.close()

    refused = _upload(coordinator, form, (b"<html>not a pdf</html>", "x.pdf", "application/pdf"))
    assert refused.status_code == 422 and "file" in refused.get_json()["errors"]
    assert anonymous.get("/api/v1/publications").get_json()["total"] == 1


@pytest.mark.both_databases
def test_search_and_filters(setting, login_as, anonymous):
    coordinator = login_as("coordinator")
    coordinator.post("/api/v1/publications", json=_link())
    coordinator.post(
        "/api/v1/publications",
        json=_link(
            title="Vaccine fridges that last",
            kind="research",
            summary="Solar fridges in 40 clinics.",
            partners="UNICEF",
            topics=["cold_chain"],
            networks=["ASCN"],
            published_on="2026-10-01",
        ),
    )

    def titles(query):
        response = anonymous.get("/api/v1/publications" + query)
        assert response.status_code == 200, response.get_json()
        return [p["title"] for p in response.get_json()["items"]]

    assert titles("") == ["Oxygen access in coastal cities", "Vaccine fridges that last"]
    assert titles("?q=unicef") == ["Vaccine fridges that last"]
    assert titles("?q=OXYGEN") == ["Oxygen access in coastal cities"]
    assert titles("?kind=research") == ["Vaccine fridges that last"]
    assert titles("?topic=oxygen_therapy") == ["Oxygen access in coastal cities"]
    assert titles("?network=ASCN") == ["Vaccine fridges that last"]
    assert titles("?published_to=2026-10-31") == ["Vaccine fridges that last"]
    assert titles("?order_by=title") == ["Oxygen access in coastal cities", "Vaccine fridges that last"]
    assert anonymous.get("/api/v1/publications?kind=gossip").status_code == 422


def test_a_coordinator_withdraws_a_publication(setting, login_as, anonymous):
    coordinator = login_as("coordinator")
    created = coordinator.post("/api/v1/publications", json=_link()).get_json()
    assert login_as("city").delete(f"/api/v1/publications/{created['id']}").status_code == 403
    assert coordinator.delete(f"/api/v1/publications/{created['id']}").status_code == 204
    assert anonymous.get(f"/api/v1/publications/{created['id']}").status_code == 404


def test_a_chunked_pdf_over_the_app_wide_limit_is_taken_up_to_the_publications_own(app, setting, login_as):
    from health_responder.publications.models import PUBLICATION_MAX_BYTES
    from tests.materials.test_api import _post_chunked

    coordinator = login_as("coordinator")
    form = {k: v for k, v in _link().items() if k not in {"url", "topics", "networks"}}
    content = PDF + b"0" * (8 * 1024 * 1024)
    assert app.config["MAX_CONTENT_LENGTH"] < len(content) < PUBLICATION_MAX_BYTES
    body, content_type = multipart(form, (content, "report.pdf", "application/pdf"))
    code, answer = _post_chunked(app, "/api/v1/publications", body, content_type, coordinator.token)
    assert code == 201, answer
