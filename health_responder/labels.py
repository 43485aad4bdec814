"""The words people read for codes: one translated label for every state, priority, reason, kind and check.

The pages (the ``label`` and ``check_label`` template filters), the error messages that name a code
(``errors.code_label``) and anything else that shows a code to a person take it from here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: One translated label for every state, priority, reason and kind the pages show.
LABELS: dict[str, object] = {
    # request states
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "partially_allocated": _l("Partially allocated"),
    "allocated": _l("Allocated"),
    "partially_dispatched": _l("Partially dispatched"),
    "dispatched": _l("Dispatched"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    # dispatch, allocation, lot, enrolment, program, alert and job states
    "prepared": _l("Prepared"),
    "shipped": _l("Shipped"),
    "received": _l("Received"),
    "reserved": _l("Reserved"),
    "released": _l("Released"),
    "available": _l("Available"),
    "quarantined": _l("Quarantined"),
    "recalled": _l("Recalled"),
    "enrolled": _l("Enrolled"),
    "waitlisted": _l("Waitlisted"),
    "attended": _l("Attended"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
    "published": _l("Published"),
    "open": _l("Open"),
    "resolved": _l("Resolved"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "abandoned": _l("Abandoned"),
    # priorities
    "critical": _l("Critical"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
    # rejection and adjustment reasons
    "damaged": _l("Damaged"),
    "expired": _l("Expired"),
    "wrong_item": _l("Wrong item"),
    "lost": _l("Lost"),
    "other": _l("Other"),
    "found": _l("Found"),
    "recount": _l("Recount"),
    "correction": _l("Correction"),
    "donation": _l("Donation"),
    # availability levels of the public provider directory, provider kinds
    "in_stock": _l("In stock"),
    "out": _l("Out of stock"),
    "manufacturer": _l("Manufacturer"),
    "distributor": _l("Distributor"),
    "ngo": _l("NGO"),
    "webinar": _l("Webinar"),
    # roles, modes, alert kinds, severities
    "city": _l("City"),
    "provider": _l("Provider"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
    "online": _l("Online"),
    "onsite": _l("On site"),
    "overdue_request": _l("Overdue request"),
    "low_stock": _l("Low stock"),
    "near_expiry": _l("Lot near expiry"),
    "readiness_gap": _l("Training readiness gap"),
    "unusable_lot": _l("Reserved lot quarantined or recalled"),
    "warning": _l("Warning"),
    "info": _l("Information"),
    # movement kinds
    "receipt": _l("Receipt"),
    "adjustment": _l("Adjustment"),
    "reservation": _l("Reservation"),
    "release": _l("Release"),
    "dispatch": _l("Dispatch"),
    "return": _l("Return"),
    "expiry_writeoff": _l("Expiry write-off"),
    # equipment categories (an item's category is a code any admin may add: unknown ones read as words)
    "respiratory": _l("Respiratory"),
    "diagnostics": _l("Diagnostics"),
    "monitoring": _l("Monitoring"),
    "ppe": _l("Personal protective equipment"),
    "cold_chain": _l("Cold chain"),
    "consumables": _l("Consumables"),
    "emergency": _l("Emergency care"),
    "imaging": _l("Imaging"),
    "medicines": _l("Medicines"),
    "power": _l("Power"),
    "shelter": _l("Shelter"),
    "vaccines": _l("Vaccines"),
    "wash": _l("Water, sanitation and hygiene"),
    # what a run of send_notifications does with a message (notifications/delivery.py)
    "by_email": _l("By email"),
    "app_only_no_server": _l("In the app only (no email server)"),
    "app_only_no_address": _l("In the app only (no active email address)"),
    "given_up": _l("Given up (too many attempts)"),
    "email_retry": _l("Refused by the email server: tried again next run"),
    "email_failed": _l("Refused by the email server: given up"),
    # what a run of monthly_statistics does with the month's report (publications/jobs.py)
    "statistics_report": _l("Statistics report"),
    # kinds of document (documents/pages.py KINDS words them for the verify page)
    "dispatch_report": _l("Dispatch report"),
    "pick_list": _l("Pick list"),
    "dispatch_summary": _l("Dispatch summary"),
    "lot_label": _l("Lot label"),
    "dispatch_labels": _l("Dispatch labels"),
    "report_publish": _l("Publish in the Data Portal"),
    "report_already_published": _l("Already published: nothing to do"),
    # what started a job run
    "schedule": _l("Schedule"),
    "manual": _l("Manual"),
    "cli": _l("Command line"),
}

#: What each scheduled check does, in the reader's language.
CHECK_LABELS: dict[str, object] = {
    "auto_allocate": _l("Allocate stock to approved requests"),
    "overdue_requests": _l("Find overdue requests"),
    "low_stock": _l("Find low stock"),
    "near_expiry": _l("Find lots near expiry"),
    "readiness_gaps": _l("Find training readiness gaps"),
    "training_reminders": _l("Send training reminders"),
    "send_notifications": _l("Send notifications"),
    "monthly_statistics": _l("Publish the monthly statistics report"),
    "prune_documents": _l("Delete expired ad-hoc documents"),
}


#: What each count of a check's run means, in the reader's language (the keys are the runs' ``counts``).
COUNT_LABELS: dict[str, object] = {
    # auto_allocate
    "requests_seen": _l("Requests looked at"),
    "requests_served": _l("Requests given stock"),
    "requests_complete": _l("Requests fully allocated"),
    "requests_skipped": _l("Requests skipped (changed meanwhile)"),
    "lines_seen": _l("Lines looked at"),
    "lines_allocated": _l("Lines given stock"),
    "lines_short": _l("Lines still short"),
    "allocations": _l("Allocations"),
    "units": _l("Units"),
    "conflicts": _l("Lots taken by someone else meanwhile"),
    "lost_races": _l("Requests another run served first"),
    "transactions": _l("Transactions"),
    "notifications": _l("Messages queued"),
    "stopped_early": _l("Stopped early"),
    "planned_truncated": _l("More planned than listed"),
    "messages_truncated": _l("More messages than listed"),
    # the alert checks
    "open": _l("Conditions found"),
    "raised": _l("Alerts raised"),
    "resolved": _l("Alerts resolved"),
    # training reminders
    "programs": _l("Programs starting soon"),
    "participants": _l("Participants reminded"),
    "queued": _l("Reminders queued"),
    # notifications
    "sent": _l("Sent"),
    "retry": _l("To try again"),
    "failed": _l("Failed"),
    "skipped": _l("Shown in the app only (no email server)"),
    "lost_claims": _l("Taken by another sender"),
    "pending": _l("Waiting to be sent"),
    "smtp_configured": _l("Email server configured"),
    # monthly statistics
    "period": _l("Month"),
    "published": _l("Reports published"),
    "already_published": _l("Already published"),
    "would_publish": _l("Reports it would publish"),
    # document retention
    "retention_days": _l("Days ad-hoc documents are kept"),
    "pruned": _l("Documents expired"),
    "would_prune": _l("Documents it would expire"),
    "files_deleted": _l("Files deleted"),
}


def count_label(key: str) -> str:
    """The translated words of a run's count (the key itself, made readable, when unknown)."""
    found = COUNT_LABELS.get(key)
    return str(found) if found is not None else key.replace("_", " ").capitalize()


def label(value) -> str:
    """The translated label of a state, priority, reason, kind or category.

    A code without a label (a category an admin added) reads as words: "field_hospital" → "Field hospital".
    """
    if value is None:
        return ""
    found = LABELS.get(str(value))
    if found is not None:
        return str(found)
    text = str(value)
    return text.replace("_", " ").capitalize() if "_" in text and text.islower() else text


def check_label(name: str) -> str:
    """The translated description of a scheduled check."""
    found = CHECK_LABELS.get(name)
    return str(found) if found is not None else name
