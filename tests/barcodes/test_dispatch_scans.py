"""Scanning a dispatch's lots: the pick list check (API and page) marks the scanned lot's line, and the
receipt form fills the scanned lot's line. Raw GS1 strings with GS separators, as a scanner sends them."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlmodel import select

from health_responder.extensions import db
from tests.barcodes.conftest import EXPIRY, GS, GTIN, UNKNOWN_GTIN, yymmdd
from tests.clients import PageClient, flashes, text
from tests.factories import request_body

pytestmark = pytest.mark.both_databases

#: A second GS1 example GTIN (EAN-13 5901234123457), for an item with a lot that does not expire.
OXIMETER_GTIN = "05901234123457"


def raw(gtin: str, lot: str, expiry=None) -> str:
    """A raw element string as a DataMatrix scanner types it: symbology identifier, GS after the lot."""
    expiry_part = f"17{yymmdd(expiry)}" if expiry else ""
    return f"]d201{gtin}{expiry_part}10{lot}{GS}21SN-9"


@pytest.fixture
def prepared(make, world, keeper):
    """A prepared dispatch of Acme's: 5 of lot LOT-A (oxygen concentrator) and 3 of LOT-C (oximeter)."""
    oximeter = make.item(code="PULSE-OX", name="Pulse oximeter", category="monitoring", gtin=OXIMETER_GTIN)

    def receive(gs1, quantity=20):
        answer = keeper.post(
            "/api/v1/stock/lots", json={"gs1": gs1, "location_id": world.location.id, "quantity": quantity}
        )
        assert answer.status_code == 201, answer.json
        return answer.json

    lot_a = receive(f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-A")
    lot_b = receive(f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-B")
    lot_c = receive(f"(01){OXIMETER_GTIN}(10)LOT-C")
    city = make.city(name="Sejong")
    city_api = make.api("city", city=city)
    coordinator = make.api("coordinator")
    request = city_api.post("/api/v1/requests", json=request_body((world.item, 5), (oximeter, 3))).json
    assert city_api.post(f"/api/v1/requests/{request['id']}/submit").status_code == 200
    assert coordinator.post(f"/api/v1/requests/{request['id']}/approve").status_code == 200
    for line, lot, quantity in zip(request["lines"], (lot_a, lot_c), (5, 3), strict=True):
        answer = coordinator.post(
            f"/api/v1/requests/{request['id']}/allocations",
            json={"line_id": line["id"], "lot_id": lot["id"], "quantity": quantity},
        )
        assert answer.status_code == 201, answer.json
    dispatch = keeper.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert dispatch.status_code == 201, dispatch.json
    lines = {line["lot_id"]: line for line in dispatch.json["lines"]}
    return SimpleNamespace(
        dispatch=dispatch.json,
        request=request,
        city=city,
        city_user=city_api.user,
        coordinator=coordinator,
        oximeter=oximeter,
        line_a=lines[lot_a["id"]],
        line_c=lines[lot_c["id"]],
        lot_b=lot_b,
    )


def check(client, prepared, data):
    return client.post(f"/api/v1/dispatches/{prepared.dispatch['id']}/pick-check", json={"data": data})


def checked_lines(keeper, prepared) -> dict[int, str | None]:
    lines = keeper.get(f"/api/v1/dispatches/{prepared.dispatch['id']}").json["lines"]
    return {line["id"]: line["checked_at"] for line in lines}


# --- the pick list check over the API --------------------------------------------------------------


def test_a_scanned_lot_checks_its_line_once_and_the_progress_counts(app, keeper, prepared):
    first = check(keeper, prepared, raw(GTIN, "LOT-A", EXPIRY))
    assert first.status_code == 200, first.json
    assert first.json["line"]["id"] == prepared.line_a["id"] and first.json["line"]["checked_at"]
    assert (first.json["checked"], first.json["lines"]) == (1, 2)
    again = check(keeper, prepared, f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-A")
    assert again.json["line"]["checked_at"] == first.json["line"]["checked_at"] and again.json["checked"] == 1
    assert checked_lines(keeper, prepared)[prepared.line_c["id"]] is None
    last = check(keeper, prepared, raw(OXIMETER_GTIN, "LOT-C"))
    assert (last.json["line"]["id"], last.json["checked"], last.json["lines"]) == (
        prepared.line_c["id"],
        2,
        2,
    )
    assert all(checked_lines(keeper, prepared).values())
    from health_responder.audit.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dispatch.line_checked")
        ).all()
        assert [e.after["line_id"] for e in events] == [prepared.line_a["id"], prepared.line_c["id"]]


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        (
            raw(GTIN, "LOT-B", EXPIRY),
            "Wrong lot: lot LOT-B of OXY-CONC-10L is not on dispatch {ref}, which takes lot LOT-A.",
        ),
        (
            raw(GTIN, "LOT-A", EXPIRY.replace(day=1) if EXPIRY.day != 1 else EXPIRY.replace(day=2)),
            "Lot LOT-A: the label says it expires",
        ),
        (f"(01){UNKNOWN_GTIN}(10)LOT-A", "Unknown GTIN 04006381333931"),
        (f"(01){GTIN}(17){yymmdd(EXPIRY)}", "No lot code"),
        (f"(01){GTIN[:-1]}9(10)LOT-A", "Wrong check digit"),
    ],
)
def test_a_wrong_scan_is_refused_naming_what_is_wrong_and_nothing_is_checked(keeper, prepared, scan, message):
    answer = check(keeper, prepared, scan)
    assert answer.status_code == 422
    assert answer.json["errors"]["data"][0].startswith(message.format(ref=prepared.dispatch["reference"]))
    assert not any(checked_lines(keeper, prepared).values())


