"""PDF text as poppler's pdftotext reads it: the one way the tests read a document's words back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdftotext(pdf: bytes, tmp_path: Path, *, raw: bool = False) -> str:
    """The text of ``pdf`` (``-layout``, or ``-raw``: in the order it was drawn); skipped where poppler is missing."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed (Debian package poppler-utils)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8", "-raw" if raw else "-layout", str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")
