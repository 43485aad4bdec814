"""The inbox of every role: the bell with the unread count, messages newest first with links that
open for their recipient, mark one and mark all read; in English and Korean."""

from __future__ import annotations

import re

import pytest

from health_responder.extensions import db
from tests.factories import shipped_dispatch

pytestmark = pytest.mark.both_databases

ROLES = ("city", "provider", "coordinator", "admin")


def notify(app, user, subject, link, key):
    from health_responder.notifications import services

    with app.app_context(), db.write_session():
        services.notify(users=[user.id], key=key, subject=subject, body=f"About {subject}", link=link)


def bell_count(html: str) -> int:
    found = re.search(r'class="bell".*?<span class="count">(\d+)', html, re.S)
    return int(found.group(1)) if found else 0


def test_every_link_a_notification_carries_opens_for_its_recipient(app, world):
    w = world
    req, dispatch = shipped_dispatch(w, quantity=4)
    line = dispatch["lines"][0]
    received = w.api["city"].post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={"lines": [{"line_id": line["id"], "accepted": 4, "rejected": 0}], "received_by": "Dr. Kim"},
    )
    assert received.status_code == 200, received.json
    assert w.api["coordinator"].post("/api/v1/jobs/overdue_requests/run").status_code == 200
    opened = 0
    for key in ("city", "provider", "coordinator", "admin"):
        messages = w.api[key].get("/api/v1/notifications?page_size=100").json["items"]
        html = w.page(key).html("/notifications")
        for message in messages:
            assert message["subject"] in html or message["subject"].replace("'", "&#39;") in html
            if message["link"]:
                response = w.page(key).get(message["link"])
                assert response.status_code == 200, (key, message["link"], response.status_code)
                assert f'href="{message["link"]}"' in html
                opened += 1
    assert opened >= 2  # the news of the workflow reached someone, with a link


@pytest.mark.parametrize("role", ROLES)
def test_the_bell_counts_unread_and_the_inbox_marks_one_and_all_read(app, world, role):
    w = world
    user = w.users[role]
    page = w.page(role)
    before = bell_count(page.html("/dashboard"))
    notify(app, user, "First news", "/dashboard", f"t1:{role}")
    notify(app, user, "Second news", "/notifications", f"t2:{role}")
    html = page.html("/dashboard")
    assert bell_count(html) == before + 2
    inbox = page.html("/notifications")
    assert inbox.index("Second news") < inbox.index("First news")  # newest first
    assert inbox.count('class="unread"') == before + 2
    first = w.api[role].get("/api/v1/notifications?page_size=100").json["items"][-1 - 0]
    newest = w.api[role].get("/api/v1/notifications?page_size=1").json["items"][0]
    assert newest["subject"] == "Second news" and first["id"] != newest["id"]
    response = page.post(f"/notifications/{newest['id']}/read", {"open": "1"}, page="/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert bell_count(page.html("/notifications")) == before + 1
    response = page.post("/notifications/read-all", page="/notifications")
    assert response.status_code == 302
    html = page.html("/notifications")
    assert bell_count(html) == 0 and 'class="unread"' not in html
    assert "messages marked read" in html or "message marked read" in html


def test_another_users_notification_is_404_and_a_post_without_csrf_is_400(app, world):
    w = world
    notify(app, w.users["city"], "Only for the city", "/dashboard", "private:1")
    mine = w.api["city"].get("/api/v1/notifications").json["items"][0]
    assert (
        w.page("other_city").post(f"/notifications/{mine['id']}/read", page="/notifications").status_code
        == 404
    )
    assert w.page("city").post(f"/notifications/{mine['id']}/read", token=False).status_code == 400
    assert w.page("other_city").html("/notifications").count("Only for the city") == 0


def test_a_link_to_another_site_is_not_a_link(app, world):
    w = world
    notify(app, w.users["city"], "Phishing", "//evil.example.org/x", "evil:1")
    html = w.page("city").html("/notifications")
    assert "Phishing" in html and "evil.example.org" not in html


def test_the_inbox_in_korean(app, world):
    w = world
    notify(app, w.users["city"], "News", "/dashboard", "ko:1")
    page = w.page("city")
    page.post("/language", {"locale": "ko", "next": "/notifications"})
    html = page.html("/notifications")
    assert "알림" in html and "모두 읽음으로 표시" in html and "읽지 않음" in html
    assert "Mark all as read" not in html


def test_the_api_marks_all_read(app, world):
    w = world
    notify(app, w.users["provider"], "A", None, "api:a")
    notify(app, w.users["provider"], "B", None, "api:b")
    answer = w.api["provider"].post("/api/v1/notifications/read-all", json={})
    assert answer.status_code == 200 and answer.json["marked"] >= 2
    assert w.api["provider"].get("/api/v1/notifications?unread=true").json["total"] == 0
