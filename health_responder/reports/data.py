"""The input of each PDF document, as plain frozen dataclasses.

The builders in `health_responder.reports.builders` are pure functions of these values: no ORM object,
no Flask, no clock. The feature that prints a document (dispatch, reports, training) reads its rows,
fills one of these and hands it over, so a reprint of unchanged data gives the same bytes.

Every text field is shown as given, literally (markup in it is printed, not interpreted); an empty
string means "not known" and prints as a dash where a value is expected. Sequences may be lists or
tuples. Dates are `datetime.date`; documents print them as ISO ``YYYY-MM-DD``. The day of an instant
(a ship date, a completion) is taken in the reader's zone, and a time is text that names its zone
(``health_responder.zones.format_instant``); date-only values (expiry, needed-by) are printed as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

#: Page sizes a document may ask for (case-insensitive).
PAGE_SIZES = ("A4", "LETTER")


@dataclass(frozen=True)
class Party:
    """One end of a shipment: a solution provider or a member city."""

    name: str
    #: ISO 3166 alpha-2 code, or empty.
    country: str = ""
    #: Postal or delivery address; may span several lines.
    address: str = ""
    #: Contact person, phone or email, free text.
    contact: str = ""


@dataclass(frozen=True)
class DispatchLineData:
    """One line of a dispatch: a quantity of one stock lot."""

    item_code: str
    item_name: str
    lot_code: str
    expires_on: date | None
    quantity: int
    unit: str
    cold_chain: bool = False
    #: Stock location (warehouse) the lot is picked from; the report adds a Location column only
    #: when some line's location differs from the dispatch's ``sender_location``.
    location_name: str = ""
    #: What the city accepted and rejected at receipt; ``None`` until the dispatch is received.
    accepted: int | None = None
    rejected: int | None = None
    #: Why units were rejected (``damaged``, ``expired`` …); ``None`` when none were.
    rejection_reason: str | None = None


@dataclass(frozen=True)
class Signatory:
    """Pre-printed names on the signature blocks of a dispatch report; empty ones are left blank."""

    prepared_by: str = ""
    dispatched_by: str = ""
    transported_by: str = ""
    received_by: str = ""


@dataclass(frozen=True)
class DispatchReportData:
    """A dispatch report: what one provider ships to one city for one request."""

    #: Dispatch reference, e.g. ``DSP-2026-000042``.
    reference: str
    #: The document is dated by the shipment, not by printing, on the receiving city's calendar;
    #: ``None`` while still prepared.
    ship_date: date | None
    #: Dispatch status (``prepared``, ``shipped``, ``received``, ``cancelled``).
    status: str
    request_reference: str
    #: Request priority (``critical``, ``high``, ``normal``, ``low``).
    priority: str
    sender: Party
    #: Stock location the shipment leaves from.
    sender_location: str
    recipient: Party
    carrier: str
    tracking_number: str
    #: Number of packages, or ``None`` when not yet known.
    packages: int | None
    lines: Sequence[DispatchLineData]
    notes: str
    #: Public URL that confirms the document is genuine; encoded in the QR code. Empty: no QR.
    verification_url: str
    #: Short code of the document in the registry, printed next to the QR code.
    verification_code: str
    #: The association printed at the top, e.g. "World Smart Sustainable Cities Organization".
    association_name: str
    #: ``"A4"`` (default) or ``"LETTER"``.
    page_size: str = "A4"
    #: Names pre-printed in the signature blocks.
    signatories: Signatory = field(default_factory=Signatory)
    #: The language its words are printed in: the receiving city's, or the one asked for with ?lang=.
    language: str = "en"
    #: When it shipped and was received, in the receiving city's zone, named (empty: not yet).
    shipped_at: str = ""
    received_at: str = ""

    #: Its language has always been part of its data hash, English included (documents.data_hash).
    HASHES_ENGLISH: ClassVar[bool] = True


@dataclass(frozen=True)
class PickLineData:
    """One lot to take off the shelf for a dispatch."""

    location_name: str
    item_code: str
    item_name: str
    lot_code: str
    expires_on: date | None
    quantity: int
    unit: str
    cold_chain: bool = False
    #: Shelf or bin within the location, if the provider keeps one.
    bin: str = ""


@dataclass(frozen=True)
class PickListData:
    """A pick list: the lots a provider's warehouse takes out for one dispatch.

    The builder sorts the lines by location, then expiry (earliest first, none last), then item and
    lot, and groups them by location, whatever order they come in.
    """

    dispatch_reference: str
    request_reference: str
    priority: str
    provider_name: str
    city_name: str
    #: The day the dispatch was prepared (the document's date) in the sending warehouse's zone.
    prepared_on: date | None
    #: The request's needed-by date, so the picker sees the urgency.
    needed_by: date | None
    lines: Sequence[PickLineData]
    association_name: str
    notes: str = ""
    #: Optional: empty strings print no QR code.
    verification_url: str = ""
    verification_code: str = ""
    page_size: str = "A4"
    #: When it was prepared, in the sending warehouse's zone, named.
    prepared_at: str = ""
    #: The language its words are printed in (see health_responder.languages).
    language: str = "en"


@dataclass(frozen=True)
class TotalRow:
    """One row of a totals table: a network, city, provider or item category."""

    name: str
    #: Dispatches that shipped in the period and concern this row.
    dispatches: int
    #: Units shipped (all units added up).
    quantity: int


@dataclass(frozen=True)
class ScorecardRow:
    """One provider's scorecard over the period (rates 0..1, None when nothing was measured)."""

    provider_name: str
    fill_rate: float | None
    on_time_rate: float | None
    lead_time_p50_hours: float | None
    lead_time_p90_hours: float | None
    discrepancy_rate: float | None
    expiry_write_offs: int


