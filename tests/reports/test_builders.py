"""The PDF builders, read back: text, pages, scripts, escaping, structure, QR code, determinism.

Plain data in, bytes out: no Flask app, no database. Text is read back with pypdf and, when poppler's
pdftotext is installed, with it too; qpdf checks the structure, pdftoppm + zbarimg decode the QR code.
Tests that need one of those tools are skipped, with the reason, where it is missing
(Debian: poppler-utils, qpdf, zbar-tools).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from health_responder.reports.builders import (
    build_certificate,
    build_dispatch_report,
    build_dispatch_summary,
    build_pick_list,
)
from health_responder.reports.data import (
    CertificateData,
    Discrepancy,
    DispatchLineData,
    DispatchReportData,
    DispatchSummaryData,
    LeadTime,
    OverdueRequest,
    Party,
    PickLineData,
    PickListData,
    Signatory,
    TotalRow,
)
from health_responder.reports.fonts import CID_CHINESE, CID_JAPANESE, CID_KOREAN, FontSet
from tests.pdftext import pdftotext

ROOT = Path(__file__).resolve().parents[2]
VERIFY_URL = "https://shr.example.org/api/v1/documents/verify/AB12CD34"
NAMES = ("세종", "北京", "東京", "Ульяновск")


# --- factories -------------------------------------------------------------------------------------


def make_line(i: int = 1, **overrides) -> DispatchLineData:
    values = dict(
        item_code=f"OXY-{i:04d}",
        item_name=f"Oxygen concentrator 10 L no. {i}",
        lot_code=f"LOT-{i:04d}",
        expires_on=date(2027, 3, 31) + timedelta(days=i),
        quantity=i % 40 + 1,
        unit="each",
        cold_chain=i % 3 == 0,
        location_name="Berlin hub",
    )
    return DispatchLineData(**{**values, **overrides})


def make_report(lines: int | list[DispatchLineData] = 3, **overrides) -> DispatchReportData:
    if isinstance(lines, int):
        lines = [make_line(i) for i in range(1, lines + 1)]
    values = dict(
        reference="DSP-2026-000042",
        ship_date=date(2026, 12, 1),
        status="shipped",
        request_reference="REQ-2026-000123",
        priority="critical",
        sender=Party("MedEquip 東京 GmbH", "DE", "Hauptstraße 1\n10115 Berlin", "ops@medequip.example"),
        sender_location="Berlin hub",
        recipient=Party("세종 Sejong", "KR", "Hanuri-daero 2130, Ульяновск road", "Kim, +82 44 300 0000"),
        carrier="DHL Express",
        tracking_number="JD014600003828",
        packages=3,
        lines=lines,
        notes="Keep cartons upright.\nDeliver to 北京 desk.",
        verification_url=VERIFY_URL,
        verification_code="AB12CD34",
        association_name="World Smart Sustainable Cities Organization",
        signatories=Signatory(prepared_by="Anna Schmidt"),
    )
    return DispatchReportData(**{**values, **overrides})


def make_pick_line(location: str, expires_on: date | None, i: int = 1, **overrides) -> PickLineData:
    values = dict(
        location_name=location,
        item_code=f"PPE-{i:03d}",
        item_name=f"Respirator N95 size {i}",
        lot_code=f"P-{i:03d}",
        expires_on=expires_on,
        quantity=10 + i,
        unit="box",
        cold_chain=False,
        bin=f"A-{i}",
    )
    return PickLineData(**{**values, **overrides})


def make_pick_list(lines=None, **overrides) -> PickListData:
    if lines is None:
        lines = [
            make_pick_line("Zeta store", date(2027, 1, 1), 1),
            make_pick_line("Alpha store", None, 2),
            make_pick_line("Alpha store", date(2026, 12, 31), 3),
            make_pick_line("Alpha store", date(2027, 6, 1), 4),
        ]
    values = dict(
        dispatch_reference="DSP-2026-000042",
        request_reference="REQ-2026-000123",
        priority="high",
        provider_name="MedEquip GmbH",
        city_name="東京 Tokyo",
        prepared_on=date(2026, 11, 30),
        needed_by=date(2026, 12, 20),
        lines=lines,
        association_name="WeGO",
        notes="Gloves on.",
        verification_url=VERIFY_URL,
        verification_code="AB12CD34",
    )
    return PickListData(**{**values, **overrides})


def make_summary(**overrides) -> DispatchSummaryData:
    values = dict(
        association_name="World Smart Sustainable Cities Organization",
        period_from=date(2026, 12, 1),
        period_to=date(2026, 12, 31),
        totals_by_network=[TotalRow("CJK", 4, 1200), TotalRow("NEASCN", 2, 300), TotalRow("AfSCN", 1, 45)],
        by_city=[
            TotalRow("세종", 3, 1000),
            TotalRow("北京", 1, 200),
            TotalRow("Ульяновск", 2, 300),
            TotalRow("Kigali", 1, 45),
        ],
        by_provider=[TotalRow("MedEquip GmbH", 5, 1400), TotalRow("東京 Medical", 2, 145)],
        by_category=[TotalRow("respiratory", 5, 900), TotalRow("ppe", 3, 645)],
        approved_to_shipped=LeadTime(7, 30.5, 26.0),
        shipped_to_received=LeadTime(5, 70.25, 60.0),
        open_requests=9,
        overdue_requests=[
            OverdueRequest("REQ-2026-000101", "Kigali", "critical", date(2026, 12, 10), "approved", 21)
        ],
        discrepancies=[
            Discrepancy("DSP-2026-000040", "OXY-0001", "Oxygen concentrator", 2, "damaged", "세종")
        ],
        verification_url=VERIFY_URL,
        verification_code="AB12CD34",
    )
    return DispatchSummaryData(**{**values, **overrides})


def make_certificate(**overrides) -> CertificateData:
    values = dict(
        association_name="World Smart Sustainable Cities Organization",
        participant_name="김민준 Kim Min-jun",
        program_title="Oxygen therapy for field teams",
        topic="Oxygen therapy",
        provider_name="MedEquip GmbH",
        city_name="세종",
        completed_on=date(2026, 12, 20),
        verification_url=VERIFY_URL,
        verification_code="AB12CD34",
        duration_hours=4,
        signatory_name="Dr. Anna Schmidt",
        signatory_title="Training lead",
    )
    return CertificateData(**{**values, **overrides})


BUILDS = {
    "dispatch_report": lambda: build_dispatch_report(make_report()),
    "pick_list": lambda: build_pick_list(make_pick_list()),
    "dispatch_summary": lambda: build_dispatch_summary(make_summary()),
    "certificate": lambda: build_certificate(make_certificate()),
}


# --- reading back ----------------------------------------------------------------------------------


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Text without any whitespace: line breaks in wrapped cells do not matter."""
    return "".join(text.split())


