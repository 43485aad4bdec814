"""An alert about a lot (near expiry, expired, unusable because quarantined or recalled) points its
message at the lot's card, /stock/lots/<id>, where its facts, reservations and status controls are:
the link the inbox and the email carry opens the card for the provider and the coordinator, in both
languages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from health_responder.extensions import db
from health_responder.notifications.models import Notification
from tests.factories import days, future

pytestmark = pytest.mark.both_databases


def _links(app, user_id: int) -> set[str]:
    """The links of the messages ``user_id`` got about alerts (their keys are ``alert:<id>``)."""
    with app.app_context(), db.read_session() as session:
        rows = session.execute(
            select(Notification.message_id, Notification.link).where(Notification.user_id == user_id)
        ).all()
    return {link for message_id, link in rows if message_id.startswith("alert:")}


def _opens_the_card(world, key: str, link: str, lot_code: str) -> None:
    for language in ("en", "ko"):
        html = world.page(key).html(f"{link}?lang={language}")
        assert lot_code in html and 'id="ledger-title"' in html, (key, link, language)


def test_near_expiry_and_expired_alerts_link_to_the_lot_card(app, world, make, run_check):
    soon = make.lot(10, expires_on=days(20), code="L-SOON-9")
    gone = make.lot(10, expires_on=days(-2), code="L-GONE-9")
    provider, coordinator = world.users["provider"], world.users["coordinator"]

    run_check("near_expiry")

    expected = {f"/stock/lots/{soon.id}", f"/stock/lots/{gone.id}"}
    assert _links(app, provider.id) == expected
    assert _links(app, coordinator.id) == expected
    for key in ("provider", "coordinator"):
        _opens_the_card(world, key, f"/stock/lots/{soon.id}", "L-SOON-9")
        _opens_the_card(world, key, f"/stock/lots/{gone.id}", "L-GONE-9")


def test_an_unusable_lot_alert_links_to_the_lot_card(app, world, make):
    lot = make.lot(20, expires_on=future(300), code="L-HOLD-9")
    request = make.approved_request((world.item, 4), needed_by=future(60))
    make.allocation(request, 0, lot.id, 4)
    coordinator = world.users["coordinator"]

    answer = world.provider_api.patch(
        f"/api/v1/stock/lots/{lot.id}", json={"status": "quarantined", "note": "QA"}
    )
    assert answer.status_code == 200, answer.json

    assert _links(app, coordinator.id) == {f"/stock/lots/{lot.id}"}
    _opens_the_card(world, "coordinator", f"/stock/lots/{lot.id}", "L-HOLD-9")


def test_the_dashboards_lot_and_alert_panels_open_the_lot_card(app, world, make, run_check):
    soon = make.lot(10, expires_on=days(20), code="L-DASH-9")
    run_check("near_expiry")

    for language in ("en", "ko"):
        provider = world.page("provider").html(f"/dashboard?lang={language}")
        card = f'href="/stock/lots/{soon.id}"'
        # the panel of lots near expiry, and the open alert about it, both lead to the card
        assert provider.count(card) == 2, provider
        assert f'href="/stock/lots/{soon.id}/adjust"' not in provider
        coordinator = world.page("coordinator").html(f"/dashboard?lang={language}")
        assert card in coordinator
