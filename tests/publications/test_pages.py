"""The publication pages: visitors search and read; coordinators publish through the form."""

from __future__ import annotations

import io

from tests.factories import PageClient


def test_a_visitor_searches_and_reads_publications(app, make, login_as, client):
    make.topic("oxygen_therapy", "Oxygen therapy")
    make.network(code="CJK")
    coordinator = login_as("coordinator")
    created = coordinator.post(
        "/api/v1/publications",
        json={
            "title": "Oxygen plants <b>after</b> floods",
            "kind": "finding",
            "partners": "WHO",
            "published_on": "2026-11-02",
            "url": "https://example.org/o2",
            "topics": ["oxygen_therapy"],
            "networks": ["CJK"],
        },
    ).get_json()
    page = client.get("/portal/publications/?q=plants&kind=finding&topic=oxygen_therapy&network=CJK")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Oxygen plants &lt;b&gt;after&lt;/b&gt; floods" in html and "<b>after</b>" not in html
    assert "/portal/publications/new" not in html
    assert "Oxygen plants" not in client.get("/portal/publications/?q=vaccine").get_data(as_text=True)
    bad = client.get("/portal/publications/?kind=gossip")
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    detail = client.get(f"/portal/publications/{created['id']}").get_data(as_text=True)
    assert "https://example.org/o2" in detail and "WHO" in detail and "Withdraw" not in detail


def test_a_coordinator_publishes_a_pdf_through_the_form(app, make, login_as, client):
    make.topic("oxygen_therapy", "Oxygen therapy")
    coordinator = PageClient(app, login_as("coordinator").user)
    token = coordinator.token("/portal/publications/new")
    form = {
        "csrf_token": token,
        "title": "Cold chain survey",
        "kind": "research",
        "published_on": "2026-11-20",
        "topics": "oxygen_therapy",
        "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "survey.pdf", "application/octet-stream"),
    }
    saved = coordinator.post(
        "/portal/publications/new", form, token=False, content_type="multipart/form-data"
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    detail = client.get(saved.headers["Location"])
    assert "Cold chain survey" in detail.get_data(as_text=True)

    refused = coordinator.post(
        "/portal/publications/new",
        {"csrf_token": token, "title": "", "kind": "research", "published_on": "2026-11-20"},
        token=False,
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'aria-invalid="true"' in html


def test_cities_and_providers_may_not_publish(app, login_as):
    for role in ("city", "provider"):
        assert PageClient(app, login_as(role).user).get("/portal/publications/new").status_code == 403
