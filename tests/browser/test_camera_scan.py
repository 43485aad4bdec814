"""Scanning with the camera in a real browser: Debian's Chromium has no native BarcodeDetector, so the
vendored polyfill (barcode-detector on zxing-cpp's WebAssembly, static/vendor) reads the code. Chromium's
fake camera plays a .y4m video of a demo lot's printed GS1 DataMatrix label (the label PDF rendered with
pdftoppm); the page, at phone width and under its own CSP, reads it into the scan field and acts on it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import AXE, CHROMIUM, CHROMIUM_ARGS, USERS, sign_in
from tests.browser.test_scanning import api_of, prepared  # noqa: F401 - prepared is a fixture

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
FRAMES = 10


def write_y4m(*, png: Path, y4m: Path) -> tuple[int, int]:
    """A few identical frames of YUV4MPEG2 (C420) showing the picture, grey on a white margin."""
    from PIL import Image, ImageOps

    picture = Image.open(png).convert("L")
    picture.thumbnail((1200, 1200))  # a phone camera's frame, not a 200 dpi page
    framed = ImageOps.expand(picture, border=40, fill=255)
    width, height = (framed.width + 1) // 2 * 2, (framed.height + 1) // 2 * 2  # 4:2:0 needs even sides
    frame = Image.new("L", (width, height), 255)
    frame.paste(framed, (0, 0))
    chroma = bytes([128]) * ((width // 2) * (height // 2))  # no colour: U and V at their middle
    with y4m.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420\n".encode())
        for _ in range(FRAMES):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return width, height


def film_label(*, live, lot_id: int, folder: Path) -> Path:
    """A video of the lot's printed label as the camera sees it: the label PDF, rendered at 200 dpi."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is needed to render the label")
    provider = api_of(live, USERS["provider"])
    pdf = provider.get(f"/api/v1/stock/lots/{lot_id}/label.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (folder / "label.pdf").write_bytes(pdf.data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-singlefile", str(folder / "label.pdf"), str(folder / "label")],
        check=True,
    )
    write_y4m(png=folder / "label.png", y4m=folder / "label.y4m")
    return folder / "label.y4m"


@pytest.fixture
def labelled(live, tmp_path):
    """A demo lot of MedAsia Supply with a GTIN and an expiry, a location of MedAsia that lacks it, and a
    video of the lot's printed label."""
    from health_responder.extensions import db
    from health_responder.providers.models import Provider, StockLocation
    from health_responder.reference.models import Item
    from health_responder.stock.models import StockLot

    with live.app.app_context():
        provider_id = db.session.scalar(select(Provider.id).where(Provider.name == "MedAsia Supply"))
        locations = db.session.execute(
            select(StockLocation.id, StockLocation.name).where(StockLocation.provider_id == provider_id)
        ).all()
        lots = db.session.execute(
            select(StockLot.id, StockLot.item_id, StockLot.lot_code, StockLot.location_id, Item.gtin)
            .join(Item, Item.id == StockLot.item_id)
            .where(
                StockLot.provider_id == provider_id,
                Item.gtin.is_not(None),
                StockLot.expires_on.is_not(None),
            )
            .order_by(StockLot.id)
        ).all()
        held = {(row.item_id, row.lot_code, row.location_id) for row in lots}
        db.session.remove()
    lot, elsewhere = next(
        (lot, location)
        for lot in lots
        for location in locations
        if (lot.item_id, lot.lot_code, location.id) not in held
    )
    return SimpleNamespace(
        lot=lot, location=elsewhere, video=film_label(live=live, lot_id=lot.id, folder=tmp_path)
    )


@pytest.fixture
def camera(live, browser):
    """``camera(video, "provider")``: a phone-sized page, logged in, of a Chromium whose camera plays the
    video (allowed without a prompt)."""
    launched = []

    def open_as(video: Path, who: str, bypass_csp: bool = False):
        # A second Chromium of the session's Playwright (which skips, with the cause, where none can start).
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(chromium)
        context = chromium.new_context(
            base_url=live.url, viewport=PHONE, is_mobile=True, locale="en-US", bypass_csp=bypass_csp
        )
        context.set_default_timeout(20_000)
        return sign_in(live, context.new_page(), who)

    yield open_as
    for chromium in launched:
        chromium.close()


