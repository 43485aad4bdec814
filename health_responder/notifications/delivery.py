"""Email delivery of the outbox: at least once, never twice by two senders, one stable Message-ID.

Each message is claimed before it is sent, by a conditional UPDATE (``pending`` → ``sending``, or a
``sending`` claim that expired) whose rowcount says who won: two schedulers, or a scheduler and a
``run-once``, never send the same message at once. A sender that dies after the SMTP server accepted
a message but before it recorded ``sent`` leaves a claim that expires, and the message goes again with
the same ``Message-ID`` (at least once; receivers deduplicate on it). A failure of any kind (the SMTP
server, or a message that cannot be built) is that message's alone: it is counted, the message goes
back to ``pending`` for the next run, until MAIL_MAX_ATTEMPTS attempts have failed (then ``failed``),
and the run goes on with the others.
Without MAIL_SERVER, or for a user without an address, messages stay in the app (``skipped``).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import unicodedata
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.notifications.models import Notification
from health_responder.scheduler.models import JobRun

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, SKIPPED, FAILED = "pending", "sending", "sent", "skipped", "failed"
#: What a run does with each message, as its list says (labels.LABELS words them): sent by email, kept in
#: the app (no email server; no active address), given up after too many attempts, refused by the server
#: (tried again next run, or given up). A dry run lists the first four it would do.
BY_EMAIL, NO_SERVER, NO_ADDRESS, GIVEN_UP = (
    "by_email",
    "app_only_no_server",
    "app_only_no_address",
    "given_up",
)
EMAIL_RETRY, EMAIL_FAILED = "email_retry", "email_failed"
#: Characters allowed in the left part of a Message-ID (RFC 5322 atext and '.'); others are =XX-encoded.
_ATEXT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/?^_`{|}~.")


def message_id_header(message_id: str) -> str:
    """The ``Message-ID`` for an outbox message: its stable id, encoded to be a valid header value."""
    left = "".join(
        ch if ch in _ATEXT and ch != "=" else "".join(f"={b:02X}" for b in ch.encode()) for ch in message_id
    )
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rsplit("@", 1)[-1].strip("> ") if "@" in sender else "health-responder.invalid"
    return f"<{left.strip('.') or 'message'}@{domain}>"


def one_line(text: str) -> str:
    """``text`` as a header value: every line break and control character becomes a space.

    Inputs refuse control characters in one-line fields, but a subject is made of several (a title, a
    lot code, a name): one that got through must not make the header, and so the whole run, fail.
    """
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).split())


def build_email(notification: Notification, to: str) -> EmailMessage:
    """The email for a notification (plain text; the link made absolute)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = one_line(notification.subject)
    message["Message-ID"] = message_id_header(notification.message_id)
    message["Date"] = format_datetime(notification.created_at)
    body = notification.body or notification.subject
    if notification.link:
        body += f"\n\n{config['PUBLIC_BASE_URL'].rstrip('/')}{notification.link}"
    message.set_content(body)
    return message


def _claim(notification_id: int, now: datetime) -> bool:
    lease = timedelta(seconds=int(current_app.config.get("MAIL_CLAIM_SECONDS", 300)))
    with db.write_session() as session:
        claimed = session.execute(
            sa.update(Notification)
            .where(
                Notification.id == notification_id,
                sa.or_(
                    Notification.email_status == PENDING,
                    sa.and_(Notification.email_status == SENDING, Notification.email_claimed_until < now),
                ),
            )
            .values(
                email_status=SENDING,
                email_attempts=Notification.email_attempts + 1,
                email_claimed_until=now + lease,
            )
        ).rowcount
    return claimed == 1


def _settle(notification_id: int, **values) -> None:
    with db.write_session() as session:
        session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id, Notification.email_status == SENDING)
            .values(email_claimed_until=None, **values)
        )


