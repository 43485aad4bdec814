"""A dispatch's Korean documents name its items in Korean, as the items were named when it shipped.

The ship freezes each line's item (dispatch.snapshot), its Korean name too when it has one: the report,
pick list and label sheet in Korean print it, the English copies the English name. A dispatch shipped
while its item had no Korean name (as every dispatch shipped before the snapshot kept one) recorded
none: its Korean copy goes on printing the English name, the same registered file, still current.
Read back with pdftotext.
"""

from __future__ import annotations

import pytest

from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.reference.models import City
from tests.barcodes.conftest import GTIN
from tests.factories import future
from tests.pdftext import pdftotext

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "CJ Logistics", "tracking_number": "KR-25", "packages": 1}
ENGLISH = "Oxygen concentrator"
KOREAN = "산소 발생기"


def squeezed(pdf: bytes, tmp_path) -> str:
    """The PDF's text without whitespace (a narrow cell may wrap a name)."""
    return "".join(pdftotext(pdf, tmp_path).split())


def nospace(words: str) -> str:
    return "".join(words.split())


@pytest.fixture
def korean_city(app, world):
    """The world's city reads Korean, so its dispatch reports default to Korean."""
    with app.app_context(), db.write_session() as session:
        session.get(City, world.city.id).language = "ko"
    assert world.admin.patch(f"/api/v1/items/{world.item.id}", json={"gtin": GTIN}).status_code == 200
    return world.city


def _name_ko(world, name: str) -> None:
    answer = world.admin.patch(f"/api/v1/items/{world.item.id}", json={"name_ko": name})
    assert answer.status_code == 200 and answer.json["name_ko"] == name, answer.json


def _prepared(make, world) -> dict:
    lot = make.lot(30, expires_on=future(300))
    request = make.approved_request((world.item, 4), needed_by=future(60))
    make.allocation(request, 0, lot.id, 4)
    answer = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert answer.status_code == 201, answer.json
    return answer.json


def _shipped(make, world) -> dict:
    dispatch = _prepared(make, world)
    answer = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    assert answer.status_code == 200, answer.json
    return answer.json


def _get(client, dispatch: dict, name: str, **query):
    answer = client.get(f"/api/v1/dispatches/{dispatch['id']}/{name}", query_string=query)
    assert answer.status_code == 200, answer.data[:300]
    return answer


def test_the_korean_copies_print_the_korean_name_frozen_at_ship_and_the_english_ones_the_english(
    korean_city, make, world, tmp_path
):
    _name_ko(world, KOREAN)
    dispatch = _shipped(make, world)

    report = _get(world.city_api, dispatch, "report.pdf")  # the city's language: Korean
    text = squeezed(report.data, tmp_path)
    assert nospace("발송 보고서") in text and nospace(KOREAN) in text and nospace(ENGLISH) not in text
    english = squeezed(_get(world.city_api, dispatch, "report.pdf", lang="en").data, tmp_path)
    assert nospace(ENGLISH) in english and nospace(KOREAN) not in english

    for name in ("pick-list.pdf", "labels.pdf"):
        korean_text = squeezed(_get(world.provider_api, dispatch, name, lang="ko").data, tmp_path)
        assert nospace(KOREAN) in korean_text and nospace(ENGLISH) not in korean_text, name
        english_text = squeezed(_get(world.provider_api, dispatch, name, lang="en").data, tmp_path)
        assert nospace(ENGLISH) in english_text and nospace(KOREAN) not in english_text, name

    # Renaming the item in Korean afterwards changes nothing in what left: same file, same code, current.
    _name_ko(world, "새 이름의 발생기")
    again = _get(world.city_api, dispatch, "report.pdf", lang="ko")
    assert again.data == report.data
    assert again.headers["X-Verification-Code"] == report.headers["X-Verification-Code"]
    code = report.headers["X-Verification-Code"]
    assert world.city_api.get(f"/api/v1/documents/verify/{code}").json["current"] is True
    # A dispatch still being prepared prints the item as it is named now.
    prepared = _prepared(make, world)
    pick = squeezed(_get(world.provider_api, prepared, "pick-list.pdf", lang="ko").data, tmp_path)
    assert nospace("새 이름의 발생기") in pick and nospace(KOREAN) not in pick


def test_a_dispatch_shipped_without_a_korean_name_keeps_the_english_name_in_its_korean_copy(
    korean_city, make, world, tmp_path
):
    dispatch = _shipped(make, world)
    before = _get(world.city_api, dispatch, "report.pdf")
    text = squeezed(before.data, tmp_path)
    assert nospace("발송 보고서") in text and nospace(ENGLISH) in text

    _name_ko(world, KOREAN)  # the item gains a Korean name after the dispatch left

    after = _get(world.city_api, dispatch, "report.pdf")
    assert after.headers["X-Verification-Code"] == before.headers["X-Verification-Code"]
    assert after.data == before.data
    text = squeezed(after.data, tmp_path)
    assert nospace(ENGLISH) in text and nospace(KOREAN) not in text
    code = before.headers["X-Verification-Code"]
    assert world.city_api.get(f"/api/v1/documents/verify/{code}").json["current"] is True
    labels = squeezed(_get(world.provider_api, dispatch, "labels.pdf", lang="ko").data, tmp_path)
    assert nospace(ENGLISH) in labels and nospace(KOREAN) not in labels


def _summary(client, **query):
    today = utc_today()
    period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    answer = client.get("/api/v1/reports/dispatch-summary.pdf", query_string=period | query)
    assert answer.status_code == 200, answer.data[:300]
    return answer


def test_the_summarys_discrepancies_name_the_item_as_it_shipped_in_the_documents_language(
    make, world, tmp_path
):
    _name_ko(world, KOREAN)
    dispatch = _shipped(make, world)
    line = {"line_id": dispatch["lines"][0]["id"], "accepted": 3, "rejected": 1, "reason": "damaged"}
    answer = world.city_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt", json={"lines": [line], "received_by": "Ward 3"}
    )
    assert answer.status_code == 200, answer.json

    korean = _summary(world.coordinator, lang="ko")
    text = squeezed(korean.data, tmp_path)
    assert nospace("발송 요약") in text and dispatch["reference"] in text
    assert nospace(KOREAN) in text and nospace(ENGLISH) not in text
    english = _summary(world.coordinator, lang="en")
    text = squeezed(english.data, tmp_path)
    assert nospace("Dispatch summary") in text and dispatch["reference"] in text
    assert nospace(ENGLISH) in text and nospace(KOREAN) not in text

    # Renaming the item after it shipped changes nothing in either copy: same file, same code, current.
    renamed = world.admin.patch(
        f"/api/v1/items/{world.item.id}", json={"name": "Renamed unit", "name_ko": "새 이름의 발생기"}
    )
    assert renamed.status_code == 200, renamed.json
    for before, lang in ((korean, "ko"), (english, "en")):
        after = _summary(world.coordinator, lang=lang)
        assert after.headers["X-Verification-Code"] == before.headers["X-Verification-Code"], lang
        assert after.data == before.data, lang
        code = before.headers["X-Verification-Code"]
        assert world.coordinator.get(f"/api/v1/documents/verify/{code}").json["current"] is True
