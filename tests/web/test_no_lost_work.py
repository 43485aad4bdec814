"""No lost work: a form refused because its CSRF token expired or its session ended comes back filled.

The refused POST writes nothing and is not answered with a bare 400: the browser goes back to the
form (through the login page when the session ended) and the form shows what was typed, never a
password, with a message saying it was not sent. In English and in Korean.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.web.models import FormStash
from tests.factories import JUSTIFICATION, PASSWORD, PageClient, csrf_token, flashes, future, text

pytestmark = pytest.mark.usefixtures("shelves")

FORM_PAGE = "http://localhost/requests/new"
#: What the form says when it comes back, and what the login page says when the session ended.
BACK = {
    "en": "Your form was not sent. What you typed is back: check it and send it again.",
    "ko": "양식이 전송되지 않았습니다. 입력하신 내용을 되살렸습니다. 확인하고 다시 보내 주세요.",
}
SIGN_IN = {
    "en": "Your session has ended, so the form was not sent. Sign in: what you typed is kept.",
    "ko": "세션이 끝나 양식이 전송되지 않았습니다. 로그인하시면 입력하신 내용이 보존되어 있습니다.",
}
JUSTIFICATION_KO = "산소 농축기가 겨울 호흡기 환자 급증에 필요합니다 — 야간 병동 두 곳."


def _speaking(client, language: str) -> None:
    """The client's pages in ``language`` (the switch a person uses)."""
    token = csrf_token(text(client.get("/login")))
    client.post("/language", data={"locale": language, "next": "/login", "csrf_token": token})


def _typed(w, justification: str) -> dict:
    return {
        "priority": "critical",
        "needed_by": future().isoformat(),
        "justification": justification,
        "delivery_contact": "Dock 3, ask for Ms. Kim",
        "lines-0-item_id": str(w.item.id),
        "lines-0-quantity": "17",
        "action": "submit",
    }


def _requests(app) -> int:
    with app.app_context():
        return db.session.execute(sa.text("select count(*) from assistance_request")).scalar_one()


