"""Messages of the services and of validation speak the page's language; the JSON API stays English.

A Korean city health officer whose form is refused reads why in Korean: the services' own messages
(lazy strings), the schemas' custom messages and marshmallow's built-in ones. The same refusal through
the API answers in English whatever Accept-Language says, and what the scheduler stores is English text.
"""

from __future__ import annotations

import inspect
import io
import re
from datetime import timedelta
from html import unescape

import marshmallow
import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlmodel import select

from health_responder.db import utc_today
from health_responder.errors import Conflict, InvalidTransition, code_label, plain
from health_responder.web.i18n import MARSHMALLOW_MESSAGES, translate
from tests.factories import JUSTIFICATION, api_request, flashes, future, text

pytestmark = pytest.mark.usefixtures("shelves")


def _korean(page) -> None:
    response = page.post("/language", {"locale": "ko", "next": "/dashboard"})
    assert response.status_code == 302


def _request_form(*lines, **fields) -> dict:
    data = {
        "priority": "high",
        "needed_by": future().isoformat(),
        "justification": JUSTIFICATION,
        "action": "submit",
    } | fields
    for index, (item, quantity) in enumerate(lines):
        data[f"lines-{index}-item_id"] = str(item.id)
        data[f"lines-{index}-quantity"] = str(quantity)
    return data


def _errors_of(html: str, field: str) -> str:
    found = re.search(rf'id="{re.escape(field)}-errors"[^>]*>(.*?)</', html, re.S)
    assert found, f"no errors shown for {field}"
    return unescape(found.group(1))


# --- pages -----------------------------------------------------------------------------------------


def test_a_needed_by_date_in_the_past_is_refused_in_korean(world):
    w = world
    page = w.page("city")
    _korean(page)
    past = (utc_today() - timedelta(days=2)).isoformat()
    response = page.post("/requests/new", _request_form((w.item, 5), needed_by=past), page="/requests/new")
    html = unescape(text(response))
    assert response.status_code == 422
    assert f"{past}은(는) 지난 날짜입니다. 오늘 또는 그 이후 날짜를 입력하세요." in _errors_of(
        html, "needed_by"
    )
    assert "The needed-by date is in the past." not in html and "is in the past" not in html
    assert w.api["city"].get("/api/v1/requests").json["total"] == 0


def test_a_request_without_lines_is_told_in_korean_to_add_one_at_the_lines(world):
    w = world
    page = w.page("city")
    _korean(page)
    response = page.post("/requests/new", _request_form(), page="/requests/new")
    html = unescape(text(response))
    assert response.status_code == 422
    assert _errors_of(html, "lines-0-item_id") == "품목 줄을 하나 이상 추가하세요."
    assert "길이는" not in html


def test_a_rejection_without_reason_lists_the_reasons_by_their_korean_labels(world):
    w = world
    _request, dispatch = w.make.shipped_dispatch(5)
    page = w.page("city")
    _korean(page)
    path = f"/dispatches/{dispatch['id']}"
    response = page.post(
        f"{path}/receipt",
        {
            "lines-0-line_id": dispatch["lines"][0]["id"],
            "lines-0-accepted": "4",
            "lines-0-rejected": "1",
            "lines-0-reason": "",
            "received_by": "김 의사",
        },
        page=path,
    )
    html = unescape(text(response))
    assert response.status_code == 422
    message = _errors_of(html, "lines-0-reason")
    assert "파손" in message and "damaged" not in message and "wrong_item" not in message


def test_approving_a_request_twice_is_refused_in_korean_naming_both_states(world):
    w = world
    created = api_request(w, (w.item, 3), approve=True)
    page = w.page("coordinator")
    _korean(page)
    path = f"/requests/{created['id']}"
    response = page.post(f"{path}/approve", page=path)
    html = unescape(text(response))
    assert response.status_code == 409
    assert "승인됨 상태인 요청은(는) 승인할 수 없습니다(요청을(를) 승인됨 상태로 바꾸는 작업입니다)." in html
    assert "Cannot approve" not in html and "that is approved" not in html


def test_marshmallow_built_in_messages_show_in_korean(world):
    w = world
    page = w.page("city")
    _korean(page)
    response = page.post("/requests/new", _request_form((w.item, 0), justification=""), page="/requests/new")
    html = unescape(text(response))
    assert response.status_code == 422
    assert _errors_of(html, "justification") == "이 항목을 입력해 주세요."
    assert _errors_of(html, "lines-0-quantity") == "1 이상 1000000 이하여야 합니다."
    assert "Missing data for required field." not in html and "Must be greater than or equal to" not in html


