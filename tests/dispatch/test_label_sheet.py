"""A dispatch's sheet of GS1 labels, one per lot, read back by dmtxread."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.barcodes.conftest import EXPIRY, GTIN, yymmdd
from tests.barcodes.decode import read_gs1_datamatrix
from tests.factories import allocate, approved

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "DHL", "tracking_number": "JD0001", "packages": 2}


def test_a_dispatch_sheet_has_a_label_for_every_lot_and_only_its_city_sees_it(app, world, tmp_path):
    w = world
    with app.app_context():
        from health_responder.extensions import db
        from health_responder.reference.models import Item

        with db.write_session() as session:
            session.get(Item, w.item.id).gtin = GTIN
            session.get(Item, w.item2.id).gtin = "04006381333931"
    lot_a = w.make_lot(w.provider, w.location, w.item, 20, expires_on=EXPIRY, lot_code="A-1")
    lot_b = w.make_lot(w.provider, w.location, w.item2, 20, lot_code="B-2")
    req = approved(w, (w.item, 10), (w.item2, 4))
    allocate(w, req, 0, lot_a, 10)
    allocate(w, req, 1, lot_b, 4)
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    assert w.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP).status_code == 200
    response = w.city_api.get(f"/api/v1/dispatches/{dispatch['id']}/labels.pdf")
    assert response.status_code == 200, response.json
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    assert read_gs1_datamatrix(response.data, tmp_path, count=2) == sorted(
        [f"01{GTIN}17{yymmdd(EXPIRY)}10A-1", "0104006381333931" + "10B-2"]
    )
    assert w.other_city_api.get(f"/api/v1/dispatches/{dispatch['id']}/labels.pdf").status_code == 404
