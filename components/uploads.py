"""A file uploader whose refusals are plain words, not Streamlit's exception box.

Given `type=`, Streamlit checks a file's name on the server (no NUL, an allowed extension)
while it reads the widget's state, before any line of the app runs, so nothing can catch
it and the creator sees an exception box. Here the widget takes any name and this module
checks it: a refused name gets a message saying what to do, and the file is not used.
Contents are checked by the services (by content, never by name) in any case.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

import streamlit as st

from components.labels import literal

logger = logging.getLogger(__name__)


def name_problem(name: str, allowed: list[str]) -> str | None:
    """Why a file name is refused, in words, or None."""
    kinds = " or ".join(f".{t.lstrip('.').lower()}" for t in allowed)
    shown = literal(name.encode("unicode_escape").decode())
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"The file name “{shown}” has hidden characters. Rename it and try again."
    if PurePosixPath(name.lower()).suffix.lstrip(".") not in {t.lstrip(".").lower() for t in allowed}:
        return f"“{shown}” is not a {kinds} file. Upload a {kinds} file (its name must end with one of those)."
    return None


def file_uploader(label: str, *, key: str, type: list[str], **options: Any) -> Any:  # noqa: A002
    """`st.file_uploader` that returns only files with acceptable names (None / [] when none are)."""
    picked = st.file_uploader(label, key=key, **options)
    files = picked if isinstance(picked, list) else [picked] if picked is not None else []
    kept = []
    for upload in files:
        problem = name_problem(upload.name, type)
        if problem is None:
            kept.append(upload)
            continue
        logger.info("upload refused by its file name: %r", upload.name)
        st.error(problem, icon="⚠️")
    if isinstance(picked, list):
        return kept
    return kept[0] if kept else None
