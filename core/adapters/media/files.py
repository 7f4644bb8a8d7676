"""Small file helpers shared by the media adapters."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


@contextmanager
def atomic_output(dest: Path) -> Iterator[Path]:
    """Yield a hidden temp path next to `dest`; on success it replaces `dest` in one step.

    The temp name keeps dest's suffix so tools that look at it still see the right type,
    and it is generated, so nothing a user typed ends up in it.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{uuid.uuid4().hex}.part{dest.suffix}"
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written for {dest.name}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def format_mb(n_bytes: float) -> str:
    """'10 MB', '12.3 MB': at most one decimal, no trailing zero."""
    text = f"{n_bytes / MIB:.1f}".rstrip("0").rstrip(".")
    return f"{text} MB"


def format_seconds(seconds: float) -> str:
    text = f"{seconds:.1f}".rstrip("0").rstrip(".")
    return f"{text} s"