def test_english_pages_keep_the_english_messages(world):
    w = world
    page = w.page("city")
    past = (utc_today() - timedelta(days=2)).isoformat()
    response = page.post(
        "/requests/new", _request_form((w.item, 5), needed_by=past, justification=""), page="/requests/new"
    )
    html = unescape(text(response))
    assert response.status_code == 422
    assert _errors_of(html, "justification") == "Please fill in this field."


def test_names_quoted_in_messages_are_escaped_on_the_page(world):
    w = world
    page = w.page("provider")
    _korean(page)
    form = {
        "item_id": str(w.item.id),
        "location_id": str(w.location.id),
        "lot_code": "<b>L-X</b>",
        "quantity": "5",
    }
    assert page.post("/stock/receive", form, page="/stock/receive").status_code == 302
    again = page.post("/stock/receive", form, page="/stock/receive")
    html = text(again)
    assert again.status_code == 409
    assert "이 보관 장소에 이 품목의 로트 &#39;&lt;b&gt;L-X&lt;/b&gt;&#39;이(가) 이미 있습니다" in html
    assert "<b>L-X</b>" not in html
    csv = f"item_code,location,lot_code,expires_on,quantity\n<i>nope</i>,{w.location.name},L-CSV-1,,10\n"
    response = page.client.post(
        "/stock/import",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(csv.encode()), "lots.csv"),
            "dry_run": "y",
            "csrf_token": page.token("/stock/import"),
        },
    )
    html = text(response)
    assert response.status_code == 422
    assert (
        "목록에 품목 &#39;&lt;I&gt;NOPE&lt;/I&gt;&#39;이(가) 없습니다." in html and "<I>NOPE</I>" not in html
    )


# --- the JSON API ----------------------------------------------------------------------------------


def test_the_api_answers_the_same_refusals_in_english_whatever_accept_language_says(world):
    w = world
    korean = {"Accept-Language": "ko"}
    past = (utc_today() - timedelta(days=2)).isoformat()
    refused = w.api["city"].post(
        "/api/v1/requests",
        headers=korean,
        json={
            "needed_by": past,
            "justification": JUSTIFICATION,
            "lines": [{"item_id": w.item.id, "quantity": 2}],
        },
    )
    assert refused.status_code == 422
    assert refused.json["message"] == "The input is not valid: see errors for each field."
    assert refused.json["errors"] == {"needed_by": [f"{past} is in the past: give today or a later day."]}
    created = api_request(w, (w.item, 3), approve=True)
    again = w.api["coordinator"].post(f"/api/v1/requests/{created['id']}/approve", headers=korean)
    assert again.status_code == 409
    assert (
        again.json["message"]
        == "Cannot approve a request that is approved (the request would become approved)."
    )
    assert again.json["errors"] == {"status": ["approved -> approved is not allowed"]}
    missing = w.api["city"].post(
        "/api/v1/requests",
        headers=korean,
        json={"needed_by": future().isoformat(), "lines": [{"item_id": w.item.id, "quantity": 0}]},
    )
    assert missing.status_code == 422
    assert missing.json["errors"]["justification"] == ["Missing data for required field."]
    assert missing.json["errors"]["lines.0.quantity"] == [
        "Must be greater than or equal to 1 and less than or equal to 1000000."
    ]
    unordered = w.api["city"].get("/api/v1/requests?order_by=nope", headers=korean)
    assert unordered.status_code == 422
    assert unordered.json["errors"]["order_by"][0].startswith("Order by one of: ")


def test_a_schema_message_is_english_in_the_api_even_from_a_korean_session(app, world):
    """A validator's own message is put into words while validating: the API's locale is English."""
    w = world
    page = w.page("provider")
    _korean(page)
    answer = page.client.post(
        "/api/v1/training/programs",
        headers={"Authorization": f"Bearer {w.api['provider'].token}", "Accept-Language": "ko"},
        json={
            "title": "Oxygen",
            "topic": "oxygen_therapy",
            "starts_at": "2030-01-02T09:00:00Z",
            "ends_at": "2030-01-02T12:00:00Z",
            "enrolment_deadline": "2030-01-01",
            "capacity": 0,
        },
    )
    assert answer.status_code == 422
    assert answer.json["errors"]["capacity"] == ["Must be between 1 and 100000."]


# --- what the scheduler stores ---------------------------------------------------------------------


