"""The send_notifications check: deliver the outbox."""

from __future__ import annotations

from datetime import datetime

from health_responder.notifications import delivery
from health_responder.scheduler.models import JobRun
from health_responder.scheduler.registry import job


@job("send_notifications")
def send_notifications(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Deliver pending notifications by SMTP when MAIL_SERVER is set (at least once, one Message-ID each)."""
    return delivery.deliver_pending(now=now, run=run, dry_run=dry_run)
