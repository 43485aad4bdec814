"""Messages in their recipient's language: their own if they chose one, else their city's, else English;
alerts to providers and staff too (the alert itself stays in English, as the API shows it); the email
carries the same words; the pages of a user who chose no language follow their city's."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from health_responder.auth.models import User
from health_responder.extensions import db
from health_responder.notifications.delivery import build_email
from health_responder.notifications.models import Notification
from health_responder.reference.models import City
from tests.factories import days

#: Messages are rows like any other: the same on both databases.
pytestmark = pytest.mark.both_databases


def speaks(app, user, language: str) -> None:
    with app.app_context(), db.write_session() as session:
        session.execute(sa.update(User).where(User.id == user.id).values(locale=language))


def korean_city(app, city) -> None:
    with app.app_context(), db.write_session() as session:
        session.get(City, city.id).language = "ko"


def messages_of(app, user) -> list[Notification]:
    with app.app_context(), db.read_session() as session:
        rows = session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return rows


def test_a_korean_citys_users_read_its_news_in_korean_unless_they_chose_english(app, world, make):
    korean_city(app, world.city)
    follows_city = make.user("city", city=world.city)  # chose no language
    chose_english = make.user("city", city=world.city)
    speaks(app, chose_english, "en")

    request = make.approved_request((world.item, 3), priority="critical")

    [korean] = messages_of(app, follows_city)
    assert korean.subject == f"{request['reference']} 승인됨"
    assert korean.body == f"요청 {request['reference']}이(가) 승인되었습니다. 재고가 할당될 예정입니다."
    [english] = messages_of(app, chose_english)
    assert english.subject == f"{request['reference']} approved"
    assert english.body.startswith("Your request")


def test_a_user_who_chose_korean_reads_korean_in_an_english_city(app, world, make):
    staff, other = make.user("coordinator"), make.user("admin")
    speaks(app, staff, "ko")
    request = make.submitted_request((world.item, 2), priority="critical")

    [message] = messages_of(app, staff)
    assert message.subject == f"{request['reference']} 제출됨(긴급)"
    assert message.body.startswith(f"요청 {request['reference']}의 검토가 필요합니다.")
    # Another of the staff, who chose nothing and has no city, reads English.
    [english] = messages_of(app, other)
    assert english.subject == f"{request['reference']} submitted (critical)"


def test_an_alert_reaches_each_provider_user_in_their_language_and_stays_english_itself(
    app, world, make, run_check
):
    korean_keeper = make.user("provider", provider=world.near)
    speaks(app, korean_keeper, "ko")
    english_keeper = make.user("provider", provider=world.near)
    world.lot(8, expires_on=days(300))

    run_check("low_stock")

    [korean] = messages_of(app, korean_keeper)
    assert korean.subject == "[주의] Near Supply의 OXY-CONC-10L 가용 재고가 8입니다(기준 10)."
    [english] = messages_of(app, english_keeper)
    assert english.subject == "[warning] Near Supply has 8 OXY-CONC-10L available (threshold 10)."
    alerts = world.coordinator.get("/api/v1/alerts", query_string={"kind": "low_stock"}).json["items"]
    assert [a["message"] for a in alerts] == ["Near Supply has 8 OXY-CONC-10L available (threshold 10)."]
    with app.app_context():
        email = build_email(korean, "keeper@example.org")
    assert email["Subject"] == korean.subject and "가용 재고" in email.get_content()


def test_a_near_expiry_alert_names_the_request_that_could_use_the_lot_in_each_keepers_language(
    app, world, make, run_check
):
    korean_keeper = make.user("provider", provider=world.near)
    speaks(app, korean_keeper, "ko")
    english_keeper = make.user("provider", provider=world.near)
    world.lot(40, expires_on=days(20), code="L-SOON")
    shelf = world.lot(5, expires_on=days(400), code="L-SHELF")
    # Near Supply holds an allocation for the request, so its alert may name it: 5 of 10 still wanted.
    request = make.approved_request((world.item, 10), priority="high", needed_by=days(15))
    make.allocation(request, 0, shelf.id, 5)

    run_check("near_expiry")

    [korean] = [m for m in messages_of(app, korean_keeper) if "L-SOON" in m.subject]
    assert korean.subject.startswith("[주의] 로트 L-SOON(OXY-CONC-10L)는 ")
    assert (
        f"이 로트를 먼저 쓸 수 있는 진행 중인 요청 줄이 1개 있습니다(예: {request['reference']})."
        in korean.subject
    )
    assert "could use it first" not in korean.subject + korean.body
    [english] = [m for m in messages_of(app, english_keeper) if "L-SOON" in m.subject]
    assert f"1 open request line(s) could use it first, e.g. {request['reference']}." in english.subject
    alerts = world.coordinator.get("/api/v1/alerts", query_string={"kind": "near_expiry"}).json["items"]
    assert [request["reference"] in a["message"] and "e.g." in a["message"] for a in alerts] == [True]


def test_a_shipment_tells_a_korean_city_in_korean(app, world, make):
    korean_city(app, world.city)
    clerk = world.users["city"]
    speaks(app, clerk, "")
    _request, dispatch = make.shipped_dispatch(4)

    shipped = [m for m in messages_of(app, clerk) if dispatch["reference"] in m.subject]
    assert [m.subject for m in shipped] == [f"{_request['reference']}의 {dispatch['reference']} 출고됨"]
    assert "도착하면 수령을 확인하십시오." in shipped[0].body and "DHL" in shipped[0].body


def test_the_pages_of_a_user_who_chose_no_language_follow_the_city(app, world, make):
    korean_city(app, world.city)
    speaks(app, world.users["city"], "")
    assert 'lang="ko"' in world.page("city").html("/dashboard")
    # Choosing English on the profile (or the switcher) wins over the city's.
    speaks(app, world.users["city"], "en")
    assert 'lang="en"' in world.page("city").html("/dashboard")


def test_the_profile_offers_the_citys_language_as_the_default(app, world):
    korean_city(app, world.city)
    speaks(app, world.users["city"], "")
    html = world.page("city").html("/profile")

    select = re.search(r'<select id="locale"[^>]*>.*?</select>', html, re.S).group(0)
    assert re.search(
        r'<option selected value="">기본값: 한국어</option>|<option value="" selected>기본값: 한국어', select
    ), select