# --- dispatch report -------------------------------------------------------------------------------


def test_dispatch_report_shows_heading_lines_and_totals():
    data = make_report(lines=5)
    text = "\n".join(pages_text(build_dispatch_report(data)))

    for expected in (
        "World Smart Sustainable Cities Organization",
        "Dispatch report",
        "DSP-2026-000042",
        "2026-12-01",
        "REQ-2026-000123",
        "Critical",  # the priority's label, in the report's language
        "DHL Express",
        "JD014600003828",
        "Berlin hub",
        "Keep cartons upright.",
        "AB12CD34",
    ):
        assert expected in text
    for line in data.lines:
        assert line.item_code in text and line.lot_code in text and line.expires_on.isoformat() in text
        assert squash(line.item_name) in squash(text)
    total = sum(line.quantity for line in data.lines)
    assert f"5 lines, {total} units in total." in text
    assert "Page 1 of 1" in text or "Page 1 of 2" in text


def test_dispatch_report_has_signature_blocks():
    text = "\n".join(pages_text(build_dispatch_report(make_report())))

    for label in (
        "Signatures",
        "Prepared",
        "Dispatched",
        "Transported",
        "Received",
        "Name",
        "Date",
        "Signature",
        "Stamp",
        "Anna Schmidt",
    ):
        assert label in text


