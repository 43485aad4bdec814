"""Dispatch documents through the API: read back, registered, verified, superseded when data changes."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from health_responder.db import utc_today, utcnow
from health_responder.dispatch.models import Dispatch, DispatchLine
from health_responder.documents.models import Document
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def shipment(app, make):
    """A shipped dispatch of two lines from a provider to 세종, built from rows."""
    network = make.network(code="CJK")
    city = make.city(name="세종", network=network, delivery_address="세종특별자치시 한누리대로 2130")
    provider = make.provider(name="MedAsia Supply", networks=[network])
    location = make.location(provider, name="Incheon Hub")
    oxy = make.item(code="OXY-CONC-10L", name="Oxygen concentrator 10 L/min")
    pcr = make.item(code="PCR-KIT-96", name="PCR test kit", category="diagnostics", requires_cold_chain=True)
    with app.app_context(), db.write_session() as s:
        request = AssistanceRequest(
            reference="REQ-2026-000042",
            city_id=city.id,
            status="dispatched",
            priority="critical",
            needed_by=utc_today() + timedelta(days=10),
            approved_at=utcnow() - timedelta(hours=30),
        )
        s.add(request)
        s.flush()
        lines = [
            RequestLine(
                request_id=request.id,
                item_id=oxy.id,
                quantity=40,
                quantity_allocated=40,
                quantity_dispatched=40,
            ),
            RequestLine(
                request_id=request.id, item_id=pcr.id, quantity=5, quantity_allocated=5, quantity_dispatched=5
            ),
        ]
        lots = [
            StockLot(
                provider_id=provider.id,
                location_id=location.id,
                item_id=oxy.id,
                lot_code="L-0425",
                on_hand=80,
                expires_on=date(2027, 3, 31),
            ),
            StockLot(
                provider_id=provider.id, location_id=location.id, item_id=pcr.id, lot_code="PCR-7", on_hand=10
            ),
        ]
        s.add_all(lines + lots)
        s.flush()
        dispatch = Dispatch(
            reference="DSP-2026-000007",
            request_id=request.id,
            provider_id=provider.id,
            location_id=location.id,
            city_id=city.id,
            status="shipped",
            carrier="DHL",
            tracking_number="JD0146",
            packages=3,
            shipped_at=utcnow() - timedelta(hours=2),
        )
        s.add(dispatch)
        s.flush()
        s.add_all(
            [
                DispatchLine(
                    dispatch_id=dispatch.id,
                    request_line_id=lines[0].id,
                    lot_id=lots[0].id,
                    item_id=oxy.id,
                    quantity=40,
                ),
                DispatchLine(
                    dispatch_id=dispatch.id,
                    request_line_id=lines[1].id,
                    lot_id=lots[1].id,
                    item_id=pcr.id,
                    quantity=5,
                ),
            ]
        )
        ids = {"dispatch": dispatch.id, "city": city, "provider": provider}
    return ids


def test_the_dispatch_report_reads_back_and_verifies(app, make, shipment, client):
    api = make.api("city", city=shipment["city"])
    response = api.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    for expected in (
        "DSP-2026-000007",
        "REQ-2026-000042",
        "세종",
        "MedAsia Supply",
        "OXY-CONC-10L",
        "L-0425",
        "PCR-KIT-96",
        "DHL",
        "JD0146",
    ):
        assert expected in text, expected
    code = response.headers["X-Verification-Code"]
    verified = client.get(f"/api/v1/documents/verify/{code}")
    assert verified.status_code == 200 and verified.json["genuine"] and verified.json["current"]
    assert verified.json["sha256"] == response.headers["X-Document-SHA256"]
    assert "Genuine" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_a_reprint_of_unchanged_data_is_the_same_file(app, make, shipment):
    api = make.api("coordinator")
    first = api.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf")
    second = api.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf")
    assert first.data == second.data
    assert first.headers["X-Verification-Code"] == second.headers["X-Verification-Code"]
    with app.app_context():
        assert len(db.session.scalars(select(Document)).all()) == 1


def test_changed_data_supersedes_the_old_document(app, make, shipment, client):
    api = make.api("coordinator")
    old = api.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf").headers["X-Verification-Code"]
    with app.app_context(), db.write_session() as s:
        dispatch = s.get(Dispatch, shipment["dispatch"])
        dispatch.status, dispatch.received_at, dispatch.received_by = "received", utcnow(), "Dr. Kim"
    new = api.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf").headers["X-Verification-Code"]
    assert new != old
    assert client.get(f"/api/v1/documents/verify/{old}").json["current"] is False
    assert client.get(f"/api/v1/documents/verify/{new}").json["current"] is True
    with app.app_context():
        paths = [d.path for d in db.session.scalars(select(Document))]
    assert len(set(paths)) == 2 and all(p.startswith(f"{utc_today():%Y/%m}/") for p in paths)


def test_unknown_codes_are_not_genuine(client):
    response = client.get("/api/v1/documents/verify/NOPE12345")
    assert response.status_code == 404 and "code" in response.json["errors"]
    assert client.get("/verify/NOPE12345").status_code == 404


def test_another_tenant_gets_404_for_the_pdfs(make, shipment):
    other_city = make.api("city")
    other_provider = make.api("provider")
    assert other_city.get(f"/api/v1/dispatches/{shipment['dispatch']}/report.pdf").status_code == 404
    assert other_provider.get(f"/api/v1/dispatches/{shipment['dispatch']}/pick-list.pdf").status_code == 404
    assert (
        make.api("city", city=shipment["city"])
        .get(f"/api/v1/dispatches/{shipment['dispatch']}/pick-list.pdf")
        .status_code
        == 403
    )


def test_pick_list_and_summary(make, shipment):
    provider = make.api("provider", provider=shipment["provider"])
    pick = provider.get(f"/api/v1/dispatches/{shipment['dispatch']}/pick-list.pdf")
    assert pick.status_code == 200 and "L-0425" in text_of(pick.data)
    today = utc_today()
    summary = make.api("coordinator").get(
        f"/api/v1/reports/dispatch-summary.pdf?from={today - timedelta(days=30)}&to={today}"
    )
    assert summary.status_code == 200
    text = text_of(summary.data)
    assert "CJK" in text and "MedAsia Supply" in text and "45" in text
    bad = make.api("coordinator").get(
        f"/api/v1/reports/dispatch-summary.pdf?from={today}&to={today - timedelta(days=1)}"
    )
    assert bad.status_code == 422 and "to" in bad.json["errors"]


def test_the_reports_cli_builds_registers_and_reuses(app, runner, shipment, tmp_path):
    first = runner.invoke(args=["reports", "dispatch", "DSP-2026-000007", "--pick-list"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["reports", "dispatch", "DSP-2026-000007"])
    code = first.output.strip().splitlines()[-1].split("code ")[1].rstrip(")")
    assert f"code {code})" in second.output
    assert runner.invoke(args=["reports", "dispatch", "DSP-1999-000001"]).exit_code != 0
    today = utc_today()
    output = tmp_path / "summary.pdf"
    summary = runner.invoke(
        args=[
            "reports",
            "summary",
            "--from",
            str(today - timedelta(days=7)),
            "--to",
            str(today),
            "--output",
            str(output),
        ]
    )
    assert summary.exit_code == 0, summary.output
    assert "MedAsia Supply" in text_of(output.read_bytes())
    backwards = runner.invoke(
        args=["reports", "summary", "--from", str(today), "--to", str(today - timedelta(days=1))]
    )
    assert backwards.exit_code != 0 and "ends before it starts" in backwards.output
