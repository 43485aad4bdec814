"""Benchmark of the dispatch report builder against a bare reportlab table and WeasyPrint.

Run it from the repository root::

    .venv/bin/python bench/pdf.py            # 1,000 and 10,000 lines
    .venv/bin/python bench/pdf.py --quick    # 200 and 2,000 lines

Each case runs in a fresh subprocess, so that peak memory (``ru_maxrss``, the whole process:
interpreter, reportlab, fonts and the build) belongs to that case alone. Times cover the build of
the PDF only: imports, font registration and a small warm-up build happen once per server process
and are done before the clock starts. Times are CPU seconds of the process; wall-clock seconds are
shown beside them. ``report`` and ``bare`` are measured in ``--repeat`` rounds, each round one build
of each in its own process, back to back and in alternating order: the overhead judged is the median
of the rounds' own report/bare ratios, because on a shared machine the speed of the same work drifts
for tens of seconds at a time, and a pair measured seconds apart sees the same machine. WeasyPrint
runs in the first three rounds of the small case (its ratio is the median of those rounds' own
ratios) and once on the large case, where it takes minutes. The seconds shown are the best round of each.

The cases, with the same rows:

- ``report``: `build_dispatch_report`, the real document (heading, parties, escaped and wrapping
  cells, page-sized table slices, signatures, QR code, "Page X of Y");
- ``bare``: the rows as plain strings in 100-row `Table` chunks (header repeated) in a
  `SimpleDocTemplate`, same font and column widths: what reportlab costs with nothing of ours;
- ``weasy``: the same rows as an HTML table (header repeated by ``thead``) through WeasyPrint,
  if it can be imported.

Targets: report ≤ 1.5x bare, report ≥ 15x faster than WeasyPrint, 10k/1k time ≤ 12x (median of the
rounds' own ratios: each round of the large report builds the small one beside it), peak memory of
the 10k report < 150 MB.

The small cases (one process, after ``fonts.warm()`` as a gunicorn worker does at its start): the
dispatch report and the pick list of 1 and 20 lines and a certificate, side by side with bare reportlab
drawing the same table in Helvetica (``helvetica``: no fonts of ours, no QR, no layout), built in
interleaved turns; CPU milliseconds per build, median of the turns. Also the first report a warmed
process builds, against the median. Target: each document of one line under 8 ms of CPU.

Over HTTP (``bench/pdf_http.py``, in a fresh process on a throwaway database made through the
services: SQLite, or the server ``--database`` names; ``--no-http`` leaves it out): the one-line
dispatch report from its page route, served stored against rebuilt after its data changed (the
receipt recorded), in alternating paired rounds; CPU and wall milliseconds, median of the rounds.
Target: rebuilt at most 3x stored, in CPU.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_BARE_RATIO = 1.5
TARGET_WEASY_SPEEDUP = 15.0
TARGET_SCALING = 12.0
TARGET_PEAK_MB = 150.0
TARGET_SMALL_MS = 8.0
SMALL_SIZES = (1, 20)
HTTP_ROUNDS = 25


def make_report(n: int):
    """A dispatch report of ``n`` lines with realistic variety (long names wrap, CJK recipient)."""
    from health_responder.reports.data import DispatchLineData, DispatchReportData, Party

    kinds = [
        ("OXY-CONC-10L", "Oxygen concentrator 10 L", "each", False),
        ("PULSE-OX", "Pulse oximeter, fingertip, adult and paediatric probes", "each", False),
        ("VAC-CARRIER", "Vaccine carrier 1.7 L with ice packs, WHO PQS prequalified", "each", True),
        ("MASK-N95", "Respirator N95", "box", False),
        ("INSULIN-PEN", "Insulin pen needles 4 mm", "pack", True),
    ]
    lines = []
    for i in range(n):
        code, name, unit, cold = kinds[i % len(kinds)]
        lines.append(
            DispatchLineData(
                item_code=f"{code}-{i:05d}",
                item_name=f"{name} #{i}",
                lot_code=f"L-{i * 7 % 9973:04d}",
                expires_on=date(2027, 1, 1) + timedelta(days=i % 400) if i % 6 else None,
                quantity=1 + i % 120,
                unit=unit,
                cold_chain=cold,
                location_name="Berlin central warehouse",
            )
        )
    return DispatchReportData(
        reference="DSP-2026-000042",
        ship_date=date(2026, 12, 1),
        status="shipped",
        request_reference="REQ-2026-000123",
        priority="critical",
        sender=Party(
            "MedEquip Distribution GmbH", "DE", "Hauptstraße 1\n10115 Berlin", "ops@medequip.example"
        ),
        sender_location="Berlin central warehouse",
        recipient=Party(
            "세종특별자치시 Sejong", "KR", "Hanuri-daero 2130, 세종", "Kim Min-jun, +82 44 300 0000"
        ),
        carrier="DHL Express",
        tracking_number="JD014600003828",
        packages=12,
        lines=lines,
        notes="Keep the cold-chain cartons between 2 and 8 °C.",
        verification_url="https://shr.example.org/api/v1/documents/verify/AB12CD34",
        verification_code="AB12CD34",
        association_name="World Smart Sustainable Cities Organization",
    )


def _cells(line) -> list[str]:
    return [
        line.item_code,
        line.item_name,
        line.lot_code,
        line.expires_on.isoformat() if line.expires_on else "—",
        str(line.quantity),
        line.unit,
        "❄" if line.cold_chain else "",
    ]


HEADER = ["Item code", "Item", "Lot", "Expiry", "Qty", "Unit", "Cold"]


def build_report(data) -> bytes:
    from health_responder.reports.builders import build_dispatch_report

    return build_dispatch_report(data)


def build_bare(data) -> bytes:
    """The rows through reportlab with nothing of ours: 100-row chunks, plain strings, a grid."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from health_responder.reports.fonts import BASE_FONT, BOLD_FONT

    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), BASE_FONT, 8, 10),
            ("FONT", (0, 0), (-1, 0), BOLD_FONT, 8, 10),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    # The report's column widths; long names wrapped the cheapest way reportlab offers.
    widths = [9 * mm, 32 * mm, 57 * mm, 22 * mm, 18 * mm, 14 * mm, 15 * mm, 14 * mm]
    rows = [
        [str(i)]
        + [
            "\n".join(simpleSplit(text, BASE_FONT, 8, width - 12))
            for text, width in zip(_cells(line), widths[1:], strict=True)
        ]
        for i, line in enumerate(data.lines, 1)
    ]
    story = [
        Table([["#"] + HEADER] + rows[i : i + 100], colWidths=widths, repeatRows=1, style=style)
        for i in range(0, len(rows), 100)
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()


def build_weasy(data) -> bytes:
    """The rows as an HTML table through WeasyPrint, header repeated by ``thead``."""
    from html import escape

    import weasyprint

    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _cells(line)) + "</tr>" for line in data.lines
    )
    html = f"""<!doctype html><html><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 15mm; @bottom-right {{ content: "Page " counter(page) " of " counter(pages); }} }}
      body {{ font-family: "DejaVu Sans", sans-serif; font-size: 8pt; }}
      table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 0.25pt solid grey; padding: 2pt 3pt; }}
    </style></head><body><h1>Dispatch report {escape(data.reference)}</h1>
    <table><thead><tr>{"".join(f"<th>{h}</th>" for h in HEADER)}</tr></thead><tbody>{rows}</tbody></table>
    </body></html>"""
    return weasyprint.HTML(string=html).write_pdf()


