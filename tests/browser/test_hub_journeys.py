"""The public Data Portal and Knowledge Hub in a real browser (issue 16): a visitor walks every public page
at desktop width and on a 390 px phone (no sideways scroll, each page shows its content), and a
provider edits its own material and uploads a new version of its PDF through the pages."""

from __future__ import annotations

import io
import re

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlmodel import select

from tests.browser.conftest import AXE, USERS
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 900}


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF that says ``text`` (each version its own bytes)."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4, invariant=True)  # the same text gives the same bytes
    sheet.drawString(72, 760, text)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def pdf_material_with_two_versions(live, title: str) -> int:
    """A PDF material of the demo provider MedAsia with an earlier version, written through the services."""
    from health_responder.auth.models import User
    from health_responder.extensions import db
    from health_responder.materials import services

    with live.app.app_context(), db.write_session():
        owner = db.session.scalar(select(User).where(User.email == USERS["provider"]))
        material = services.create_pdf_material(
            by=owner,
            title=title,
            topic="oxygen_therapy",
            stream=io.BytesIO(pdf_bytes(f"{title}, first edition")),
            file_name="first-edition.pdf",
            description="A checklist to print and keep beside each concentrator.",
        )
        services.add_version(
            material=material,
            by=owner,
            stream=io.BytesIO(pdf_bytes(f"{title}, second edition")),
            file_name="second-edition.pdf",
        )
        material_id = material.id
    with live.app.app_context():
        db.session.remove()
    return material_id


def fits(page) -> None:
    """Nothing on the page is wider than the window (a table may scroll inside its own box)."""
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["wide"], (page.url, found)


def first_href(page, prefix: str) -> str:
    hrefs = page.eval_on_selector_all("main a[href]", "(links) => links.map((a) => a.getAttribute('href'))")
    found = [href for href in hrefs if re.fullmatch(re.escape(prefix) + r"\d+", href)]
    assert found, f"no link to {prefix}<id> on {page.url}"
    return found[0]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_visitor_walks_the_portal_and_the_hub(live, open_as, viewport):
    title = f"Concentrator checklist ({viewport['width']} px)"
    material_id = pdf_material_with_two_versions(live, title)
    page = open_as(None)
    page.set_viewport_size(viewport)

    def visit(path: str, heading: str | re.Pattern) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("main h1").first.is_visible()
        name = page.locator("main h1").first.inner_text()
        assert heading.search(name) if isinstance(heading, re.Pattern) else name == heading, (path, name)
        fits(page)

    visit("/", "Smart Health Responder")
    assert page.locator('main a[href="/hub/"]').first.is_visible()
    assert page.locator('main a[href="/portal/"]').first.is_visible()
    assert page.get_by_role("link", name="Log in").last.is_visible()

    visit("/portal/", "Data portal")
    assert page.get_by_role("heading", name="Fill rate by network").is_visible()
    assert page.locator("main table").count() >= 1

    visit("/portal/publications/", "Publications")
    assert page.get_by_role("heading", name=re.compile(r"\d+ publications?")).is_visible()

    visit("/portal/offices/", "Regional offices")
    assert page.locator("article.office").count() >= 5
    assert page.locator("article.office h3").first.is_visible()

    visit("/hub/", "Knowledge hub")
    assert page.get_by_role("heading", name="Member cities").is_visible()
    assert page.get_by_role("link", name="All capacity-building material").is_visible()
    city = first_href(page, "/hub/cities/")

    visit(city, re.compile(r"\S"))
    assert page.get_by_role("heading", name="Health system").is_visible()
    assert page.get_by_role("heading", name="Readiness").is_visible()

    visit("/hub/materials", "Capacity-building material")
    assert page.get_by_role("link", name="WHO: Oxygen therapy for children").is_visible()
    assert page.get_by_role("link", name=title).is_visible()
    assert page.locator("#link-title, #pdf-title").count() == 0  # no forms for a visitor
    page.get_by_label("Search").fill("cold chain handbook")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=cold"))
    assert page.get_by_role("link", name="Vaccine cold chain handbook").is_visible()
    assert page.get_by_role("link", name="WHO: Oxygen therapy for children").count() == 0
    fits(page)
    page.get_by_role("link", name="Vaccine cold chain handbook").click()
    page.wait_for_url(re.compile(r"/hub/materials/\d+$"))
    assert page.locator("main h1").inner_text() == "Vaccine cold chain handbook"
    assert page.get_by_role("link", name="Open the link").get_attribute("href").startswith("https://")
    assert page.get_by_role("heading", name="Earlier versions").count() == 0  # a link has no files
    fits(page)

    visit(f"/hub/materials/{material_id}", title)
    assert page.get_by_role("link", name="Download the PDF").is_visible()
    assert page.get_by_role("heading", name="Earlier versions").is_visible()
    earlier = page.locator("main table tbody tr")
    assert earlier.count() == 1
    row = earlier.first.inner_text()
    assert "first-edition.pdf" in row and "MedAsia" in row and USERS["provider"] not in row
    assert page.get_by_text("Change this material").count() == 0
    current = page.request.get(f"/hub/materials/{material_id}/file")
    assert current.ok and current.body() == pdf_bytes(f"{title}, second edition")
    old = page.request.get(earlier.first.get_by_role("link").get_attribute("href"))
    assert old.ok and old.body() == pdf_bytes(f"{title}, first edition")