@dataclass(frozen=True)
class LeadTime:
    """Statistics of one lead time over the dispatches of the period, in hours."""

    #: Dispatches measured; 0 prints the averages as a dash.
    count: int
    average_hours: float | None
    median_hours: float | None


@dataclass(frozen=True)
class OverdueRequest:
    """A request whose needed-by date has passed without being fully dispatched."""

    reference: str
    city_name: str
    priority: str
    needed_by: date
    status: str
    #: Days past needed-by at the end of the period.
    days_overdue: int


@dataclass(frozen=True)
class Discrepancy:
    """Units a city rejected on receipt."""

    dispatch_reference: str
    item_code: str
    item_name: str
    rejected: int
    #: ``damaged``, ``expired``, ``wrong_item``, ``lost`` or ``other``.
    reason: str
    city_name: str = ""


@dataclass(frozen=True)
class DispatchSummaryData:
    """The dispatch summary for a period: where equipment went and how fast."""

    association_name: str
    period_from: date
    period_to: date
    #: Rows per regional network; also drawn as the bar chart. Their sum is the grand total.
    totals_by_network: Sequence[TotalRow]
    by_city: Sequence[TotalRow]
    by_provider: Sequence[TotalRow]
    #: Rows per item category; a dispatch with several categories counts in each.
    by_category: Sequence[TotalRow]
    #: From the request's approval to the dispatch's shipment.
    approved_to_shipped: LeadTime
    #: From shipment to the city's receipt.
    shipped_to_received: LeadTime
    #: Requests not yet closed, cancelled, rejected or delivered at the end of the period.
    open_requests: int
    #: The open requests among them whose needed-by date has passed.
    overdue_requests: Sequence[OverdueRequest]
    discrepancies: Sequence[Discrepancy]
    verification_url: str
    verification_code: str
    page_size: str = "A4"
    #: The scorecard of each provider that shipped in the period (or of the provider that asks).
    scorecards: Sequence[ScorecardRow] = ()
    #: The zone whose calendar days the period covers (the reader's), e.g. ``Asia/Seoul``.
    time_zone: str = "UTC"
    #: The language its words are printed in (see health_responder.languages).
    language: str = "en"


@dataclass(frozen=True)
class CertificateData:
    """A training completion certificate for one participant."""

    association_name: str
    participant_name: str
    program_title: str
    #: Display name of the training topic, e.g. "Oxygen therapy".
    topic: str
    provider_name: str
    city_name: str
    #: The day of completion on the participant's city's calendar.
    completed_on: date
    verification_url: str
    verification_code: str
    #: Length of the program in hours, when known.
    duration_hours: float | None = None
    #: Who signs for the provider, and their title; empty leaves the line blank.
    signatory_name: str = ""
    signatory_title: str = ""
    #: Printed landscape: ``"A4"`` (default) or ``"LETTER"``.
    page_size: str = "A4"
    #: The zone of ``completed_on`` (the city's), named on the certificate; ``UTC`` names none.
    time_zone: str = "UTC"
    #: The language its words are printed in (see health_responder.languages).
    language: str = "en"


@dataclass(frozen=True)
class StatisticsReportData:
    """One month's figures of the Data Portal: aggregates only, never a request, a contact or a lot."""

    association_name: str
    #: "YYYY-MM".
    period: str
    period_from: date
    period_to: date
    requests_by_network_and_status: Sequence[dict]
    fill_rate_by_network: Sequence[dict]
    lead_times: dict
    trained_staff_by_topic: Sequence[dict]
    shortage_radar: Sequence[dict]
    verification_url: str = ""
    verification_code: str = ""
    #: The language its words are printed in (see health_responder.languages).
    language: str = "en"