BUILDERS = {"report": build_report, "bare": build_bare, "weasy": build_weasy}


def make_pick_list(n: int):
    """A pick list with the report's lines, spread over two locations."""
    from health_responder.reports.data import PickLineData, PickListData

    report = make_report(n)
    lines = [
        PickLineData(
            location_name=("Berlin central warehouse", "Hamburg port store")[i % 2],
            item_code=line.item_code,
            item_name=line.item_name,
            lot_code=line.lot_code,
            expires_on=line.expires_on,
            quantity=line.quantity,
            unit=line.unit,
            cold_chain=line.cold_chain,
            bin=f"A-{i % 40:02d}",
        )
        for i, line in enumerate(report.lines)
    ]
    return PickListData(
        dispatch_reference=report.reference,
        request_reference=report.request_reference,
        priority=report.priority,
        provider_name=report.sender.name,
        city_name=report.recipient.name,
        prepared_on=report.ship_date,
        needed_by=date(2026, 12, 10),
        lines=lines,
        association_name=report.association_name,
        verification_url=report.verification_url,
        verification_code=report.verification_code,
    )


def make_certificate():
    from health_responder.reports.data import CertificateData

    return CertificateData(
        association_name="World Smart Sustainable Cities Organization",
        participant_name="Kim Min-jun 김민준",
        program_title="Oxygen therapy for district nurses",
        topic="Oxygen therapy",
        provider_name="MedEquip Distribution GmbH",
        city_name="Sejong",
        completed_on=date(2026, 11, 2),
        verification_url="https://shr.example.org/api/v1/documents/verify/CE12RT34",
        verification_code="CE12RT34",
        duration_hours=16,
        signatory_name="Dr. Anna Weber",
        signatory_title="Training lead",
    )