def test_the_camera_reads_a_printed_label_into_the_receive_form(live, camera, labelled):
    lot = labelled.lot
    page = camera(labelled.video, "provider")
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    wasm = []
    page.on("request", lambda request: wasm.append(request.url) if request.url.endswith(".wasm") else None)
    page.goto("/stock/receive")
    assert (
        page.evaluate("'BarcodeDetector' in window") is False
    )  # Debian's Chromium: the polyfill must read it
    assert wasm == []  # the page does not fetch the WebAssembly until someone scans
    field = page.get_by_label("Scan the GS1 barcode", exact=False)
    page.get_by_role("button", name="Read with the camera").click()
    expect(field).to_have_value(re.compile(re.escape(lot.lot_code)), timeout=30_000)
    read = field.input_value()
    assert re.fullmatch(
        rf"(\]d2)?\(?01\)?{lot.gtin}\(?17\)?\d{{6}}\(?10\)?{re.escape(lot.lot_code)}", read
    ), read  # the GS1 element string of the label: GTIN, expiry, lot
    assert [url.removeprefix(live.url) for url in wasm] == [
        "/static/vendor/zxing_reader.wasm"
    ]  # ours, no CDN
    expect(page.locator("video.scan-preview")).to_have_count(0)  # the camera is closed once it has read
    assert violations == []
    # The form acts on the scan: the same lot received at another location of the provider.
    page.get_by_label("Location").select_option(str(labelled.location.id))
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.locator(".flashes")).to_contain_text(f"Lot {lot.lot_code} was received: 3 unit(s).")
    from health_responder.extensions import db
    from health_responder.stock.models import StockLot

    with live.app.app_context():
        received = db.session.execute(
            select(StockLot.item_id, StockLot.on_hand).where(
                StockLot.location_id == labelled.location.id, StockLot.lot_code == lot.lot_code
            )
        ).all()
        db.session.remove()
    assert [tuple(row) for row in received] == [(lot.item_id, 3)]


def test_the_receive_form_with_its_camera_button_passes_axe(live, camera, labelled):
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE}: npm install")
    page = camera(labelled.video, "provider", bypass_csp=True)  # axe is injected as an inline script
    page.goto("/stock/receive")
    expect(page.get_by_role("button", name="Read with the camera")).to_be_visible()
    from tests.browser.test_hub_journeys import axe_violations

    assert axe_violations(page) == []


def test_the_camera_checks_the_pick_list_from_a_printed_label(live, camera, open_as, prepared, tmp_path):  # noqa: F811
    """The pick list check's field presses its button once the camera has read the label, as a USB
    scanner's Enter would; the page checks the lot's line."""
    from health_responder.extensions import db
    from health_responder.stock.models import StockLot

    with live.app.app_context():
        lot_id = db.session.scalar(select(StockLot.id).where(StockLot.lot_code == prepared.lot_code))
        db.session.remove()
    if AXE.exists():  # the dispatch page with its camera buttons; axe is injected as an inline script
        from tests.browser.test_hub_journeys import axe_violations

        audited = open_as("provider", bypass_csp=True)
        audited.goto(f"/dispatches/{prepared.dispatch['id']}")
        expect(
            audited.locator("#pick-check").get_by_role("button", name="Read with the camera")
        ).to_be_visible()
        assert axe_violations(audited) == []
    page = camera(film_label(live=live, lot_id=lot_id, folder=tmp_path), "provider")
    page.goto(f"/dispatches/{prepared.dispatch['id']}")
    expect(page.locator("#pick-check")).to_contain_text("0 of 1 lines checked.")
    with page.expect_request(lambda r: r.method == "POST", timeout=30_000) as sent:
        page.locator("#pick-check").get_by_role("button", name="Read with the camera").click()
    scan = parse_qs(sent.value.post_data)["scan"]
    assert len(scan) == 1 and re.fullmatch(
        rf"(\]d2)?\(?01\)?{prepared.gtin}\(?17\)?\d{{6}}\(?10\)?{re.escape(prepared.lot_code)}", scan[0]
    ), scan  # what the camera read is what the form sent: the label's GS1 element string
    page.wait_for_url(re.compile(r"/dispatches/\d+#pick-check$"))
    expect(page.locator(".flashes")).to_contain_text("1 of 1 lines checked.")
    expect(page.locator("tr.checked")).to_contain_text(prepared.lot_code)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_without_a_camera_the_page_says_so_and_the_field_still_takes_a_scan(open_as, language):
    # The suite's own Chromium has no camera (no fake device): getUserMedia is refused, as on a phone
    # whose user said no. The page says why nothing happened, in the page's language.
    page = open_as("provider")  # gives the provider back its English afterwards too
    if language == "ko":
        page.locator("#locale-switch").select_option("ko")
        page.get_by_role("button", name=re.compile("^(Change|변경)$")).click()
    page.set_viewport_size(PHONE)
    page.goto("/stock/receive")
    button = page.locator("button", has_text="카메라로 읽기" if language == "ko" else "Read with the camera")
    button.click()
    said = page.get_by_role("alert").filter(has_text="카메라" if language == "ko" else "camera")
    expect(said).to_be_visible(timeout=30_000)
    expected = (
        "카메라로 코드를 읽지 못했습니다."
        if language == "ko"
        else "The camera could not read a code here. Allow the camera and try again"
    )
    assert expected in said.inner_text()
    expect(button).to_be_enabled()  # another press tries again
    expect(page.locator("video.scan-preview")).to_have_count(0)