def test_korean_chinese_japanese_and_cyrillic_come_back_as_text(tmp_path):
    data = make_report(
        lines=[
            make_line(1, item_name="세종 북부 창고 산소"),
            make_line(2, item_name="北京 医疗设备"),
            make_line(3, item_name="東京 とうきょう 医療"),
            make_line(4, item_name="Ульяновск кислород"),
        ]
    )
    pdf = build_dispatch_report(data)

    extracted = "\n".join(pages_text(pdf))
    for name in NAMES + ("とうきょう", "кислород", "医疗设备"):
        assert name in extracted
    poppler = pdftotext(pdf, tmp_path)
    for name in NAMES + ("とうきょう", "кислород"):
        assert name in poppler


#: Addis Ababa in Amharic: Ethiopic script, which none of the base or CJK fonts has.
ADDIS = "አዲስ አበባ"


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts a PDF's pages use (subset prefix dropped)."""
    found = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            found.add(str(ref.get_object()["/BaseFont"]).split("+")[-1])
    return found


def test_an_ethiopic_city_name_comes_back_as_text_in_the_report_and_the_summary(tmp_path):
    """Addis Ababa's name in an Ethiopic font (Debian: fonts-sil-abyssinica), not the base font's empty boxes."""
    report = build_dispatch_report(
        make_report(recipient=Party(ADDIS, "ET", "Bole Road", "Abebe, +251 11 000"))
    )
    summary = build_dispatch_summary(
        make_summary(by_city=[TotalRow(ADDIS, 2, 300), TotalRow("Kigali", 1, 45)])
    )
    for pdf in (report, summary):
        assert ADDIS in "\n".join(pages_text(pdf))
        assert ADDIS in pdftotext(pdf, tmp_path)
        assert any("Abyssinica" in name or "Ethiopic" in name for name in embedded_fonts(pdf)), (
            "no Ethiopic font found: install fonts-sil-abyssinica",
            embedded_fonts(pdf),
        )
    by_city = next(line for line in pdftotext(summary, tmp_path).splitlines() if ADDIS in line)
    assert "300" in by_city  # the city's row, with its name in the cell


def test_a_long_report_repeats_the_table_header_on_every_page():
    pdf = build_dispatch_report(make_report(lines=250))
    texts = pages_text(pdf)

    assert len(texts) >= 4
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in text
    # Every page that holds lines opens them with the header row.
    line_pages = [text for text in texts if "LOT-" in text]
    assert len(line_pages) >= 4
    for text in line_pages:
        assert "Item code" in text and "Expiry" in text and "Qty" in text
    everything = "\n".join(texts)
    for i in range(1, 251):
        assert f"LOT-{i:04d}" in everything
    assert "250 lines," in everything


def test_cost_grows_linearly_with_the_number_of_lines():
    # One huge platypus table would be re-split on every page and grow quadratically: ten times the
    # lines would then cost far more than ten times the time. The bound is loose for shared machines.
    def cpu_seconds(lines: int) -> float:
        data = make_report(lines=lines)
        best = float("inf")
        for _ in range(2):
            started = time.process_time()
            build_dispatch_report(data)
            best = min(best, time.process_time() - started)
        return best

    build_dispatch_report(make_report(lines=5))
    assert cpu_seconds(3000) < 20 * cpu_seconds(300)


def test_letter_page_size_is_honoured():
    pdf = build_dispatch_report(make_report(page_size="LETTER"))
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox

    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a4_is_the_default_page_size():
    box = pypdf.PdfReader(io.BytesIO(build_dispatch_report(make_report()))).pages[0].mediabox

    assert (round(float(box.width)), round(float(box.height))) == (round(A4[0]), round(A4[1]))


def test_unknown_page_size_is_refused():
    with pytest.raises(ValueError, match="page_size"):
        build_dispatch_report(make_report(page_size="A3"))


