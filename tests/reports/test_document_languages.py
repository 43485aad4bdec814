"""Documents in the reader's language: pick list, certificate, dispatch summary and the monthly statistics
report in Korean (read back with pdftotext, its Hangul font embedded), ``?lang=`` on every PDF route (API
and pages), each language's copy registered and verified on its own, a bad ``?lang=`` refused by name."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from health_responder.auth.models import User
from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.reference.models import City
from health_responder.scheduler import run_job
from tests.factories import allocate, approved
from tests.pdftext import pdftotext
from tests.training.test_certificate_pages import completed_and_enrolled

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "CJ Logistics", "tracking_number": "KR-77", "packages": 2}


def pdf_text(pdf: bytes, tmp_path) -> str:
    return " ".join(pdftotext(pdf, tmp_path).split())


def fonts_of(pdf: bytes, tmp_path) -> set[tuple[str, str]]:
    """(font name without its subset tag, emb yes/no) of every font of the PDF, as pdffonts lists them."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", path], check=True, capture_output=True, text=True).stdout.splitlines()
    return {(line.split()[0].split("+")[-1], line.split()[-5]) for line in lines[2:] if line.strip()}


def assert_hangul_font_embedded(korean_pdf: bytes, english_pdf: bytes, tmp_path) -> None:
    """The fonts the Korean copy needs beyond the English one's (its Hangul) are embedded in it, not
    reportlab's CID fonts that a reader must supply (style.md, habit 10)."""
    extra = fonts_of(korean_pdf, tmp_path) - fonts_of(english_pdf, tmp_path)
    assert extra and all(emb == "yes" for _name, emb in extra), extra


def korean(app, *, city=None, user=None) -> None:
    """Make a city's language, or a user's own, Korean."""
    with app.app_context(), db.write_session() as session:
        if city is not None:
            session.get(City, city.id).language = "ko"
        if user is not None:
            session.execute(sa.update(User).where(User.id == user.id).values(locale="ko"))


@pytest.fixture
def prepared(world):
    """A dispatch of 6 units prepared (not shipped) for the world's city, with its request."""
    lot = world.make_lot(world.provider, world.location, world.item, 20, lot_code="KO-PICK")
    req = approved(world, (world.item, 6), priority="critical")
    allocate(world, req, 0, lot, 6)
    return world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json


def test_a_pick_list_is_in_the_language_of_whoever_prints_it_or_lang(app, world, prepared, tmp_path):
    korean(app, user=world.users["provider"])
    path = f"/api/v1/dispatches/{prepared['id']}/pick-list.pdf"
    response = world.provider_api.get(path)
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    for words in ("피킹", "우선순위", "긴급", "품목 코드", "위치:", "유효기간이 가장 이른 것부터", "년"):
        assert words in text, (words, text)
    assert "Pick list" not in text and "Needed by" not in text

    english = world.provider_api.get(path, query_string={"lang": "en"})
    assert_hangul_font_embedded(response.data, english.data, tmp_path)
    text = pdf_text(english.data, tmp_path)
    assert "Pick list" in text and "Needed by" in text and "피킹" not in text
    assert english.headers["X-Verification-Code"] != response.headers["X-Verification-Code"]
    # The coordinator reads English (their own language) unless they ask.
    assert "Pick list" in pdf_text(world.coordinator.get(path).data, tmp_path)


def test_a_korean_citys_certificate_is_korean_and_lang_en_gives_english(
    app, world, make, tmp_path, anonymous
):
    korean(app, city=world.city)
    _program, done, _waiting = completed_and_enrolled(world, make)
    path = f"/api/v1/training/enrolments/{done['id']}/certificate.pdf"
    response = world.city_api.get(path)
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    # The day of completion is the participant's city's day.
    zone = world.city_api.get(f"/api/v1/cities/{world.city.id}").json["timezone"]
    today = datetime.now(ZoneInfo(zone)).date()
    for words in (
        "수료증",
        "이 증서는 아래 사람이",
        "다음 교육 과정을 수료하였음을 증명합니다",
        f"수료일: {today.year}년 {today.month}월 {today.day}일",
        "Amara Okafor",
        "Concentrator care",
        "검증 코드",
    ):
        assert words in text, (words, text)
    assert "Certificate of completion" not in text

    english = world.provider_api.get(path, query_string={"lang": "en"})
    assert english.status_code == 200
    assert_hangul_font_embedded(response.data, english.data, tmp_path)
    text = pdf_text(english.data, tmp_path)
    assert (
        "Certificate of completion" in text and f"Completed on {today:%B} {today.day}, {today.year}" in text
    )
    assert "수료증" not in text
    codes = [r.headers["X-Verification-Code"] for r in (response, english)]
    assert len(set(codes)) == 2
    for code in codes:
        verified = anonymous.get(f"/api/v1/documents/verify/{code}").json
        assert verified["current"] is True and verified["kind"] == "certificate"
    # Printing one language again supersedes neither copy.
    assert world.city_api.get(path).data == response.data
    assert anonymous.get(f"/api/v1/documents/verify/{codes[1]}").json["current"] is True
    # The page route takes ?lang= too.
    page = world.page("city").get(f"/training/enrolments/{done['id']}/certificate.pdf?lang=en")
    assert page.status_code == 200 and page.data == english.data


