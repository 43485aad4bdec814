"""Run every benchmark under bench/ and write docs/benchmarks.md.

Each benchmark prints its own detailed table and, for the summary, lines of the form
``RESULT <name> | <measured> | <target> | PASS|FAIL``. This script runs them one after another (never
in parallel: they measure ratios side by side within one run, and two at once would disturb each
other), gathers those lines into one table with the machine and the date, and keeps each
benchmark's full output below it.

    .venv/bin/python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ["api.py", "allocation.py", "pdf.py"]


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
    args = parser.parse_args()
    results, outputs = [], []
    for name in BENCHES:
        script = ROOT / "bench" / name
        if not script.exists():
            outputs.append((name, "(missing)", 0.0))
            continue
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        text = done.stdout + (f"\n[stderr]\n{done.stderr[-4000:]}" if done.returncode else "")
        print(text, flush=True)
        outputs.append((name, text, elapsed))
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                cells = [c.strip() for c in line[len("RESULT ") :].split("|")]
                results.append([name] + (cells + ["", "", "", ""])[:4])
        if done.returncode:
            results.append([name, "exit status", str(done.returncode), "0", "FAIL"])
    lines = [
        "# Benchmarks",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; `make bench`"
        + (" (quick sizes)" if args.quick else "")
        + ".",
        "Each ratio compares two things measured side by side in the same run, so a busy machine shifts both.",
        "",
        "| benchmark | measure | result | target | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in results]
    lines += ["", "## Full output", ""]
    for name, text, elapsed in outputs:
        lines += [f"### {name} ({elapsed:.0f} s)", "", "```", text.strip(), "```", ""]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")
    return 1 if any(r[-1] == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