def test_a_report_without_lines_or_shipment_details_still_builds():
    pdf = build_dispatch_report(
        make_report(
            lines=0,
            ship_date=None,
            packages=None,
            carrier="",
            tracking_number="",
            notes="",
            status="prepared",
        )
    )
    text = "\n".join(pages_text(pdf))

    assert "No lines." in text and "0 lines, 0 units in total." in text


def test_the_creation_date_is_the_ship_date_not_the_clock():
    info = pypdf.PdfReader(io.BytesIO(build_dispatch_report(make_report()))).metadata

    assert info["/CreationDate"].startswith("D:20261201")
    assert info["/Title"] == "Dispatch report DSP-2026-000042"


# --- other documents -------------------------------------------------------------------------------


def test_pick_list_groups_lots_by_location_then_expiry():
    text = "\n".join(pages_text(build_pick_list(make_pick_list())))

    order = [text.index(lot) for lot in ("P-003", "P-004", "P-002", "P-001")]
    assert order == sorted(order), "Alpha store by expiry (none last), then Zeta store"
    assert text.index("Alpha store") < text.index("Zeta store")
    assert ("☐" in text or "[ ]" in text) and "Picked" in text and "Checked" in text
    assert "4 lots to pick in 2 locations, 50 units in total." in text
    assert "東京 Tokyo" in text and "Page 1 of 1" in text


def test_an_empty_pick_list_still_builds():
    text = "\n".join(pages_text(build_pick_list(make_pick_list(lines=[], verification_url=""))))

    assert "Nothing to pick." in text and "0 lots to pick in 0 locations" in text


def test_dispatch_summary_shows_totals_lead_times_and_discrepancies():
    pdf = build_dispatch_summary(make_summary())
    text = "\n".join(pages_text(pdf))

    for expected in (
        "Dispatch summary",
        "2026-12-01 to 2026-12-31",
        "By network",
        "By city",
        "By provider",
        "By item category",
        "Quantity dispatched by network",
        "Lead times",
        "30.5",
        "26.0",
        "70.2",
        "REQ-2026-000101",
        "DSP-2026-000040",
        "Damaged",  # codes are printed as the words people read
        "Respiratory",
        "MedEquip GmbH",
        "Kigali",
    ):
        assert expected in text
    for name in NAMES:
        assert name in text
    assert "1,545" in text, "grand total of units by network"
    assert "Page 1 of" in text


def test_dispatch_summary_of_an_empty_period_builds():
    pdf = build_dispatch_summary(
        make_summary(
            totals_by_network=[],
            by_city=[],
            by_provider=[],
            by_category=[],
            approved_to_shipped=LeadTime(0, None, None),
            shipped_to_received=LeadTime(0, None, None),
            open_requests=0,
            overdue_requests=[],
            discrepancies=[],
        )
    )
    text = "\n".join(pages_text(pdf))

    assert "No dispatch shipped in this period." in text and "No overdue request." in text


def test_certificate_is_one_landscape_page_even_with_long_names():
    for data in (
        make_certificate(),
        make_certificate(participant_name="Maximilian " * 40, program_title="Long " * 100),
    ):
        reader = pypdf.PdfReader(io.BytesIO(build_certificate(data)))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert float(box.width) > float(box.height)
    letter = (
        pypdf.PdfReader(io.BytesIO(build_certificate(make_certificate(page_size="letter")))).pages[0].mediabox
    )
    assert (round(float(letter.width)), round(float(letter.height))) == (792, 612)
    text = pages_text(build_certificate(make_certificate()))[0]
    for expected in (
        "Certificate of completion",
        "김민준 Kim Min-jun",
        "Oxygen therapy for field teams",
        "MedEquip GmbH",
        "세종",
        "2026-12-20",
        "AB12CD34",
        "Dr. Anna Schmidt",
    ):
        assert expected in text