def _assert_filled(html: str, w, justification: str) -> None:
    assert justification in html
    assert "Dock 3, ask for Ms. Kim" in html
    assert 'value="17"' in html
    assert f'<option selected value="{w.item.id}">' in html or f'value="{w.item.id}" selected' in html
    assert 'value="critical" selected' in html or '<option selected value="critical">' in html


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_expired_csrf_token_brings_the_form_back_filled(app, world, language):
    w = world
    page = PageClient(app, w.users["city"])
    _speaking(page.client, language)
    app.config["WTF_CSRF_TIME_LIMIT"] = 1  # the app fixture restores the configuration
    token = csrf_token(page.html("/requests/new"))
    time.sleep(2.1)  # the token is now older than its time limit
    justification = JUSTIFICATION_KO if language == "ko" else JUSTIFICATION
    answer = page.client.post(
        "/requests/new",
        data=_typed(w, justification) | {"csrf_token": token},
        headers={"Referer": FORM_PAGE, "Origin": "http://localhost"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/requests/new?restore=")
    assert _requests(app) == 0  # refused: nothing was written
    back = page.get(answer.headers["Location"])
    html = text(back)
    assert back.status_code == 200
    assert BACK[language] in flashes(html)
    _assert_filled(html, w, justification)
    # Sending it again (with the fresh token of the page that came back) goes through.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    sent = page.client.post("/requests/new", data=_typed(w, justification) | {"csrf_token": csrf_token(html)})
    assert sent.status_code == 302 and _requests(app) == 1


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_form_sent_after_the_session_ended_comes_back_after_signing_in(app, world, language):
    w = world
    user = w.users["city"]
    page = PageClient(app, user)
    _speaking(page.client, language)
    token = csrf_token(page.html("/requests/new"))
    # The session ends elsewhere: logging out in another browser ends every page session of the user.
    other = PageClient(app, user)
    other.client.post("/logout", data={"csrf_token": other.token()})
    justification = JUSTIFICATION_KO if language == "ko" else JUSTIFICATION
    answer = page.client.post(
        "/requests/new", data=_typed(w, justification) | {"csrf_token": token}, headers={"Referer": FORM_PAGE}
    )
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")
    assert _requests(app) == 0
    login = page.get(answer.headers["Location"])
    assert login.status_code == 200 and SIGN_IN[language] in flashes(text(login))
    signed_in = page.client.post(
        answer.headers["Location"],
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(text(login))},
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"].startswith("/requests/new?restore=")
    html = text(page.get(signed_in.headers["Location"]))
    assert BACK[language] in flashes(html)
    _assert_filled(html, w, justification)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_form_sent_with_no_session_left_at_all_comes_back_after_signing_in(app, world, language):
    """The cookie itself is gone (expired, or cleared): the CSRF check refuses first, and the form still comes back."""
    w = world
    user = w.users["city"]
    page = PageClient(app, user)
    token = csrf_token(page.html("/requests/new"))
    page.client.delete_cookie("session")
    _speaking(page.client, language)
    justification = JUSTIFICATION_KO if language == "ko" else JUSTIFICATION
    answer = page.client.post(
        "/requests/new", data=_typed(w, justification) | {"csrf_token": token}, headers={"Referer": FORM_PAGE}
    )
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")
    assert SIGN_IN[language] in flashes(text(page.get(answer.headers["Location"])))
    login = page.get(answer.headers["Location"])
    signed_in = page.client.post(
        answer.headers["Location"],
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(text(login))},
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"].startswith("/requests/new?restore=")
    html = text(page.get(signed_in.headers["Location"]))
    _assert_filled(html, w, justification)
    assert _requests(app) == 0


def test_passwords_are_never_kept(app, world):
    admin = world.page("admin")
    admin.get("/admin/users/new")
    admin.client.delete_cookie("session")  # the session ended while the form was open
    answer = admin.client.post(
        "/admin/users/new",
        data={
            "email": "new.nurse@example.org",
            "name": "New Nurse",
            "role": "city",
            "password": "s3cret-Horse-77",
        },
        headers={"Referer": "http://localhost/admin/users/new"},
    )
    assert answer.status_code == 303
    with app.app_context():
        kept = [json.loads(row) for row in db.session.execute(sa.select(FormStash.fields)).scalars()]
    assert len(kept) == 1
    assert ["email", "new.nurse@example.org"] in kept[0]
    assert all("password" not in name and "s3cret" not in value for name, value in kept[0])


def test_what_one_user_typed_never_fills_another_users_form(app, world):
    w = world
    page = PageClient(app, w.users["city"])
    page.html("/requests/new")
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    token = csrf_token(page.html("/requests/new"))
    time.sleep(2.1)
    answer = page.client.post(
        "/requests/new", data=_typed(w, JUSTIFICATION) | {"csrf_token": token}, headers={"Referer": FORM_PAGE}
    )
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    stranger = world.page("coordinator")
    html = text(stranger.get(answer.headers["Location"]))
    assert JUSTIFICATION not in html and "Dock 3" not in html
    assert any("no longer kept" in message for message in flashes(html))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Referer": "https://elsewhere.example/form"},
        {"Referer": FORM_PAGE, "Origin": "https://evil.example"},
        {"Referer": "http://localhost/\\evil.example/form"},
    ],
    ids=["no-referer", "another-site", "another-origin", "backslash-path"],
)
def test_a_refused_post_from_anywhere_else_stays_a_plain_400(app, world, headers):
    """Nobody can pre-fill a form for someone else: only a form of this site comes back."""
    page = world.page("city")
    answer = page.client.post(
        "/requests/new", data=_typed(world, JUSTIFICATION) | {"csrf_token": "forged"}, headers=headers
    )
    assert answer.status_code == 400 and "CSRF" in text(answer)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(FormStash)).scalar_one() == 0


def test_the_api_still_answers_its_json_400(app, world):
    answer = world.page("city").client.post(
        "/api/v1/requests", json={"priority": "high"}, headers={"Referer": FORM_PAGE}
    )
    assert answer.status_code in (400, 401) and answer.is_json


def test_of_a_pages_many_small_forms_only_the_one_sent_comes_back_filled(app, world):
    """The allocation page has one form per line and lot: the typed quantity returns to its own row only."""
    from tests.factories import api_request

    w = world
    req = api_request(w, (w.item, 8), approve=True)
    path = f"/requests/{req['id']}/allocate"
    coordinator = world.page("coordinator")
    line_id = req["lines"][0]["id"]
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    token = csrf_token(coordinator.html(path))
    time.sleep(2.1)
    answer = coordinator.client.post(
        path,
        data={"line_id": line_id, "lot_id": w.lots.far, "quantity": "3", "csrf_token": token},
        headers={"Referer": f"http://localhost{path}"},
    )
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert answer.status_code == 303
    html = text(coordinator.get(answer.headers["Location"]))
    far = re.search(rf'id="qty-{line_id}-{w.lots.far}"[^>]*>', html).group(0)
    oxy = re.search(rf'id="qty-{line_id}-{w.lots.oxy}"[^>]*>', html).group(0)
    assert 'value="3"' in far  # what was typed, in the row it was typed in
    assert 'value="3"' not in oxy and 'value="8"' in oxy  # the other row keeps its suggestion
    assert w.api["coordinator"].get(f"/api/v1/requests/{req['id']}").json["status"] == "approved"