def test_a_check_that_fails_from_a_korean_page_stores_its_error_in_english(app, world, monkeypatch):
    from health_responder import scheduler
    from health_responder.extensions import db
    from health_responder.scheduler import registry
    from health_responder.scheduler.models import JobRun

    def refuse(*, run, now, dry_run):
        raise InvalidTransition(_l("request"), "approved", "approved", action=_l("approve"))

    scheduler.jobs()
    monkeypatch.setitem(
        registry._REGISTRY,
        "refusing_check",
        scheduler.Job(name="refusing_check", fn=refuse, description="Refuses."),
    )
    w = world
    page = w.page("coordinator")
    _korean(page)
    response = page.post("/checks/refusing_check/run", {"refusing_check-dry_run": ""}, page="/checks")
    assert response.status_code == 302
    with app.app_context():
        run = db.session.scalars(select(JobRun).where(JobRun.name == "refusing_check")).one()
        assert type(run.error) is str
        assert run.error == (
            "InvalidTransition: Cannot approve a request that is approved "
            "(the request would become approved)."
        )
    shown = " ".join(flashes(text(page.get(response.headers["Location"]))))
    assert "InvalidTransition: Cannot approve a request" in shown  # the stored English text, as stored


def test_alerts_raised_from_a_korean_page_are_stored_as_english_text(app, world, make_lot):
    from health_responder.checks.models import Alert
    from health_responder.extensions import db

    w = world
    app.config["LOW_STOCK_THRESHOLD"] = 1_000
    page = w.page("coordinator")
    _korean(page)
    response = page.post("/checks/low_stock/run", {"low_stock-dry_run": ""}, page="/checks")
    assert response.status_code == 302
    with app.app_context():
        alerts = db.session.scalars(select(Alert)).all()
        assert alerts
        for alert in alerts:
            assert type(alert.message) is str and alert.message.isascii(), alert.message


# --- the lazy messages themselves ------------------------------------------------------------------


def test_a_lazy_message_survives_what_is_done_with_messages(app):
    error = Conflict(
        _l(
            "Lot %(lot)s is %(status)s; only available lots can be reserved.",
            lot="L-1",
            status=code_label("recalled"),
        ),
        {"lot_id": [_l("Lot is %(status)s.", status="recalled")]},
    )
    english = "Lot L-1 is recalled; only available lots can be reserved."
    assert str(error) == english and f"{error}" == english and error.message == english
    assert (
        "recalled" in error.message and error.message[:5] == "Lot L" and str(error.message)[:1000] == english
    )
    assert plain(error.errors) == {"lot_id": ["Lot is recalled."]}
    with app.test_request_context("/dashboard", headers={"Accept-Language": "ko"}):
        assert str(error) == "로트 L-1은(는) 회수됨 상태입니다. 사용 가능한 로트만 예약할 수 있습니다."
        with force_locale("en"):
            assert str(error) == english
    with app.test_request_context("/api/v1/requests", headers={"Accept-Language": "ko"}):
        assert str(error) == english


def _marshmallow_wordings() -> set[str]:
    """Every built-in message marshmallow can give, its ``{name}`` written ``%(name)s``."""
    found: set[str] = set()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        known = {
            key: getattr(cls, key.upper()) for key in ("obj_type", "awareness") if hasattr(cls, key.upper())
        }
        for message in getattr(cls, "default_error_messages", {}).values():
            found.add(
                re.sub(
                    r"\{(\w+)\}", lambda m, known=known: known.get(m.group(1)) or f"%({m.group(1)})s", message
                )
            )
    found.update(
        re.sub(r"\{(\w+)\}", r"%(\1)s", message)
        for message in (
            validate.Length.message_min,
            validate.Length.message_max,
            validate.Length.message_all,
            validate.Length.message_equal,
            validate.OneOf.default_message,
            validate.Regexp.default_message,
            validate.URL.default_message,
            validate.Email.default_message,
            *marshmallow.Schema._default_error_messages.values(),
        )
    )
    low, high = (
        (validate.Range.message_gte, validate.Range.message_gt),
        (validate.Range.message_lte, validate.Range.message_lt),
    )
    for minimum, maximum in zip(low, high, strict=True):
        for template in (
            validate.Range.message_all.format(min_op=minimum, max_op=maximum),
            validate.Range.message_min.format(min_op=minimum),
            validate.Range.message_max.format(max_op=maximum),
        ):
            found.add(re.sub(r"\{(\w+)\}", r"%(\1)s", template))
    return found


def test_marshmallow_still_words_its_messages_as_the_translation_table_expects():
    assert set(MARSHMALLOW_MESSAGES) - _marshmallow_wordings() == set()


@pytest.mark.parametrize(
    ("english", "korean"),
    [
        ("Not a valid integer.", "올바른 정수가 아닙니다."),
        ("Longer than maximum length 200.", "최대 길이 200자를 넘습니다."),
        ("Must be greater than or equal to 1.", "1 이상이어야 합니다."),
        ("Must be one of: low, normal.", "다음 중 하나여야 합니다: low, normal."),
        ("Acme Hospital", "Acme Hospital"),
    ],
)
def test_translate_recognises_marshmallow_messages_and_leaves_other_text(app, english, korean):
    with app.test_request_context("/dashboard", headers={"Accept-Language": "ko"}):
        assert translate(english) == korean
