"""Documents in the reader's language: a Korean city's dispatch report, read back with pdftotext; ?lang=."""

from __future__ import annotations

import pytest

from health_responder.extensions import db
from health_responder.reference.models import City
from tests.factories import allocate, approved
from tests.pdftext import pdftotext

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "CJ Logistics", "tracking_number": "KR-77", "packages": 2}


def pdf_text(pdf: bytes, tmp_path) -> str:
    return pdftotext(pdf, tmp_path)


@pytest.fixture
def shipped(app, world):
    """A dispatch of 6 units shipped to a city whose language is Korean."""
    with app.app_context(), db.write_session() as session:
        session.get(City, world.city.id).language = "ko"
    lot = world.make_lot(world.provider, world.location, world.item, 20, lot_code="KO-1")
    req = approved(world, (world.item, 6), priority="critical")
    allocate(world, req, 0, lot, 6)
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    assert world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP).status_code == 200
    return dispatch


def test_a_korean_citys_dispatch_report_is_written_in_korean(world, shipped, tmp_path):
    response = world.city_api.get(f"/api/v1/dispatches/{shipped['id']}/report.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    for words in (
        "발송 보고서",
        "발송일",
        "우선순위",
        "긴급",
        "상태",
        "보내는 곳과 받는 곳",
        "품목 코드",
        "수량",
        "서명",
        "스캔하여 확인",
    ):
        assert words in text, words
    assert "1개 줄, 총 6 단위." in text and "1쪽 중 1쪽" in text.replace("  ", " ")
    assert "Dispatch report" not in text and "Ship date" not in text
    assert "서명란" in text and "Signatures" not in text
    assert shipped["reference"] in text and "KO-1" in text


def test_lang_chooses_another_language_and_each_copy_stays_current(world, shipped, tmp_path, anonymous):
    korean = world.city_api.get(f"/api/v1/dispatches/{shipped['id']}/report.pdf")
    english = world.coordinator.get(
        f"/api/v1/dispatches/{shipped['id']}/report.pdf", query_string={"lang": "en"}
    )
    assert english.status_code == 200
    text = pdf_text(english.data, tmp_path)
    assert "Dispatch report" in text and "Ship date" in text and "발송 보고서" not in text
    codes = {korean.headers["X-Verification-Code"], english.headers["X-Verification-Code"]}
    assert len(codes) == 2
    for code in codes:
        assert anonymous.get(f"/api/v1/documents/verify/{code}").json["current"] is True
    again = world.city_api.get(f"/api/v1/dispatches/{shipped['id']}/report.pdf", query_string={"lang": "ko"})
    assert again.data == korean.data


def test_an_unknown_language_is_refused_on_lang(world, shipped):
    response = world.city_api.get(
        f"/api/v1/dispatches/{shipped['id']}/report.pdf", query_string={"lang": "fr"}
    )
    assert response.status_code == 422 and "lang" in response.json["errors"]


def test_a_city_takes_a_language_through_the_api(world):
    answer = world.admin.patch(f"/api/v1/cities/{world.city.id}", json={"language": "ko"})
    assert answer.status_code == 200 and answer.json["language"] == "ko"
    assert world.admin.patch(f"/api/v1/cities/{world.city.id}", json={"language": "xx"}).status_code == 422
