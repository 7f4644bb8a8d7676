"""Where the studio's log goes: `<data_dir>/studio.log` for everything, the console for warnings.

The console shows one line per subsystem at start (printed by the caller) and problems;
details such as Alembic's migration lines and full tracebacks (with their error id) go to
the log file, where an admin can look them up.
"""

from __future__ import annotations

import logging
from pathlib import Path

LOG_NAME = "studio.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_NAME


def configure_logging(data_dir: Path) -> Path:
    """Idempotent: a second call (another session, the server after `scripts.prepare`) adds nothing."""
    root = logging.getLogger()
    path = log_path(data_dir)
    if any(getattr(h, "_studio", False) for h in root.handlers):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(_FORMAT))
    to_file.setLevel(logging.INFO)
    to_console = logging.StreamHandler()
    to_console.setFormatter(logging.Formatter("[studio] %(levelname)s %(message)s"))
    to_console.setLevel(logging.WARNING)
    handlers: list[logging.Handler] = [to_file, to_console]
    for handler in handlers:
        handler._studio = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    # Alembic's "Context impl SQLiteImpl" / "Running upgrade" lines: log file only.
    logging.getLogger("alembic").propagate = True
    return path
