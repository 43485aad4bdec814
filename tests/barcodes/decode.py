"""Reading printed GS1 DataMatrix codes back with a decoder that did not write them: libdmtx's dmtxread."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

GS = "\x1d"


def _run(*args) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def read_gs1_datamatrix(
    pdf: bytes, tmp_path: Path, *, page: int = 1, count: int = 1, dpi: int = 150
) -> list[str]:
    """The messages of the GS1 DataMatrix symbols on a page, sorted, GS separators as "\\x1d".

    Each symbol must be GS1: its first data codeword is FNC1 (232), which ``dmtxread -c`` lists.
    """
    for tool in ("pdftoppm", "dmtxread"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (Debian: poppler-utils, dmtx-utils)")
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    _run("pdftoppm", "-r", dpi, "-f", page, "-l", page, "-png", "-singlefile", source, tmp_path / "page")
    image = tmp_path / "page.png"
    lines = _run("dmtxread", "-c", "-N", count, image).split("\n")
    firsts = [
        line
        for before, line in zip(["", *lines], lines, strict=False)
        if line.startswith("d:") and not before.startswith("d:")
    ]
    assert firsts == ["d:232"] * count, firsts
    # -G 29: FNC1 is printed as the group separator (ASCII 29), the leading one included.
    out = _run("dmtxread", "-n", "-G", "29", "-N", count, image)
    # split on newlines only: str.splitlines() would also split on the GS character itself.
    messages = [line for line in out.split("\n") if line]
    assert all(m.startswith(GS) for m in messages), messages
    return sorted(m[1:] for m in messages)