def build_helvetica(data) -> bytes:
    """The report's table in reportlab's built-in Helvetica: no fonts of ours, no QR, no layout of ours."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8, 10),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8, 10),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    rows = [["#"] + HEADER] + [[str(i)] + _cells(line)[:-1] + [""] for i, line in enumerate(data.lines, 1)]
    widths = [9 * mm, 32 * mm, 57 * mm, 22 * mm, 18 * mm, 14 * mm, 15 * mm, 14 * mm]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(
        [Paragraph(f"Dispatch report {data.reference}", getSampleStyleSheet()["Title"]),
         Table(rows, colWidths=widths, repeatRows=1, style=style)]
    )  # fmt: skip
    return buffer.getvalue()


def small_worker(turns: int) -> None:
    """The small cases in this process, after the warm-up a worker does at start; prints JSON."""
    from health_responder.reports.builders import build_certificate, build_dispatch_report, build_pick_list
    from health_responder.reports.fonts import warm

    started = time.process_time()
    warm()
    warm_ms = (time.process_time() - started) * 1000
    first_data = make_report(1)
    started = time.process_time()
    build_dispatch_report(first_data)
    first_ms = (time.process_time() - started) * 1000
    cases = {}
    for n in SMALL_SIZES:
        report, pick = make_report(n), make_pick_list(n)
        cases[f"report {n}"] = (build_dispatch_report, report)
        cases[f"pick list {n}"] = (build_pick_list, pick)
        cases[f"helvetica {n}"] = (build_helvetica, report)
    cases["certificate"] = (build_certificate, make_certificate())
    times: dict[str, list[float]] = {name: [] for name in cases}
    for turn in range(turns):
        for name, (builder, data) in list(cases.items())[:: 1 if turn % 2 == 0 else -1]:
            started = time.process_time()
            builder(data)
            times[name].append((time.process_time() - started) * 1000)
    print(
        json.dumps(
            {
                "warm_ms": warm_ms,
                "first_ms": first_ms,
                "ms": {k: statistics.median(v) for k, v in times.items()},
            }
        )
    )


def small_cases(turns: int) -> int:
    """Run the small cases in a fresh process and print their table and RESULT lines; the failures."""
    result = _in_fresh_process([__file__, "--small-worker", str(turns)], "small documents", "-")
    if result is None:
        return 1
    ms = result["ms"]
    print(
        f"Small documents: CPU ms per build, median of {turns} interleaved turns, after the worker's warm-up"
    )
    print(f"{'document':<14} {'lines':>5} {'ms':>7} {'vs helvetica':>13}")
    for n in SMALL_SIZES:
        for kind in ("report", "pick list", "helvetica"):
            value = ms[f"{kind} {n}"]
            print(f"{kind:<14} {n:>5} {value:>7.2f} {value / ms[f'helvetica {n}']:>12.2f}x")
    print(
        f"{'certificate':<14} {'-':>5} {ms['certificate']:>7.2f} {ms['certificate'] / ms['helvetica 1']:>12.2f}x"
    )
    print(
        f"warm-up at worker start: {result['warm_ms']:.0f} ms; first report after it: {result['first_ms']:.2f} ms "
        f"(median {ms['report 1']:.2f} ms)"
    )
    print()
    failures = 0
    for name, value in (
        ("dispatch report, 1 line", ms["report 1"]),
        ("pick list, 1 line", ms["pick list 1"]),
        ("certificate", ms["certificate"]),
    ):
        ok = value < TARGET_SMALL_MS
        failures += not ok
        print(
            f"RESULT {name}, CPU per build | {value:.2f} ms ({value / ms['helvetica 1']:.1f}x bare Helvetica) "
            f"| < {TARGET_SMALL_MS:g} ms | {verdict(ok)}"
        )
    for n in SMALL_SIZES[1:]:
        print(
            f"RESULT dispatch report, {n} lines, CPU per build | {ms[f'report {n}']:.2f} ms "
            f"({ms[f'report {n}'] / ms[f'helvetica {n}']:.1f}x bare Helvetica) | - | INFO"
        )
    first_ratio = result["first_ms"] / ms["report 1"]
    print(
        f"RESULT first report of a warmed worker / median | {first_ratio:.2f}x ({result['first_ms']:.2f} ms) | - | INFO"
    )
    print()
    return failures


def http_case(rounds: int, database: str) -> int:
    """The one-line report over HTTP, stored against rebuilt, in a fresh process; its failures."""
    from bench.pdf_http import TARGET_RATIO, report

    result = _in_fresh_process(
        [str(ROOT / "bench" / "pdf_http.py"), "--json", "--rounds", str(rounds), "--database", database],
        "dispatch report over HTTP, rebuilt / stored",
        f"≤ {TARGET_RATIO:g}x",
    )
    return 1 if result is None else report(result)


def _in_fresh_process(arguments: list[str], measure: str, target: str) -> dict | None:
    """Run a measuring script in a fresh Python and read the JSON of its last line; None (and a FAIL
    line naming ``measure``) when it failed."""
    proc = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode:
        print(f"{measure} failed: {proc.stderr.strip().splitlines()[-1:]}")
        print(f"RESULT {measure} | failed | {target} | FAIL")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def worker(kind: str, n: int, repeat: int) -> None:
    """Measure one case in this process (best of ``repeat`` builds) and print it as JSON."""
    import pypdf

    from health_responder.reports.fonts import get_fonts

    data = make_report(n)
    get_fonts().runs(data.recipient.name)  # open the fallback font, as a running server already has
    BUILDERS[kind](make_report(5))  # warm up: lazy imports and first-use caches are not the build
    cpu, wall = [], []
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        pdf = BUILDERS[kind](data)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "kind": kind,
                "n": n,
                "seconds": min(cpu),
                "wall": min(wall),
                "pages": pages,
                "peak_mb": peak_mb,
                "bytes": len(pdf),
            }
        )
    )


def measure(kind: str, n: int, repeat: int) -> dict | None:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(n), str(repeat)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        print(
            f"  {kind} {n}: failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}",
            file=sys.stderr,
        )
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def weasyprint_available() -> str | None:
    """None if WeasyPrint can be imported in a subprocess, else the reason it cannot."""
    proc = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    last = (proc.stderr.strip().splitlines() or ["import failed"])[-1]
    return last


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 and 2,000 lines instead of 1,000 and 10,000"
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds of report and bare (default 5)")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "LINES", "REPEAT"), help=argparse.SUPPRESS)
    parser.add_argument("--small-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--small-only", action="store_true", help="only the small cases (1 and 20 lines, and over HTTP)"
    )
    parser.add_argument("--http-only", action="store_true", help="only the one-line report over HTTP")
    parser.add_argument(
        "--no-http",
        action="store_true",
        help="leave out the report over HTTP (bench/run_all.py runs bench/pdf_http.py on each database)",
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="the HTTP case's database: sqlite (default), postgresql or a server URL; the builds touch none",
    )
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return 0
    if args.small_worker:
        small_worker(args.small_worker)
        return 0
    if args.http_only:
        return http_case(HTTP_ROUNDS, args.database)
    small_failures = small_cases(20 if args.quick else 60)
    small_failures += 0 if args.no_http else http_case(HTTP_ROUNDS, args.database)
    if args.small_only:
        return 1 if small_failures else 0

    small, large = (200, 2000) if args.quick else (1000, 10000)
    weasy_reason = weasyprint_available()
    kinds = ["report", "bare"] + ([] if weasy_reason else ["weasy"])
    results: dict[tuple[str, int], dict | None] = {}
    overhead: dict[int, float] = {}  # lines -> median over the rounds of report/bare
    speedup: dict[int, float] = {}  # lines -> median over the rounds with WeasyPrint of weasy/report
    # The scaling from the small to the large report, paired: each round of the large size builds the small
    # one right beside it (the two sizes' own rounds run minutes apart, while the machine's speed drifts).
    scaling_pairs: list[tuple[dict | None, dict | None]] = []  # (large report, small report of that round)
    for n in (small, large):
        runs: dict[str, list[dict | None]] = {"report": [], "bare": []}
        weasy_runs: list[tuple[dict | None, dict | None]] = []  # (weasy, the report of the same round)
        for round_ in range(max(1, args.repeat)):
            for kind in ("report", "bare") if round_ % 2 == 0 else ("bare", "report"):
                runs[kind].append(measure(kind, n, 1))
            if n == large:
                scaling_pairs.append((runs["report"][-1], measure("report", small, 1)))
            # WeasyPrint takes seconds on the small case (three rounds) and minutes on the large one (one).
            if not weasy_reason and round_ < (3 if n == small else 1):
                weasy_runs.append((measure("weasy", n, 1), runs["report"][-1]))
        for kind, measured in runs.items():
            done = [r for r in measured if r is not None]
            results[kind, n] = (
                None
                if len(done) < len(measured)
                else {**min(done, key=lambda r: r["seconds"]), "peak_mb": max(r["peak_mb"] for r in done)}
            )
        if results["report", n] and results["bare", n]:
            overhead[n] = statistics.median(
                r["seconds"] / b["seconds"] for r, b in zip(runs["report"], runs["bare"], strict=True)
            )
        if weasy_runs:
            done = [w for w, _r in weasy_runs if w is not None]
            results["weasy", n] = (
                min(done, key=lambda r: r["seconds"]) if len(done) == len(weasy_runs) else None
            )
            if results["weasy", n] and results["report", n]:
                speedup[n] = statistics.median(w["seconds"] / r["seconds"] for w, r in weasy_runs)

    print(f"PDF benchmark: dispatch report, {small:,} and {large:,} lines (each case in its own process)")
    if weasy_reason:
        print(
            f"WeasyPrint not measured: {weasy_reason} (pip install weasyprint; apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0)"
        )
    print()
    print(
        f"{'case':<8} {'lines':>7} {'seconds':>8} {'wall s':>7} {'pages':>6} {'pages/s':>8} {'peak MB':>8} "
        f"{'vs bare':>8} {'vs weasy':>9}"
    )
    failures = 0
    for n in (small, large):
        for kind in kinds:
            r = results[kind, n]
            if r is None:
                print(f"{kind:<8} {n:>7,} {'failed':>8}")
                continue
            bare, weasy = results.get(("bare", n)), results.get(("weasy", n))
            vs_bare = (
                "1.00x"
                if kind == "bare"
                else f"{overhead[n]:.2f}x"
                if n in overhead and kind == "report"
                else f"{r['seconds'] / bare['seconds']:.2f}x"
                if bare
                else "-"
            )
            vs_weasy = (
                "-"
                if kind == "weasy" or not weasy
                else f"{speedup[n]:.1f}x"
                if kind == "report" and n in speedup
                else f"{weasy['seconds'] / r['seconds']:.1f}x"
            )
            print(
                f"{kind:<8} {n:>7,} {r['seconds']:>8.2f} {r['wall']:>7.2f} {r['pages']:>6} "
                f"{r['pages'] / r['seconds']:>8.1f} "
                f"{r['peak_mb']:>8.1f} {vs_bare:>8} {vs_weasy:>9}"
            )
    print("seconds: CPU time of the build, best round (the machine may be shared; wall s is the wall clock);")
    print(
        "vs bare: median of the rounds' report/bare; vs weasy: median of the rounds' weasy/report (3 rounds at "
        f"{small:,} lines, 1 at {large:,}); peak MB: ru_maxrss"
    )
    print()

    checks: list[tuple[str, bool | None, str]] = []
    for n in (small, large):
        report, bare, weasy = results.get(("report", n)), results.get(("bare", n)), results.get(("weasy", n))
        if report and bare:
            ratio = overhead[n]
            checks.append(
                (
                    f"overhead over bare reportlab, {n:,} lines ≤ {TARGET_BARE_RATIO}x",
                    ratio <= TARGET_BARE_RATIO,
                    f"{ratio:.2f}x",
                )
            )
        if weasy_reason:
            checks.append(
                (f"faster than WeasyPrint, {n:,} lines ≥ {TARGET_WEASY_SPEEDUP:g}x", None, "not measured")
            )
        elif report and weasy:
            checks.append(
                (
                    f"faster than WeasyPrint, {n:,} lines ≥ {TARGET_WEASY_SPEEDUP:g}x",
                    speedup[n] >= TARGET_WEASY_SPEEDUP,
                    f"{speedup[n]:.1f}x",
                )
            )
    report_small, report_large = results.get(("report", small)), results.get(("report", large))
    if report_small and report_large and all(big and little for big, little in scaling_pairs):
        scaling = statistics.median(big["seconds"] / little["seconds"] for big, little in scaling_pairs)
        checks.append(
            (
                f"time for {large:,} / {small:,} lines ≤ {TARGET_SCALING:g}x",
                scaling <= TARGET_SCALING,
                f"{scaling:.2f}x",
            )
        )
        checks.append(
            (
                f"peak memory, {large:,} lines < {TARGET_PEAK_MB:g} MB",
                report_large["peak_mb"] < TARGET_PEAK_MB,
                f"{report_large['peak_mb']:.1f} MB",
            )
        )
    for name, ok, value in checks:
        status = "SKIP" if ok is None else verdict(ok)
        failures += ok is False
        print(f"{status:<5} {name:<52} {value}")
    for name, ok, value in checks:  # the summary lines bench/run_all.py gathers into docs/benchmarks.md
        sign = "≤" if " ≤ " in name else "≥" if " ≥ " in name else "<"
        label, _, target = name.rpartition(f" {sign} ")
        print(f"RESULT {label or name} | {value} | {sign} {target} | {'SKIP' if ok is None else verdict(ok)}")
    if any(r is None for r in results.values()):
        failures += 1
    return 1 if failures + small_failures else 0


if __name__ == "__main__":
    sys.exit(main())
