"""Short-lived working folders for a service call: under the data folder's `tmp/` (never a
user path), removed when the call ends."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.ports_services import Services

logger = logging.getLogger(__name__)


@contextmanager
def scratch_dir(services: Services) -> Iterator[Path]:
    """A fresh empty folder under `<work_dir>/tmp`, deleted with everything in it on exit."""
    root = services.settings.work_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        yield Path(tmp)