def test_the_dispatch_summary_speaks_the_askers_language_or_lang(app, world, tmp_path):
    world.make.shipped_dispatch(4)
    today = utc_today()
    period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    english = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=period)
    assert english.status_code == 200
    assert "Dispatch summary" in pdf_text(english.data, tmp_path)

    asked = world.coordinator.get(
        "/api/v1/reports/dispatch-summary.pdf", query_string=period | {"lang": "ko"}
    )
    assert asked.status_code == 200
    text = pdf_text(asked.data, tmp_path)
    for words in ("발송 요약", "네트워크별", "리드타임", "공급자 성과표", f"{today.year}년 {today.month}월"):
        assert words in text, (words, text)
    assert "Dispatch summary" not in text and "By network" not in text

    korean(app, user=world.users["provider"])
    own = world.provider_api.get("/api/v1/reports/dispatch-summary.pdf", query_string=period)
    assert "발송 요약" in pdf_text(own.data, tmp_path)
    page = world.page("coordinator").get(
        "/reports/dispatch-summary",
        query_string={"period_from": period["from"], "period_to": period["to"], "lang": "ko"},
    )
    assert page.status_code == 200 and "발송 요약" in pdf_text(page.data, tmp_path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dispatches/{dispatch}/report.pdf",
        "/api/v1/dispatches/{dispatch}/pick-list.pdf",
        "/api/v1/reports/dispatch-summary.pdf?from=2026-01-01&to=2026-01-31",
        "/api/v1/training/enrolments/{enrolment}/certificate.pdf",
        "/api/v1/publications/{publication}/file",
        "/api/v1/dispatches/{dispatch}/labels.pdf",
        "/api/v1/stock/lots/{lot}/label.pdf",
    ],
)
def test_an_unknown_lang_is_refused_on_every_api_pdf_route(world, prepared, path):
    lot = world.lots.oxy if "{lot}" in path else 0
    path = path.format(dispatch=prepared["id"], enrolment=1, publication=1, lot=lot)
    response = world.coordinator.get(path + ("&" if "?" in path else "?") + "lang=fr")
    assert response.status_code == 422, response.json
    assert "lang" in response.json["errors"]
    assert "en" in " ".join(response.json["errors"]["lang"]) and "ko" in " ".join(
        response.json["errors"]["lang"]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/dispatches/{dispatch}/report.pdf",
        "/dispatches/{dispatch}/pick-list.pdf",
        "/dispatches/{dispatch}/labels.pdf",
        "/stock/lots/{lot}/label.pdf",
    ],
)
def test_an_unknown_lang_on_a_page_names_the_parameter_and_the_languages(world, prepared, path):
    lot = world.lots.oxy if "{lot}" in path else 0
    response = world.page("coordinator").get(path.format(dispatch=prepared["id"], lot=lot) + "?lang=fr")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "lang" in html and "&#39;fr&#39;" in html and "en, ko" in html


def test_an_unknown_lang_on_the_summary_page_is_shown_on_its_field(world):
    response = world.page("coordinator").get(
        "/reports/dispatch-summary",
        query_string={"period_from": "2026-01-01", "period_to": "2026-01-31", "lang": "fr"},
    )
    assert response.status_code == 422
    assert 'id="lang-errors"' in response.get_data(as_text=True)