def test_the_certificates_verification_code_and_url_never_break_inside_the_code(tmp_path):
    """The code on its own line and the URL broken only at a '/', whatever the host's length or the names'."""
    code = "84WCX49SWR"
    for url in (
        f"http://127.0.0.1:5000/verify/{code}",
        f"https://health-responder.a-rather-long-association-name.example.org/documents/verify/{code}",
    ):
        data = make_certificate(
            verification_url=url, verification_code=code, participant_name="Maximilian " * 40
        )
        lines = [line.strip() for line in pdftotext(build_certificate(data), tmp_path, raw=True).splitlines()]
        assert code in lines, lines  # the code on its own line
        urls = [line for line in lines if "/verify/" in line]
        assert urls and all(line.endswith(f"/verify/{code}") for line in urls), urls
        assert not [line for line in lines if line and line != code and line in code], lines


# --- user text is data -----------------------------------------------------------------------------

PAYLOADS = ("<i", '<img src="/etc/hostname"/>', '<a href="http://x">', "<font name=x>", "&amp;", "</para>")


def hostile(field: str, n: int) -> str:
    return f"<b>{field}</b>{PAYLOADS[n % len(PAYLOADS)]}"


def hostile_copy(obj, prefix: str, counter: list[int]):
    """``obj`` with every string field replaced by markup naming the field (nested dataclasses too)."""
    changes = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in ("page_size", "verification_url", "language"):
            continue
        if isinstance(value, str):
            counter[0] += 1
            changes[f.name] = hostile(f"{prefix}{f.name}", counter[0])
        elif dataclasses.is_dataclass(value):
            changes[f.name] = hostile_copy(value, f"{prefix}{f.name}.", counter)
        elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            changes[f.name] = [hostile_copy(v, f"{prefix}{f.name}{i}.", counter) for i, v in enumerate(value)]
    return dataclasses.replace(obj, **changes)


def hostile_strings(obj) -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in ("page_size", "verification_url", "language"):
            continue
        if isinstance(value, str):
            out.append(value)
        elif dataclasses.is_dataclass(value):
            out += hostile_strings(value)
        elif isinstance(value, list):
            for v in value:
                out += hostile_strings(v)
    return out


HOSTILE_CASES = {
    "dispatch_report": (lambda: make_report(lines=2), build_dispatch_report),
    "pick_list": (
        lambda: make_pick_list(lines=[make_pick_line("Alpha", None, 1), make_pick_line("Beta", None, 2)]),
        build_pick_list,
    ),
    "dispatch_summary": (make_summary, build_dispatch_summary),
    "certificate": (make_certificate, build_certificate),
}


@pytest.mark.parametrize("kind", HOSTILE_CASES)
def test_markup_in_every_user_field_prints_literally(kind, tmp_path):
    make, build = HOSTILE_CASES[kind]
    data = hostile_copy(make(), "", [0])
    pdf = build(data)

    # The certificate's chart-free layout shows every field; other kinds show every field too.
    extracted = squash("".join(pages_text(pdf)))
    poppler = squash(pdftotext(pdf, tmp_path, raw=True)) if shutil.which("pdftotext") else None
    for value in hostile_strings(data):
        assert squash(value) in extracted, value
        if poppler is not None:
            assert squash(value) in poppler, value


@pytest.mark.parametrize("kind", HOSTILE_CASES)
def test_hostile_text_adds_no_link_image_or_font(kind):
    make, build = HOSTILE_CASES[kind]
    pdf = build(hostile_copy(make(), "", [0]))
    reader = pypdf.PdfReader(io.BytesIO(pdf))

    assert b"/Link" not in pdf and b"/URI" not in pdf
    assert not re.search(rb"/Subtype\s*/Image", pdf)
    for page in reader.pages:
        assert "/Annots" not in page
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for ref in xobjects.values():
            assert ref.get_object().get("/Subtype") != "/Image"
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            assert str(ref.get_object().get("/BaseFont", "")).lstrip("/") != "x"


def test_control_characters_and_lone_surrogates_are_dropped():
    data = make_report(notes="bell\x07 nul\x00 surrogate\ud800 tab\tend", carrier="C\x1bR")
    text = "\n".join(pages_text(build_dispatch_report(data)))

    assert "bell nul surrogate tab end" in text and "CR" in text


