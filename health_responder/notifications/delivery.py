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


def _without_sending(counts: dict, *, dry_run: bool) -> dict:
    """A dry run counts what is pending; with no SMTP server every pending message is skipped (shown in the app)."""
    if dry_run:
        with db.read_session() as session:
            counts["pending"] = session.scalar(
                select(sa.func.count()).where(Notification.email_status == PENDING)
            )
        counts["smtp_configured"] = bool(current_app.config["MAIL_SERVER"])
        return counts
    with db.write_session() as session:
        counts["skipped"] = session.execute(
            sa.update(Notification)
            .where(Notification.email_status == PENDING)
            .values(email_status=SKIPPED, email_error="No SMTP server configured; shown in the app only.")
        ).rowcount
    return counts


def deliver_pending(
    *, now: datetime, run: JobRun | None = None, dry_run: bool = False, batch: int = 50
) -> dict:
    """Send every pending message once (a failed one waits for the next run); returns the counts."""
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "lost_claims": 0}
    if dry_run or not config["MAIL_SERVER"]:
        return _without_sending(counts, dry_run=dry_run)
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 5))
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
                if notification.email_attempts > max_attempts:
                    # Claimed again and again by senders that died on it: it has had its attempts.
                    _settle(
                        notification_id,
                        email_status=FAILED,
                        email_error=(notification.email_error or "Too many attempts.")[:500],
                    )
                    counts["failed"] += 1
                    continue
                if user is None or not user.active or not user.email:
                    _settle(
                        notification_id,
                        email_status=SKIPPED,
                        email_error="The user has no active email address.",
                    )
                    counts["skipped"] += 1
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
                    log.warning(
                        "notification %s not sent (attempt %s): %s",
                        notification_id,
                        notification.email_attempts,
                        reason,
                    )
                    continue
                _settle(notification_id, email_status=SENT, email_sent_at=utcnow(), email_error=None)
                counts["sent"] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return counts