def test_the_monthly_statistics_report_in_korean_on_lang(app, world, tmp_path, anonymous):
    world.make.shipped_dispatch(3)
    with app.app_context():
        run = run_job(
            "monthly_statistics", scheduled_for=datetime(2026, 12, 1, 6, tzinfo=UTC), trigger="manual"
        )
        assert run.outcome == "succeeded", run.error
    publication = run.counts["publication_id"]
    english = anonymous.get(f"/api/v1/publications/{publication}/file")
    assert english.status_code == 200 and "Statistics report 2026-11" in pdf_text(english.data, tmp_path)
    english.close()
    asked = anonymous.get(f"/api/v1/publications/{publication}/file", query_string={"lang": "ko"})
    assert asked.status_code == 200
    text = pdf_text(asked.data, tmp_path)
    for words in (
        "통계 보고서 2026-11",
        "2026년 11월 1일 ~ 2026년 11월 30일",
        "리드타임(시간)",
        "집계만 담았습니다",
    ):
        assert words in text, (words, text)
    verified = anonymous.get(f"/api/v1/documents/verify/{asked.headers['X-Verification-Code']}").json
    assert verified["subject_key"] == "2026-11:ko" and verified["current"] is True
    # A Korean page visitor gets the Korean copy, the English one stays the published file.
    page = anonymous.get(f"/portal/publications/{publication}/file", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and page.data == asked.data


def test_a_korean_citys_dispatch_report_embeds_its_hangul_and_its_copy_verifies_with_its_facts(
    app, world, prepared, tmp_path, client
):
    korean(app, city=world.city)
    shipped = world.provider_api.post(f"/api/v1/dispatches/{prepared['id']}/ship", json=SHIP)
    assert shipped.status_code == 200
    path = f"/api/v1/dispatches/{prepared['id']}/report.pdf"
    korean_copy = world.city_api.get(path)
    english_copy = world.city_api.get(path, query_string={"lang": "en"})
    assert "발송 보고서" in pdf_text(korean_copy.data, tmp_path)
    assert_hangul_font_embedded(korean_copy.data, english_copy.data, tmp_path)
    # The verify page reads the facts of the Korean copy (registered as "<id>:ko") like the English one's.
    for copy in (korean_copy, english_copy):
        html = client.get(f"/verify/{copy.headers['X-Verification-Code']}").get_data(as_text=True)
        assert prepared["reference"] in html and "Sejong Test" in html, html


def test_the_statistics_report_names_topics_in_its_language(app, tmp_path):
    from datetime import date

    from health_responder import languages
    from health_responder.reports.builders import build_statistics_report
    from health_responder.reports.data import StatisticsReportData

    row = {"topic": "oxygen_therapy", "topic_name": "Oxygen therapy", "topic_name_ko": "산소 요법"}
    data = StatisticsReportData(
        association_name="Association",
        period="2026-11",
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        requests_by_network_and_status=[],
        fill_rate_by_network=[],
        lead_times={},
        trained_staff_by_topic=[row | {"trained": 4, "cities": 2}],
        shortage_radar=[],
    )
    with app.app_context():
        korean_text = pdf_text(languages.in_language(build_statistics_report, "ko")(data), tmp_path)
        english_text = pdf_text(languages.in_language(build_statistics_report, "en")(data), tmp_path)
    assert "산소 요법" in korean_text and "oxygen_therapy" not in korean_text
    assert "Oxygen therapy" in english_text and "oxygen_therapy" not in english_text


def test_a_russian_citys_dispatch_report_is_russian_with_only_its_catalogue(app, world, prepared, tmp_path):
    """A third language, by its catalogue alone: a city reading Russian gets its dispatch report in Russian."""
    with app.app_context(), db.write_session() as session:
        session.get(City, world.city.id).language = "ru"
    shipped = world.provider_api.post(f"/api/v1/dispatches/{prepared['id']}/ship", json=SHIP)
    assert shipped.status_code == 200
    path = f"/api/v1/dispatches/{prepared['id']}/report.pdf"
    text = pdf_text(world.city_api.get(path).data, tmp_path)
    for words in (
        "Отчёт об отправке",
        "Отправитель и получатель",
        "Дата отправки",
        "Код проверки",
        "Критический",
    ):
        assert words in text, (words, text)
    assert "Dispatch report" not in text
    assert "Dispatch report" in pdf_text(world.city_api.get(path, query_string={"lang": "en"}).data, tmp_path)
