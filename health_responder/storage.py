"""Files on disk: uploaded PDFs named by their SHA-256, and ``write_file`` for generated ones.

Nothing is ever half-written: each file is written under a ``.part`` name and renamed into place. On a
full disk (ENOSPC, or EDQUOT under a quota) the partial file is removed and InsufficientStorage (507)
is raised, before any registry row is written.

A file is a PDF when its bytes begin with ``%PDF-``, whatever content type the browser sent: browsers
label the same file ``application/pdf``, ``application/x-pdf`` or ``application/octet-stream``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from health_responder.errors import NO_SPACE, NotFound, ValidationFailed, no_space

PDF_MAGIC = b"%PDF-"


class FileTooLarge(ValidationFailed):
    """An upload longer than the ``max_bytes`` it was given (field ``file``); ``limit`` is that number."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            _l("The file is too large."), {"file": [_l("At most %(mb)s MB.", mb=limit // (1024 * 1024))]}
        )
        self.limit = limit


def store_pdf(stream: BinaryIO, *, folder: str, max_bytes: int) -> tuple[str, int, str]:
    """Copy an uploaded PDF to REPORTS_DIR/<folder>/<sha256>.pdf; returns (relative path, size, sha256).

    Raises ValidationFailed (field ``file``) for an empty file, one past ``max_bytes``, or one without
    the ``%PDF-`` header.
    """
    name, size, digest = store_pdf_in(
        stream, directory=Path(current_app.config["REPORTS_DIR"]) / folder, max_bytes=max_bytes
    )
    return f"{folder}/{name}", size, digest


def store_pdf_in(stream: BinaryIO, *, directory: Path, max_bytes: int) -> tuple[str, int, str]:
    """Copy an uploaded PDF to <directory>/<sha256>.pdf; returns (file name, size, sha256).

    Raises ValidationFailed (field ``file``) for an empty file, one past ``max_bytes``, or one without
    the ``%PDF-`` header; a refused or failed copy leaves no ``.part`` file behind.
    """
    digest, size, head = hashlib.sha256(), 0, b""
    tmp_name = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=directory, suffix=".part")
        with os.fdopen(handle, "wb") as tmp:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(max_bytes)
                if len(head) < len(PDF_MAGIC):
                    head += chunk[: len(PDF_MAGIC) - len(head)]
                digest.update(chunk)
                tmp.write(chunk)
        if size == 0:
            raise ValidationFailed(_l("The file is empty."), {"file": [_l("The file is empty.")]})
        if head != PDF_MAGIC:
            raise ValidationFailed(
                _l("The file is not a PDF."), {"file": [_l("Not a PDF document (no %PDF header).")]}
            )
        name = f"{digest.hexdigest()}.pdf"
        # Content-addressed: the same bytes land on the same name, so a rename only replaces equal content.
        os.replace(tmp_name, directory / name)
        return name, size, digest.hexdigest()
    except OSError as error:
        if error.errno in NO_SPACE:
            raise no_space(error, {"file": [_l("No disk space left on the server.")]}) from error
        raise
    finally:
        if tmp_name is not None and os.path.exists(tmp_name):
            os.unlink(tmp_name)


def write_file(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` whole or not at all: through ``<target>.part`` and a rename.

    A full disk raises InsufficientStorage (507) and leaves neither the ``.part`` nor ``target``.
    """
    temporary = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(content)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        if error.errno in NO_SPACE:
            raise no_space(error) from error
        raise


def stored_file(relative: str | None) -> Path:
    """The absolute path of a stored file, or NotFound when it is missing."""
    path = Path(current_app.config["REPORTS_DIR"]) / (relative or "")
    if not relative or not path.is_file():
        raise NotFound(_l("The file is missing from storage."))
    return path