def test_an_item_that_is_not_on_the_dispatch_is_named(make, keeper, prepared):
    make.item(code="THERMO-1", name="Thermometer", gtin="04006381333931")
    answer = check(keeper, prepared, raw(UNKNOWN_GTIN, "T-1"))
    assert answer.status_code == 422
    assert answer.json["errors"]["data"] == [
        f"THERMO-1 (lot T-1) is not on dispatch {prepared.dispatch['reference']}."
    ]


def test_only_a_prepared_dispatch_of_ones_own_is_checked_by_its_provider_or_staff(
    make, world, keeper, prepared
):
    assert check(make.api("provider"), prepared, raw(GTIN, "LOT-A", EXPIRY)).status_code == 404
    assert check(make.api("city"), prepared, raw(GTIN, "LOT-A", EXPIRY)).status_code == 403
    assert check(prepared.coordinator, prepared, raw(GTIN, "LOT-A", EXPIRY)).status_code == 200
    shipped = keeper.post(
        f"/api/v1/dispatches/{prepared.dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "T-1", "packages": 1},
    )
    assert shipped.status_code == 200
    late = check(keeper, prepared, raw(OXIMETER_GTIN, "LOT-C"))
    assert late.status_code == 409
    assert late.json["message"] == (
        f"Dispatch {prepared.dispatch['reference']} is shipped: only a prepared dispatch's pick list is checked."
    )


# --- the pick list check on the dispatch page ----------------------------------------------------


def test_the_page_checks_a_scanned_line_and_refuses_a_wrong_lot_next_to_the_field(app, keeper, prepared):
    page = PageClient(app, keeper.user)
    detail = f"/dispatches/{prepared.dispatch['id']}"
    html = page.html(detail)
    assert "Pick list check" in html and "0 of 2 lines checked." in html
    assert 'data-scan="Read with the camera"' in html and 'data-scan-submit="pick-check-submit"' in html
    done = page.post(f"{detail}/pick-check", {"scan": raw(GTIN, "LOT-A", EXPIRY)}, page=detail)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{detail}#pick-check")
    html = page.html(detail)
    assert flashes(html) == ["Lot checked: OXY-CONC-10L, lot LOT-A (5 unit(s)). 1 of 2 lines checked."]
    assert re.search(rf'<tr id="line-{prepared.line_a["id"]}" class="checked">', html)
    wrong = page.post(f"{detail}/pick-check", {"scan": raw(GTIN, "LOT-B", EXPIRY)}, page=detail)
    assert wrong.status_code == 422
    html = text(wrong)
    assert 'id="scan-errors"' in html and 'aria-invalid="true"' in html
    assert "Wrong lot: lot LOT-B of OXY-CONC-10L is not on dispatch" in html
    # one problem, counted and listed once (not again as the form's summary line)
    assert "The form could not be saved: 1 thing to fix." in html
    assert html.count("Wrong lot: lot LOT-B") == 2  # the summary's link and the message at the field
    assert "1 of 2 lines checked." in html