def test_the_owner_edits_a_material_and_uploads_a_new_version_through_the_pages(live, open_as):
    first, second = pdf_bytes("Oxygen checklist v1"), pdf_bytes("Oxygen checklist v2")
    page = open_as("provider")
    page.goto("/hub/materials")
    page.locator("#pdf-title").fill("Oxygen checklist")
    page.locator("#pdf-topic").select_option("oxygen_therapy")
    page.locator("#pdf-language").fill("en")
    page.locator("#pdf-file").set_input_files(
        {"name": "oxygen-checklist.pdf", "mimeType": "application/pdf", "buffer": first}
    )
    page.get_by_role("button", name="Upload the PDF").click()
    page.wait_for_url(re.compile(r"/hub/materials/\d+$"))
    material_url = page.url
    assert "Oxygen checklist is in the knowledge hub." in page.locator(".flashes").inner_text()
    assert page.get_by_text("None: this is the first file.").is_visible()

    # Edit: an error stands next to its field and what was typed comes back; then it saves.
    page.get_by_role("link", name="Edit the details").click()
    page.wait_for_url(re.compile(r"/edit$"))
    page.get_by_label("Title").fill("")
    page.locator("#language").fill("English")
    page.get_by_label("Description (optional)").fill("Print it double-sided.")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#language-errors").inner_text() == "A language tag such as en, ko or pt-BR."
    assert page.locator("#title-errors").is_visible()
    assert page.locator("#language").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Description (optional)").input_value() == "Print it double-sided."
    page.get_by_label("Title").fill("Oxygen checklist, 2nd edition")
    page.locator("#language").fill("en")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(material_url)
    assert "Oxygen checklist, 2nd edition is saved." in page.locator(".flashes").inner_text()
    assert page.locator("main h1").inner_text() == "Oxygen checklist, 2nd edition"
    assert page.get_by_text("Print it double-sided.").is_visible()

    # A file that is not a PDF is refused next to the field, naming it.
    page.locator("#file").set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"notes"})
    page.get_by_role("button", name="Upload the new version").click()
    assert page.locator("#file-errors").inner_text() == "notes.txt: Not a PDF document (no %PDF header)."

    # A new version, sent as the browser labels an unknown file: the %PDF header decides.
    page.locator("#file").set_input_files(
        {"name": "oxygen-checklist-v2.pdf", "mimeType": "application/octet-stream", "buffer": second}
    )
    page.get_by_role("button", name="Upload the new version").click()
    page.wait_for_url(material_url)
    assert "Version 2 of Oxygen checklist, 2nd edition is uploaded." in page.locator(".flashes").inner_text()
    assert re.search(r"Version 2, uploaded .+ by .+\(MedAsia", page.locator("main").inner_text())
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1 and "oxygen-checklist.pdf" in rows.first.inner_text()
    old = page.request.get(rows.first.get_by_role("link").get_attribute("href"))
    assert old.ok and old.body() == first
    current = page.request.get(page.get_by_role("link", name="Download the PDF").get_attribute("href"))
    assert current.ok and current.body() == second

    page.set_viewport_size(PHONE)
    page.reload()
    fits(page)


def axe_violations(page) -> list[dict]:
    """The critical and serious accessibility violations axe-core finds on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in found if v["impact"] in ("critical", "serious")]


@pytest.mark.parametrize("who", [None, "provider"])
def test_the_material_pages_have_no_critical_or_serious_accessibility_violations(live, open_as, who):
    if not AXE.exists():
        pytest.skip(
            f"axe-core not found at {AXE}: `npm install --no-save --prefix . axe-core` (done by .ci/run)"
        )
    material_id = pdf_material_with_two_versions(live, "Checklist for the axe")
    page = open_as(who, bypass_csp=True)  # axe is injected as an inline script, which the CSP forbids
    paths = ["/hub/", "/hub/materials", "/hub/materials?q=zzz", f"/hub/materials/{material_id}"]
    if who == "provider":
        paths.append(f"/hub/materials/{material_id}/edit")
    found = {}
    for path in paths:
        page.goto(path)
        bad = axe_violations(page)
        if bad:
            found[path] = bad
    assert found == {}
