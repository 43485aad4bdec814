"""Alerts that can be worked: a compact table filtered by kind, status, city, provider and the days
they were raised, each linking to its subject; several resolved at once with one note (one POST, all
or none, each resolution audited), over the page and the API, for every role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.audit.models import AuditEvent
from health_responder.checks import services as alerts
from health_responder.checks.models import Alert
from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from tests.factories import flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def raise_alert(w, kind: str, key: str, message: str, *, city=None, provider=None, subject=None, days_ago=0):
    with w.app.app_context(), db.write_session():
        alert, _new = alerts.raise_alert(
            kind=kind,
            dedup_key=key,
            message=message,
            city_id=city.id if city else None,
            provider_id=provider.id if provider else None,
            subject=subject,
        )
        db.session.flush()
        if days_ago:
            db.session.execute(
                sa.update(Alert)
                .where(Alert.id == alert.id)
                .values(created_at=utcnow() - timedelta(days=days_ago))
            )
        return alert.id


@pytest.fixture
def board(world):
    """Four open alerts: a late request of the city, low stock and a lot near expiry of the provider, and
    the other provider's low stock raised ten days ago."""
    w = world
    request = w.make.submitted_request((w.item, 2))
    return {
        "late": raise_alert(
            w,
            "overdue_request",
            "o:1",
            "Request late",
            city=w.city,
            subject=("assistance_request", request["id"]),
        ),
        "low": raise_alert(
            w, "low_stock", "l:1", "Masks low", provider=w.provider, subject=("item", w.mask.id)
        ),
        "lot": raise_alert(
            w, "near_expiry", "n:1", "Lot expires", provider=w.provider, subject=("stock_lot", w.lots.oxy)
        ),
        "far": raise_alert(
            w,
            "low_stock",
            "l:2",
            "Far masks low",
            provider=w.other_provider,
            subject=("item", w.mask.id),
            days_ago=10,
        ),
        "request": request,
    }


def messages(html: str) -> list[str]:
    body = html[html.index('<table class="alerts">') :]
    body = body[: body.index("</table>")]
    return re.findall(r'<td class="prose">(?:<a href="[^"]*">)?([^<]+)', body)


def test_each_role_sees_its_alerts_in_the_table_with_links_to_their_subjects(world, board):
    w = world
    coordinator = w.page("coordinator").html("/alerts")
    assert sorted(messages(coordinator)) == ["Far masks low", "Lot expires", "Masks low", "Request late"]
    assert f'<a href="/requests/{board["request"]["id"]}">Request late</a>' in coordinator
    assert f'<a href="/stock/lots/{w.lots.oxy}">Lot expires</a>' in coordinator
    assert f'<a href="/stock?item_id={w.mask.id}">Masks low</a>' in coordinator
    assert sorted(messages(w.page("provider").html("/alerts"))) == ["Lot expires", "Masks low"]
    assert messages(w.page("other_provider").html("/alerts")) == ["Far masks low"]
    city = w.page("city").html("/alerts")
    assert messages(city) == ["Request late"] and 'name="city_id"' not in city
    assert messages(w.page("other_city").html("/alerts")) == []


def test_the_filters_narrow_the_table_by_kind_city_provider_status_and_day(world, board):
    w = world
    page = w.page("coordinator")
    assert sorted(messages(page.html("/alerts?kind=low_stock"))) == ["Far masks low", "Masks low"]
    assert messages(page.html(f"/alerts?city_id={w.city.id}")) == ["Request late"]
    assert sorted(messages(page.html(f"/alerts?provider_id={w.provider.id}"))) == ["Lot expires", "Masks low"]
    today, old = utc_today(), utc_today() - timedelta(days=10)
    assert messages(page.html(f"/alerts?raised_to={(today - timedelta(days=1)).isoformat()}")) == [
        "Far masks low"
    ]
    assert messages(page.html(f"/alerts?raised_from={old.isoformat()}&raised_to={old.isoformat()}")) == [
        "Far masks low"
    ]
    assert "Far masks low" not in messages(page.html(f"/alerts?raised_from={today.isoformat()}"))
    assert messages(page.html("/alerts?status=resolved")) == []
    # a provider's filter by another tenant is ignored: it still sees only its own
    assert sorted(messages(w.page("provider").html(f"/alerts?provider_id={w.other_provider.id}"))) == [
        "Lot expires",
        "Masks low",
    ]
    listed = w.api["coordinator"].get("/api/v1/alerts", query_string={"raised_from": today.isoformat()}).json
    assert {a["message"] for a in listed["items"]} == {"Request late", "Masks low", "Lot expires"}


