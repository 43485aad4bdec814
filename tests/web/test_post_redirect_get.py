"""Post/redirect/get for the page forms no other page test sent successfully.

Every test is watched by ``tests/conftest.py``: a page POST that succeeds with a page (2xx) fails it.
``PRG_COVERAGE=1 pytest …`` walks the URL map and lists, at the end of the run, the POST pages that no
test of the run sent successfully; these tests fill the gaps that listing showed (closing a request,
cancelling a dispatch or a place, a city's profile, offices and publications), each answering a redirect
and having done what it says.
"""

from __future__ import annotations

import pytest

from tests.factories import approved, enrol

pytestmark = pytest.mark.usefixtures("shelves")


def _redirected(answer) -> None:
    assert answer.status_code in (302, 303), (answer.status_code, answer.get_data(as_text=True)[:500])


def test_closing_a_request_and_cancelling_a_prepared_dispatch_redirect(world):
    w = world
    req = approved(w, (w.item, 4))
    w.make.allocation(req, 0, w.lots.oxy, 4)
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]})
    assert dispatch.status_code == 201, dispatch.json
    detail = f"/dispatches/{dispatch.json['id']}"
    _redirected(w.page("provider").post(f"{detail}/cancel", {"cancel-reason": "Packed twice."}, page=detail))
    assert w.provider_api.get(f"/api/v1/dispatches/{dispatch.json['id']}").json["status"] == "cancelled"
    path = f"/requests/{req['id']}"
    _redirected(w.page("coordinator").post(f"{path}/close", {"close-note": "Enough for now."}, page=path))
    assert w.coordinator.get(f"/api/v1/requests/{req['id']}").json["status"] == "closed"


def test_cancelling_a_place_redirects(world):
    w = world
    program = w.make.program()
    place = enrol(w.city_api, program["id"], "Ana Kim", "ana@example.org")
    assert place.status_code == 201, place.json
    path = f"/training/{program['id']}"
    _redirected(w.page("city").post(f"/training/enrolments/{place.json['id']}/cancel", page=path))
    assert w.city_api.get(f"/api/v1/training/enrolments/{place.json['id']}").json["status"] == "cancelled"


def test_a_city_saving_its_profile_is_redirected(world):
    w = world
    path = f"/hub/cities/{w.city.id}/edit"
    city = w.page("city")
    _redirected(
        city.post(path, {"population": "250000", "health_system_summary": "Two hospitals."}, page=path)
    )
    assert "Two hospitals." in city.html(f"/hub/cities/{w.city.id}")


def test_changing_and_closing_an_office_and_withdrawing_a_publication_redirect(app, world, make):
    w = world
    make.network(code="CJK", name="China-Japan-Korea")
    body = {
        "network": "CJK",
        "name": "CJK Desk Busan",
        "country": "kr",
        "languages": ["ko"],
        "timezone": "Asia/Seoul",
        "city_ids": [],
    }
    office = w.admin.post("/api/v1/offices", json=body)
    assert office.status_code == 201, office.json
    admin = w.page("admin")
    path = f"/portal/offices/{office.json['id']}"
    form = {"network": "CJK", "name": "CJK Desk Busan-Jin", "country": "KR", "languages": "ko"}
    _redirected(admin.post(f"{path}/edit", form | {"timezone": "Asia/Seoul"}, page=f"{path}/edit"))
    assert "CJK Desk Busan-Jin" in admin.html("/portal/offices/")
    _redirected(admin.post(f"{path}/delete", page="/portal/offices/"))
    assert "CJK Desk Busan-Jin is closed." in admin.html("/portal/offices/")  # the flash, once
    assert "CJK Desk Busan-Jin" not in admin.html("/portal/offices/")
    made = w.coordinator.post(
        "/api/v1/publications",
        json={"title": "Cold chain audit", "kind": "research", "published_on": "2026-11-02"}
        | {"url": "https://example.org/audit"},
    )
    assert made.status_code == 201, made.json
    where = f"/portal/publications/{made.json['id']}"
    _redirected(w.page("coordinator").post(f"{where}/delete", page=where))
    assert w.coordinator.get(f"/api/v1/publications/{made.json['id']}").status_code == 404
