"""The data portal's figures, charts and CSV files, from real rows."""

import re
from datetime import timedelta

from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot
from tests.factories import page_login


def _world(app, make):
    network = make.network(code="AfSCN")
    city = make.city(name="Kigali", network=network)
    ppe = make.item(category="ppe")
    provider = make.provider()
    location = make.location(provider)
    now = utcnow()
    with app.app_context(), db.write_session() as s:
        approved = AssistanceRequest(
            city_id=city.id,
            status="partially_dispatched",
            needed_by=utc_today(),
            submitted_at=now - timedelta(hours=10),
            approved_at=now - timedelta(hours=4),
        )
        draft = AssistanceRequest(
            city_id=city.id, status="submitted", needed_by=utc_today(), submitted_at=now
        )
        s.add_all([approved, draft])
        s.flush()
        s.add_all(
            [
                RequestLine(
                    request_id=approved.id,
                    item_id=ppe.id,
                    quantity=100,
                    quantity_allocated=60,
                    quantity_dispatched=40,
                ),
                RequestLine(request_id=draft.id, item_id=ppe.id, quantity=30),
                StockLot(
                    provider_id=provider.id,
                    location_id=location.id,
                    item_id=ppe.id,
                    lot_code="A",
                    on_hand=25,
                    reserved=5,
                ),
                StockLot(
                    provider_id=provider.id,
                    location_id=location.id,
                    item_id=ppe.id,
                    lot_code="OLD",
                    on_hand=99,
                    expires_on=utc_today() - timedelta(days=1),
                ),
            ]
        )
    return city


def test_stats_count_fill_rate_and_shortage(app, make):
    _world(app, make)
    stats = make.api("city").get("/api/v1/stats").json
    assert {"network": "AfSCN", "status": "submitted", "requests": 1} in stats[
        "requests_by_network_and_status"
    ]
    fill = stats["fill_rate_by_network"][0]
    assert (fill["requested"], fill["allocated"], fill["dispatched"], fill["fill_rate"]) == (100, 60, 40, 0.4)
    # Open demand: 40 not yet allocated + 30 submitted; supply: 20 available, the expired lot left out.
    assert stats["shortage_radar"] == [
        {
            "category": "ppe",
            "open_demand": 70,
            "available": 20,
            "coverage": 0.29,
            "short": 50,
            "items_short": 1,
        }
    ]
    assert stats["lead_times"]["submitted_to_approved"]["count"] == 1
    assert stats["lead_times"]["submitted_to_approved"]["mean_hours"] == 6.0


def test_portal_page_draws_svg_charts_and_offers_csv(app, make, client):
    _world(app, make)
    page_login(client, make.user("provider").email)
    html = client.get("/portal/").get_data(as_text=True)
    # the charts are plain SVG: the only scripts are the site's own files (allowed by the CSP), none inline
    assert html.count("<svg") >= 2 and "AfSCN" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    csv = client.get("/portal/shortage-radar.csv")
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        "category,open_demand,available,coverage,short,items_short",
        "ppe,70,20,0.29,50,1",
    ]
    assert client.get("/portal/nothing.csv").status_code == 404


def test_chart_labels_are_escaped(app, make, client):
    from health_responder.portal.charts import bar_chart

    svg = bar_chart("<script>x</script>", [("<b>Seoul & Busan</b>", [1.0])], ["a<b"])
    assert "<script>" not in svg and "&lt;b&gt;Seoul &amp; Busan&lt;/b&gt;" in svg