def test_an_emoji_does_not_garble_the_rest_of_the_text(tmp_path):
    # reportlab cannot map characters past U+FFFF back to text, and one of them used to corrupt the
    # whole font's text map: they are replaced by a mark, and the text around them survives.
    data = make_report(carrier="Señor 😀 Ульяновск 𝔘 express")
    pdf = build_dispatch_report(data)

    texts = ["\n".join(pages_text(pdf))]
    if shutil.which("pdftotext"):
        texts.append(pdftotext(pdf, tmp_path))
    for text in texts:
        assert "Señor" in text and "Ульяновск" in text and "express" in text
        assert "😀" not in text and "𝔘" not in text


# --- structure, QR code, determinism ---------------------------------------------------------------


@pytest.mark.parametrize("kind", BUILDS)
def test_qpdf_finds_no_structural_error(kind, tmp_path):
    if not shutil.which("qpdf"):
        pytest.skip("qpdf not installed (Debian package qpdf)")
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(BUILDS[kind]())

    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


@pytest.mark.parametrize("kind", BUILDS)
def test_the_qr_code_decodes_to_the_verification_url(kind, tmp_path):
    missing = [tool for tool in ("pdftoppm", "zbarimg") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian packages poppler-utils, zbar-tools)")
    pdf_path = tmp_path / f"{kind}.pdf"
    pdf_path.write_bytes(BUILDS[kind]())
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
    )

    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    )

    assert result.stdout.strip() == VERIFY_URL, result.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_identical_data_gives_identical_bytes(kind):
    assert BUILDS[kind]() == BUILDS[kind]()


def test_identical_data_gives_identical_bytes_in_another_process_and_environment():
    script = (
        "import hashlib, importlib.util, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"spec = importlib.util.spec_from_file_location('builders_test', {__file__!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(' '.join(hashlib.sha256(module.BUILDS[k]()).hexdigest() for k in sorted(module.BUILDS)))\n"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TZ": "Asia/Seoul", "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )

    here = " ".join(hashlib.sha256(BUILDS[k]()).hexdigest() for k in sorted(BUILDS))
    assert result.stdout.strip() == here


# --- fonts -----------------------------------------------------------------------------------------


def test_without_truetype_cjk_fonts_the_cid_fonts_still_give_text(tmp_path):
    """With no font file but reportlab's own Latin Vera, CJK and Cyrillic fall back to CID fonts."""
    fonts = FontSet(search_dirs=[tmp_path], name_prefix="NoSystemFonts-")
    runs = dict((text, font) for font, text in fonts.runs("세종 北京"))
    assert CID_KOREAN in runs.values()
    assert {font for font, _ in fonts.runs("北京")} == {CID_CHINESE}
    assert {font for font, _ in fonts.runs("東京とうきょう")} == {CID_JAPANESE}

    style = ParagraphStyle("t", fontName=fonts.regular, fontSize=11, leading=14)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, invariant=1).build(
        [
            Paragraph(fonts.markup(text), style)
            for text in (
                "세종 Sejong",
                "北京 Beijing",
                "東京 Tokyo とうきょう",
                "Ульяновск",
                "<b>literal</b>",
            )
        ]
    )
    text = pages_text(buffer.getvalue())[0]

    for name in NAMES + ("<b>literal</b>",):
        assert name in text
    if shutil.which("pdftotext"):
        poppler = pdftotext(buffer.getvalue(), tmp_path)
        for name in NAMES:
            assert name in poppler


def test_fonts_are_found_by_name_in_any_folder_given(tmp_path):
    nested = tmp_path / "any" / "depth"
    nested.mkdir(parents=True)
    vera = Path(rl_config.__file__).parent / "fonts" / "Vera.ttf"
    shutil.copy(vera, nested / "DejaVuSans.ttf")

    fonts = FontSet(search_dirs=[tmp_path], name_prefix="Found-")

    assert fonts.base_path == str(nested / "DejaVuSans.ttf")
    assert fonts.fallback_paths == []
