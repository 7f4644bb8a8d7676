"""Give the heap's free pages back to the operating system after heavy steps.

glibc keeps memory that Python and numpy freed in its arenas (one per worker thread), so
a worker's resident set stays at the high-water mark of its heaviest step: after an offline
storyboard (1080x1920 float compositions) about 430 MB, of which `malloc_trim` hands back
about 250 MB in about 12 ms. The next step's FFmpeg then runs beside a smaller Python.
Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

logger = logging.getLogger(__name__)

HEAVY_STEP_S = 1.0  # a step this long may have left a large free heap; a shorter one costs no trim


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_free_memory() -> bool:
    """Return the free heap to the system; True if the C library can and did release any."""
    trim = _malloc_trim()
    if trim is None:
        return False
    return bool(trim(0))


def after_step(seconds: float) -> None:
    if seconds >= HEAVY_STEP_S:
        released = give_back_free_memory()
        logger.debug("after a %.1f s step the free heap was %s", seconds, "released" if released else "kept")
