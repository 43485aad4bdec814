"""Run every benchmark under bench/ and write docs/benchmarks.md.

Each benchmark prints its own detailed table and, for the summary, lines of the form
``RESULT <name> | <measured> | <target> | PASS|FAIL``. This script runs them one after another (never
in parallel: they measure ratios side by side within one run, and two at once would disturb each
other), gathers those lines into one table with the machine and the date, and keeps each
benchmark's full output below it.

    .venv/bin/python bench/run_all.py [--quick] [--postgres URL]

The API, allocation and PDF-over-HTTP benchmarks run once on SQLite and once on PostgreSQL (a throwaway
database on the server ``--postgres`` names, the local one by default; ``--postgres none`` skips it);
the PDF builds touch no database and run once. Each database gets its own table. The machine's load
average before and after is written beside the results: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import timeit
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: (script, runs once per database, its own arguments)
BENCHES = [
    ("api.py", True, []),
    ("allocation.py", True, []),
    ("pdf_http.py", True, []),
    ("pdf.py", False, ["--no-http"]),  # the builds touch no database; pdf_http.py is its HTTP case
]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def speed() -> float:
    """Milliseconds of pure Python (``sum(range(10**6))``, best of 5) on this machine right now.

    The same VM has been seen to take 17 ms and 28 ms a minute apart, with no load of its own and no
    steal time reported: the host's other tenants slow it. Printed beside each benchmark, so that an
    absolute time (a PDF's milliseconds, the write tail) can be read against the machine's speed then.
    """
    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a smoke run.")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL, or none")
    args = parser.parse_args()
    databases = [("SQLite", "sqlite")] + (
        [] if args.postgres.lower() == "none" else [("PostgreSQL", args.postgres)]
    )
    results: dict[str, list[list[str]]] = {}
    outputs = []
    load_before, started_at, speeds = load(), datetime.now(UTC), []
    runs = [
        (name, label, url, extra)
        for name, per_db, extra in BENCHES
        for label, url in (databases if per_db else [("PDF", None)])
    ]
    for name, label, url, extra in runs:
        script = ROOT / "bench" / name
        title = f"{name} ({label})" if url else name
        command = [sys.executable, str(script), *extra] + (["--quick"] if args.quick else [])
        command += ["--database", url] if url else []
        before = speed()
        print(f"== {title} (pure Python: {before:.1f} ms)", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        text = done.stdout + (f"\n[stderr]\n{done.stderr[-4000:]}" if done.returncode else "")
        print(text, flush=True)
        text = (
            f"[machine speed before: sum(range(10**6)) in {before:.1f} ms, after: {speed():.1f} ms]\n" + text
        )
        speeds.append(before)
        outputs.append((title, text, elapsed))
        table = results.setdefault("PDFs (no database)" if url is None else label, [])
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                cells = [c.strip() for c in line[len("RESULT ") :].split("|")]
                cells[0] = cells[0].replace("[sqlite] ", "").replace("[postgresql] ", "")
                table.append([name] + (cells + ["", "", "", ""])[:4])
        if done.returncode and not any(line.startswith("RESULT ") for line in done.stdout.splitlines()):
            table.append([name, "exit status", str(done.returncode), "0", "FAIL"])
    lines = [
        "# Benchmarks",
        "",
        f"Run on {started_at:%Y-%m-%d %H:%M} UTC, {machine()}; `make bench`"
        + (" (quick sizes)" if args.quick else "")
        + ".",
        f"Load average (1, 5, 15 min) at the start: {load_before}; at the end: {load()}. The machine was shared: "
        "each ratio compares two things measured side by side in the same run (paired, alternating rounds, "
        "median), so a busy machine shifts both; absolute times and the write tail are not shielded from it.",
        f"Speed of pure Python before each benchmark (`sum(range(10**6))`, best of 5): "
        f"{' '.join(f'{ms:.0f}' for ms in speeds)} ms; the same VM has read 17 ms and 28 ms a minute apart, "
        "and a PDF's milliseconds or the write tail move with it.",
    ]
    for title, rows in results.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| benchmark | measure | result | target | verdict |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {' | '.join(row)} |" for row in rows]
    lines += ["", "## Full output", ""]
    for title, text, elapsed in outputs:
        lines += [f"### {title} ({elapsed:.0f} s)", "", "```", text.strip(), "```", ""]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")
    return 1 if any(r[-1] == "FAIL" for rows in results.values() for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