def resolutions(app) -> list[tuple[int, str, int]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.resolve").order_by(AuditEvent.id)
        ).all()
        return [(e.subject_id, e.after["resolution"], e.actor_id) for e in events]


def test_a_provider_resolves_several_alerts_with_one_note_in_one_post(world, board):
    w = world
    page = w.page("provider")
    path = "/alerts?kind=&status=open"
    data = {"alert_ids": [str(board["low"]), str(board["lot"])], "note": "Restocked and relabelled."}
    answer = page.post("/alerts/resolve?status=open", data, page=path)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/alerts?status=open")
    html = page.html("/alerts?status=open")
    assert "2 alerts are resolved." in " ".join(flashes(html)) and messages(html) == []
    resolved = page.html("/alerts?status=resolved")
    assert resolved.count("Restocked and relabelled.") == 2
    user = w.users["provider"].id
    assert resolutions(w.app) == [
        (board["low"], "Restocked and relabelled.", user),
        (board["lot"], "Restocked and relabelled.", user),
    ]


def test_a_batch_with_an_alert_of_another_tenant_changes_nothing(world, board):
    w = world
    page = w.page("provider")
    data = {"alert_ids": [str(board["low"]), str(board["far"])], "note": "x"}
    answer = page.post("/alerts/resolve", data, page="/alerts")
    html = text(answer)
    assert answer.status_code == 422 and f"No alert {board['far']}." in html
    assert "checked" in html and f'value="{board["low"]}" id="alert-{board["low"]}" checked' in html
    assert resolutions(w.app) == []
    city = w.page("city").post("/alerts/resolve", {"alert_ids": [str(board["low"])]}, page="/alerts")
    assert city.status_code == 422 and resolutions(w.app) == []


def test_a_batch_with_an_alert_resolved_meanwhile_changes_nothing(world, board):
    w = world
    assert w.api["coordinator"].post(f"/api/v1/alerts/{board['low']}/resolve", json={}).status_code == 200
    page = w.page("coordinator")
    answer = page.post(
        "/alerts/resolve", {"alert_ids": [str(board["low"]), str(board["lot"])]}, page="/alerts"
    )
    assert answer.status_code == 409 and "already resolved; nothing was changed" in text(answer)
    assert len(resolutions(w.app)) == 1  # only the first, single resolution


def test_nothing_chosen_is_named_next_to_the_table(world, board):
    answer = world.page("coordinator").post("/alerts/resolve", {"note": "all of them"}, page="/alerts")
    html = text(answer)
    assert answer.status_code == 422 and "Choose 1 to 200 alerts." in html and 'href="#alert_ids"' in html
    assert "all of them" in html  # what was typed comes back


def test_the_api_resolves_a_batch_for_staff_and_answers_each_alert(world, board):
    w = world
    answer = w.api["coordinator"].post(
        "/api/v1/alerts/resolve", json={"alert_ids": [board["late"], board["far"]], "note": "Handled."}
    )
    assert answer.status_code == 200, answer.json
    assert [(a["id"], a["status"], a["resolution"]) for a in answer.json] == [
        (board["late"], "resolved", "Handled."),
        (board["far"], "resolved", "Handled."),
    ]
    bad = w.api["coordinator"].post("/api/v1/alerts/resolve", json={"alert_ids": []})
    assert bad.status_code == 422 and "alert_ids" in bad.json["errors"]
    text_ids = w.api["coordinator"].post("/api/v1/alerts/resolve", json={"alert_ids": ["1"]})
    assert text_ids.status_code == 422


def test_the_alerts_table_in_korean(world, board):
    page = world.page("provider")
    page.post("/language", {"locale": "ko", "next": "/alerts"})
    html = page.html("/alerts")
    assert "선택한 경보 해결" in html and "발생일(부터)" in html
    answer = page.post("/alerts/resolve", {"alert_ids": [str(board["low"])]}, page="/alerts")
    assert "경보 1건을 해결했습니다." in " ".join(flashes(page.html("/alerts")))
    assert answer.status_code == 302


def test_the_link_of_an_alert_without_a_page_of_its_own_opens_the_table_at_its_kind(world, board):
    """An alert raised with no link notifies with /alerts/<id>: it opens for whom it concerns, 404 for others."""
    from health_responder.notifications.models import Notification

    with world.app.app_context():
        links = set(db.session.scalars(select(Notification.link).where(Notification.link.like("/alerts/%"))))
    assert f"/alerts/{board['late']}" in links
    answer = world.page("city").client.get(f"/alerts/{board['late']}", follow_redirects=True)
    assert answer.status_code == 200 and "Request late" in answer.get_data(as_text=True)
    assert world.page("other_city").client.get(f"/alerts/{board['late']}").status_code == 404
