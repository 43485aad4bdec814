"""Each user reads their own notifications through the API, and marks them read."""

from __future__ import annotations

from health_responder.extensions import db
from health_responder.notifications import services as notifications


def _queue(app, users, key, subject="News"):
    with app.app_context(), db.write_session():
        return notifications.notify(users=users, key=key, subject=subject, body="Body")


def test_a_user_sees_only_their_own_notifications_newest_first(app, login_as):
    alice, bob = login_as("city"), login_as("provider")
    _queue(app, [alice.user, bob.user], "first", "First")
    _queue(app, [alice.user], "second", "Second")
    assert _queue(app, [alice.user], "second", "Second again") == 0  # the same news is queued once

    page = alice.get("/api/v1/notifications").json
    assert page["total"] == 2 and [n["subject"] for n in page["items"]] == ["Second", "First"]
    assert [n["subject"] for n in bob.get("/api/v1/notifications").json["items"]] == ["First"]


def test_marking_read_is_idempotent_and_another_users_message_is_404(app, login_as):
    alice, bob = login_as("city"), login_as("coordinator")
    _queue(app, [alice.user], "news")
    [item] = alice.get("/api/v1/notifications").json["items"]

    assert bob.post(f"/api/v1/notifications/{item['id']}/read").status_code == 404
    first = alice.post(f"/api/v1/notifications/{item['id']}/read")
    second = alice.post(f"/api/v1/notifications/{item['id']}/read")

    assert first.status_code == 200 and first.json["read_at"]
    assert second.status_code == 200 and second.json["read_at"] == first.json["read_at"]
    assert alice.get("/api/v1/notifications?unread=true").json["total"] == 0
    assert alice.get("/api/v1/notifications?unread=false").json["total"] == 1


def test_notifications_need_a_login(anonymous):
    assert anonymous.get("/api/v1/notifications").status_code == 401