def _candidates(now: datetime, after_id: int, limit: int) -> list[int]:
    with db.read_session() as session:
        ids = session.scalars(
            select(Notification.id)
            .where(
                sa.or_(
                    Notification.email_status == PENDING,
                    sa.and_(Notification.email_status == SENDING, Notification.email_claimed_until < now),
                ),
                Notification.id > after_id,
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    return list(ids)


def _connect() -> smtplib.SMTP:
    config = current_app.config
    # The host name for EHLO without a DNS lookup (smtplib's default getfqdn() can stall for seconds).
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"],
        int(config["MAIL_PORT"]),
        local_hostname=socket.gethostname(),
        timeout=float(config.get("MAIL_TIMEOUT", 10)),
    )
    if config["MAIL_USE_TLS"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


#: How many messages a run lists one by one (its counts keep the totals beyond).
LISTED = 200


def _listed(counts: dict, notification_id: int, user: User | None, subject: str, action: str) -> None:
    """Add one message to the run's list of what it did (or would do), in words the page labels."""
    rows = counts.setdefault("messages", [])
    if len(rows) >= LISTED:
        counts["messages_truncated"] = counts.get("messages_truncated", 0) + 1
        return
    to = "—" if user is None else (f"{user.name} <{user.email}>" if user.name else user.email)
    rows.append({"id": notification_id, "to": to, "subject": one_line(subject)[:200], "action": action})


def _action(*, attempt: int, user: User | None, max_attempts: int) -> str:
    """What a run with an email server does with a message on its ``attempt``-th claim."""
    if attempt > max_attempts:
        return GIVEN_UP
    if user is None or not user.active or not user.email:
        return NO_ADDRESS
    return BY_EMAIL


def _plan(counts: dict, *, now: datetime, max_attempts: int, batch: int) -> dict:
    """A dry run: every message a real run would take now, and what it would do with each; nothing changes."""
    with_server = bool(current_app.config["MAIL_SERVER"])
    counts["smtp_configured"] = with_server
    with db.read_session() as session:
        statement = select(Notification, User).outerjoin(User, User.id == Notification.user_id)
        if with_server:
            statement = statement.where(
                sa.or_(
                    Notification.email_status == PENDING,
                    sa.and_(Notification.email_status == SENDING, Notification.email_claimed_until < now),
                )
            )
        else:
            statement = statement.where(Notification.email_status == PENDING)
        rows = session.execute(statement.order_by(Notification.id).execution_options(yield_per=batch))
        counts["pending"] = 0
        for notification, user in rows:
            counts["pending"] += 1
            # The claim a real run makes counts one more attempt.
            attempt = notification.email_attempts + 1
            action = (
                _action(attempt=attempt, user=user, max_attempts=max_attempts) if with_server else NO_SERVER
            )
            _listed(counts, notification.id, user, notification.subject, action)
    counts.setdefault("messages", [])
    return counts


def _without_sending(counts: dict) -> dict:
    """No SMTP server: every pending message is shown in the app only (``skipped``), each one listed."""
    with db.write_session() as session:
        skipped = session.execute(
            sa.update(Notification)
            .where(Notification.email_status == PENDING)
            .values(email_status=SKIPPED, email_error="No SMTP server configured; shown in the app only.")
            .returning(Notification.id, Notification.user_id, Notification.subject)
        ).all()
        users = {
            u.id: u
            for u in session.scalars(select(User).where(User.id.in_({row.user_id for row in skipped})))
        }
        for row in sorted(skipped, key=lambda r: r.id):
            _listed(counts, row.id, users.get(row.user_id), row.subject, NO_SERVER)
    counts["skipped"] = len(skipped)
    counts.setdefault("messages", [])
    return counts


def deliver_pending(
    *, now: datetime, run: JobRun | None = None, dry_run: bool = False, batch: int = 50
) -> dict:
    """Send every pending message once (a failed one waits for the next run); returns the counts.

    The counts' ``messages`` list each message taken and what was done with it; a dry run lists what a
    real run would do now, the same way, and changes nothing.
    """
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "lost_claims": 0}
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 5))
    if dry_run:
        return _plan(counts, now=now, max_attempts=max_attempts, batch=batch)
    if not config["MAIL_SERVER"]:
        return _without_sending(counts)
    counts["messages"] = []
    last_id = 0  # each message is tried at most once per run: a failed one waits for the next run
    smtp: smtplib.SMTP | None = None
    try:
        while ids := _candidates(utcnow(), last_id, batch):
            for notification_id in ids:
                last_id = notification_id
                if not _claim(notification_id, utcnow()):
                    counts["lost_claims"] += 1
                    continue
                with db.read_session() as session:
                    notification = session.get(Notification, notification_id)
                    user = session.get(User, notification.user_id)
                    session.expunge_all()
                action = _action(attempt=notification.email_attempts, user=user, max_attempts=max_attempts)
                if action != BY_EMAIL:
                    # Given up: claimed again and again by senders that died on it. Or no address.
                    given_up = action == GIVEN_UP
                    _settle(
                        notification_id,
                        email_status=FAILED if given_up else SKIPPED,
                        email_error=(notification.email_error or "Too many attempts.")[:500]
                        if given_up
                        else "The user has no active email address.",
                    )
                    counts["failed" if given_up else "skipped"] += 1
                    _listed(counts, notification_id, user, notification.subject, action)
                    continue
                try:
                    if smtp is None:
                        smtp = _connect()
                    smtp.send_message(build_email(notification, user.email))
                except Exception as error:  # noqa: BLE001 - one message's failure must not stop the others
                    if not isinstance(error, smtplib.SMTPResponseException) and smtp is not None:
                        smtp.close()  # the connection's state is unknown: start the next message afresh
                        smtp = None
                    failed = notification.email_attempts >= max_attempts  # read after the claim counted it
                    reason = f"{error.__class__.__name__}: {error}"[:500]
                    _settle(notification_id, email_status=FAILED if failed else PENDING, email_error=reason)
                    counts["failed" if failed else "retry"] += 1
                    _listed(
                        counts,
                        notification_id,
                        user,
                        notification.subject,
                        EMAIL_FAILED if failed else EMAIL_RETRY,
                    )
                    log.warning(
                        "notification %s not sent (attempt %s): %s",
                        notification_id,
                        notification.email_attempts,
                        reason,
                    )
                    continue
                _settle(notification_id, email_status=SENT, email_sent_at=utcnow(), email_error=None)
                counts["sent"] += 1
                _listed(counts, notification_id, user, notification.subject, BY_EMAIL)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return counts
