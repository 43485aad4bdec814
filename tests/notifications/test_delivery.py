"""send_notifications against a real SMTP server (aiosmtpd on 127.0.0.1): once each, retried, never twice."""

from __future__ import annotations

import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from health_responder import scheduler
from health_responder.auth.models import User
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.notifications import delivery
from health_responder.notifications import services as notifications
from health_responder.notifications.models import Notification


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse the next N messages (451)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_next = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 Requested action aborted: try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_MAX_ATTEMPTS=3,
        MAIL_DEFAULT_SENDER="responder@example.org",
    )
    yield handler
    controller.stop()


def _queue(app, users, key="request-approved:12", subject="Request REQ-2026-000012 approved") -> None:
    with app.app_context(), db.write_session():
        notifications.notify(
            users=users, key=key, subject=subject, body="It is on its way.", link="/requests/12"
        )


def _rows(app) -> list[Notification]:
    with app.app_context(), db.read_session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        session.expunge_all()
    return rows


def _run(app) -> dict:
    with app.app_context():
        run = scheduler.run_job("send_notifications", scheduled_for=utcnow(), trigger="cli")
    assert run.outcome == "succeeded", run.error
    return run.counts


@pytest.mark.both_databases
def test_each_message_is_delivered_once_with_its_stable_message_id(app, make, inbox):
    alice, bob = (
        make.user("city", email="alice@example.org"),
        make.user("coordinator", email="bob@example.org"),
    )
    _queue(app, [alice, bob])

    first, second = _run(app), _run(app)

    assert first["sent"] == 2 and second["sent"] == 0
    assert sorted(m["To"] for m in inbox.messages) == ["alice@example.org", "bob@example.org"]
    message = next(m for m in inbox.messages if m["To"] == "alice@example.org")
    assert message["Subject"] == "Request REQ-2026-000012 approved"
    assert message["Message-ID"] == f"<request-approved=3A12=3Auser={alice.id}@example.org>".replace(
        "user=", "user=3D"
    )
    assert "It is on its way." in message.get_content() and "/requests/12" in message.get_content()
    assert {r.email_status for r in _rows(app)} == {"sent"} and all(r.email_attempts == 1 for r in _rows(app))


def test_a_refused_message_is_retried_on_the_next_run_then_delivered_once(app, make, inbox):
    user = make.user("city", email="carol@example.org")
    _queue(app, [user])
    inbox.refuse_next = 1

    first = _run(app)
    [row] = _rows(app)
    assert first["retry"] == 1 and row.email_status == "pending" and row.email_attempts == 1
    assert "451" in row.email_error

    second = _run(app)
    [row] = _rows(app)
    assert second["sent"] == 1 and row.email_status == "sent" and row.email_attempts == 2
    assert len(inbox.messages) == 1


def test_a_message_refused_on_every_attempt_ends_failed(app, make, inbox):
    user = make.user("city", email="dave@example.org")
    _queue(app, [user])
    inbox.refuse_next = 10

    counts = [_run(app) for _ in range(4)]

    [row] = _rows(app)
    assert [c["retry"] for c in counts] == [1, 1, 0, 0] and counts[2]["failed"] == 1
    assert row.email_status == "failed" and row.email_attempts == 3 and inbox.messages == []


@pytest.mark.both_databases
def test_two_senders_at_once_never_send_a_message_twice(app, make, inbox):
    users = [make.user("city", email=f"user{i}@example.org") for i in range(12)]
    _queue(app, users)
    barrier = threading.Barrier(2)
    results = []

    def sender():
        with app.app_context():
            barrier.wait()
            results.append(delivery.deliver_pending(now=utcnow(), batch=3))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["sent"] for r in results) == 12
    assert sorted(m["To"] for m in inbox.messages) == sorted(u.email for u in users)
    assert {r.email_status for r in _rows(app)} == {"sent"}


def test_a_claim_left_by_a_dead_sender_is_sent_again_after_it_expires(app, make, inbox):
    user = make.user("city", email="erin@example.org")
    _queue(app, [user])
    with app.app_context():
        [row] = _rows(app)
        assert delivery._claim(row.id, utcnow())  # a sender claimed it, then died

    assert _run(app)["sent"] == 0
    app.config["MAIL_CLAIM_SECONDS"] = 0
    with app.app_context(), db.write_session() as session:
        session.get(Notification, row.id).email_claimed_until = utcnow()
    assert _run(app)["sent"] == 1
    assert [m["To"] for m in inbox.messages] == ["erin@example.org"]


def test_without_smtp_messages_stay_in_the_app(app, make):
    user = make.user("city")
    _queue(app, [user])

    counts = _run(app)

    assert counts["skipped"] == 1 and _rows(app)[0].email_status == "skipped"


@pytest.mark.both_databases
def test_the_dry_run_lists_each_message_and_what_it_would_do_and_the_real_run_does_exactly_that(
    app, make, inbox, coordinator
):
    alice = make.user("city", email="alice@example.org")
    bob = make.user("city", email="bob@example.org")
    carol = make.user("city", email="carol@example.org")
    _queue(app, [alice, bob, carol])
    with app.app_context(), db.write_session() as session:
        session.get(User, bob.id).active = False  # left the city: kept in the app
        tired = session.scalars(select(Notification).where(Notification.user_id == carol.id)).one()
        tired.email_attempts = 3  # MAIL_MAX_ATTEMPTS: one more claim and it is given up

    dry = coordinator.post("/api/v1/jobs/send_notifications/run", json={"dry_run": True}).json["counts"]
    assert inbox.messages == [] and {r.email_status for r in _rows(app)} == {"pending"}
    real = coordinator.post("/api/v1/jobs/send_notifications/run", json={}).json["counts"]

    subject = "Request REQ-2026-000012 approved"
    assert [(m["to"], m["subject"], m["action"]) for m in dry["messages"]] == [
        ("Test city <alice@example.org>", subject, "by_email"),
        ("Test city <bob@example.org>", subject, "app_only_no_address"),
        ("Test city <carol@example.org>", subject, "given_up"),
    ]
    assert real["messages"] == dry["messages"]
    assert [m["To"] for m in inbox.messages] == ["alice@example.org"]
    assert [r.email_status for r in _rows(app)] == ["sent", "skipped", "failed"]


def test_without_smtp_the_dry_run_lists_the_messages_the_real_run_keeps_in_the_app(app, make, coordinator):
    users = [make.user("city"), make.user("coordinator")]
    _queue(app, users)

    dry = coordinator.post("/api/v1/jobs/send_notifications/run", json={"dry_run": True}).json["counts"]
    real = coordinator.post("/api/v1/jobs/send_notifications/run", json={}).json["counts"]

    assert [m["action"] for m in dry["messages"]] == ["app_only_no_server"] * 2
    assert [m["id"] for m in dry["messages"]] == [r.id for r in _rows(app)]
    assert real["messages"] == dry["messages"] and real["skipped"] == 2
