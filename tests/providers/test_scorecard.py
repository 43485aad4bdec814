"""Provider scorecards computed on a crafted set of requests, dispatches and receipts with known figures.

The records are made through the API (so they are real), then their moments are set to known ones:
September and October 2026, so every duration and month is known.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from health_responder.dispatch.models import Dispatch
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from health_responder.stock.models import StockLot, StockMovement
from tests.factories import allocate, approved
from tests.pdftext import pdftotext

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "DHL", "tracking_number": "JD0001", "packages": 1}
PERIOD = {"from": "2026-09-01", "to": "2026-10-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def set_moments(app, model, row_id: int, **moments) -> None:
    with app.app_context(), db.write_session() as session:
        row = session.get(model, row_id)
        for name, value in moments.items():
            setattr(row, name, value)


def ship(w, request: dict, *, approved_at: str, shipped_at: str, receipt=None) -> dict:
    """Dispatch what is allocated to ``request`` and ship it; record a receipt of (accepted, rejected)."""
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]}).json
    assert w.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP).status_code == 200
    if receipt is not None:
        accepted, rejected = receipt
        line = {"line_id": dispatch["lines"][0]["id"], "accepted": accepted, "rejected": rejected}
        if rejected:
            line["reason"] = "damaged"
        answer = w.city_api.post(
            f"/api/v1/dispatches/{dispatch['id']}/receipt", json={"lines": [line], "received_by": "Ward 3"}
        )
        assert answer.status_code == 200, answer.json
    set_moments(w.app, AssistanceRequest, request["id"], approved_at=at(approved_at))
    set_moments(w.app, Dispatch, dispatch["id"], shipped_at=at(shipped_at))
    return dispatch


@pytest.fixture
def crafted(app, world):
    """Four requests of the world's city; the provider (Acme) has stock of ``item`` only.

    | request | priority (SLA) | asked | Acme allocates | approved         | shipped          | lead | receipt |
    |---------|----------------|-------|----------------|------------------|------------------|------|---------|
    | R1      | high (72 h)    | 10    | 10             | 2026-09-01 00:00 | 2026-09-02 00:00 | 24 h | 8 + 2 rejected |
    | R2      | normal (168 h) | 20    | 15             | 2026-09-10 00:00 | 2026-09-20 00:00 | 240 h (late) | 15 |
    | R3      | critical       | 5 of item2 | 0 (another provider's stock) | 2026-10-01 | — | — | — |
    | R4      | critical (24 h)| 4     | 4              | 2026-10-05 00:00 | 2026-10-05 12:00 | 12 h | not yet |

    and 7 units of an Acme lot written off as expired on 2026-10-20.
    """
    w = world
    w.app = app
    lot = w.make_lot(w.provider, w.location, w.item, 100, lot_code="ACME-1")
    other_lot = w.make_lot(w.other_provider, w.other_location, w.item2, 50, lot_code="OTHER-1")
    set_moments(app, StockLot, lot, created_at=at("2026-08-01T00:00:00"))
    set_moments(app, StockLot, other_lot, created_at=at("2026-08-01T00:00:00"))

    r1 = approved(w, (w.item, 10), priority="high")
    allocate(w, r1, 0, lot, 10)
    ship(w, r1, approved_at="2026-09-01T00:00:00", shipped_at="2026-09-02T00:00:00", receipt=(8, 2))

    r2 = approved(w, (w.item, 20), priority="normal")
    allocate(w, r2, 0, lot, 15)
    ship(w, r2, approved_at="2026-09-10T00:00:00", shipped_at="2026-09-20T00:00:00", receipt=(15, 0))

    r3 = approved(w, (w.item2, 5), priority="critical")
    allocate(w, r3, 0, other_lot, 5)
    set_moments(app, AssistanceRequest, r3["id"], approved_at=at("2026-10-01T00:00:00"))

    r4 = approved(w, (w.item, 4), priority="critical")
    allocate(w, r4, 0, lot, 4)
    ship(w, r4, approved_at="2026-10-05T00:00:00", shipped_at="2026-10-05T12:00:00")

    answer = w.provider_api.post(
        f"/api/v1/stock/lots/{lot}/adjustments", json={"delta": -7, "reason": "expired"}
    )
    assert answer.status_code == 201, answer.json
    set_moments(app, StockMovement, answer.json["id"], created_at=at("2026-10-20T00:00:00"))
    # A lot received after R3's approval does not make Acme a provider that "had stock" for it.
    w.make_lot(w.provider, w.location, w.item2, 5, lot_code="ACME-LATE")
    return w


def test_the_scorecard_gives_the_known_figures_per_month_and_in_total(crafted):
    card = crafted.provider_api.get(f"/api/v1/providers/{crafted.provider.id}/scorecard", query_string=PERIOD)
    assert card.status_code == 200, card.json
    body = card.json
    assert (body["provider_id"], body["from"], body["to"]) == (
        crafted.provider.id,
        "2026-09-01",
        "2026-10-31",
    )
    september, october = body["months"]
    assert september == {
        "month": "2026-09",
        "units_asked": 30,
        "units_allocated": 25,
        "fill_rate": 0.8333,
        "dispatches_shipped": 2,
        "dispatches_on_time": 1,
        "on_time_rate": 0.5,
        "lead_time_p50_hours": 24.0,
        "lead_time_p90_hours": 240.0,
        "units_shipped_received": 25,
        "units_rejected": 2,
        "discrepancy_rate": 0.08,
        "expiry_write_offs": 0,
    }
    assert october == {
        "month": "2026-10",
        "units_asked": 4,
        "units_allocated": 4,
        "fill_rate": 1.0,
        "dispatches_shipped": 1,
        "dispatches_on_time": 1,
        "on_time_rate": 1.0,
        "lead_time_p50_hours": 12.0,
        "lead_time_p90_hours": 12.0,
        "units_shipped_received": 0,
        "units_rejected": 0,
        "discrepancy_rate": None,
        "expiry_write_offs": 7,
    }
    total = body["total"]
    assert (total["units_asked"], total["units_allocated"], total["fill_rate"]) == (34, 29, 0.8529)
    assert (total["dispatches_shipped"], total["dispatches_on_time"], total["on_time_rate"]) == (3, 2, 0.6667)
    assert (total["lead_time_p50_hours"], total["lead_time_p90_hours"]) == (24.0, 240.0)
    assert (total["discrepancy_rate"], total["expiry_write_offs"]) == (0.08, 7)


def test_the_other_provider_is_scored_on_its_own_records(crafted):
    card = crafted.coordinator.get(
        f"/api/v1/providers/{crafted.other_provider.id}/scorecard", query_string=PERIOD
    )
    assert card.status_code == 200, card.json
    total = card.json["total"]
    assert (total["units_asked"], total["units_allocated"], total["fill_rate"]) == (5, 5, 1.0)
    assert total["dispatches_shipped"] == 0 and total["on_time_rate"] is None


def test_who_reads_a_scorecard(crafted, anonymous):
    path = f"/api/v1/providers/{crafted.provider.id}/scorecard"
    assert crafted.other_provider_api.get(path).status_code == 404
    assert crafted.city_api.get(path).status_code == 403
    assert anonymous.get(path).status_code == 401
    assert crafted.admin.get(path).status_code == 200
    assert crafted.coordinator.get("/api/v1/providers/999999/scorecard").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [({"from": "2026-10-01", "to": "2026-09-01"}, "to"), ({"from": "2025-01-01", "to": "2026-10-01"}, "to")],
)
def test_a_bad_period_is_refused_on_to(crafted, query, field):
    card = crafted.coordinator.get(f"/api/v1/providers/{crafted.provider.id}/scorecard", query_string=query)
    assert card.status_code == 422 and field in card.json["errors"]


def test_the_dispatch_summary_pdf_carries_each_providers_scorecard(crafted, tmp_path):
    pdf = crafted.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=PERIOD)
    assert pdf.status_code == 200
    text = pdftotext(pdf.data, tmp_path)
    assert "Provider scorecards" in text
    (row,) = [line for line in text.splitlines() if line.strip().startswith(crafted.provider.name)][-1:]
    assert row.split()[-9:] == ["85.3", "%", "66.7", "%", "24.0", "240.0", "8.0", "%", "7"]
    # The other provider shipped nothing in the period: it is not listed.
    assert crafted.other_provider.name not in text.split("Provider scorecards")[1]


def test_the_scorecard_page_and_the_public_directory(app, crafted, client):
    from tests.factories import PageClient

    provider = PageClient(app, crafted.provider_api.user)
    html = provider.html(
        f"/providers/{crafted.provider.id}/scorecard?period_from=2026-09-01&period_to=2026-10-31"
    )
    september = html[html.index('<th scope="row">2026-09') : html.index('<th scope="row">2026-10')]
    assert "83%" in september and "50%" in september and "240" in september and "8%" in september
    assert provider.get(f"/providers/{crafted.other_provider.id}/scorecard").status_code == 404
    bad = provider.get(
        f"/providers/{crafted.provider.id}/scorecard?period_from=2026-10-01&period_to=2026-09-01"
    )
    assert bad.status_code == 422 and "aria-invalid" in bad.get_data(as_text=True)
    public = client.get("/providers")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert crafted.provider.name in text and crafted.other_provider.name in text
    assert "/scorecard" not in text  # visitors see the summary, not the scorecards
    assert f"/providers/{crafted.provider.id}/scorecard" in provider.html("/providers")