def test_a_control_character_other_than_gs_is_refused_on_the_page(app, keeper, prepared):
    page = PageClient(app, keeper.user)
    detail = f"/dispatches/{prepared.dispatch['id']}"
    answer = page.post(f"{detail}/pick-check", {"scan": f"01{GTIN}\x0710LOT-A"}, page=detail)
    assert answer.status_code == 422 and "One line of text" in text(answer)
    empty = page.post(f"{detail}/pick-check", {"scan": "  "}, page=detail)
    assert empty.status_code == 422 and "Scan or type a GS1 barcode." in text(empty)


# --- the receipt form -----------------------------------------------------------------------------


def _ship(keeper, prepared) -> None:
    answer = keeper.post(
        f"/api/v1/dispatches/{prepared.dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "T-1", "packages": 2},
    )
    assert answer.status_code == 200, answer.json


def _receipt_form(prepared, scan: str, **lines) -> dict:
    """The receipt form as a browser posts it: ``lines`` maps a line's index to (accepted, rejected, reason)."""
    data = {"scan": scan, "received_by": "Nurse Kim"}
    for index, line in enumerate(sorted([prepared.line_a, prepared.line_c], key=lambda x: x["id"])):
        accepted, rejected, reason = lines.get(f"l{index}", ("", "", ""))
        data |= {
            f"lines-{index}-line_id": str(line["id"]),
            f"lines-{index}-accepted": str(accepted),
            f"lines-{index}-rejected": str(rejected),
            f"lines-{index}-reason": reason,
            f"lines-{index}-note": "",
            f"lines-{index}-scanned": "",
        }
    return data


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    return match.group(1) if match else ""


def test_a_scan_on_the_receipt_form_fills_its_line_and_keeps_what_was_typed(make, app, keeper, prepared):
    _ship(keeper, prepared)
    city = PageClient(app, prepared.city_user)
    detail = f"/dispatches/{prepared.dispatch['id']}"
    html = city.html(detail)
    assert 'formaction="/dispatches/{}/receipt/scan"'.format(prepared.dispatch["id"]) in html
    # Both lines emptied by the clerk, 1 unit of line 0 typed as damaged; then lot A is scanned.
    first, second = sorted([prepared.line_a, prepared.line_c], key=lambda x: x["id"])
    index_a = 0 if first["id"] == prepared.line_a["id"] else 1
    form = _receipt_form(prepared, raw(GTIN, "LOT-A", EXPIRY), **{f"l{index_a}": ("", 1, "damaged")})
    answer = city.post(f"{detail}/receipt/scan", form, page=detail)
    assert answer.status_code == 303  # post/redirect/get: the dispatch's page, the form as the scan filled it
    assert answer.headers["Location"].startswith(f"{detail}?scanned={prepared.line_a['id']}&filled=")
    html = text(city.get(answer.headers["Location"]))
    assert flashes(html) == [
        "Lot LOT-A found: its line is filled, 4 unit(s) accepted. Scan the next lot, or correct the counts "
        "and confirm the receipt."
    ]
    assert (
        _value(html, f"lines-{index_a}-accepted") == "4" and _value(html, f"lines-{index_a}-rejected") == "1"
    )
    assert _value(html, f"lines-{index_a}-scanned") == "1"
    assert _value(html, f"lines-{1 - index_a}-accepted") == ""  # the other line as the clerk left it
    assert f'class="receipt-line scanned" id="receipt-line-{prepared.line_a["id"]}"' in html
    assert _value(html, "scan") == ""
    # Nothing is recorded by a scan.
    assert keeper.get(f"/api/v1/dispatches/{prepared.dispatch['id']}").json["status"] == "shipped"


def test_a_wrong_lot_on_the_receipt_form_is_named_and_the_form_comes_back(make, app, keeper, prepared):
    _ship(keeper, prepared)
    city = PageClient(app, prepared.city_user)
    detail = f"/dispatches/{prepared.dispatch['id']}"
    answer = city.post(
        f"{detail}/receipt/scan",
        _receipt_form(prepared, raw(GTIN, "LOT-B", EXPIRY), l1=(3, 0, "")),
        page=detail,
    )
    assert answer.status_code == 422
    html = text(answer)
    assert "Wrong lot: lot LOT-B of OXY-CONC-10L is not on dispatch" in html
    assert _value(html, "lines-1-accepted") == "3"
    other_city = PageClient(app, make.user("city"))
    assert (
        other_city.post(
            f"{detail}/receipt/scan", _receipt_form(prepared, raw(GTIN, "LOT-A", EXPIRY)), page="/dashboard"
        ).status_code
        == 404
    )
